/**
 * Organizations in lab templates (issue 21): the `organization` section makes the learner's account the
 * management account of its own organization — enabled policy types, OUs nested by name, SCPs / RCPs
 * with their targets (`Root`, an OU path such as `Workloads/Prod`, or a member account's name), and
 * member accounts made by Organizations' own CreateAccount, each with an optional nested account
 * template applied through the same apply code as the learner's.
 *
 * Applied like the service resources (./resources.ts): through Organizations' actions called as the
 * management account's root (`callAs`), so ids, ARNs, checks and CloudTrail records are an API call's.
 * One atomic step cannot span several accounts, so: everything that can be checked is checked before
 * anything is written (validation here, with JSON pointers; the nested templates' references before the
 * IAM batch), the organization is converged after the account's IAM batch and resources, and when a
 * step fails, what THIS apply created in the organization is undone in reverse order (attachments,
 * member accounts — removed and deleted —, policies, OUs, policy types, the organization itself).
 * Updates (a policy's content, a move) are not undone: a re-apply converges them.
 * Converging: OUs, policies and members are found by name; changed content and descriptions are
 * updated; attachments of the template's policies that the template does not list are detached. What
 * the previous template owned and this one drops is deleted; a reset (`prune: "all"`) deletes whatever
 * the template lacks, learners' own OUs, policies and member accounts included.
 */
import type { Env } from "../env";
import type { Db } from "../store/db";
import { callAs, type CallResult } from "../services/dispatch";
import { parsePolicy } from "../policy/index";
import { rcpRulesHold } from "../services/organizations/policy-grammar";
import { deleteAccount, restoreRootKey } from "../store/accounts";
import { orgOfAccount } from "../store/org-organizations";
import { newAccessKeyId, newSecretAccessKey } from "../lib/ids";
import { forgetAccountState } from "../admin/account-lifecycle";
import { afterAdminChange } from "../cache/index";
import { ACCOUNT_VAR, substituteAccount } from "./substitute";
import type { LabTemplate, PolicyDocument, TemplateError } from "./template";
import type { UserSecrets } from "./apply";
import { generalize, rootContext, sameDoc } from "./resources";

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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const pointer = (parts: readonly (string | number)[]) =>
  parts.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");

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
  const err = (at: (string | number)[], message: string) => void errors.push({ path: pointer(["organization", ...at]), message });
  if (input === undefined) return errors;
  if (!isObject(input)) return [{ path: "/organization", message: "Must be an object." }];
  const known = (o: Record<string, unknown>, at: (string | number)[], keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) err([...at, k], `Unknown field "${k}"; expected one of ${keys.join(", ")}.`);
  };
  const list = (v: unknown, at: (string | number)[], max: number): unknown[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      err(at, "Must be an array.");
      return [];
    }
    if (v.length > max) err(at, `At most ${max} items.`);
    return v;
  };
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

// ---------------------------------------------------------------- applying

/** A step that failed: its pointer and AWS's error. */
class StepFailed extends Error {
  constructor(readonly errors: TemplateError[]) {
    super(errors[0]?.message);
  }
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

export type ApplyMember = (
  account: string,
  template: LabTemplate,
  reset: boolean,
) => Promise<{ ok: true; users: Record<string, UserSecrets>; changes: OrgChanges } | { ok: false; errors: TemplateError[] }>;

export interface OrgChanges {
  created: string[];
  updated: string[];
  deleted: string[];
}

interface Listed {
  Id: string;
  Name: string;
}

/**
 * Converges `account`'s organization to `spec` (undefined: none — an organization the previous template
 * had, or any on a reset, is torn down). `previous`: the section the account last received (what it owns).
 */
export async function applyOrganization(
  env: Env,
  db: Db,
  account: string,
  spec: OrganizationSpec | undefined,
  previous: OrganizationSpec | undefined,
  o: { now: number; reset: boolean; applyMember: ApplyMember },
): Promise<{ ok: true; changes: OrgChanges; members: MemberResult[] } | { ok: false; errors: TemplateError[] }> {
  const changes: OrgChanges = { created: [], updated: [], deleted: [] };
  if (!spec) {
    // Nothing to do unless an organization is to go: the cheap store read first (most templates have none).
    if (!previous && !o.reset) return { ok: true, changes, members: [] };
    const org = await orgOfAccount(db, account);
    if (!org || org.accountId !== account) return { ok: true, changes, members: [] };
  }
  const waits: Promise<unknown>[] = [];
  const ctx = rootContext(env, db, account, o.now, waits);
  const undo: Array<() => Promise<unknown>> = [];
  const call = (action: string, params: Record<string, unknown> = {}): Promise<CallResult> => callAs(ctx, "organizations", action, params);
  /** The action's output, or the step fails with its pointer. */
  const must = async <T>(at: (string | number)[], action: string, params: Record<string, unknown> = {}): Promise<T> => {
    const r = await call(action, params);
    if (!r.ok) throw new StepFailed([{ path: pointer(["organization", ...at]), message: `${r.error.code}: ${r.error.message}` }]);
    return r.output as T;
  };
  const removeMember = async (id: string) => {
    await call("RemoveAccountFromOrganization", { AccountId: id });
    await deleteAccount(db, id);
    await forgetAccountState(env, id);
  };
  // `${account}` is the management account's id here, and the member's own in its nested template.
  const t: OrganizationSpec = {};
  if (spec) {
    const { accounts, ...rest } = spec;
    Object.assign(t, substituteAccount(rest, account));
    if (accounts)
      t.accounts = accounts.map(({ template, ...m }) => ({ ...substituteAccount(m, account), ...(template ? { template } : {}) }));
  }
  const prune = (owned: boolean) => o.reset || !spec || owned;
  const before = previous ? substituteAccount(previous, account) : undefined;
  const ownedPaths = new Set(unitPaths(before?.units));
  const ownedPolicies = new Set((before?.policies ?? []).map((p) => `${p.type ?? SCP}\n${p.name}`));
  const ownedMembers = new Set((before?.accounts ?? []).map((m) => m.name));
  const ownedTypes = new Set(before ? wantedTypes(before) : []);
  const members: MemberResult[] = [];
  try {
    // ---- the organization (the account manages its own, or is in none)
    const described = await call("DescribeOrganization");
    if (!described.ok) {
      if (described.error.code !== "AWSOrganizationsNotInUseException")
        throw new StepFailed([{ path: "/organization", message: `${described.error.code}: ${described.error.message}` }]);
      await must([], "CreateOrganization", { FeatureSet: "ALL" });
      undo.push(() => call("DeleteOrganization"));
      changes.created.push("organization");
    } else {
      const org = (described.output as { Organization: { Id: string; MasterAccountId: string } }).Organization;
      if (org.MasterAccountId !== account)
        throw new StepFailed([
          {
            path: "/organization",
            message: `AlreadyInOrganizationException: account ${account} is a member of ${org.Id}, managed by ${org.MasterAccountId}; a lab organization needs an account in none, or managing its own.`,
          },
        ]);
    }
    const [root] = (await must<{ Roots: { Id: string; PolicyTypes?: { Type: string }[] }[] }>([], "ListRoots")).Roots;
    const rootId = root!.Id;
    const enabled = new Set((root!.PolicyTypes ?? []).map((x) => x.Type));
    const types = wantedTypes(t);
    for (const type of types)
      if (!enabled.has(type)) {
        await must(["policyTypes"], "EnablePolicyType", { RootId: rootId, PolicyType: type });
        undo.push(() => call("DisablePolicyType", { RootId: rootId, PolicyType: type }));
        enabled.add(type);
        changes.created.push(`policyType/${type}`);
      }

    // ---- OUs, parents first; extra ones collected for the end
    const ouIds = new Map<string, string>([[ROOT, rootId]]);
    const extraOus: { id: string; path: string }[] = [];
    const walk = async (units: OrgUnitSpec[] | undefined, parentId: string, prefix: string, at: (string | number)[]) => {
      const listed = (await must<{ OrganizationalUnits: Listed[] }>(at, "ListOrganizationalUnitsForParent", { ParentId: parentId }))
        .OrganizationalUnits;
      const byName = new Map(listed.map((u) => [u.Name, u.Id]));
      for (const [i, u] of (units ?? []).entries()) {
        const path = prefix ? `${prefix}/${u.name}` : u.name;
        let id = byName.get(u.name);
        if (!id) {
          id = (
            await must<{ OrganizationalUnit: Listed }>([...at, i, "name"], "CreateOrganizationalUnit", { ParentId: parentId, Name: u.name })
          ).OrganizationalUnit.Id;
          const made = id;
          undo.push(() => call("DeleteOrganizationalUnit", { OrganizationalUnitId: made }));
          changes.created.push(`ou/${path}`);
        }
        ouIds.set(path, id);
        await walk(u.units, id, path, [...at, i, "units"]);
      }
      const wanted = new Set((units ?? []).map((u) => u.name));
      for (const u of listed) if (!wanted.has(u.Name)) extraOus.push({ id: u.Id, path: prefix ? `${prefix}/${u.Name}` : u.Name });
    };
    await walk(t.units, rootId, "", ["units"]);

    // ---- policies, found by type and name; content and description converged
    const policyIds = new Map<string, string>();
    const existing = new Map<string, { Id: string; Name: string; Type: string; AwsManaged?: boolean }>();
    for (const type of [SCP, RCP]) {
      const r = await call("ListPolicies", { Filter: type });
      if (r.ok)
        for (const p of (r.output as { Policies?: { Id: string; Name: string; Type: string; AwsManaged?: boolean }[] }).Policies ?? [])
          if (!p.AwsManaged) existing.set(`${type}\n${p.Name}`, p);
    }
    for (const [i, p] of (t.policies ?? []).entries()) {
      const type = p.type ?? SCP;
      const key = `${type}\n${p.name}`;
      const content = JSON.stringify(p.content);
      const found = existing.get(key);
      if (!found) {
        const made = await must<{ Policy: { PolicySummary: { Id: string } } }>(["policies", i, "content"], "CreatePolicy", {
          Name: p.name,
          Type: type,
          Description: p.description ?? "",
          Content: content,
        });
        const id = made.Policy.PolicySummary.Id;
        undo.push(() => call("DeletePolicy", { PolicyId: id }));
        policyIds.set(key, id);
        changes.created.push(`policy/${p.name}`);
        continue;
      }
      policyIds.set(key, found.Id);
      const cur = await must<{ Policy: { PolicySummary: { Description?: string }; Content: string } }>(["policies", i], "DescribePolicy", {
        PolicyId: found.Id,
      });
      const update: Record<string, string> = {};
      if (!sameDoc(parse(cur.Policy.Content), p.content)) update.Content = content;
      if ((cur.Policy.PolicySummary.Description ?? "") !== (p.description ?? "")) update.Description = p.description ?? "";
      if (Object.keys(update).length) {
        await must(["policies", i, update.Content ? "content" : "description"], "UpdatePolicy", { PolicyId: found.Id, ...update });
        changes.updated.push(`policy/${p.name}`);
      }
    }

    // ---- member accounts, found by name: created (with a root key for the learner), moved, their templates applied
    const listedAccounts = (
      await must<{ Accounts: { Id: string; Name: string; JoinedMethod?: string }[] }>(["accounts"], "ListAccounts")
    ).Accounts.filter((a) => a.Id !== account);
    const memberByName = new Map(listedAccounts.map((a) => [a.Name, a]));
    const memberIds = new Map<string, string>();
    for (const [i, m] of (t.accounts ?? []).entries()) {
      const at = ["accounts", i];
      const parentPath = m.parent ?? ROOT;
      const parentId = ouIds.get(parentPath)!;
      const roleName = m.roleName ?? DEFAULT_ACCESS_ROLE;
      let id = memberByName.get(m.name)?.Id;
      const result: MemberResult = { name: m.name, accountId: "", parent: parentPath, users: {} };
      if (!id) {
        const made = await must<{ CreateAccountStatus: { Id: string } }>([...at, "name"], "CreateAccount", {
          AccountName: m.name,
          Email: m.email ?? defaultEmail(m.name, account),
          ...(m.roleName ? { RoleName: m.roleName } : {}),
        });
        const status = await must<{ CreateAccountStatus: { AccountId: string } }>([...at, "name"], "DescribeCreateAccountStatus", {
          CreateAccountRequestId: made.CreateAccountStatus.Id,
        });
        const created = status.CreateAccountStatus.AccountId;
        id = created;
        undo.push(() => removeMember(created));
        // The learner's way in as the member's root user (as POST /_iamlab/accounts/:id/root-access-key gives).
        const key = { id: newAccessKeyId(created, false), secret: newSecretAccessKey() };
        await restoreRootKey(db, created, key.id, key.secret, o.now);
        afterAdminChange(created);
        result.rootAccessKeyId = key.id;
        result.rootSecretAccessKey = key.secret;
        if (parentId !== rootId)
          await must([...at, "parent"], "MoveAccount", { AccountId: created, SourceParentId: rootId, DestinationParentId: parentId });
        changes.created.push(`account/${m.name}`);
      } else {
        const parents = await must<{ Parents: { Id: string }[] }>([...at, "parent"], "ListParents", { ChildId: id });
        const cur = parents.Parents[0]?.Id;
        if (cur && cur !== parentId) {
          await must([...at, "parent"], "MoveAccount", { AccountId: id, SourceParentId: cur, DestinationParentId: parentId });
          changes.updated.push(`account/${m.name}/parent`);
        }
      }
      memberIds.set(m.name, id);
      result.accountId = id;
      const nested = m.template ? substituteVar(m.template, MANAGEMENT_VAR, account) : undefined;
      const applied = await o.applyMember(id, withAccessRole(nested, roleName, account), o.reset);
      if (!applied.ok) {
        const base = pointer(["organization", ...at, "template"]);
        throw new StepFailed(applied.errors.map((e) => ({ path: base + e.path, message: `${m.name} (${id}): ${e.message}` })));
      }
      result.users = applied.users;
      // The member's own changes, named after it: `account/prod/user/dev`.
      for (const k of ["created", "updated", "deleted"] as const)
        changes[k].push(...applied.changes[k].map((c) => `account/${m.name}/${c}`));
      members.push(result);
    }

    // ---- attachments: the template's policies on exactly their targets (detach first: AWS's 5-per-target quota)
    const targetId = (name: string) => ouIds.get(name) ?? memberIds.get(name)!;
    for (const [i, p] of (t.policies ?? []).entries()) {
      const id = policyIds.get(`${p.type ?? SCP}\n${p.name}`)!;
      const want = new Set((p.targets ?? []).map(targetId));
      const cur = (await must<{ Targets: { TargetId: string; Name: string }[] }>(["policies", i], "ListTargetsForPolicy", { PolicyId: id }))
        .Targets;
      const have = new Set(cur.map((x) => x.TargetId));
      for (const x of cur)
        if (!want.has(x.TargetId)) {
          await must(["policies", i, "targets"], "DetachPolicy", { PolicyId: id, TargetId: x.TargetId });
          changes.deleted.push(`attachment/${p.name}/${x.Name}`);
        }
      for (const [j, name] of (p.targets ?? []).entries()) {
        const target = targetId(name);
        if (have.has(target)) continue;
        await must(["policies", i, "targets", j], "AttachPolicy", { PolicyId: id, TargetId: target });
        undo.push(() => call("DetachPolicy", { PolicyId: id, TargetId: target }));
        changes.created.push(`attachment/${p.name}/${name}`);
      }
    }

    // ---- what the template lacks: members, policies, OUs, policy types (owned by the previous template, or all on a reset)
    const wantedMembers = new Set((t.accounts ?? []).map((m) => m.name));
    for (const a of listedAccounts)
      if (!wantedMembers.has(a.Name) && prune(ownedMembers.has(a.Name))) {
        // A member the organization created is a sandbox account nobody else holds: it goes; an invited one only leaves.
        if (a.JoinedMethod === "CREATED") await removeMember(a.Id);
        else await must(["accounts"], "RemoveAccountFromOrganization", { AccountId: a.Id });
        changes.deleted.push(`account/${a.Name}`);
      }
    for (const [key, p] of existing)
      if (!policyIds.has(key) && prune(ownedPolicies.has(key))) {
        const targets = await must<{ Targets: { TargetId: string }[] }>(["policies"], "ListTargetsForPolicy", { PolicyId: p.Id });
        for (const x of targets.Targets) await must(["policies"], "DetachPolicy", { PolicyId: p.Id, TargetId: x.TargetId });
        await must(["policies"], "DeletePolicy", { PolicyId: p.Id });
        changes.deleted.push(`policy/${p.Name}`);
      }
    const deleteTree = async (id: string): Promise<boolean> => {
      const children = await call("ListOrganizationalUnitsForParent", { ParentId: id });
      let empty = true;
      for (const c of children.ok ? ((children.output as { OrganizationalUnits?: Listed[] }).OrganizationalUnits ?? []) : [])
        empty = (await deleteTree(c.Id)) && empty;
      return empty && (await call("DeleteOrganizationalUnit", { OrganizationalUnitId: id })).ok;
    };
    // An OU still holding a learner's account (no reset) stays: deleting it would need moving their account.
    for (const u of extraOus) if (prune(ownedPaths.has(u.path)) && (await deleteTree(u.id))) changes.deleted.push(`ou/${u.path}`);
    for (const type of [SCP, RCP])
      if (enabled.has(type) && !types.includes(type as OrgPolicyType) && prune(ownedTypes.has(type as OrgPolicyType))) {
        await must(["policyTypes"], "DisablePolicyType", { RootId: rootId, PolicyType: type });
        changes.deleted.push(`policyType/${type}`);
      }
    if (!spec) {
      await must([], "DeleteOrganization");
      changes.deleted.push("organization");
    }
    return { ok: true, changes, members };
  } catch (e) {
    // Undo what this apply created, newest first (each step is one API call; a failing undo step leaves
    // what a re-apply converges anyway) — after an unexpected error too, which then goes on up.
    for (const step of undo.reverse()) await step().catch(() => undefined);
    if (!(e instanceof StepFailed)) throw e;
    return { ok: false, errors: e.errors };
  } finally {
    await Promise.all(waits);
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- export

/**
 * The organization `account` manages, as a template section (undefined: it manages none). Members carry
 * their own exported templates (`exportMember`), without the access role CreateAccount made; defaults
 * (email, role name, SCP type) are left out so an export applied to a new account exports the same.
 */
export async function exportOrganization(
  env: Env,
  db: Db,
  account: string,
  exportMember: (id: string) => Promise<LabTemplate>,
): Promise<OrganizationSpec | undefined> {
  const org = await orgOfAccount(db, account);
  if (!org || org.accountId !== account) return undefined;
  const waits: Promise<unknown>[] = [];
  const ctx = rootContext(env, db, account, Date.now(), waits);
  const run = async <T>(action: string, params: Record<string, unknown> = {}): Promise<T | undefined> => {
    const r = await callAs(ctx, "organizations", action, params);
    return r.ok ? (r.output as T) : undefined;
  };
  try {
    const roots = await run<{ Roots: { Id: string; PolicyTypes?: { Type: string }[] }[] }>("ListRoots");
    const root = roots?.Roots[0];
    if (!root) return undefined;
    const names = new Map<string, string>([[root.Id, ROOT]]);
    const tree = async (parentId: string, prefix: string): Promise<OrgUnitSpec[]> => {
      const listed =
        (await run<{ OrganizationalUnits: Listed[] }>("ListOrganizationalUnitsForParent", { ParentId: parentId }))?.OrganizationalUnits ??
        [];
      const out: OrgUnitSpec[] = [];
      for (const u of [...listed].sort((a, b) => a.Name.localeCompare(b.Name))) {
        const path = prefix ? `${prefix}/${u.Name}` : u.Name;
        names.set(u.Id, path);
        const units = await tree(u.Id, path);
        out.push(units.length ? { name: u.Name, units } : { name: u.Name });
      }
      return out;
    };
    const units = await tree(root.Id, "");
    const listed = ((await run<{ Accounts: { Id: string; Name: string; Email: string }[] }>("ListAccounts"))?.Accounts ?? [])
      .filter((a) => a.Id !== account)
      .sort((a, b) => a.Name.localeCompare(b.Name));
    const accounts: MemberSpec[] = [];
    for (const a of listed) {
      names.set(a.Id, a.Name);
      const parents = await run<{ Parents: { Id: string }[] }>("ListParents", { ChildId: a.Id });
      const parent = names.get(parents?.Parents[0]?.Id ?? root.Id) ?? ROOT;
      const { template, roleName } = withoutAccessRole(await exportMember(a.Id), account);
      const m: MemberSpec = { name: a.Name };
      if (a.Email !== defaultEmail(a.Name, account)) m.email = a.Email;
      if (parent !== ROOT) m.parent = parent;
      if (roleName && roleName !== DEFAULT_ACCESS_ROLE) m.roleName = roleName;
      if (Object.keys(template).length) m.template = generalize(template, account, MANAGEMENT_VAR);
      accounts.push(m);
    }
    const policies: OrgPolicySpec[] = [];
    for (const type of [SCP, RCP] as const) {
      const list =
        (await run<{ Policies: { Id: string; Name: string; AwsManaged?: boolean }[] }>("ListPolicies", { Filter: type }))?.Policies ?? [];
      for (const p of list.filter((x) => !x.AwsManaged).sort((a, b) => a.Name.localeCompare(b.Name))) {
        const d = await run<{ Policy: { PolicySummary: { Description?: string }; Content: string } }>("DescribePolicy", { PolicyId: p.Id });
        const targets = (await run<{ Targets: { TargetId: string }[] }>("ListTargetsForPolicy", { PolicyId: p.Id }))?.Targets ?? [];
        const spec: OrgPolicySpec = { name: p.Name, content: (parse(d?.Policy.Content ?? "") ?? {}) as PolicyDocument };
        if (type !== SCP) spec.type = type;
        if (d?.Policy.PolicySummary.Description) spec.description = d.Policy.PolicySummary.Description;
        const names_ = targets
          .map((x) => names.get(x.TargetId))
          .filter((x): x is string => x !== undefined)
          .sort();
        if (names_.length) spec.targets = names_;
        policies.push(spec);
      }
    }
    const section: OrganizationSpec = {};
    const enabled = (root.PolicyTypes ?? []).map((x) => x.Type).filter((x): x is OrgPolicyType => x === SCP || x === RCP);
    // policyTypes only when it differs from what the policies imply (the default).
    const implied = wantedTypes({ policies });
    if (enabled.length !== implied.length || enabled.some((x) => !implied.includes(x))) section.policyTypes = enabled.sort();
    if (units.length) section.units = units;
    if (policies.length) section.policies = policies;
    // The members' templates are already in their own ids' terms: only the rest says `${account}` for the management account.
    const general = generalize(section, account);
    if (accounts.length)
      general.accounts = accounts.map(({ template, ...m }) => ({ ...generalize(m, account), ...(template ? { template } : {}) }));
    return general;
  } finally {
    await Promise.all(waits);
  }
}

/** The member's exported template without the access role CreateAccount made (and its name). */
function withoutAccessRole(t: LabTemplate, management: string): { template: LabTemplate; roleName?: string } {
  const trust = accessTrust(management);
  const access = (t.roles ?? []).find(
    (r) =>
      sameDoc(r.trustPolicy, trust) &&
      (r.policies ?? []).length === 1 &&
      r.policies![0] === "AdministratorAccess" &&
      Object.keys(r).every((k) => ["name", "trustPolicy", "policies"].includes(k)),
  );
  if (!access) return { template: t };
  const roles = (t.roles ?? []).filter((r) => r !== access);
  const { roles: _roles, ...rest } = t;
  return { template: roles.length ? { ...rest, roles } : rest, roleName: access.name };
}

/** `name` → `value` in every string. */
function substituteVar<T>(v: T, name: string, value: string): T {
  if (typeof v === "string") return v.split(name).join(value) as T;
  if (Array.isArray(v)) return v.map((x) => substituteVar(x, name, value)) as T;
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteVar(x, name, value)])) as T;
  return v;
}
