/**
 * Topic policies, pure: the default policy SNS writes on CreateTopic, the checks SNS makes before
 * it stores one (a resource policy the engine parses, SNS actions only, within 30 KB), and
 * AddPermission / RemovePermission, SNS's shorthand for a statement granting accounts some of the
 * topic's actions.
 */
import { parsePolicy } from "../../policy/index";
import { snsErr } from "./common";

/** SNS quotas: a topic policy of at most 30 KB (SNS Developer Guide, "Policy quotas"). */
const MAX_POLICY_BYTES = 30 * 1024;

/**
 * The policy AWS gives a new topic (GetTopicAttributes answers it verbatim): any principal, on
 * condition that AWS:SourceOwner is the topic owner — i.e. AWS services acting for that account
 * (S3 event notifications, CloudWatch alarms). IAM principals of the account get their access from
 * their identity policies. Current AWS writes these eight actions (older topics also list SNS:Receive).
 */
export function defaultTopicPolicy(arn: string, owner: string): string {
  return JSON.stringify({
    Version: "2008-10-17",
    Id: "__default_policy_ID",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [
          "SNS:GetTopicAttributes",
          "SNS:SetTopicAttributes",
          "SNS:AddPermission",
          "SNS:RemovePermission",
          "SNS:DeleteTopic",
          "SNS:Subscribe",
          "SNS:ListSubscriptionsByTopic",
          "SNS:Publish",
        ],
        Resource: arn,
        Condition: { StringEquals: { "AWS:SourceOwner": owner } },
      },
    ],
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function strings(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  return undefined;
}

/**
 * The policy to store, or InvalidParameter. SNS words a policy naming another service's action
 * "Policy statement action out of service scope!" (as users report it); other faults carry the
 * engine's reason after "Policy Error: " (SNS's exact wording for those is unconfirmed).
 */
export function validateTopicPolicy(text: string): string {
  if (new TextEncoder().encode(text).length > MAX_POLICY_BYTES) throw snsErr.invalidParameter("Policy Error: Policy is too large");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw snsErr.invalidParameter("Policy Error: null");
  }
  if (!isObj(doc)) throw snsErr.invalidParameter("Policy Error: null");
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (statements.length > 100) throw snsErr.invalidParameter("Policy Error: too many statements");
  for (const s of statements) {
    if (!isObj(s)) throw snsErr.invalidParameter("Policy Error: null");
    const actions = strings(s.Action ?? s.NotAction);
    if (actions?.some((a) => a !== "*" && !/^sns:/i.test(a)))
      throw snsErr.invalidParameter("Policy statement action out of service scope!");
  }
  const parsed = parsePolicy(text, "resource");
  if (!parsed.ok) throw snsErr.invalidParameter(`Policy Error: ${parsed.message}`);
  return text;
}

/** The actions AddPermission may grant (SNS API reference, AddPermission: ActionName). */
const GRANTABLE = new Set([
  "GetTopicAttributes",
  "SetTopicAttributes",
  "AddPermission",
  "RemovePermission",
  "DeleteTopic",
  "Subscribe",
  "ListSubscriptionsByTopic",
  "Publish",
  "Receive",
]);

interface PolicyDoc {
  Statement: Record<string, unknown>[];
  [k: string]: unknown;
}

function docOf(policy: string): PolicyDoc {
  const d = JSON.parse(policy) as Record<string, unknown>;
  const s = d.Statement;
  return { ...d, Statement: (Array.isArray(s) ? s : s === undefined ? [] : [s]) as Record<string, unknown>[] };
}

const one = <T>(xs: T[]): T | T[] => (xs.length === 1 ? xs[0]! : xs);

/** The policy with AddPermission's statement: the label as Sid, accounts as root ARNs, `SNS:<Action>`. */
export function addPermissionStatement(policy: string, arn: string, label: string, accounts: string[], actions: string[]): string {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(label)) throw snsErr.invalidParameter("Label"); // wording unconfirmed
  if (!accounts.length) throw snsErr.invalidParameter("AWSAccountId");
  if (!actions.length) throw snsErr.invalidParameter("ActionName");
  for (const a of accounts) if (!/^\d{12}$/.test(a)) throw snsErr.invalidParameter("AWSAccountId"); // wording unconfirmed
  for (const a of actions) if (!GRANTABLE.has(a)) throw snsErr.invalidParameter(`Policy statement action out of service scope!`);
  const doc = docOf(policy);
  if (doc.Statement.some((s) => s.Sid === label)) throw snsErr.invalidParameter("Statement already exists");
  doc.Statement.push({
    Sid: label,
    Effect: "Allow",
    Principal: { AWS: one(accounts.map((a) => `arn:aws:iam::${a}:root`)) },
    Action: one(actions.map((a) => `SNS:${a}`)),
    Resource: arn,
  });
  return JSON.stringify(doc);
}

/** The policy without the labelled statement (an unknown label changes nothing, as on AWS). */
export function removePermissionStatement(policy: string, label: string): string {
  const doc = docOf(policy);
  const kept = doc.Statement.filter((s) => s.Sid !== label);
  return kept.length === doc.Statement.length ? policy : JSON.stringify({ ...doc, Statement: kept });
}
