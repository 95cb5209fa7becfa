/**
 * What AWS accepts as an SCP or RCP, beyond IAM's general grammar (src/policy, parsePolicy):
 * - both: at most 5,120 characters (Organizations quotas);
 * - SCP: an identity-side policy — no Principal / NotPrincipal;
 * - RCP (Organizations User Guide, "RCP syntax"): the elements Version, Statement, Sid, Effect,
 *   Principal, Action, Resource, NotResource, Condition only (no NotAction, no NotPrincipal); Effect
 *   Deny (Allow is reserved for the AWS-managed RCPFullAWSAccess); Principal "*"; actions of the
 *   services RCPs support, or "*".
 * AWS answers MalformedPolicyDocumentException without saying which rule failed.
 */
import { parsePolicy } from "../../policy/index";
import { orgErrors, RCP } from "./common";
import { RCP_SERVICES } from "../../authz/org-chain";

const MAX_POLICY_CHARS = 5120;

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** true when the RCP-only rules hold (the general grammar is parsePolicy's). */
export function rcpRulesHold(content: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch {
    return false; // parsePolicy reports it
  }
  if (typeof doc !== "object" || doc === null) return false;
  for (const raw of asList((doc as { Statement?: unknown }).Statement)) {
    if (typeof raw !== "object" || raw === null) return false;
    const s = raw as Record<string, unknown>;
    if ("NotAction" in s || "NotPrincipal" in s) return false;
    if (s.Effect !== "Deny") return false;
    if (s.Principal !== "*") return false;
    for (const a of asList(s.Action)) {
      if (typeof a !== "string") return false;
      if (a === "*") continue;
      const vendor = a.split(":")[0]!.toLowerCase();
      if (!RCP_SERVICES.has(vendor)) return false;
    }
  }
  return true;
}

/** Validates an SCP's or RCP's content as AWS does on CreatePolicy / UpdatePolicy. */
export function validatePolicyContent(type: string, content: string): void {
  if (content.length > MAX_POLICY_CHARS)
    throw orgErrors.constraint("POLICY_CONTENT_LIMIT_EXCEEDED", "You attempted to create a policy that is larger than the maximum size.");
  const rcp = type === RCP;
  if (!parsePolicy(content, rcp ? "rcp" : "scp").ok) throw orgErrors.malformedPolicy();
  if (rcp && !rcpRulesHold(content)) throw orgErrors.malformedPolicy();
}
