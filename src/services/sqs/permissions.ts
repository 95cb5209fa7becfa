/**
 * AddPermission / RemovePermission, pure: SQS's shorthand for a queue-policy statement granting
 * accounts some of a queue's actions. AWS writes it as below (Version 2008-10-17, Id
 * `<queue arn>/SQSDefaultPolicy`, the label as Sid, `SQS:<Action>`, principals as account roots).
 * Error wordings are SQS's as reported where found; marked unconfirmed otherwise.
 */
import type { QueueRow } from "../../store/sqs-queues";
import { sqsErr } from "./attributes";
import { queueArn } from "./common";

/** The actions AddPermission may grant (SQS API reference). */
const GRANTABLE = new Set([
  "*",
  "SendMessage",
  "ReceiveMessage",
  "DeleteMessage",
  "ChangeMessageVisibility",
  "GetQueueAttributes",
  "GetQueueUrl",
]);

interface PolicyDoc {
  Version?: string;
  Id?: string;
  Statement: Record<string, unknown>[];
}

function docOf(q: QueueRow): PolicyDoc {
  if (q.policy === undefined) return { Version: "2008-10-17", Id: `${queueArn(q)}/SQSDefaultPolicy`, Statement: [] };
  const d = JSON.parse(q.policy) as { Statement?: unknown };
  const statements = Array.isArray(d.Statement) ? d.Statement : d.Statement === undefined ? [] : [d.Statement];
  return { ...(d as object), Statement: statements as Record<string, unknown>[] };
}

const one = <T>(xs: T[]): T | T[] => (xs.length === 1 ? xs[0]! : xs);

export function addPermissionStatement(q: QueueRow, label: string | undefined, accounts: string[], actions: string[]): string {
  if (!label) throw sqsErr.missingParameter("Label");
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(label))
    throw sqsErr.invalidParameter("Label", label, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"); // unconfirmed
  if (!accounts.length) throw sqsErr.missingParameter("AWSAccountId");
  if (!actions.length) throw sqsErr.missingParameter("ActionName");
  for (const a of accounts) if (!/^\d{12}$/.test(a)) throw sqsErr.invalidParameter("AWSAccountId", a, "Invalid AWS account ID."); // unconfirmed
  for (const a of actions)
    if (!GRANTABLE.has(a))
      throw sqsErr.invalidParameter("ActionName", a, "Please refer to the appropriate WSDL for a list of valid actions.");
  const doc = docOf(q);
  if (doc.Statement.some((s) => s.Sid === label)) throw sqsErr.invalidParameter("Label", label, "Already exists.");
  doc.Statement.push({
    Sid: label,
    Effect: "Allow",
    Principal: { AWS: one(accounts.map((a) => `arn:aws:iam::${a}:root`)) },
    Action: one(actions.map((a) => `SQS:${a}`)),
    Resource: queueArn(q),
  });
  return JSON.stringify(doc);
}

/** The policy without the labelled statement; undefined when none is left. */
export function removePermissionStatement(q: QueueRow, label: string | undefined): string | undefined {
  if (!label) throw sqsErr.missingParameter("Label");
  const doc = docOf(q);
  const kept = doc.Statement.filter((s) => s.Sid !== label);
  if (kept.length === doc.Statement.length) throw sqsErr.invalidParameter("Label", label, "can't find label on existing policy.");
  return kept.length ? JSON.stringify({ ...doc, Statement: kept }) : undefined;
}
