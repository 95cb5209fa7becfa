/**
 * Queue policies (the `Policy` attribute), validated as SQS does before it stores one: a resource
 * policy the engine can parse (principals, conditions), naming only SQS actions, within SQS's 8 KB
 * policy size. Any fault is SQS's one answer, InvalidAttributeValue "Invalid value for the parameter
 * Policy." (the message AWS gives, e.g. terraform-provider-aws#42209; SQS adds no reason).
 * An empty string removes the policy, as on AWS.
 */
import { parsePolicy } from "../../policy/index";
import { sqsErr } from "./attributes";

/** SQS quotas: a queue policy of at most 8,192 bytes. */
const MAX_POLICY_BYTES = 8192;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function strings(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  return undefined;
}

/** The policy to store (undefined: none), or InvalidAttributeValue. */
export function validateQueuePolicy(text: string): string | undefined {
  if (text.trim() === "") return undefined;
  const invalid = sqsErr.invalidAttributeValue("Policy");
  if (new TextEncoder().encode(text).length > MAX_POLICY_BYTES) throw invalid;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalid;
  }
  if (!isObj(doc)) throw invalid;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  for (const s of statements) {
    if (!isObj(s)) throw invalid;
    // SQS actions only (`sqs:*`, `SQS:SendMessage` …, or `*`).
    const actions = strings(s.Action ?? s.NotAction);
    if (!actions?.length || actions.some((a) => a !== "*" && !/^sqs:/i.test(a))) throw invalid;
    const resources = s.Resource ?? s.NotResource;
    if (resources !== undefined) {
      const list = strings(resources);
      if (!list?.length || list.some((r) => r !== "*" && !r.startsWith("arn:aws:sqs:"))) throw invalid;
    }
  }
  if (!parsePolicy(text, "resource").ok) throw invalid;
  return text;
}
