/**
 * The `organization` section of lab templates (issue 21, labsorg4): its shape, its validation (every problem
 * with its JSON pointer, policy content checked as Organizations' CreatePolicy checks it), and the small
 * rules apply and export share (default e-mail, the access role CreateAccount makes, `${managementAccount}`).
 * Applying and exporting: ./organization.ts.
 */
import { parsePolicy } from "../policy/index";
import { rcpRulesHold } from "../services/organizations/policy-grammar";
import { ACCOUNT_VAR, substituteAccount } from "./substitute";
import type { LabTemplate, PolicyDocument, TemplateError } from "./template";
import type { UserSecrets } from "./apply";
import { isObject, pointer, validator } from "./validation";

export const SCP = "SERVICE_CONTROL_POLICY";
export const RCP = "RESOURCE_CONTROL_POLICY";
export type OrgPolicyType = typeof SCP | typeof RCP;
/** Policy types AWS has that iamlab does not serve (Organizations answers InvalidInputException for them here). */
const UNSERVED_TYPES = ["TAG_POLICY", "BACKUP_POLICY", "AISERVICES_OPT_OUT_POLICY", "CHATBOT_POLICY", "DECLARATIVE_POLICY_EC2"];
export const ROOT = "Root";
/** In a member's template: the management account's id (`${account}` there is the member's own). */
export const MANAGEMENT_VAR = "${managementAccount}";
export const DEFAULT_ACCESS_ROLE = "OrganizationAccountAccessRole";

export interface OrgUnitSpec {
  name: string;
  units?: OrgUnitSpec[];
}
export interface OrgPolicySpec {
  name: string;
  /** default SERVICE_CONTROL_POLICY */
  type?: OrgPolicyType;
  description?: string;
  content: PolicyDocument;
  /** `Root`, an OU path (`Workloads/Prod`) or a member account's name */
  targets?: string[];
}
export interface MemberSpec {
  name: string;
  /** default `<name>+<management account id>@iamlab.invalid` */
  email?: string;
  /** `Root` (default) or an OU path */
  parent?: string;
  /** the role CreateAccount makes, trusting the management account (default OrganizationAccountAccessRole) */
  roleName?: string;
  /** the member account's own template (`${account}` is the member's id, `${managementAccount}` the learner's); no organization, no checks */
  template?: LabTemplate;
}
export interface OrganizationSpec {
  /** ALL (the only feature set iamlab serves) */
  featureSet?: "ALL";
  /** default: the types of the section's policies */
  policyTypes?: OrgPolicyType[];
  units?: OrgUnitSpec[];
  policies?: OrgPolicySpec[];
  accounts?: MemberSpec[];
}

/** A member account's credentials and ids, as a learner's are reported (new root key only when the member was created now). */
export interface MemberResult {
  name: string;
  accountId: string;
  parent: string;
  rootAccessKeyId?: string;
  rootSecretAccessKey?: string;
  users: Record<string, UserSecrets>;
}

// ---------------------------------------------------------------- validation (pure)

/** iamlab's limits: each learner gets every member account, so a class of 30 makes 30 × accounts of them. */
export const MAX_MEMBERS = 10;
const MAX_UNITS = 50;
const MAX_POLICIES = 20;
/** AWS: "You can nest OUs up to five levels deep" under the root. */
const MAX_DEPTH = 5;
/** AWS's quota is 5 policies of a type per target, and FullAWSAccess / RCPFullAWSAccess hold one place. */
const MAX_TEMPLATE_POLICIES_PER_TARGET = 4;
/** Organizations' quota on SCP / RCP size. */
const MAX_POLICY_CHARS = 5120;
const SAMPLE = "123456789012";
const ORG_KEYS = ["featureSet", "policyTypes", "units", "policies", "accounts"];
const UNIT_KEYS = ["name", "units"];
const POLICY_KEYS = ["name", "type", "description", "content", "targets"];
const MEMBER_KEYS = ["name", "email", "parent", "roleName", "template"];
// CreateAccount's input rules: Email 6-64 characters with one @ (confirmed in the SDK docs); AccountName [\u0020-\u007E]{1,50}
// and RoleName [\w+=,.@-]{1,64} are the API reference's patterns as remembered, not confirmed here.
const ACCOUNT_NAME = /^[\u0020-\u007E]{1,50}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The OU paths of a units tree, parents first: `Workloads`, `Workloads/Prod` … */
export function unitPaths(units: OrgUnitSpec[] | undefined, prefix = ""): string[] {
  return (units ?? []).flatMap((u) => {
    const p = prefix ? `${prefix}/${u.name}` : u.name;
    return [p, ...unitPaths(u.units, p)];
  });
}

/** The types a section enables: its list, or the types of its policies. */
export function wantedTypes(o: OrganizationSpec): OrgPolicyType[] {
  if (o.policyTypes) return [...new Set(o.policyTypes)];
  return [...new Set((o.policies ?? []).map((p) => p.type ?? SCP))];
}

/**
 * Every problem of the `organization` section with its JSON pointer. `nested` validates a member's
 * template (validateTemplate, passed in: template.ts imports this module).
 */
export function validateOrganization(input: unknown, nested: (t: unknown) => TemplateError[]): TemplateError[] {
  const errors: TemplateError[] = [];
  const { err, known, list } = validator(errors, ["organization"]);
  if (input === undefined) return errors;
  if (!isObject(input)) return [{ path: "/organization", message: "Must be an object." }];
  known(input, [], ORG_KEYS);
  if (input.featureSet !== undefined && input.featureSet !== "ALL")
    err(
      ["featureSet"],
      input.featureSet === "CONSOLIDATED_BILLING"
        ? "iamlab serves the feature set ALL only (CONSOLIDATED_BILLING has no policies)."
        : "Must be ALL.",
    );
  const typeOk = (v: unknown, at: (string | number)[]): boolean => {
    if (v === SCP || v === RCP) return true;
    if (typeof v === "string" && UNSERVED_TYPES.includes(v)) err(at, `iamlab does not serve ${v}: ${SCP} and ${RCP} only.`);
    else err(at, `Must be ${SCP} or ${RCP}.`);
    return false;
  };
  let enabled: Set<string> | undefined;
  if (input.policyTypes !== undefined) {
    enabled = new Set();
    for (const [i, t] of list(input.policyTypes, ["policyTypes"], 2).entries()) if (typeOk(t, ["policyTypes", i])) enabled.add(t as string);
  }

  // ---- OUs: names unique under a parent (AWS: DuplicateOrganizationalUnitException), five levels at most
  const paths = new Set<string>();
  let count = 0;
  const units = (v: unknown, at: (string | number)[], prefix: string, depth: number) => {
    const seen = new Map<string, number>();
    for (const [i, u] of list(v, at, MAX_UNITS).entries()) {
      const uat = [...at, i];
      if (!isObject(u)) {
        err(uat, "Must be an object {name, units?}.");
        continue;
      }
      known(u, uat, UNIT_KEYS);
      if (++count === MAX_UNITS + 1) err(uat, `At most ${MAX_UNITS} OUs in a template.`);
      if (depth > MAX_DEPTH)
        err(uat, "You attempted to create an OU tree that is too many levels deep (five levels under the root at most).");
      if (typeof u.name !== "string" || u.name.length < 1 || u.name.length > 128) {
        err([...uat, "name"], "Must be an OU name of 1 to 128 characters.");
        continue;
      }
      if (u.name.includes("/") || u.name === ROOT)
        err([...uat, "name"], `OU names in templates cannot contain "/" or be "${ROOT}" (targets name OUs by path).`);
      if (seen.has(u.name))
        err(
          [...uat, "name"],
          `An OU with the same name already exists under this parent (also at ${pointer(["organization", ...at, seen.get(u.name)!])}).`,
        );
      seen.set(u.name, i);
      const path = prefix ? `${prefix}/${u.name}` : u.name;
      paths.add(path);
      units(u.units, [...uat, "units"], path, depth + 1);
    }
  };
  units(input.units, ["units"], "", 1);

  // ---- member accounts (names identify them: unique)
  const accounts = list(input.accounts, ["accounts"], MAX_MEMBERS);
  const memberNames = new Map<string, number>();
  for (const [i, m] of accounts.entries()) {
    const at = ["accounts", i];
    if (!isObject(m)) {
      err(at, "Must be an object {name, email?, parent?, roleName?, template?}.");
      continue;
    }
    known(m, at, MEMBER_KEYS);
    if (typeof m.name !== "string" || !ACCOUNT_NAME.test(m.name))
      err([...at, "name"], "Must be an account name of 1 to 50 printable ASCII characters.");
    else if (memberNames.has(m.name))
      err([...at, "name"], `Duplicate member account name "${m.name}" (also at /organization/accounts/${memberNames.get(m.name)}).`);
    else if (m.name === ROOT || paths.has(m.name))
      err([...at, "name"], `"${m.name}" is also ${m.name === ROOT ? "the root" : "an OU path"}: targets could not tell them apart.`);
    else memberNames.set(m.name, i);
    if (m.email !== undefined) {
      const e = typeof m.email === "string" ? m.email.split(ACCOUNT_VAR).join(SAMPLE) : "";
      if (e.length < 6 || e.length > 64 || !EMAIL.test(e) || /[^\x21-\x7e]/.test(e))
        err([...at, "email"], "Must be an e-mail address of 6 to 64 ASCII characters with one @.");
    }
    if (m.parent !== undefined && (typeof m.parent !== "string" || (m.parent !== ROOT && !paths.has(m.parent))))
      err([...at, "parent"], `Must be ${ROOT} or the path of one of the section's OUs (such as Workloads/Prod).`);
    if (m.roleName !== undefined && (typeof m.roleName !== "string" || !ROLE_NAME.test(m.roleName)))
      err([...at, "roleName"], "Must be an IAM role name: 1 to 64 letters, digits and +=,.@_-.");
    if (m.template !== undefined) {
      if (!isObject(m.template)) err([...at, "template"], "Must be an account template (an object).");
      else {
        if (m.template.organization !== undefined)
          err([...at, "template", "organization"], "A member account cannot have an organization of its own.");
        if (m.template.checks !== undefined)
          err(
            [...at, "template", "checks"],
            'Checks belong to the top-level template (a can/cannot check names the member with "account").',
          );
        const base = pointer(["organization", ...at, "template"]);
        for (const e of nested(substituteVar(m.template, MANAGEMENT_VAR, SAMPLE)))
          if (!e.path.startsWith("/organization") && !e.path.startsWith("/checks"))
            errors.push({ path: base + e.path, message: e.message });
      }
    }
  }

  // ---- policies: content checked as CreatePolicy checks it; targets resolved by name
  const policies = list(input.policies, ["policies"], MAX_POLICIES);
  const policyNames = new Map<string, number>();
  const perTarget = new Map<string, number>();
  for (const [i, p] of policies.entries()) {
    const at = ["policies", i];
    if (!isObject(p)) {
      err(at, "Must be an object {name, type?, description?, content, targets?}.");
      continue;
    }
    known(p, at, POLICY_KEYS);
    const type = p.type === undefined ? SCP : p.type;
    const typed = typeOk(type, [...at, "type"]);
    if (typeof p.name !== "string" || p.name.length < 1 || p.name.length > 128)
      err([...at, "name"], "Must be a policy name of 1 to 128 characters.");
    else {
      const key = `${String(type)}\n${p.name}`;
      if (policyNames.has(key))
        err([...at, "name"], `A policy with the same name already exists (also at /organization/policies/${policyNames.get(key)}).`);
      else policyNames.set(key, i);
    }
    if (p.description !== undefined && (typeof p.description !== "string" || p.description.length > 512))
      err([...at, "description"], "Must be a string of at most 512 characters.");
    if (!isObject(p.content)) err([...at, "content"], "Must be a policy document (an object with Version and Statement).");
    else if (typed) {
      const text = JSON.stringify(substituteAccount(p.content, SAMPLE));
      const problem = policyContentProblem(type as OrgPolicyType, text);
      if (problem) err([...at, "content"], problem);
    }
    const targets = list(p.targets, [...at, "targets"], 50);
    if (targets.length && typed && enabled && !enabled.has(type as string))
      err(
        [...at, "targets"],
        `PolicyTypeNotEnabledException: ${String(type)} is not in policyTypes: you can't attach policies of a type to entities in a root until you enable that type.`,
      );
    const seen = new Set<string>();
    for (const [j, t] of targets.entries()) {
      if (typeof t !== "string" || !(t === ROOT || paths.has(t) || memberNames.has(t))) {
        err([...at, "targets", j], `Must be ${ROOT}, the path of one of the section's OUs, or the name of one of its accounts.`);
        continue;
      }
      if (seen.has(t)) err([...at, "targets", j], "DuplicatePolicyAttachmentException: the policy is already attached to this target.");
      seen.add(t);
      const k = `${String(type)}\n${t}`;
      const n = (perTarget.get(k) ?? 0) + 1;
      perTarget.set(k, n);
      if (n === MAX_TEMPLATE_POLICIES_PER_TARGET + 1)
        err(
          [...at, "targets", j],
          `ConstraintViolationException (MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED): ${t} would hold more than 5 policies of type ${String(type)} (the AWS managed one included).`,
        );
    }
  }
  return errors;
}

/** What CreatePolicy's check finds wrong with an SCP's or RCP's content (src/services/organizations/policy-grammar.ts), or undefined. */
function policyContentProblem(type: OrgPolicyType, text: string): string | undefined {
  if (text.length > MAX_POLICY_CHARS)
    return `ConstraintViolationException (POLICY_CONTENT_LIMIT_EXCEEDED): ${text.length} characters; a policy has at most ${MAX_POLICY_CHARS}.`;
  const malformed =
    "MalformedPolicyDocumentException: The provided policy document doesn't meet the requirements of the specified policy type.";
  const r = parsePolicy(text, type === RCP ? "rcp" : "scp");
  if (!r.ok) return `${malformed} (${r.message})`;
  if (type === RCP && !rcpRulesHold(text))
    return `${malformed} (an RCP's statements Deny, with Principal "*", no NotAction / NotPrincipal, and actions of the services RCPs support)`;
  return undefined;
}

/** The default e-mail of a member: sandbox accounts have no mailbox. */
export function defaultEmail(name: string, management: string): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 30) || "member";
  return `${slug}+${management}@iamlab.invalid`;
}

/** The trust policy CreateAccount gives the member's access role (src/services/organizations/accounts.ts). */
export const accessTrust = (management: string) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${management}:root` }, Action: "sts:AssumeRole" }],
});

/**
 * A member's template with the access role CreateAccount made in it (unless the template defines a role
 * of that name): applying and resetting the member keep the management account's way in.
 */
export function withAccessRole(t: LabTemplate | undefined, roleName: string, management: string): LabTemplate {
  const base = t ?? {};
  if ((base.roles ?? []).some((r) => r.name.toLowerCase() === roleName.toLowerCase())) return base;
  return {
    ...base,
    roles: [...(base.roles ?? []), { name: roleName, trustPolicy: accessTrust(management), policies: ["AdministratorAccess"] }],
  };
}

/** `name` → `value` in every string. */
export function substituteVar<T>(v: T, name: string, value: string): T {
  if (typeof v === "string") return v.split(name).join(value) as T;
  if (Array.isArray(v)) return v.map((x) => substituteVar(x, name, value)) as T;
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteVar(x, name, value)])) as T;
  return v;
}
