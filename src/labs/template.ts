/**
 * Lab templates (issue 21): the JSON a lab author writes (YAML is converted by the CLI), validated
 * here field by field. Pure: every problem is reported with the JSON pointer of the field at fault
 * (`/users/2/policies/0`), policy documents are checked by the engine's own parser
 * (src/policy/document.ts, IAM's MalformedPolicyDocument wording), and a template with any problem
 * is applied nowhere. References by name (a user's groups, an instance profile's role) are checked
 * against the template; managed-policy references that are not the template's own policies are
 * resolved against AWS's managed policies when applied (src/labs/resolve.ts).
 * The published JSON Schema (schema/lab-template.schema.json) describes the same format.
 */
import { parsePolicy, type PolicyKind } from "../policy/index";
import { isObject, validator } from "./validation";
import { RESOURCE_KEYS, validateResources, type ResourceSections } from "./resources";
import { templateQuotaErrors } from "./quotas"; // labsorg (issue 21)
import { validateOrganization, type OrganizationSpec } from "./organization-spec"; // labsorg4 (issue 21)

export type PolicyDocument = Record<string, unknown>;
export type Tags = Record<string, string>;

export interface PasswordPolicyInput {
  MinimumPasswordLength?: number;
  RequireSymbols?: boolean;
  RequireNumbers?: boolean;
  RequireUppercaseCharacters?: boolean;
  RequireLowercaseCharacters?: boolean;
  AllowUsersToChangePassword?: boolean;
  MaxPasswordAge?: number;
  PasswordReusePrevention?: number;
  HardExpiry?: boolean;
}

export interface ConsistencyInput {
  mode: "off" | "fixed" | "random";
  delayMs?: number;
  minMs?: number;
  maxMs?: number;
  seed?: number;
}

export interface AccountSpec {
  alias?: string;
  passwordPolicy?: PasswordPolicyInput;
  consistency?: ConsistencyInput;
  explainDenials?: boolean;
}

export interface ManagedPolicySpec {
  name: string;
  path?: string;
  description?: string;
  /** the default version */
  document: PolicyDocument;
  /** earlier, non-default versions, oldest first */
  previousVersions?: PolicyDocument[];
  tags?: Tags;
}

interface PolicyHolder {
  /** managed policies: a template policy's name, an AWS managed policy's name, or an ARN */
  policies?: string[];
  inlinePolicies?: Record<string, PolicyDocument>;
}

export interface GroupSpec extends PolicyHolder {
  name: string;
  path?: string;
}

export interface UserSpec extends PolicyHolder {
  name: string;
  path?: string;
  tags?: Tags;
  /** a console password (generated): true, or with the reset-required flag */
  password?: boolean | { resetRequired?: boolean };
  /** how many access keys (generated), 0–2 */
  /** a count of Active keys, or one entry per key with its status (labsorg, issue 21) */
  accessKeys?: number | { status?: KeyStatus }[];
  /** virtual MFA devices enabled for the user (seeds returned): true = one, or how many (IAM allows 8) */
  mfa?: boolean | number;
  groups?: string[];
  permissionsBoundary?: string;
}

export interface RoleSpec extends PolicyHolder {
  name: string;
  path?: string;
  description?: string;
  trustPolicy: PolicyDocument;
  maxSessionDuration?: number;
  permissionsBoundary?: string;
  tags?: Tags;
}

export interface InstanceProfileSpec {
  name: string;
  path?: string;
  role?: string;
  tags?: Tags;
}

/** Who a `can`/`cannot` check asks about, and what. */
export interface AccessQuery {
  /** `alice`, `user/alice`, `role/Admin`, or an ARN of the account's user or role */
  principal: string;
  action: string;
  /** default `*` */
  resource?: string;
  /** condition keys of the simulated request: `aws:MultiFactorAuthPresent: "true"`, `aws:SourceIp: 203.0.113.9` … */
  context?: Record<string, string | string[]>;
  /** labsorg4 (issue 21): a member account of the template's organization, by name (default: the learner's own account) */
  account?: string;
}

export type EntityKind = "user" | "group" | "role" | "policy" | "instanceProfile";
export type EntityRef = Partial<Record<EntityKind, string>>;

export interface CheckSpec {
  id?: string;
  description?: string;
  points?: number;
  hint?: string;
  /** the check runs in this member account of the template's organization (any kind of check) */
  account?: string;
  can?: AccessQuery;
  cannot?: AccessQuery;
  exists?: EntityRef;
  notExists?: EntityRef;
  /** the role's trust policy allows sts:AssumeRole only with MFA (every Allow carries a condition on aws:MultiFactorAuthPresent) */
  trustRequiresMfa?: { role: string };
  /** no user has the managed policy attached directly */
  noUserWithPolicy?: { policy: string };
  userInGroup?: { user: string; group: string };
  /** the trail shows the action called (by the principal) at least `atLeast` times (src/labs/trail.ts) */
  usedAction?: { action: string; principal?: string; atLeast?: number };
}

export const CHECK_KINDS = [
  "can",
  "cannot",
  "exists",
  "notExists",
  "trustRequiresMfa",
  "noUserWithPolicy",
  "userInGroup",
  "usedAction",
] as const satisfies readonly (keyof CheckSpec)[];
export type CheckKind = (typeof CHECK_KINDS)[number];

export interface LabTemplate extends ResourceSections {
  description?: string;
  account?: AccountSpec;
  policies?: ManagedPolicySpec[];
  groups?: GroupSpec[];
  users?: UserSpec[];
  roles?: RoleSpec[];
  instanceProfiles?: InstanceProfileSpec[];
  checks?: CheckSpec[];
  /** labsorg4 (issue 21): the account as the management account of its own organization (./organization.ts) */
  organization?: OrganizationSpec;
}

export interface TemplateError {
  /** JSON pointer (RFC 6901) of the field at fault; "" for the template itself */
  path: string;
  message: string;
}

export type TemplateResult = { ok: true; template: LabTemplate } | { ok: false; errors: TemplateError[] };

import { ACCOUNT_VAR, substituteAccount } from "./substitute";

export { ACCOUNT_VAR, substituteAccount };

// ---- limits, AWS's where AWS has one
const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const ALIAS = /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;
const ACTION = /^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/;
/** iamlab's: a template is a classroom's starting point, not a bulk import. */
export const MAX_ENTITIES_PER_KIND = 200;
export const MAX_CHECKS = 200;

const POLICY_KEYS = ["name", "path", "description", "document", "previousVersions", "tags"];
const GROUP_KEYS = ["name", "path", "policies", "inlinePolicies"];
const USER_KEYS = ["name", "path", "tags", "password", "accessKeys", "mfa", "groups", "policies", "inlinePolicies", "permissionsBoundary"];
const ROLE_KEYS = [
  "name",
  "path",
  "description",
  "trustPolicy",
  "maxSessionDuration",
  "policies",
  "inlinePolicies",
  "permissionsBoundary",
  "tags",
];
const PROFILE_KEYS = ["name", "path", "role", "tags"];
const TOP_KEYS = [
  "$schema",
  "description",
  "account",
  "policies",
  "groups",
  "users",
  "roles",
  "instanceProfiles",
  "checks",
  // --- service resources (src/labs/resources.ts) ---
  ...RESOURCE_KEYS,
  // --- labsorg4 (issue 21): organizations (src/labs/organization.ts) ---
  "organization",
];
const ACCOUNT_KEYS = ["alias", "passwordPolicy", "consistency", "explainDenials"];
const PASSWORD_POLICY_KEYS: Record<string, "number" | "boolean"> = {
  MinimumPasswordLength: "number",
  RequireSymbols: "boolean",
  RequireNumbers: "boolean",
  RequireUppercaseCharacters: "boolean",
  RequireLowercaseCharacters: "boolean",
  AllowUsersToChangePassword: "boolean",
  MaxPasswordAge: "number",
  PasswordReusePrevention: "number",
  HardExpiry: "boolean",
};
const CHECK_COMMON_KEYS = ["id", "description", "points", "hint", "account"];
const ENTITY_KINDS: EntityKind[] = ["user", "group", "role", "policy", "instanceProfile"];

export { pointer } from "./validation";

/** A sample account id for checking documents that use `${account}` before any account exists. */
const SAMPLE_ACCOUNT = "123456789012";
export type KeyStatus = "Active" | "Inactive";

/** Validates a parsed template; every error found, not only the first. */
export function validateTemplate(input: unknown): TemplateResult {
  const errors: TemplateError[] = [];
  const v = validator(errors);
  const { err, known } = v;
  const str = (v: unknown, at: (string | number)[], o: { min?: number; max: number; pattern?: RegExp; what?: string }): v is string => {
    if (typeof v !== "string") return err(at, "Must be a string.");
    const text = v.split(ACCOUNT_VAR).join(SAMPLE_ACCOUNT);
    if (text.length < (o.min ?? 1) || text.length > o.max) return err(at, `Must be ${o.min ?? 1} to ${o.max} characters long.`);
    if (o.pattern && !o.pattern.test(text)) return err(at, `Must match ${o.what ?? o.pattern.source}.`);
    return true;
  };
  const name = (v: unknown, at: (string | number)[], max: number) =>
    str(v, at, { max, pattern: NAME, what: "the pattern [\\w+=,.@-]+ (letters, digits and +=,.@_-)" });
  const path = (v: unknown, at: (string | number)[]) => {
    if (v !== undefined) str(v, at, { max: 512, pattern: PATH, what: 'an IAM path: "/" or "/segment/…/"' });
  };
  const list = (x: unknown, at: (string | number)[], max = MAX_ENTITIES_PER_KIND): unknown[] => v.list(x, at, max);
  const tags = (v: unknown, at: (string | number)[]) => {
    if (v === undefined) return;
    if (!isObject(v)) return void err(at, "Must be an object of tag keys to string values.");
    const entries = Object.entries(v);
    if (entries.length > 50) err(at, "At most 50 tags.");
    const seen = new Set<string>();
    for (const [k, val] of entries) {
      if (k.length < 1 || k.length > 128 || !TAG_CHARS.test(k))
        err([...at, k], "Tag keys are 1 to 128 characters of letters, digits, spaces and _.:/=+-@.");
      else if (k.toLowerCase().startsWith("aws:")) err([...at, k], "User-defined tag keys can't start with 'aws:'.");
      if (seen.has(k.toLowerCase())) err([...at, k], "Duplicate tag key (tag keys are case insensitive).");
      seen.add(k.toLowerCase());
      if (typeof val !== "string" || val.length > 256 || !TAG_CHARS.test(val))
        err([...at, k], "Tag values are strings of at most 256 letters, digits, spaces and _.:/=+-@.");
    }
  };
  const document = (v: unknown, at: (string | number)[], kind: PolicyKind) => {
    if (!isObject(v)) return void err(at, "Must be a policy document (an object with Version and Statement).");
    const r = parsePolicy(JSON.stringify(substituteAccount(v, SAMPLE_ACCOUNT)), kind);
    if (!r.ok) err(at, r.message);
  };
  /** Names unique (case-insensitively, as IAM compares them) within a kind. */
  const unique = (items: unknown[], at: string, what: string): Map<string, number> => {
    const seen = new Map<string, number>();
    for (const [i, item] of items.entries()) {
      if (!isObject(item) || typeof item.name !== "string") continue;
      const k = item.name.toLowerCase();
      if (seen.has(k)) err([at, i, "name"], `Duplicate ${what} name "${item.name}" (also at /${at}/${seen.get(k)}).`);
      else seen.set(k, i);
    }
    return seen;
  };

  if (!isObject(input)) return { ok: false, errors: [{ path: "", message: "A template must be a JSON object." }] };
  known(input, [], TOP_KEYS);
  if (input.description !== undefined && typeof input.description !== "string") err(["description"], "Must be a string.");

  // ---- account
  const account = input.account;
  if (account !== undefined) {
    if (!isObject(account)) err(["account"], "Must be an object.");
    else {
      known(account, ["account"], ACCOUNT_KEYS);
      if (account.alias !== undefined)
        str(account.alias, ["account", "alias"], {
          min: 3,
          max: 63,
          pattern: ALIAS,
          what: "3-63 lower-case letters, digits and single hyphens",
        });
      const pp = account.passwordPolicy;
      if (pp !== undefined) {
        if (!isObject(pp)) err(["account", "passwordPolicy"], "Must be an object of IAM's PasswordPolicy fields.");
        else
          for (const [k, v] of Object.entries(pp)) {
            const type = PASSWORD_POLICY_KEYS[k];
            const at = ["account", "passwordPolicy", k];
            if (!type) err(at, `Unknown field "${k}"; expected one of ${Object.keys(PASSWORD_POLICY_KEYS).join(", ")}.`);
            else if (typeof v !== type || (type === "number" && !Number.isInteger(v)))
              err(at, `Must be ${type === "number" ? "an integer" : "true or false"}.`);
            else if (k === "MinimumPasswordLength" && ((v as number) < 6 || (v as number) > 128)) err(at, "Must be between 6 and 128.");
            else if (k === "MaxPasswordAge" && ((v as number) < 1 || (v as number) > 1095)) err(at, "Must be between 1 and 1095.");
            else if (k === "PasswordReusePrevention" && ((v as number) < 1 || (v as number) > 24)) err(at, "Must be between 1 and 24.");
          }
      }
      const c = account.consistency;
      if (c !== undefined) {
        if (!isObject(c) || !["off", "fixed", "random"].includes(String(c.mode)))
          err(["account", "consistency", "mode"], "Must be off, fixed or random.");
        else {
          known(c, ["account", "consistency"], ["mode", "delayMs", "minMs", "maxMs", "seed"]);
          for (const k of ["delayMs", "minMs", "maxMs", "seed"])
            if (c[k] !== undefined && (!Number.isInteger(c[k]) || (c[k] as number) < 0 || (c[k] as number) > 3_600_000))
              err(["account", "consistency", k], "Must be an integer between 0 and 3600000.");
          if (c.mode === "fixed" && c.delayMs === undefined) err(["account", "consistency", "delayMs"], "Mode fixed needs delayMs.");
          if (c.mode === "random" && (c.minMs === undefined || c.maxMs === undefined))
            err(["account", "consistency"], "Mode random needs minMs and maxMs.");
          else if (c.mode === "random" && (c.maxMs as number) < (c.minMs as number))
            err(["account", "consistency", "maxMs"], "Must be at least minMs.");
        }
      }
      if (account.explainDenials !== undefined && typeof account.explainDenials !== "boolean")
        err(["account", "explainDenials"], "Must be true or false.");
    }
  }

  // ---- managed policies
  const policies = list(input.policies, ["policies"]);
  const policyNames = unique(policies, "policies", "policy");
  for (const [i, p] of policies.entries()) {
    const at = ["policies", i];
    if (!isObject(p)) {
      err(at, "Must be an object.");
      continue;
    }
    known(p, at, POLICY_KEYS);
    name(p.name, [...at, "name"], 128);
    path(p.path, [...at, "path"]);
    if (p.description !== undefined) str(p.description, [...at, "description"], { min: 0, max: 1000 });
    document(p.document, [...at, "document"], "identity");
    const prev = list(p.previousVersions, [...at, "previousVersions"], 4);
    for (const [j, d] of prev.entries()) document(d, [...at, "previousVersions", j], "identity");
    tags(p.tags, [...at, "tags"]);
  }

  const policyRefs = (v: unknown, at: (string | number)[]) => {
    const refs = list(v, at, 10);
    for (const [j, r] of refs.entries()) {
      if (typeof r !== "string" || !r) err([...at, j], "Must be a policy name or ARN.");
      else if (r.startsWith("arn:") && !/^arn:aws:iam::(aws|\d{12}|\$\{account\}):policy\//.test(r))
        err([...at, j], "A policy ARN is arn:aws:iam::<account>:policy/<path><name> (or arn:aws:iam::aws:policy/… for AWS managed ones).");
    }
  };
  const boundary = (v: unknown, at: (string | number)[]) => {
    if (v !== undefined && (typeof v !== "string" || !v)) err(at, "Must be a managed policy's name or ARN.");
  };
  const inline = (v: unknown, at: (string | number)[]) => {
    if (v === undefined) return;
    if (!isObject(v)) return void err(at, "Must be an object of policy names to policy documents.");
    for (const [k, d] of Object.entries(v)) {
      if (!NAME.test(k) || k.length > 128) err([...at, k], "Inline policy names are 1 to 128 characters of letters, digits and +=,.@_-.");
      document(d, [...at, k], "identity");
    }
  };

  // ---- groups
  const groups = list(input.groups, ["groups"]);
  const groupNames = unique(groups, "groups", "group");
  for (const [i, g] of groups.entries()) {
    const at = ["groups", i];
    if (!isObject(g)) {
      err(at, "Must be an object.");
      continue;
    }
    known(g, at, GROUP_KEYS);
    name(g.name, [...at, "name"], 128);
    path(g.path, [...at, "path"]);
    policyRefs(g.policies, [...at, "policies"]);
    inline(g.inlinePolicies, [...at, "inlinePolicies"]);
  }

  // ---- users
  const users = list(input.users, ["users"]);
  const userNames = unique(users, "users", "user");
  for (const [i, u] of users.entries()) {
    const at = ["users", i];
    if (!isObject(u)) {
      err(at, "Must be an object.");
      continue;
    }
    known(u, at, USER_KEYS);
    name(u.name, [...at, "name"], 64);
    path(u.path, [...at, "path"]);
    tags(u.tags, [...at, "tags"]);
    const pw = u.password;
    if (pw !== undefined && typeof pw !== "boolean") {
      if (!isObject(pw)) err([...at, "password"], "Must be true, false or {resetRequired: true|false}.");
      else {
        known(pw, [...at, "password"], ["resetRequired"]);
        if (pw.resetRequired !== undefined && typeof pw.resetRequired !== "boolean")
          err([...at, "password", "resetRequired"], "Must be true or false.");
      }
    }
    if (Array.isArray(u.accessKeys)) {
      // labsorg (issue 21): one entry per key, each with its status.
      for (const [j, k] of list(u.accessKeys, [...at, "accessKeys"], 2).entries()) {
        if (!isObject(k)) err([...at, "accessKeys", j], 'Must be an object such as {"status": "Inactive"}.');
        else {
          known(k, [...at, "accessKeys", j], ["status"]);
          if (k.status !== undefined && k.status !== "Active" && k.status !== "Inactive")
            err([...at, "accessKeys", j, "status"], 'Must be "Active" or "Inactive".');
        }
      }
    } else if (
      u.accessKeys !== undefined &&
      (!Number.isInteger(u.accessKeys) || (u.accessKeys as number) < 0 || (u.accessKeys as number) > 2)
    )
      err(
        [...at, "accessKeys"],
        'Must be 0, 1 or 2 (IAM allows two access keys per user), or a list of up to 2 {"status": "Active"|"Inactive"}.',
      );
    if (u.mfa !== undefined && typeof u.mfa !== "boolean" && !(Number.isInteger(u.mfa) && (u.mfa as number) >= 0 && (u.mfa as number) <= 8))
      err([...at, "mfa"], "Must be true, false, or how many virtual MFA devices (0-8: IAM allows 8 per user).");
    for (const [j, g] of list(u.groups, [...at, "groups"], 10).entries()) {
      if (typeof g !== "string") err([...at, "groups", j], "Must be a group name.");
      else if (!groupNames.has(g.toLowerCase())) err([...at, "groups", j], `No group "${g}" in the template's groups.`);
    }
    policyRefs(u.policies, [...at, "policies"]);
    inline(u.inlinePolicies, [...at, "inlinePolicies"]);
    boundary(u.permissionsBoundary, [...at, "permissionsBoundary"]);
  }

  // ---- roles
  const roles = list(input.roles, ["roles"]);
  const roleNames = unique(roles, "roles", "role");
  for (const [i, r] of roles.entries()) {
    const at = ["roles", i];
    if (!isObject(r)) {
      err(at, "Must be an object.");
      continue;
    }
    known(r, at, ROLE_KEYS);
    name(r.name, [...at, "name"], 64);
    path(r.path, [...at, "path"]);
    if (typeof r.path === "string" && /^\/aws-(service-role|reserved)\//.test(r.path))
      err([...at, "path"], "Paths under /aws-service-role/ and /aws-reserved/ are AWS's.");
    if (r.description !== undefined) str(r.description, [...at, "description"], { min: 0, max: 1000 });
    if (r.trustPolicy === undefined) err([...at, "trustPolicy"], "A role needs a trust policy.");
    else document(r.trustPolicy, [...at, "trustPolicy"], "trust");
    const m = r.maxSessionDuration;
    if (m !== undefined && (!Number.isInteger(m) || (m as number) < 3600 || (m as number) > 43200))
      err([...at, "maxSessionDuration"], "Must be an integer from 3600 to 43200 (seconds).");
    policyRefs(r.policies, [...at, "policies"]);
    inline(r.inlinePolicies, [...at, "inlinePolicies"]);
    boundary(r.permissionsBoundary, [...at, "permissionsBoundary"]);
    tags(r.tags, [...at, "tags"]);
  }

  // ---- instance profiles
  const profiles = list(input.instanceProfiles, ["instanceProfiles"]);
  unique(profiles, "instanceProfiles", "instance profile");
  for (const [i, p] of profiles.entries()) {
    const at = ["instanceProfiles", i];
    if (!isObject(p)) {
      err(at, "Must be an object.");
      continue;
    }
    known(p, at, PROFILE_KEYS);
    name(p.name, [...at, "name"], 128);
    path(p.path, [...at, "path"]);
    if (p.role !== undefined) {
      if (typeof p.role !== "string") err([...at, "role"], "Must be a role name.");
      else if (!roleNames.has(p.role.toLowerCase())) err([...at, "role"], `No role "${p.role}" in the template's roles.`);
    }
    tags(p.tags, [...at, "tags"]);
  }

  // ---- checks
  const org = input.organization;
  const memberNames = new Set(
    isObject(org) && Array.isArray(org.accounts) ? org.accounts.map((m) => (isObject(m) && typeof m.name === "string" ? m.name : "")) : [],
  );
  const checks = list(input.checks, ["checks"], MAX_CHECKS);
  const checkIds = new Set<string>();
  for (const [i, c] of checks.entries()) {
    const at = ["checks", i];
    if (!isObject(c)) {
      err(at, "Must be an object.");
      continue;
    }
    const kinds = Object.keys(c).filter((k) => (CHECK_KINDS as readonly string[]).includes(k));
    known(c, at, [...CHECK_COMMON_KEYS, ...CHECK_KINDS]);
    if (kinds.length !== 1) {
      err(at, `A check has exactly one of ${CHECK_KINDS.join(", ")}.`);
      continue;
    }
    if (c.id !== undefined) {
      if (typeof c.id !== "string" || !c.id) err([...at, "id"], "Must be a non-empty string.");
      else if (checkIds.has(c.id)) err([...at, "id"], `Duplicate check id "${c.id}".`);
      else checkIds.add(c.id);
    }
    if (c.points !== undefined && (typeof c.points !== "number" || !(c.points >= 0) || c.points > 1000))
      err([...at, "points"], "Must be a number from 0 to 1000.");
    for (const k of ["description", "hint"]) if (c[k] !== undefined && typeof c[k] !== "string") err([...at, k], "Must be a string.");
    if (c.account !== undefined && !memberNames.has(String(c.account)))
      err([...at, "account"], "Must be the name of one of the template's organization accounts (/organization/accounts).");
    const kind = kinds[0] as CheckKind;
    const body = c[kind];
    const bat = [...at, kind];
    if (!isObject(body)) {
      err(bat, "Must be an object.");
      continue;
    }
    const needString = (k: string, required = true) => {
      if (body[k] === undefined && !required) return;
      if (typeof body[k] !== "string" || !body[k]) err([...bat, k], "Must be a non-empty string.");
    };
    switch (kind) {
      case "can":
      case "cannot": {
        known(body, bat, ["principal", "action", "resource", "context", "account"]);
        needString("principal");
        // labsorg4 (issue 21): the check runs in a member account of the template's organization.
        if (body.account !== undefined && !memberNames.has(String(body.account)))
          err([...bat, "account"], "Must be the name of one of the template's organization accounts (/organization/accounts).");
        needString("action");
        if (typeof body.action === "string" && !ACTION.test(body.action))
          err([...bat, "action"], "Must be an action such as s3:GetObject.");
        needString("resource", false);
        if (body.context !== undefined) {
          if (!isObject(body.context)) err([...bat, "context"], "Must be an object of condition keys to values.");
          else
            for (const [k, v] of Object.entries(body.context))
              if (!(typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"))))
                err([...bat, "context", k], "Must be a string or an array of strings.");
        }
        break;
      }
      case "exists":
      case "notExists": {
        known(body, bat, ENTITY_KINDS);
        const ks = Object.keys(body).filter((k) => (ENTITY_KINDS as string[]).includes(k));
        if (ks.length !== 1) err(bat, `Name exactly one of ${ENTITY_KINDS.join(", ")}.`);
        else needString(ks[0]!);
        break;
      }
      case "trustRequiresMfa":
        known(body, bat, ["role"]);
        needString("role");
        break;
      case "noUserWithPolicy":
        known(body, bat, ["policy"]);
        needString("policy");
        break;
      case "userInGroup":
        known(body, bat, ["user", "group"]);
        needString("user");
        needString("group");
        break;
      case "usedAction":
        known(body, bat, ["action", "principal", "atLeast"]);
        needString("action");
        needString("principal", false);
        if (body.atLeast !== undefined && (!Number.isInteger(body.atLeast) || (body.atLeast as number) < 1))
          err([...bat, "atLeast"], "Must be an integer of at least 1.");
        break;
    }
  }
  void userNames;
  void policyNames;

  // ---- service resources (src/labs/resources.ts)
  errors.push(...validateResources(input));
  // labsorg (issue 21): IAM's size quotas, with the IAM API's messages (./quotas.ts).
  for (const q of templateQuotaErrors(input, SAMPLE_ACCOUNT)) err(q.path, q.message);
  // labsorg4 (issue 21): the organization section, member templates validated as templates.
  errors.push(
    ...validateOrganization(input.organization, (t) => {
      const r = validateTemplate(t);
      return r.ok ? [] : r.errors;
    }),
  );

  return errors.length ? { ok: false, errors } : { ok: true, template: input as LabTemplate };
}
