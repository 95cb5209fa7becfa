/**
 * Applying a template to an account (issue 21): the account's current state is read in one round
 * trip, compared with what the template asks for entity by entity (src/labs/state.ts), and every
 * difference is written in ONE D1 batch (one transaction, with the generation bump of
 * src/store/write.ts), built from the entity stores' own statement builders. Equal entities are not
 * touched, so re-applying a template writes nothing; an entity the previous template owned and the
 * new one drops is deleted; entities a learner made are left alone (or, for a reset, `prune: "all"`,
 * deleted too). Secrets (access keys, passwords, MFA seeds) are generated for what is created only:
 * existing credentials survive a converge.
 */
import type { Env } from "../env";
import type { Db } from "../store/db";
import { writeBatch } from "../store/write";
import { afterAdminChange } from "../cache/index";
import { stub as consistencyStub, setConsistency } from "../consistency/client";
import { applyResources, hasResources } from "./resources";
import { pruneResources } from "./prune";
import { iamArn } from "../lib/arn";
import { isoSeconds } from "../lib/clock";
import { newAccessKeyId, newSecretAccessKey, newUniqueId } from "../lib/ids";
import { hashPassword, type PasswordPolicy } from "../lib/password";
import { newTotpSeed } from "../lib/totp";
import { updateAccountSettings } from "../store/accounts";
import { insertUserKeyStmt, deleteKeyStmt, setKeyStatusStmt } from "../store/iam-access-keys";
import { setAliasStmts, clearAliasStmts } from "../store/iam-account";
import { attachByIdStmt, clearPoliciesStmts, putInlineByIdStmt } from "../store/iam-attachments";
import { addMemberStmt, clearMembershipsStmt, deleteGroupCascadeStmts, insertGroupStmt, updateGroupPathStmt } from "../store/iam-groups";
import { deleteInstanceProfileCascadeStmts, insertInstanceProfileStmts, updateInstanceProfileStmt } from "../store/iam-instance-profiles";
import { deleteDeviceStmt, deleteUserDevicesStmt, insertEnabledDeviceStmt } from "../store/iam-mfa";
import {
  deleteLoginProfileStmt,
  deletePasswordPolicyStmt,
  insertLoginProfileStmts,
  putPasswordPolicyStmt,
  rememberLabPasswordStmt,
  restoreLabPasswordStmt,
  setPasswordResetRequiredStmt,
} from "../store/iam-passwords";
import { deletePolicyCascadeStmts, insertPolicyStmts, replacePolicyVersionsStmts, type PolicyEntityType } from "../store/iam-policies";
import { deleteRoleCascadeStmts, insertRoleStmts, updateRoleStmt } from "../store/iam-roles";
import { deleteUserCascadeStmts, insertUserStmts, updateUserStmt } from "../store/iam-users";
import { clearTagsStmt, insertTagsStmts, type TaggedKind } from "../store/tags";
import { awsManagedByName, getLabAccount, readLabRows, recordTemplateStmt } from "../store/labs";
import { accountAliasHolder } from "../store/labs";
import {
  AWS_POLICY_PREFIX,
  currentState,
  desiredState,
  referencedPolicyNames,
  sameState,
  type CurrentIds,
  type InlineList,
  type LabState,
  type TagList,
} from "./state";
import { pointer, type LabTemplate, type TemplateError } from "./template";
import { generatePassword } from "./secrets";
import { accountQuotaErrors } from "./quotas"; // labsorg (issue 21)
import { applyOrganization } from "./organization"; // labsorg4 (issue 21)
import type { MemberResult } from "./organization-spec";

export interface UserSecrets {
  password?: string;
  accessKeys?: { accessKeyId: string; secretAccessKey: string }[];
  mfa?: { serialNumber: string; seed: string };
  /** every device created now, when the template gives the user more than one */
  mfaDevices?: { serialNumber: string; seed: string }[];
}

export interface Changes {
  created: string[];
  updated: string[];
  deleted: string[];
  /** a reset's deletions of learner-made resources that failed (`kind/name: Code: message`) */
  notDeleted?: string[];
}

export type ApplyResult =
  | { ok: true; changes: Changes; users: Record<string, UserSecrets>; members?: MemberResult[] }
  | { ok: false; errors: TemplateError[] };

export interface ApplyOptions {
  now: number;
  /** "owned": delete only entities of the previously applied template; "all": every entity the template lacks (reset) */
  prune: "owned" | "all";
  /** the lab the account joins (undefined: keep the one it has) */
  labId?: string | null;
  /** the template text recorded as the account's (undefined: the template itself) — a reset to a snapshot keeps the lab's */
  record?: string | null;
}

/** Lower-case names per kind that a template defines (what a lab owns in an account). */
function ownedBy(t: LabTemplate | undefined) {
  const names = (l: { name: string }[] | undefined) => new Set((l ?? []).map((e) => e.name.toLowerCase()));
  return {
    policies: names(t?.policies),
    groups: names(t?.groups),
    users: names(t?.users),
    roles: names(t?.roles),
    instanceProfiles: names(t?.instanceProfiles),
    alias: t?.account?.alias !== undefined,
    passwordPolicy: t?.account?.passwordPolicy !== undefined,
  };
}

const tagRows = (t: TagList) => t.map(([Key, Value]) => ({ Key, Value }));

export async function applyTemplate(env: Env, db: Db, accountId: string, template: LabTemplate, o: ApplyOptions): Promise<ApplyResult> {
  const [rows, { config }, record] = await Promise.all([
    readLabRows(db, accountId),
    consistencyStub(env, accountId).getConfig(),
    getLabAccount(db, accountId),
  ]);
  const { state: current, ids } = currentState(rows, config);
  const existingArns = new Set([...ids.policies.values()].map((p) => p.arn));
  const d = await resolveTemplate(db, template, accountId, existingArns);
  if (!d.ok) return d;
  const want = d.state;
  // labsorg4 (issue 21): the member accounts' templates resolve too, before anything is written.
  for (const [i, m] of (template.organization?.accounts ?? []).entries()) {
    if (!m.template) continue;
    const nested = await resolveTemplate(db, m.template, "123456789012", new Set());
    if (!nested.ok)
      return { ok: false, errors: nested.errors.map((e) => ({ ...e, path: `/organization/accounts/${i}/template${e.path}` })) };
  }
  if (want.account.alias && want.account.alias !== current.account.alias) {
    const holder = await accountAliasHolder(db, want.account.alias);
    if (holder && holder !== accountId)
      return {
        ok: false,
        errors: [{ path: "/account/alias", message: `The alias ${want.account.alias} is already in use by another account.` }],
      };
  }
  const previous = record ? (JSON.parse(record.template) as LabTemplate) : undefined;
  const owned = ownedBy(previous);
  const plan = planStatements(db, accountId, want, current, ids, o.prune === "all" ? null : owned, isoSeconds(o.now));
  // labsorg (issue 21): the account's entity counts after this plan stay within IAM's quotas.
  const over = accountQuotaErrors(current, plan.changes);
  if (over.length) return { ok: false, errors: over.map((q) => ({ path: pointer(q.path), message: q.message })) };
  const users = await plan.secrets();

  const recordText = o.record === undefined ? JSON.stringify(template) : o.record;
  const stmts = plan.stmts;
  if (recordText !== null && (recordText !== record?.template || (o.labId !== undefined && o.labId !== record?.labId)))
    stmts.push(recordTemplateStmt(db, accountId, o.labId, recordText, isoSeconds(o.now)));
  if (stmts.length) {
    await writeBatch({ db, account: accountId, effect: "permissions" }, stmts);
    afterAdminChange(accountId);
  }
  // Settings outside the IAM tables: after the batch (a template that failed to apply changes none).
  if (want.account.explainDenials !== current.account.explainDenials) {
    await updateAccountSettings(db, accountId, { explainDenials: want.account.explainDenials });
    plan.changes.updated.push("account/explainDenials");
  }
  // Only a template that names a mode sets it (a reset too): otherwise the account keeps the one it has.
  if (template.account?.consistency && !sameState(want.account.consistency, current.account.consistency)) {
    await setConsistency(env, db, accountId, want.account.consistency);
    plan.changes.updated.push("account/consistency");
  }
  // ---- service resources (src/labs/resources.ts): after the IAM batch, through the services' own actions.
  if (hasResources(template)) {
    const r = await applyResources(env, db, accountId, template, { now: o.now, reset: o.prune === "all" });
    if (!r.ok) return r;
    plan.changes.created.push(...r.changes.created);
    plan.changes.updated.push(...r.changes.updated);
  }
  // A reset also removes the service resources the learner made (./prune.ts), whatever the template has.
  if (o.prune === "all") {
    const pruned = await pruneResources(env, db, accountId, template, o.now);
    plan.changes.deleted.push(...pruned.deleted);
    if (pruned.failed.length) plan.changes.notDeleted = pruned.failed;
  }
  // ---- labsorg4 (issue 21): the organization, after the account's own state (./organization.ts); member
  // accounts' templates go through this same function.
  const org = await applyOrganization(env, db, accountId, template.organization, previous?.organization, {
    now: o.now,
    reset: o.prune === "all",
    applyMember: (member, t, reset) => applyTemplate(env, db, member, t, { now: o.now, prune: reset ? "all" : "owned" }),
  });
  if (!org.ok) return org;
  plan.changes.created.push(...org.changes.created);
  plan.changes.updated.push(...org.changes.updated);
  plan.changes.deleted.push(...org.changes.deleted);
  return { ok: true, changes: plan.changes, users, ...(org.members.length ? { members: org.members } : {}) };
}

/** The template's desired state, its policy references resolved against its own and AWS's managed policies. */
async function resolveTemplate(db: Db, template: LabTemplate, accountId: string, existingArns: ReadonlySet<string>) {
  const refArns: string[] = [
    ...[...(template.groups ?? []), ...(template.users ?? []), ...(template.roles ?? [])].flatMap((e) => e.policies ?? []),
    ...[...(template.users ?? []), ...(template.roles ?? [])].flatMap((e) => (e.permissionsBoundary ? [e.permissionsBoundary] : [])),
  ].filter((r) => r.startsWith(AWS_POLICY_PREFIX));
  const managed = await awsManagedByName(db, referencedPolicyNames(template), refArns);
  return desiredState(template, accountId, managed, existingArns);
}

/**
 * The statements that turn `cur` into `want`, in an order where every row a statement refers to is
 * already written (deletions first, then policies, groups, users, roles, instance profiles). `owned`
 * null: delete whatever `want` lacks. Secrets are generated by `secrets()` (password hashing is slow:
 * only for what is created); the statements that store them are pushed when it runs.
 */
function planStatements(
  db: Db,
  account: string,
  want: LabState,
  cur: LabState,
  ids: CurrentIds,
  owned: ReturnType<typeof ownedBy> | null,
  now: string,
) {
  const stmts: D1PreparedStatement[] = [];
  const changes: Changes = { created: [], updated: [], deleted: [] };
  const pending: Array<() => Promise<void>> = [];
  const secrets: Record<string, UserSecrets> = {};
  const lower = (n: string) => n.toLowerCase();
  const index = <T extends { name: string }>(l: T[]) => new Map(l.map((e) => [lower(e.name), e]));
  const mayDelete = (kind: "policies" | "groups" | "users" | "roles" | "instanceProfiles", name: string) =>
    owned === null || owned[kind].has(lower(name));

  // Entities whose case-only rename cannot be done in place are recreated.
  const gone = <T extends { name: string }>(kind: "policies" | "groups" | "users" | "roles" | "instanceProfiles", w: T[], c: T[]) => {
    const wi = index(w);
    return c.filter((e) => {
      const x = wi.get(lower(e.name));
      return x ? x.name !== e.name : mayDelete(kind, e.name);
    });
  };
  const policyArn = (path: string, name: string) => iamArn(account, "policy", path, name);

  // ---- deletions (entities that go, or are recreated): dependents first
  const wantUsers = index(want.users);
  for (const u of gone("instanceProfiles", want.instanceProfiles, cur.instanceProfiles)) {
    stmts.push(...deleteInstanceProfileCascadeStmts(db, account, ids.profiles.get(lower(u.name))!));
    changes.deleted.push(`instanceProfile/${u.name}`);
    ids.profiles.delete(lower(u.name));
  }
  for (const u of gone("users", want.users, cur.users)) {
    stmts.push(...deleteUserCascadeStmts(db, account, ids.users.get(lower(u.name))!.userId));
    changes.deleted.push(`user/${u.name}`);
    ids.users.delete(lower(u.name));
  }
  for (const r of gone("roles", want.roles, cur.roles)) {
    stmts.push(...deleteRoleCascadeStmts(db, account, ids.roles.get(lower(r.name))!));
    changes.deleted.push(`role/${r.name}`);
    ids.roles.delete(lower(r.name));
  }
  for (const g of gone("groups", want.groups, cur.groups)) {
    stmts.push(...deleteGroupCascadeStmts(db, account, ids.groups.get(lower(g.name))!));
    changes.deleted.push(`group/${g.name}`);
    ids.groups.delete(lower(g.name));
  }
  const curPolicies = index(cur.policies);
  const policyGone = gone("policies", want.policies, cur.policies);
  // A policy that moves to another path gets another ARN: it is recreated.
  for (const p of want.policies) {
    const c = curPolicies.get(lower(p.name));
    if (c && c.name === p.name && c.path !== p.path) policyGone.push(c);
  }
  for (const p of policyGone) {
    const id = ids.policies.get(lower(p.name))!;
    stmts.push(...deletePolicyCascadeStmts(db, account, id.policyId, id.arn));
    changes.deleted.push(`policy/${p.name}`);
    ids.policies.delete(lower(p.name));
  }
  const stillThere = <T extends { name: string }>(c: Map<string, T>, idMap: Map<string, unknown>, name: string) =>
    idMap.has(lower(name)) ? c.get(lower(name)) : undefined;

  const tagsStmts = (kind: TaggedKind, id: string, w: TagList, c: TagList | undefined, fresh: boolean) => {
    if (fresh) return stmts.push(...insertTagsStmts(db, account, kind, id, tagRows(w)));
    if (!sameState(w, c)) stmts.push(clearTagsStmt(db, account, kind, id), ...insertTagsStmts(db, account, kind, id, tagRows(w)));
  };
  const policyStmts = (type: PolicyEntityType, id: string, w: { policies: string[]; inline: InlineList }, c: typeof w | undefined) => {
    if (c && sameState(w.policies, c.policies) && sameState(w.inline, c.inline)) return;
    if (c) stmts.push(...clearPoliciesStmts(db, account, type, id));
    for (const arn of w.policies) stmts.push(attachByIdStmt(db, account, type, id, arn));
    for (const [name, doc] of w.inline) stmts.push(putInlineByIdStmt(db, account, type, id, name, doc));
  };

  // ---- customer managed policies (before anything attaches them)
  for (const p of want.policies) {
    const c = stillThere(curPolicies, ids.policies, p.name);
    if (c && sameState(p, c)) continue;
    if (!c) {
      const policyId = newUniqueId("ANPA");
      const arn = policyArn(p.path, p.name);
      stmts.push(
        ...insertPolicyStmts(
          db,
          account,
          {
            policyId,
            policyName: p.name,
            path: p.path,
            arn,
            ...(p.description !== null ? { description: p.description } : {}),
            createDate: now,
            tags: tagRows(p.tags),
          },
          [...p.previousVersions, p.document],
        ),
      );
      ids.policies.set(lower(p.name), { policyId, arn, nextVersion: p.previousVersions.length + 2 });
      changes.created.push(`policy/${p.name}`);
      continue;
    }
    const id = ids.policies.get(lower(p.name))!;
    if (c.document !== p.document || !sameState(c.previousVersions, p.previousVersions) || c.description !== p.description)
      stmts.push(
        ...replacePolicyVersionsStmts(db, account, id.policyId, id.nextVersion, [...p.previousVersions, p.document], p.description, now),
      );
    tagsStmts("policy", id.policyId, p.tags, c.tags, false);
    changes.updated.push(`policy/${p.name}`);
  }

  // ---- groups
  const curGroups = index(cur.groups);
  for (const g of want.groups) {
    const c = stillThere(curGroups, ids.groups, g.name);
    if (c && sameState(g, c)) continue;
    let groupId = ids.groups.get(lower(g.name));
    if (!groupId) {
      groupId = newUniqueId("AGPA");
      stmts.push(
        insertGroupStmt(db, account, {
          groupId,
          groupName: g.name,
          path: g.path,
          arn: iamArn(account, "group", g.path, g.name),
          createDate: now,
        }),
      );
      ids.groups.set(lower(g.name), groupId);
      changes.created.push(`group/${g.name}`);
    } else {
      if (c!.path !== g.path) stmts.push(updateGroupPathStmt(db, account, groupId, g.path, iamArn(account, "group", g.path, g.name)));
      changes.updated.push(`group/${g.name}`);
    }
    policyStmts("group", groupId, g, c);
  }

  // ---- users
  const curUsers = index(cur.users);
  const passwordPolicy: PasswordPolicy | null = want.account.passwordPolicy;
  for (const u of want.users) {
    const c = stillThere(curUsers, ids.users, u.name);
    // A reset gives the user back the password the lab printed, if the learner changed it.
    const known = ids.users.get(lower(u.name));
    if (owned === null && u.password && c?.password && known)
      stmts.push(restoreLabPasswordStmt(db, account, known.userId, u.password.resetRequired, now));
    if (c && sameState(u, c)) continue;
    const arn = iamArn(account, "user", u.path, u.name);
    let entry = ids.users.get(lower(u.name));
    const fresh = !entry;
    if (!entry) {
      entry = { userId: newUniqueId("AIDA"), userName: u.name, keys: [], mfaSerials: [] };
      ids.users.set(lower(u.name), entry);
      stmts.push(
        ...insertUserStmts(db, account, {
          userId: entry.userId,
          userName: u.name,
          path: u.path,
          arn,
          createDate: now,
          permissionsBoundary: u.boundary,
          tags: [],
        }),
      );
      changes.created.push(`user/${u.name}`);
    } else {
      if (c!.path !== u.path || c!.boundary !== u.boundary)
        stmts.push(updateUserStmt(db, account, entry.userId, { path: u.path, arn, permissionsBoundary: u.boundary }));
      changes.updated.push(`user/${u.name}`);
    }
    const userId = entry.userId;
    const user = { userId, userName: entry.userName };
    const s: UserSecrets = {};
    tagsStmts("user", userId, u.tags, c?.tags, fresh);
    // console password
    if (u.password && !c?.password) {
      const resetRequired = u.password.resetRequired;
      pending.push(async () => {
        s.password = generatePassword(passwordPolicy);
        const hash = await hashPassword(s.password);
        stmts.push(
          ...insertLoginProfileStmts(db, account, userId, hash, now, resetRequired),
          rememberLabPasswordStmt(db, account, userId, hash),
        );
      });
    } else if (!u.password && c?.password) stmts.push(deleteLoginProfileStmt(db, account, userId));
    else if (u.password && c?.password && u.password.resetRequired !== c.password.resetRequired)
      stmts.push(setPasswordResetRequiredStmt(db, account, userId, u.password.resetRequired));
    // access keys: new ones generated; extra ones (the newest) removed
    const have = entry.keys.length;
    // Keys made in one batch share a create date and are read back ordered by id: sort the new
    // ones by id so the template's i-th status lands on the key read back i-th (labsorg, issue 21).
    const made = Array.from({ length: Math.max(0, u.accessKeys - have) }, () => ({
      accessKeyId: newAccessKeyId(account, false),
      secret: newSecretAccessKey(),
      createDate: now,
    })).sort((a, b) => (a.accessKeyId < b.accessKeyId ? -1 : 1));
    for (const [j, key] of made.entries()) {
      stmts.push(insertUserKeyStmt(db, account, user, { ...key, status: u.keyStatuses[have + j] ?? "Active" }));
      (s.accessKeys ??= []).push({ accessKeyId: key.accessKeyId, secretAccessKey: key.secret });
    }
    for (let i = 0; i < Math.min(have, u.accessKeys); i++)
      if ((c?.keyStatuses[i] ?? "Active") !== u.keyStatuses[i])
        stmts.push(setKeyStatusStmt(db, account, entry.keys[i]!, u.keyStatuses[i] ?? "Active"));
    for (const keyId of entry.keys.slice(u.accessKeys)) stmts.push(deleteKeyStmt(db, account, keyId));
    // MFA: virtual devices named after the user (alice, alice-2, …), enabled
    const devices = entry.mfaSerials;
    if (u.mfa > devices.length) {
      const taken = new Set(devices);
      for (let n = 1; taken.size < u.mfa; n++) {
        const deviceName = n === 1 ? u.name : `${u.name}-${n}`;
        const serialNumber = iamArn(account, "mfa", "/", deviceName);
        if (taken.has(serialNumber)) continue;
        taken.add(serialNumber);
        const seed = newTotpSeed();
        stmts.push(insertEnabledDeviceStmt(db, account, { serialNumber, deviceName, seed, userId, createDate: now }));
        s.mfa ??= { serialNumber, seed };
        (s.mfaDevices ??= []).push({ serialNumber, seed });
      }
      if (s.mfaDevices?.length === 1) delete s.mfaDevices;
    } else if (u.mfa === 0 && devices.length) stmts.push(deleteUserDevicesStmt(db, account, userId));
    else for (const serial of devices.slice(u.mfa)) stmts.push(deleteDeviceStmt(db, account, serial));
    // groups
    if (!c || !sameState(u.groups, c.groups)) {
      if (c) stmts.push(clearMembershipsStmt(db, account, userId));
      for (const g of u.groups) stmts.push(addMemberStmt(db, account, ids.groups.get(g)!, userId));
    }
    policyStmts("user", userId, u, c);
    secrets[u.name] = s;
  }
  void wantUsers;

  // ---- roles
  const curRoles = index(cur.roles);
  for (const r of want.roles) {
    const c = stillThere(curRoles, ids.roles, r.name);
    if (c && sameState(r, c)) continue;
    let roleId = ids.roles.get(lower(r.name));
    const row = {
      accountId: account,
      roleName: r.name,
      path: r.path,
      arn: iamArn(account, "role", r.path, r.name),
      assumeRolePolicyDocument: r.trustPolicy,
      description: r.description,
      maxSessionDuration: r.maxSessionDuration,
      permissionsBoundary: r.boundary,
    };
    if (!roleId) {
      roleId = newUniqueId("AROA");
      ids.roles.set(lower(r.name), roleId);
      stmts.push(...insertRoleStmts(db, { ...row, roleId, createDate: now, lastUsedDate: null, lastUsedRegion: null }, tagRows(r.tags)));
      changes.created.push(`role/${r.name}`);
    } else {
      const fields = (x: typeof r) => [x.path, x.trustPolicy, x.description, x.maxSessionDuration, x.boundary];
      if (!sameState(fields(r), fields(c!))) stmts.push(updateRoleStmt(db, { ...row, roleId }));
      tagsStmts("role", roleId, r.tags, c!.tags, false);
      changes.updated.push(`role/${r.name}`);
    }
    policyStmts("role", roleId, r, c);
  }

  // ---- instance profiles
  const curProfiles = index(cur.instanceProfiles);
  for (const p of want.instanceProfiles) {
    const c = stillThere(curProfiles, ids.profiles, p.name);
    if (c && sameState(p, c)) continue;
    const arn = iamArn(account, "instance-profile", p.path, p.name);
    const roleId = p.role ? (ids.roles.get(p.role) ?? null) : null;
    let id = ids.profiles.get(lower(p.name));
    if (!id) {
      id = newUniqueId("AIPA");
      stmts.push(
        ...insertInstanceProfileStmts(
          db,
          { instanceProfileId: id, accountId: account, instanceProfileName: p.name, path: p.path, arn, createDate: now, roleId },
          tagRows(p.tags),
        ),
      );
      changes.created.push(`instanceProfile/${p.name}`);
    } else {
      stmts.push(updateInstanceProfileStmt(db, account, id, { path: p.path, arn, roleId }));
      tagsStmts("instance-profile", id, p.tags, c!.tags, false);
      changes.updated.push(`instanceProfile/${p.name}`);
    }
  }

  // ---- account settings in IAM's tables
  const a = want.account;
  const ca = cur.account;
  if (a.alias !== ca.alias && (a.alias !== null || owned === null || owned.alias)) {
    stmts.push(...(a.alias === null ? clearAliasStmts(db, account) : setAliasStmts(db, account, a.alias)));
    changes.updated.push("account/alias");
  }
  if (!sameState(a.passwordPolicy, ca.passwordPolicy) && (a.passwordPolicy !== null || owned === null || owned.passwordPolicy)) {
    stmts.push(a.passwordPolicy === null ? deletePasswordPolicyStmt(db, account) : putPasswordPolicyStmt(db, account, a.passwordPolicy));
    changes.updated.push("account/passwordPolicy");
  }

  return {
    stmts,
    changes,
    /** Generates the passwords (hashing each) and returns every secret created, by user name. */
    async secrets(): Promise<Record<string, UserSecrets>> {
      await Promise.all(pending.map((p) => p()));
      return Object.fromEntries(Object.entries(secrets).filter(([, s]) => Object.keys(s).length));
    },
  };
}
