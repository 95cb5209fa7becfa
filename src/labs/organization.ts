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
 * anything is written (validation in ./organization-spec.ts, with JSON pointers; the nested templates' references before the
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
import { deleteAccount, restoreRootKey } from "../store/accounts";
import { orgOfAccount } from "../store/org-organizations";
import { newAccessKeyId, newSecretAccessKey } from "../lib/ids";
import { forgetAccountState } from "../admin/account-lifecycle";
import { afterAdminChange } from "../cache/index";
import { substituteAccount } from "./substitute";
import type { LabTemplate, PolicyDocument, TemplateError } from "./template";
import type { UserSecrets } from "./apply";
import {
  accessTrust,
  DEFAULT_ACCESS_ROLE,
  defaultEmail,
  MANAGEMENT_VAR,
  type MemberResult,
  type MemberSpec,
  type OrganizationSpec,
  type OrgPolicySpec,
  type OrgPolicyType,
  type OrgUnitSpec,
  RCP,
  ROOT,
  SCP,
  substituteVar,
  unitPaths,
  wantedTypes,
  withAccessRole,
} from "./organization-spec";
import { generalize, rootContext, sameDoc } from "./resources";
import { pointer } from "./validation";

// ---------------------------------------------------------------- applying

/** A step that failed: its pointer and AWS's error. */
class StepFailed extends Error {
  constructor(readonly errors: TemplateError[]) {
    super(errors[0]?.message);
  }
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
