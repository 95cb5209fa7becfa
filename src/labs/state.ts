/**
 * An account's lab-relevant state in one canonical shape (pure): what a template asks for after its
 * references are resolved (`desiredState`), what an account holds (`currentState`, from the rows
 * src/store/labs.ts reads), and the template an account exports (`exportTemplate`). Converging
 * compares the two shapes entity by entity: equal entities are left alone, so re-applying a
 * template writes nothing. Documents are compared as canonical JSON text, policy references as ARNs,
 * lists in name order, and every field has its default filled in.
 */
import type { PasswordPolicy } from "../lib/password";
import type { LabRows } from "../store/labs";
import { OFF, parseConfig, type ConsistencyConfig } from "../consistency/delay";
import {
  ACCOUNT_VAR,
  substituteAccount,
  type KeyStatus,
  type LabTemplate,
  type PolicyDocument,
  type Tags,
  type TemplateError,
} from "./template";

export type TagList = [string, string][];
export type InlineList = [string, string][];

export interface PolicyState {
  name: string;
  path: string;
  description: string | null;
  /** the default version's document, canonical JSON */
  document: string;
  /** the other versions, oldest first */
  previousVersions: string[];
  tags: TagList;
}
export interface GroupState {
  name: string;
  path: string;
  policies: string[];
  inline: InlineList;
}
export interface UserState {
  name: string;
  path: string;
  tags: TagList;
  boundary: string | null;
  password: { resetRequired: boolean } | null;
  accessKeys: number;
  /** each key's status, oldest first (ties by key id) — labsorg, issue 21 */
  keyStatuses: KeyStatus[];
  /** how many virtual MFA devices */
  mfa: number;
  /** group names, lower-case, sorted */
  groups: string[];
  policies: string[];
  inline: InlineList;
}
export interface RoleState {
  name: string;
  path: string;
  description: string | null;
  trustPolicy: string;
  maxSessionDuration: number;
  boundary: string | null;
  tags: TagList;
  policies: string[];
  inline: InlineList;
}
export interface InstanceProfileState {
  name: string;
  path: string;
  role: string | null;
  tags: TagList;
}
export interface AccountState {
  alias: string | null;
  passwordPolicy: PasswordPolicy | null;
  consistency: ConsistencyConfig;
  explainDenials: boolean;
}
export interface LabState {
  account: AccountState;
  policies: PolicyState[];
  groups: GroupState[];
  users: UserState[];
  roles: RoleState[];
  instanceProfiles: InstanceProfileState[];
}

export const AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/";

const byName = <T extends { name: string }>(a: T, b: T) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1);
export const canonicalJson = (text: string): string => {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
};
const tagList = (t: Tags | undefined): TagList => Object.entries(t ?? {});
const inlineList = (m: Record<string, PolicyDocument> | undefined, account: string): InlineList =>
  Object.entries(m ?? {})
    .map(([k, d]): [string, string] => [k, JSON.stringify(substituteAccount(d, account))])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));

/** Same entity state? (field order is fixed by the builders, so the text compares) */
export const sameState = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export const policyArn = (account: string, path: string, name: string) => `arn:aws:iam::${account}:policy${path}${name}`;

/** Resolves a template's policy reference; `managed` maps AWS managed policy names (lower-case) to ARNs. */
export type PolicyResolver = (ref: string) => string | undefined;

/** The names of AWS managed policies a template references by name (to look up before resolving). */
export function referencedPolicyNames(t: LabTemplate): string[] {
  const own = new Set((t.policies ?? []).map((p) => p.name.toLowerCase()));
  const out = new Set<string>();
  const add = (r: string | undefined) => {
    if (r && !r.startsWith("arn:") && !own.has(r.toLowerCase())) out.add(r);
  };
  for (const e of [...(t.groups ?? []), ...(t.users ?? []), ...(t.roles ?? [])]) for (const r of e.policies ?? []) add(r);
  for (const e of [...(t.users ?? []), ...(t.roles ?? [])]) add(e.permissionsBoundary);
  return [...out];
}

/**
 * The state a template asks for in `account`; errors (JSON pointers) for references that resolve to
 * nothing. `managed` maps lower-case AWS managed policy names to ARNs; `existingArns` are the
 * account's customer managed policies (a template may reference one it does not define by ARN).
 */
export function desiredState(
  t: LabTemplate,
  account: string,
  managed: ReadonlyMap<string, string>,
  existingArns: ReadonlySet<string>,
): { ok: true; state: LabState } | { ok: false; errors: TemplateError[] } {
  const errors: TemplateError[] = [];
  const own = new Map((t.policies ?? []).map((p) => [p.name.toLowerCase(), policyArn(account, p.path ?? "/", p.name)]));
  const ownArns = new Set(own.values());
  const resolve = (ref: string, at: string): string => {
    if (ref.startsWith("arn:")) {
      const arn = substituteAccount(ref, account);
      const known = arn.startsWith(AWS_POLICY_PREFIX) ? [...managed.values()].includes(arn) : ownArns.has(arn) || existingArns.has(arn);
      if (!known) errors.push({ path: at, message: `No managed policy ${arn} (neither the template's nor AWS's).` });
      return arn;
    }
    const arn = own.get(ref.toLowerCase()) ?? managed.get(ref.toLowerCase());
    if (!arn) errors.push({ path: at, message: `No policy named "${ref}" in the template's policies or among AWS managed policies.` });
    return arn ?? ref;
  };
  const refs = (list: string[] | undefined, at: string) => (list ?? []).map((r, i) => resolve(r, `${at}/${i}`)).sort();
  const sub = (d: PolicyDocument) => JSON.stringify(substituteAccount(d, account));

  const state: LabState = {
    account: {
      alias: t.account?.alias === undefined ? null : substituteAccount(t.account.alias, account),
      passwordPolicy: t.account?.passwordPolicy ? completePasswordPolicy(t.account.passwordPolicy) : null,
      consistency: consistencyOf(t.account?.consistency),
      explainDenials: t.account?.explainDenials ?? false,
    },
    policies: (t.policies ?? [])
      .map((p) => ({
        name: p.name,
        path: p.path ?? "/",
        description: p.description ?? null,
        document: sub(p.document),
        previousVersions: (p.previousVersions ?? []).map(sub),
        tags: tagList(p.tags),
      }))
      .sort(byName),
    groups: (t.groups ?? [])
      .map((g, i) => ({
        name: g.name,
        path: g.path ?? "/",
        policies: refs(g.policies, `/groups/${i}/policies`),
        inline: inlineList(g.inlinePolicies, account),
      }))
      .sort(byName),
    users: (t.users ?? [])
      .map((u, i) => ({
        name: u.name,
        path: u.path ?? "/",
        tags: tagList(u.tags),
        boundary: u.permissionsBoundary ? resolve(u.permissionsBoundary, `/users/${i}/permissionsBoundary`) : null,
        password: !u.password ? null : { resetRequired: typeof u.password === "object" && u.password.resetRequired === true },
        accessKeys: Array.isArray(u.accessKeys) ? u.accessKeys.length : (u.accessKeys ?? 0),
        keyStatuses: Array.isArray(u.accessKeys)
          ? u.accessKeys.map((k): KeyStatus => k.status ?? "Active")
          : new Array<KeyStatus>(u.accessKeys ?? 0).fill("Active"),
        mfa: u.mfa === true ? 1 : typeof u.mfa === "number" ? u.mfa : 0,
        groups: (u.groups ?? []).map((g) => g.toLowerCase()).sort(),
        policies: refs(u.policies, `/users/${i}/policies`),
        inline: inlineList(u.inlinePolicies, account),
      }))
      .sort(byName),
    roles: (t.roles ?? [])
      .map((r, i) => ({
        name: r.name,
        path: r.path ?? "/",
        description: r.description ?? null,
        trustPolicy: sub(r.trustPolicy),
        maxSessionDuration: r.maxSessionDuration ?? 3600,
        boundary: r.permissionsBoundary ? resolve(r.permissionsBoundary, `/roles/${i}/permissionsBoundary`) : null,
        tags: tagList(r.tags),
        policies: refs(r.policies, `/roles/${i}/policies`),
        inline: inlineList(r.inlinePolicies, account),
      }))
      .sort(byName),
    instanceProfiles: (t.instanceProfiles ?? [])
      .map((p) => ({ name: p.name, path: p.path ?? "/", role: p.role?.toLowerCase() ?? null, tags: tagList(p.tags) }))
      .sort(byName),
  };
  return errors.length ? { ok: false, errors } : { ok: true, state };
}

/** The consistency settings as the admin API stores them (a random mode's seed defaults to 1); validated already. */
function consistencyOf(c: unknown): ConsistencyConfig {
  if (c === undefined) return OFF;
  const cfg = parseConfig(c);
  return typeof cfg === "string" ? OFF : cfg;
}

/** IAM's UpdateAccountPasswordPolicy defaults for the fields a template leaves out. */
export function completePasswordPolicy(p: Partial<PasswordPolicy>): PasswordPolicy {
  const out: PasswordPolicy = {
    MinimumPasswordLength: p.MinimumPasswordLength ?? 6,
    RequireSymbols: p.RequireSymbols ?? false,
    RequireNumbers: p.RequireNumbers ?? false,
    RequireUppercaseCharacters: p.RequireUppercaseCharacters ?? false,
    RequireLowercaseCharacters: p.RequireLowercaseCharacters ?? false,
    AllowUsersToChangePassword: p.AllowUsersToChangePassword ?? false,
  };
  if (p.MaxPasswordAge !== undefined) out.MaxPasswordAge = p.MaxPasswordAge;
  if (p.PasswordReusePrevention !== undefined) out.PasswordReusePrevention = p.PasswordReusePrevention;
  if (p.HardExpiry !== undefined) out.HardExpiry = p.HardExpiry;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Export: state → template

/** `arn:…:123456789012:…` → `arn:…:${account}:…` in every string (documents, ARNs, the alias). */
function generalize<T>(value: T, account: string): T {
  if (typeof value === "string") return value.split(account).join(ACCOUNT_VAR) as T;
  if (Array.isArray(value)) return value.map((v) => generalize(v, account)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = generalize(v, account);
    return out as T;
  }
  return value;
}

const doc = (text: string): PolicyDocument => JSON.parse(text) as PolicyDocument;
const tagsOf = (t: TagList): Tags | undefined => (t.length ? Object.fromEntries(t) : undefined);
const inlineOf = (l: InlineList): Record<string, PolicyDocument> | undefined =>
  l.length ? Object.fromEntries(l.map(([k, d]) => [k, doc(d)])) : undefined;

/** The fields that differ from IAM's defaults (what completePasswordPolicy fills back in). */
function exportedPasswordPolicy(p: PasswordPolicy): Partial<PasswordPolicy> {
  const d = completePasswordPolicy({});
  return Object.fromEntries(Object.entries(p).filter(([k, v]) => d[k as keyof PasswordPolicy] !== v)) as Partial<PasswordPolicy>;
}

/** Drops undefined fields, so an exported template lists only what differs from the defaults. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The template that recreates `state` (ids, secrets and timestamps excluded; the account's own id
 * written as `${account}`). Policy references: the account's policies and AWS managed ones by name,
 * anything else by ARN. Applying it to a new account and exporting that gives the same template.
 */
export function exportTemplate(state: LabState, account: string, checks?: LabTemplate["checks"]): LabTemplate {
  const ownByArn = new Map(state.policies.map((p) => [policyArn(account, p.path, p.name), p.name]));
  const ownNames = new Set(state.policies.map((p) => p.name.toLowerCase()));
  const ref = (arn: string): string => {
    const own = ownByArn.get(arn);
    if (own) return own;
    if (arn.startsWith(AWS_POLICY_PREFIX)) {
      const name = arn.slice(arn.lastIndexOf("/") + 1);
      if (!ownNames.has(name.toLowerCase())) return name;
    }
    return arn;
  };
  const refs = (l: string[]) => (l.length ? l.map(ref) : undefined);
  const groupName = new Map(state.groups.map((g) => [g.name.toLowerCase(), g.name]));
  const roleName = new Map(state.roles.map((r) => [r.name.toLowerCase(), r.name]));
  const a = state.account;
  const account_ = compact({
    alias: a.alias ?? undefined,
    passwordPolicy: a.passwordPolicy ? exportedPasswordPolicy(a.passwordPolicy) : undefined,
    consistency: a.consistency.mode === "off" ? undefined : a.consistency,
    explainDenials: a.explainDenials || undefined,
  });
  const t: LabTemplate = compact({
    account: Object.keys(account_).length ? account_ : undefined,
    policies: state.policies.length
      ? state.policies.map((p) =>
          compact({
            name: p.name,
            path: p.path === "/" ? undefined : p.path,
            description: p.description ?? undefined,
            document: doc(p.document),
            previousVersions: p.previousVersions.length ? p.previousVersions.map(doc) : undefined,
            tags: tagsOf(p.tags),
          }),
        )
      : undefined,
    groups: state.groups.length
      ? state.groups.map((g) =>
          compact({
            name: g.name,
            path: g.path === "/" ? undefined : g.path,
            policies: refs(g.policies),
            inlinePolicies: inlineOf(g.inline),
          }),
        )
      : undefined,
    users: state.users.length
      ? state.users.map((u) =>
          compact({
            name: u.name,
            path: u.path === "/" ? undefined : u.path,
            tags: tagsOf(u.tags),
            password: u.password ? (u.password.resetRequired ? { resetRequired: true } : true) : undefined,
            accessKeys: u.keyStatuses.includes("Inactive") ? u.keyStatuses.map((status) => ({ status })) : u.accessKeys || undefined,
            mfa: u.mfa === 0 ? undefined : u.mfa === 1 ? true : u.mfa,
            groups: u.groups.length ? u.groups.map((g) => groupName.get(g) ?? g) : undefined,
            policies: refs(u.policies),
            inlinePolicies: inlineOf(u.inline),
            permissionsBoundary: u.boundary ? ref(u.boundary) : undefined,
          }),
        )
      : undefined,
    roles: state.roles.length
      ? state.roles.map((r) =>
          compact({
            name: r.name,
            path: r.path === "/" ? undefined : r.path,
            description: r.description ?? undefined,
            trustPolicy: doc(r.trustPolicy),
            maxSessionDuration: r.maxSessionDuration === 3600 ? undefined : r.maxSessionDuration,
            policies: refs(r.policies),
            inlinePolicies: inlineOf(r.inline),
            permissionsBoundary: r.boundary ? ref(r.boundary) : undefined,
            tags: tagsOf(r.tags),
          }),
        )
      : undefined,
    instanceProfiles: state.instanceProfiles.length
      ? state.instanceProfiles.map((p) =>
          compact({
            name: p.name,
            path: p.path === "/" ? undefined : p.path,
            role: p.role ? (roleName.get(p.role) ?? p.role) : undefined,
            tags: tagsOf(p.tags),
          }),
        )
      : undefined,
    checks: checks?.length ? checks : undefined,
  });
  return generalize(t, account);
}

// ---------------------------------------------------------------------------------------------
// Current: the rows an account holds → state, with the ids converging writes address

export interface CurrentIds {
  users: Map<string, { userId: string; userName: string; keys: string[]; mfaSerials: string[] }>;
  groups: Map<string, string>;
  roles: Map<string, string>;
  policies: Map<string, { policyId: string; arn: string; nextVersion: number }>;
  profiles: Map<string, string>;
}

export function currentState(rows: LabRows, consistency: ConsistencyConfig): { state: LabState; ids: CurrentIds } {
  const tags = new Map<string, TagList>();
  for (const t of rows.tags) {
    const k = `${t.resourceType}/${t.resourceId}`;
    let l = tags.get(k);
    if (!l) tags.set(k, (l = []));
    l.push([t.key, t.value]);
  }
  const tagsOf = (type: string, id: string) => tags.get(`${type}/${id}`) ?? [];
  const attached = new Map<string, string[]>();
  for (const a of rows.attachments) {
    const k = `${a.entityType}/${a.entityId}`;
    attached.set(k, [...(attached.get(k) ?? []), a.policyArn]);
  }
  const inline = new Map<string, InlineList>();
  for (const p of rows.inline) {
    const k = `${p.entityType}/${p.entityId}`;
    inline.set(k, [...(inline.get(k) ?? []), [p.policyName, canonicalJson(p.document)]]);
  }
  const policiesOf = (type: string, id: string) => [...(attached.get(`${type}/${id}`) ?? [])].sort();
  const inlineOf = (type: string, id: string) => [...(inline.get(`${type}/${id}`) ?? [])].sort((a, b) => (a[0] < b[0] ? -1 : 1));

  const groupById = new Map(rows.groups.map((g) => [g.groupId, g.groupName.toLowerCase()]));
  const roleById = new Map(rows.roles.map((r) => [r.roleId, r.roleName.toLowerCase()]));
  const login = new Map(rows.logins.map((l) => [l.userId, !!l.passwordResetRequired]));
  const keys = new Map<string, string[]>();
  const statuses = new Map<string, KeyStatus[]>();
  for (const k of rows.keys) {
    keys.set(k.userId, [...(keys.get(k.userId) ?? []), k.accessKeyId]);
    statuses.set(k.userId, [...(statuses.get(k.userId) ?? []), k.status === "Inactive" ? "Inactive" : "Active"]);
  }
  const mfa = new Map<string, string[]>();
  for (const d of rows.mfa) mfa.set(d.userId, [...(mfa.get(d.userId) ?? []), d.serialNumber]);
  const groupsOf = new Map<string, string[]>();
  for (const m of rows.members) {
    const g = groupById.get(m.groupId);
    if (g) groupsOf.set(m.userId, [...(groupsOf.get(m.userId) ?? []), g]);
  }
  const versions = new Map<string, { versionId: string; document: string }[]>();
  for (const v of rows.versions) versions.set(v.policyId, [...(versions.get(v.policyId) ?? []), v]);

  const ids: CurrentIds = { users: new Map(), groups: new Map(), roles: new Map(), policies: new Map(), profiles: new Map() };
  const state: LabState = {
    account: {
      alias: rows.account?.alias ?? null,
      passwordPolicy: rows.passwordPolicy ? (JSON.parse(rows.passwordPolicy) as PasswordPolicy) : null,
      consistency,
      explainDenials: !!rows.account?.explainDenials,
    },
    policies: rows.policies
      .map((p) => {
        ids.policies.set(p.policyName.toLowerCase(), { policyId: p.policyId, arn: p.arn, nextVersion: p.nextVersion });
        const vs = versions.get(p.policyId) ?? [];
        const def = vs.find((v) => v.versionId === p.defaultVersionId);
        return {
          name: p.policyName,
          path: p.path,
          description: p.description,
          document: canonicalJson(def?.document ?? "{}"),
          previousVersions: vs.filter((v) => v !== def).map((v) => canonicalJson(v.document)),
          tags: tagsOf("policy", p.policyId),
        };
      })
      .sort(byName),
    groups: rows.groups
      .map((g) => {
        ids.groups.set(g.groupName.toLowerCase(), g.groupId);
        return { name: g.groupName, path: g.path, policies: policiesOf("group", g.groupId), inline: inlineOf("group", g.groupId) };
      })
      .sort(byName),
    users: rows.users
      .map((u) => {
        const k = keys.get(u.userId) ?? [];
        const devices = mfa.get(u.userId) ?? [];
        ids.users.set(u.userName.toLowerCase(), { userId: u.userId, userName: u.userName, keys: k, mfaSerials: devices });
        const reset = login.get(u.userId);
        return {
          name: u.userName,
          path: u.path,
          tags: tagsOf("user", u.userId),
          boundary: u.permissionsBoundary,
          password: reset === undefined ? null : { resetRequired: reset },
          accessKeys: k.length,
          keyStatuses: statuses.get(u.userId) ?? [],
          mfa: devices.length,
          groups: (groupsOf.get(u.userId) ?? []).sort(),
          policies: policiesOf("user", u.userId),
          inline: inlineOf("user", u.userId),
        };
      })
      .sort(byName),
    roles: rows.roles
      .map((r) => {
        ids.roles.set(r.roleName.toLowerCase(), r.roleId);
        return {
          name: r.roleName,
          path: r.path,
          description: r.description,
          trustPolicy: canonicalJson(r.assumeRolePolicyDocument),
          maxSessionDuration: r.maxSessionDuration,
          boundary: r.permissionsBoundary,
          tags: tagsOf("role", r.roleId),
          policies: policiesOf("role", r.roleId),
          inline: inlineOf("role", r.roleId),
        };
      })
      .sort(byName),
    instanceProfiles: rows.profiles
      .map((p) => {
        ids.profiles.set(p.instanceProfileName.toLowerCase(), p.instanceProfileId);
        return {
          name: p.instanceProfileName,
          path: p.path,
          role: p.roleId ? (roleById.get(p.roleId) ?? null) : null,
          tags: tagsOf("instance-profile", p.instanceProfileId),
        };
      })
      .sort(byName),
  };
  return { state, ids };
}
