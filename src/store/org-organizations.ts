/**
 * Organizations (migrations/0017_organizations.sql): the organization, its members, OUs, policies
 * and attachments. Org actions have effect `none` (no read cache, no consistency slot: an org change
 * is in force at once); every write that changes an account's SCP chain or org membership bumps the
 * generation of the accounts concerned in the same batch, so the authorizer's org-chain cache, keyed
 * by (account, generation), stays correct (src/authz/org-chain.ts).
 */
import { sql, type SQL } from "drizzle-orm";
import { all, first, statement, type Db } from "./db";

export interface OrgRow {
  orgId: string;
  /** the management account */
  accountId: string;
  rootId: string;
  createDate: string;
  scpEnabled: number;
  rcpEnabled: number;
}

export interface MemberRow {
  accountId: string;
  orgId: string;
  parentId: string;
  name: string;
  email: string;
  joinedMethod: string;
  joinedDate: string;
  createRequestId: string | null;
  createRequestDate: string | null;
}

export interface OuRow {
  ouId: string;
  orgId: string;
  parentId: string;
  name: string;
}

export interface OrgPolicyRow {
  policyId: string;
  orgId: string;
  name: string;
  description: string;
  type: string;
  content: string;
}

const ORG = sql`o.org_id AS orgId, o.account_id AS accountId, o.root_id AS rootId, o.create_date AS createDate, o.scp_enabled AS scpEnabled, o.rcp_enabled AS rcpEnabled`;
const MEMBER = sql`m.account_id AS accountId, m.org_id AS orgId, m.parent_id AS parentId, m.name, m.email, m.joined_method AS joinedMethod,
  m.joined_date AS joinedDate, m.create_request_id AS createRequestId, m.create_request_date AS createRequestDate`;
const OU = sql`u.ou_id AS ouId, u.org_id AS orgId, u.parent_id AS parentId, u.name`;
const POLICY = sql`p.policy_id AS policyId, p.org_id AS orgId, p.name, p.description, p.type, p.content`;

/** The organization `account` belongs to (as management account or member). */
export function orgOfAccount(db: Db, account: string): Promise<OrgRow | undefined> {
  return first<OrgRow>(
    db,
    sql`SELECT ${ORG} FROM org_accounts m JOIN org_organizations o ON o.org_id = m.org_id WHERE m.account_id = ${account}`,
  );
}

/** Bumps the generation of every account of the organization (their SCP chains or org keys changed). */
export function bumpOrg(db: Db, orgId: string): D1PreparedStatement {
  return statement(
    db,
    sql`UPDATE accounts SET generation = generation + 1 WHERE id IN (SELECT account_id FROM org_accounts WHERE org_id = ${orgId})`,
  );
}

function bumpAccount(db: Db, account: string): D1PreparedStatement {
  return statement(db, sql`UPDATE accounts SET generation = generation + 1 WHERE id = ${account}`);
}

/** The organization with its management account as first member; false when the account is already in one. */
export async function insertOrganization(db: Db, org: OrgRow, mgmt: { name: string; email: string }): Promise<boolean> {
  const res = await db.$client.batch([
    statement(
      db,
      sql`INSERT INTO org_organizations (org_id, account_id, root_id, create_date, scp_enabled)
        SELECT ${org.orgId}, ${org.accountId}, ${org.rootId}, ${org.createDate}, 0
        WHERE NOT EXISTS (SELECT 1 FROM org_accounts WHERE account_id = ${org.accountId})`,
    ),
    statement(
      db,
      sql`INSERT INTO org_accounts (account_id, org_id, parent_id, name, email, joined_method, joined_date)
        SELECT ${org.accountId}, ${org.orgId}, ${org.rootId}, ${mgmt.name}, ${mgmt.email}, 'INVITED', ${org.createDate} WHERE changes() = 1`,
    ),
    bumpAccount(db, org.accountId),
  ]);
  return (res[0]?.meta.changes ?? 0) === 1;
}

/** Deletes the organization when the management account is its only member; false otherwise. */
export async function deleteOrganization(db: Db, org: OrgRow): Promise<boolean> {
  const only = sql`(SELECT count(*) FROM org_accounts WHERE org_id = ${org.orgId}) = 1`;
  const res = await db.$client.batch([
    bumpAccount(db, org.accountId),
    statement(db, sql`DELETE FROM org_organizations WHERE org_id = ${org.orgId} AND ${only}`),
    ...["org_units", "org_policies", "org_attachments", "org_tags", "org_handshakes", "org_accounts"].map((t) =>
      statement(
        db,
        sql`DELETE FROM ${sql.identifier(t)} WHERE org_id = ${org.orgId} AND NOT EXISTS (SELECT 1 FROM org_organizations WHERE org_id = ${org.orgId})`,
      ),
    ),
  ]);
  return (res[1]?.meta.changes ?? 0) === 1;
}

export function listMembers(db: Db, orgId: string, parentId?: string): Promise<MemberRow[]> {
  const parent = parentId === undefined ? sql`` : sql` AND m.parent_id = ${parentId}`;
  return all<MemberRow>(
    db,
    sql`SELECT ${MEMBER} FROM org_accounts m WHERE m.org_id = ${orgId}${parent} ORDER BY m.joined_date, m.account_id`,
  );
}

export function getMember(db: Db, orgId: string, account: string): Promise<MemberRow | undefined> {
  return first<MemberRow>(db, sql`SELECT ${MEMBER} FROM org_accounts m WHERE m.org_id = ${orgId} AND m.account_id = ${account}`);
}

export function memberByRequest(db: Db, orgId: string, requestId: string): Promise<MemberRow | undefined> {
  return first<MemberRow>(db, sql`SELECT ${MEMBER} FROM org_accounts m WHERE m.org_id = ${orgId} AND m.create_request_id = ${requestId}`);
}

export const SCP_TYPE = "SERVICE_CONTROL_POLICY";
export const RCP_TYPE = "RESOURCE_CONTROL_POLICY";
export const FULL_AWS_ACCESS_ID = "p-FullAWSAccess";
export const RCP_FULL_AWS_ACCESS_ID = "p-RCPFullAWSAccess";
/** The AWS-managed policy attached everywhere while a type is enabled. */
export const DEFAULT_POLICY: Record<string, string> = { [SCP_TYPE]: FULL_AWS_ACCESS_ID, [RCP_TYPE]: RCP_FULL_AWS_ACCESS_ID };

/**
 * A new OU or account gets the AWS-managed default of every enabled type (read from the row, not the
 * caller's copy), when `when` holds.
 */
export const attachDefaultsStatement = (db: Db, org: OrgRow, target: string, when: SQL = sql`1`): D1PreparedStatement =>
  statement(
    db,
    sql`INSERT OR IGNORE INTO org_attachments (account_id, org_id, target_id, policy_id, policy_type)
      SELECT ${org.accountId}, o.org_id, ${target}, ${FULL_AWS_ACCESS_ID}, ${SCP_TYPE} FROM org_organizations o WHERE o.org_id = ${org.orgId} AND o.scp_enabled = 1 AND ${when}
      UNION ALL
      SELECT ${org.accountId}, o.org_id, ${target}, ${RCP_FULL_AWS_ACCESS_ID}, ${RCP_TYPE} FROM org_organizations o WHERE o.org_id = ${org.orgId} AND o.rcp_enabled = 1 AND ${when}`,
  );
const attachFullAccess = (db: Db, org: OrgRow, target: string) => attachDefaultsStatement(db, org, target);

/**
 * A member account created by CreateAccount, with OrganizationAccountAccessRole (trusting the
 * management account, AdministratorAccess attached) and, when SCPs are enabled, FullAWSAccess.
 */
export async function insertCreatedMember(
  db: Db,
  org: OrgRow,
  m: MemberRow,
  role: { roleId: string; roleName: string; arn: string; trust: string; policyArn: string },
): Promise<void> {
  const a = m.accountId;
  await db.$client.batch([
    statement(
      db,
      sql`INSERT INTO org_accounts (account_id, org_id, parent_id, name, email, joined_method, joined_date, create_request_id, create_request_date)
        VALUES (${a}, ${org.orgId}, ${m.parentId}, ${m.name}, ${m.email}, 'CREATED', ${m.joinedDate}, ${m.createRequestId}, ${m.createRequestDate})`,
    ),
    statement(
      db,
      sql`INSERT INTO roles (role_id, account_id, role_name, name_lower, path, arn, create_date, assume_role_policy_document, max_session_duration)
        VALUES (${role.roleId}, ${a}, ${role.roleName}, ${role.roleName.toLowerCase()}, '/', ${role.arn}, ${m.joinedDate}, ${role.trust}, 3600)`,
    ),
    statement(
      db,
      sql`INSERT INTO policy_attachments (account_id, entity_type, entity_id, policy_arn) VALUES (${a}, 'role', ${role.roleId}, ${role.policyArn})`,
    ),
    attachFullAccess(db, org, a),
    bumpAccount(db, a),
  ]);
}

/** Moves the account from `source` to `destination`; false when it was not under `source`. */
export async function moveMember(db: Db, org: OrgRow, account: string, source: string, destination: string): Promise<boolean> {
  const res = await db.$client.batch([
    statement(
      db,
      sql`UPDATE org_accounts SET parent_id = ${destination} WHERE org_id = ${org.orgId} AND account_id = ${account} AND parent_id = ${source}`,
    ),
    statement(db, sql`UPDATE accounts SET generation = generation + 1 WHERE id = ${account} AND changes() = 1`),
  ]);
  return (res[0]?.meta.changes ?? 0) === 1;
}

/** Takes a member out of the organization (its SCP attachments go too); false when it was not a member. */
export async function removeMember(db: Db, org: OrgRow, account: string): Promise<boolean> {
  const res = await db.$client.batch([
    statement(db, sql`DELETE FROM org_accounts WHERE org_id = ${org.orgId} AND account_id = ${account} AND account_id <> ${org.accountId}`),
    statement(db, sql`DELETE FROM org_attachments WHERE org_id = ${org.orgId} AND target_id = ${account} AND changes() = 1`),
    statement(
      db,
      sql`DELETE FROM org_tags WHERE org_id = ${org.orgId} AND resource_id = ${account}
        AND NOT EXISTS (SELECT 1 FROM org_accounts WHERE org_id = ${org.orgId} AND account_id = ${account})`,
    ),
    bumpAccount(db, account),
  ]);
  return (res[0]?.meta.changes ?? 0) === 1;
}

export function getOu(db: Db, orgId: string, ouId: string): Promise<OuRow | undefined> {
  return first<OuRow>(db, sql`SELECT ${OU} FROM org_units u WHERE u.org_id = ${orgId} AND u.ou_id = ${ouId}`);
}

export function listOus(db: Db, orgId: string, parentId: string): Promise<OuRow[]> {
  return all<OuRow>(db, sql`SELECT ${OU} FROM org_units u WHERE u.org_id = ${orgId} AND u.parent_id = ${parentId} ORDER BY u.name`);
}

/** Depth of an OU (1 under the root) by walking up its parents. */
export async function ouDepth(db: Db, orgId: string, ouId: string): Promise<number> {
  const row = await first<{ d: number }>(
    db,
    sql`WITH RECURSIVE up(id, d) AS (SELECT ${ouId}, 1 UNION ALL SELECT u.parent_id, up.d + 1 FROM up JOIN org_units u ON u.ou_id = up.id AND u.org_id = ${orgId})
      SELECT max(d) - 1 AS d FROM up`,
  );
  return row?.d ?? 0;
}

/** false when the name is taken under that parent. */
export async function insertOu(db: Db, org: OrgRow, ou: OuRow): Promise<boolean> {
  try {
    await db.$client.batch([
      statement(
        db,
        sql`INSERT INTO org_units (ou_id, account_id, org_id, parent_id, name) VALUES (${ou.ouId}, ${org.accountId}, ${org.orgId}, ${ou.parentId}, ${ou.name})`,
      ),
      attachFullAccess(db, org, ou.ouId),
    ]);
    return true;
  } catch (e) {
    if (String(e).includes("UNIQUE")) return false;
    throw e;
  }
}

/** Renames an OU; false when the name is taken under its parent. */
export async function renameOu(db: Db, orgId: string, ouId: string, name: string): Promise<boolean> {
  try {
    await statement(db, sql`UPDATE org_units SET name = ${name} WHERE org_id = ${orgId} AND ou_id = ${ouId}`).run();
    return true;
  } catch (e) {
    if (String(e).includes("UNIQUE")) return false;
    throw e;
  }
}

/** Deletes an OU with no child OU and no account; false when it is not empty. */
export async function deleteOu(db: Db, org: OrgRow, ouId: string): Promise<boolean> {
  const res = await db.$client.batch([
    statement(
      db,
      sql`DELETE FROM org_units WHERE org_id = ${org.orgId} AND ou_id = ${ouId}
        AND NOT EXISTS (SELECT 1 FROM org_units WHERE org_id = ${org.orgId} AND parent_id = ${ouId})
        AND NOT EXISTS (SELECT 1 FROM org_accounts WHERE org_id = ${org.orgId} AND parent_id = ${ouId})`,
    ),
    statement(db, sql`DELETE FROM org_attachments WHERE org_id = ${org.orgId} AND target_id = ${ouId} AND changes() = 1`),
    statement(
      db,
      sql`DELETE FROM org_tags WHERE org_id = ${org.orgId} AND resource_id = ${ouId}
        AND NOT EXISTS (SELECT 1 FROM org_units WHERE org_id = ${org.orgId} AND ou_id = ${ouId})`,
    ),
  ]);
  return (res[0]?.meta.changes ?? 0) === 1;
}

const enabledColumn = (type: string) => sql.identifier(type === RCP_TYPE ? "rcp_enabled" : "scp_enabled");

/**
 * Turns a policy type on: its AWS-managed default (FullAWSAccess, RCPFullAWSAccess) attached to the
 * root, every OU and every account; every member's chain changes. false when it was already on.
 */
export async function enablePolicyType(db: Db, org: OrgRow, type: string): Promise<boolean> {
  const res = await db.$client.batch([
    statement(db, sql`UPDATE org_organizations SET ${enabledColumn(type)} = 1 WHERE org_id = ${org.orgId} AND ${enabledColumn(type)} = 0`),
    statement(
      db,
      sql`INSERT OR IGNORE INTO org_attachments (account_id, org_id, target_id, policy_id, policy_type)
        SELECT ${org.accountId}, ${org.orgId}, t, ${DEFAULT_POLICY[type]!}, ${type} FROM (
          SELECT ${org.rootId} AS t UNION ALL SELECT ou_id FROM org_units WHERE org_id = ${org.orgId}
          UNION ALL SELECT account_id FROM org_accounts WHERE org_id = ${org.orgId}) WHERE changes() = 1`,
    ),
    bumpOrg(db, org.orgId),
  ]);
  return (res[0]?.meta.changes ?? 0) === 1;
}

/** Turns a policy type off: every policy of that type is detached everywhere (the policies stay). false when it was off. */
export async function disablePolicyType(db: Db, org: OrgRow, type: string): Promise<boolean> {
  const res = await db.$client.batch([
    statement(db, sql`UPDATE org_organizations SET ${enabledColumn(type)} = 0 WHERE org_id = ${org.orgId} AND ${enabledColumn(type)} = 1`),
    statement(db, sql`DELETE FROM org_attachments WHERE org_id = ${org.orgId} AND policy_type = ${type}`),
    bumpOrg(db, org.orgId),
  ]);
  return (res[0]?.meta.changes ?? 0) === 1;
}

export function getPolicy(db: Db, orgId: string, policyId: string): Promise<OrgPolicyRow | undefined> {
  return first<OrgPolicyRow>(db, sql`SELECT ${POLICY} FROM org_policies p WHERE p.org_id = ${orgId} AND p.policy_id = ${policyId}`);
}

/** Changes a customer policy's name, description or content; false when the new name is taken. A content change bumps every member's generation. */
export async function updatePolicy(db: Db, org: OrgRow, p: OrgPolicyRow, contentChanged: boolean): Promise<boolean> {
  try {
    await db.$client.batch([
      statement(
        db,
        sql`UPDATE org_policies SET name = ${p.name}, description = ${p.description}, content = ${p.content}
          WHERE org_id = ${org.orgId} AND policy_id = ${p.policyId}`,
      ),
      ...(contentChanged ? [bumpOrg(db, org.orgId)] : []),
    ]);
    return true;
  } catch (e) {
    if (String(e).includes("UNIQUE")) return false;
    throw e;
  }
}

/** The roots, OUs and accounts a policy is attached to. */
export async function targetsOfPolicy(db: Db, orgId: string, policyId: string): Promise<string[]> {
  const rows = await all<{ id: string }>(
    db,
    sql`SELECT target_id AS id FROM org_attachments WHERE org_id = ${orgId} AND policy_id = ${policyId} ORDER BY target_id`,
  );
  return rows.map((r) => r.id);
}

export function listPolicies(db: Db, orgId: string, type: string): Promise<OrgPolicyRow[]> {
  return all<OrgPolicyRow>(db, sql`SELECT ${POLICY} FROM org_policies p WHERE p.org_id = ${orgId} AND p.type = ${type} ORDER BY p.name`);
}

/** false when the name is taken. */
export async function insertPolicy(db: Db, org: OrgRow, p: OrgPolicyRow): Promise<boolean> {
  try {
    await statement(
      db,
      sql`INSERT INTO org_policies (policy_id, account_id, org_id, name, description, type, content)
        VALUES (${p.policyId}, ${org.accountId}, ${org.orgId}, ${p.name}, ${p.description}, ${p.type}, ${p.content})`,
    ).run();
    return true;
  } catch (e) {
    if (String(e).includes("UNIQUE")) return false;
    throw e;
  }
}

/** Deletes a policy attached nowhere; false when it is attached. */
export async function deletePolicy(db: Db, orgId: string, policyId: string): Promise<boolean> {
  const res = await statement(
    db,
    sql`DELETE FROM org_policies WHERE org_id = ${orgId} AND policy_id = ${policyId}
      AND NOT EXISTS (SELECT 1 FROM org_attachments WHERE org_id = ${orgId} AND policy_id = ${policyId})`,
  ).run();
  if (res.meta.changes === 1) await statement(db, sql`DELETE FROM org_tags WHERE org_id = ${orgId} AND resource_id = ${policyId}`).run();
  return res.meta.changes === 1;
}

/** Policy ids of one type attached to a target. */
export async function attachedTo(db: Db, orgId: string, targetId: string, type: string): Promise<string[]> {
  const rows = await all<{ id: string }>(
    db,
    sql`SELECT policy_id AS id FROM org_attachments WHERE org_id = ${orgId} AND target_id = ${targetId} AND policy_type = ${type} ORDER BY policy_id`,
  );
  return rows.map((r) => r.id);
}

/** The accounts whose chain passes through `target` (the target itself, an OU's subtree, or the whole root). */
const accountsUnder = (org: OrgRow, target: string): SQL =>
  sql`WITH RECURSIVE sub(id) AS (SELECT ${target} UNION ALL SELECT u.ou_id FROM org_units u JOIN sub ON u.parent_id = sub.id AND u.org_id = ${org.orgId})
    SELECT account_id FROM org_accounts WHERE org_id = ${org.orgId} AND (account_id = ${target} OR parent_id IN (SELECT id FROM sub))`;

/** Attaches unless the target already holds `max` policies of the type (the caller checked for duplicates); false at the limit. */
export async function attachPolicy(db: Db, org: OrgRow, policyId: string, type: string, target: string, max: number): Promise<boolean> {
  const res = await db.$client.batch([
    statement(
      db,
      sql`INSERT INTO org_attachments (account_id, org_id, target_id, policy_id, policy_type)
        SELECT ${org.accountId}, ${org.orgId}, ${target}, ${policyId}, ${type}
        WHERE (SELECT count(*) FROM org_attachments WHERE org_id = ${org.orgId} AND target_id = ${target} AND policy_type = ${type}) < ${max}`,
    ),
    statement(db, sql`UPDATE accounts SET generation = generation + 1 WHERE id IN (${accountsUnder(org, target)}) AND changes() = 1`),
  ]);
  return (res[0]?.meta.changes ?? 0) === 1;
}

/** Detaches unless it is the target's last policy of its type; false then. */
export async function detachPolicy(db: Db, org: OrgRow, policyId: string, type: string, target: string): Promise<boolean> {
  const res = await db.$client.batch([
    statement(
      db,
      sql`DELETE FROM org_attachments WHERE org_id = ${org.orgId} AND target_id = ${target} AND policy_id = ${policyId}
        AND (SELECT count(*) FROM org_attachments WHERE org_id = ${org.orgId} AND target_id = ${target} AND policy_type = ${type}) > 1`,
    ),
    statement(db, sql`UPDATE accounts SET generation = generation + 1 WHERE id IN (${accountsUnder(org, target)}) AND changes() = 1`),
  ]);
  return (res[0]?.meta.changes ?? 0) === 1;
}

/** One row per SCP on the account's chain: depth 0 = the account, then its OUs up to the root. */
export interface ChainRow {
  orgId: string;
  mgmt: string;
  rootId: string;
  scpEnabled: number;
  rcpEnabled: number;
  targetId: string;
  depth: number;
  policyId: string | null;
  /** SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY (null with policyId) */
  policyType: string | null;
  content: string | null;
}

/** The account's organization and SCP chain, in one query (the authorizer's cold path). */
export function loadOrgChain(db: Db, account: string): Promise<ChainRow[]> {
  return all<ChainRow>(
    db,
    sql`WITH RECURSIVE
      mem AS (SELECT m.account_id, m.org_id, m.parent_id, o.account_id AS mgmt, o.root_id, o.scp_enabled, o.rcp_enabled
                FROM org_accounts m JOIN org_organizations o ON o.org_id = m.org_id WHERE m.account_id = ${account}),
      up(target_id, depth) AS (SELECT parent_id, 1 FROM mem
        UNION ALL SELECT u.parent_id, up.depth + 1 FROM up JOIN org_units u ON u.ou_id = up.target_id),
      chain(target_id, depth) AS (SELECT account_id, 0 FROM mem UNION ALL SELECT target_id, depth FROM up)
    SELECT mem.org_id AS orgId, mem.mgmt, mem.root_id AS rootId, mem.scp_enabled AS scpEnabled, mem.rcp_enabled AS rcpEnabled,
           c.target_id AS targetId, c.depth, a.policy_id AS policyId, a.policy_type AS policyType, p.content
      FROM mem JOIN chain c
      LEFT JOIN org_attachments a ON a.org_id = mem.org_id AND a.target_id = c.target_id
      LEFT JOIN org_policies p ON p.org_id = mem.org_id AND p.policy_id = a.policy_id
     ORDER BY c.depth DESC, a.policy_id`,
  );
}

/** Members of the organization (and `extra` accounts) whose data plane lags (eventual consistency on), sorted. */
export async function laggingMembers(db: Db, orgId: string, extra: string[] = []): Promise<string[]> {
  const others = extra.length
    ? sql` OR id IN (${sql.join(
        extra.map((a) => sql`${a}`),
        sql`, `,
      )})`
    : sql``;
  const rows = await all<{ id: string }>(
    db,
    sql`SELECT id FROM accounts WHERE consistency_mode <> 'off'
      AND (id IN (SELECT account_id FROM org_accounts WHERE org_id = ${orgId})${others}) ORDER BY id`,
  );
  return rows.map((r) => r.id);
}
