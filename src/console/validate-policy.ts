/**
 * The policy editor's checks, as IAM Access Analyzer's ValidatePolicy reports them: findings of type
 * ERROR (IAM would refuse the document: the MalformedPolicyDocument message CreatePolicy answers, an
 * action or service that does not exist), SECURITY_WARNING, WARNING and SUGGESTION. The checks and
 * their titles follow Access Analyzer's policy-check reference as far as iamlab knows it; the exact
 * wording of AWS's findings could not be confirmed offline and is iamlab's. Pure.
 */
import { parsePolicy } from "../policy/index";
import { getAction, listActions, expandActionPattern } from "../data/catalog";

export type FindingType = "ERROR" | "SECURITY_WARNING" | "WARNING" | "SUGGESTION";

export interface Finding {
  findingType: FindingType;
  issueCode: string;
  title: string;
  detail: string;
  /** statement index (0-based), when the finding is about one */
  statement?: number;
}

export type PolicyType = "IDENTITY_POLICY" | "RESOURCE_POLICY" | "TRUST_POLICY";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const list = (v: Json | undefined): string[] =>
  typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

export function validatePolicy(text: string, type: PolicyType = "IDENTITY_POLICY"): Finding[] {
  const findings: Finding[] = [];
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    return [
      {
        findingType: "ERROR",
        issueCode: "JSON_SYNTAX_ERROR",
        title: "JSON syntax error",
        detail: `Fix the JSON syntax: ${e instanceof Error ? e.message : String(e)}`,
      },
    ];
  }
  const kind = type === "IDENTITY_POLICY" ? "identity" : type === "TRUST_POLICY" ? "trust" : "resource";
  const parsed = parsePolicy(text, kind, type === "IDENTITY_POLICY" ? { requireVersion2012: true } : {});
  if (!parsed.ok)
    findings.push({
      findingType: "ERROR",
      issueCode: "MALFORMED_POLICY_DOCUMENT",
      title: "Malformed policy document",
      detail: parsed.message,
    });
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return findings;
  if (doc.Version === undefined)
    findings.push({
      findingType: "WARNING",
      issueCode: "MISSING_VERSION",
      title: "Missing version",
      detail: 'Add "Version": "2012-10-17": without it the policy language of 2008-10-17 applies and policy variables are not replaced.',
    });
  else if (doc.Version === "2008-10-17")
    findings.push({
      findingType: "WARNING",
      issueCode: "OLD_VERSION",
      title: "Old version",
      detail: 'Use "Version": "2012-10-17": policy variables such as ${aws:username} are text in 2008-10-17.',
    });
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement];
  statements.forEach((st, i) => {
    if (typeof st !== "object" || st === null || Array.isArray(st)) return;
    const allow = typeof st.Effect === "string" && st.Effect.toLowerCase() === "allow";
    for (const a of [...list(st.Action), ...list(st.NotAction)]) checkAction(a, i, findings);
    if (Array.isArray(st.Action) && st.Action.length === 0)
      findings.push({
        findingType: "SUGGESTION",
        issueCode: "EMPTY_ARRAY_ACTION",
        title: "Empty array action",
        statement: i,
        detail: "This statement has an empty Action array: it matches nothing; remove it or add actions.",
      });
    if (allow && st.NotAction !== undefined)
      findings.push({
        findingType: "SECURITY_WARNING",
        issueCode: "ALLOW_WITH_NOT_ACTION",
        title: "Allow with NotAction",
        statement: i,
        detail:
          "Allow with NotAction allows every action not listed, including actions of services added later; list the actions to allow instead.",
      });
    if (allow && st.NotResource !== undefined && type === "IDENTITY_POLICY")
      findings.push({
        findingType: "SECURITY_WARNING",
        issueCode: "ALLOW_WITH_NOT_RESOURCE",
        title: "Allow with NotResource",
        statement: i,
        detail: "Allow with NotResource allows every resource not listed; list the resources to allow instead.",
      });
    const resources = list(st.Resource);
    if (allow && resources.includes("*") && list(st.Action).some((a) => /^iam:(passrole|\*|pass\*)$/i.test(a) || a === "*"))
      findings.push({
        findingType: "SECURITY_WARNING",
        issueCode: "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        title: "Pass role with star in resource",
        statement: i,
        detail:
          'iam:PassRole on Resource "*" lets the principal pass any role to a service (a privilege-escalation path); name the roles it may pass.',
      });
    if (typeof st.Condition === "object" && st.Condition !== null && !Array.isArray(st.Condition) && Object.keys(st.Condition).length === 0)
      findings.push({
        findingType: "SUGGESTION",
        issueCode: "EMPTY_OBJECT_CONDITION",
        title: "Empty object condition",
        statement: i,
        detail: "The Condition block is empty: remove it.",
      });
    if (allow && type === "IDENTITY_POLICY" && list(st.Action).includes("*") && resources.includes("*") && st.Condition === undefined)
      findings.push({
        findingType: "SECURITY_WARNING",
        issueCode: "FULL_ACCESS",
        title: "Full access",
        statement: i,
        detail: "This statement allows every action on every resource (what AdministratorAccess grants).",
      });
  });
  return findings;
}

function checkAction(a: string, i: number, findings: Finding[]): void {
  if (a === "*") return;
  const colon = a.indexOf(":");
  if (colon <= 0) return; // the document check reports it
  const service = a.slice(0, colon);
  const name = a.slice(colon + 1);
  if (/[*?]/.test(service)) return;
  if (listActions(service).length === 0) {
    findings.push({
      findingType: "ERROR",
      issueCode: "INVALID_SERVICE",
      title: "Invalid service",
      statement: i,
      detail: `The service ${service} does not exist.`,
    });
    return;
  }
  if (/[*?]/.test(name)) {
    if (expandActionPattern(a).length === 0)
      findings.push({
        findingType: "ERROR",
        issueCode: "INVALID_ACTION",
        title: "Invalid action",
        statement: i,
        detail: `The action pattern ${a} matches no action of ${service}.`,
      });
    return;
  }
  if (!getAction(service, name))
    findings.push({
      findingType: "ERROR",
      issueCode: "INVALID_ACTION",
      title: "Invalid action",
      statement: i,
      detail: `The action ${a} does not exist.`,
    });
}
