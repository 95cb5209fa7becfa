/**
 * Invitations to join an organization (InviteAccountToOrganization's handshakes, migrations/0021).
 * Kept under the management account that sent them. Accepting one makes the account a member in the
 * same batch as the state change, so an account never joins twice nor half-joins.
 */
import { sql } from "drizzle-orm";
import { all, first, statement, type Db } from "./db";
import { attachDefaultsStatement, type OrgRow } from "./org-organizations";

export interface HandshakeRow {
  handshakeId: string;
  orgId: string;
  /** the management account that sent it */
  accountId: string;
  targetType: "ACCOUNT" | "EMAIL";
  target: string;
  state: string;
  requested: string;
  expiration: string;
  notes: string | null;
}

const HANDSHAKE = sql`h.handshake_id AS handshakeId, h.org_id AS orgId, h.account_id AS accountId, h.target_type AS targetType,
  h.target, h.state, h.requested, h.expiration, h.notes`;

/** false when an open invitation to the same target already exists. */
export async function insertHandshake(db: Db, h: HandshakeRow): Promise<boolean> {
  const res = await statement(
    db,
    sql`INSERT INTO org_handshakes (handshake_id, account_id, org_id, target_type, target, state, requested, expiration, notes)
      SELECT ${h.handshakeId}, ${h.accountId}, ${h.orgId}, ${h.targetType}, ${h.target}, ${h.state}, ${h.requested}, ${h.expiration}, ${h.notes}
      WHERE NOT EXISTS (SELECT 1 FROM org_handshakes WHERE org_id = ${h.orgId} AND target = ${h.target} AND state = 'OPEN' AND expiration > ${h.requested})`,
  ).run();
  return res.meta.changes === 1;
}

export function getHandshake(db: Db, id: string): Promise<HandshakeRow | undefined> {
  return first<HandshakeRow>(db, sql`SELECT ${HANDSHAKE} FROM org_handshakes h WHERE h.handshake_id = ${id}`);
}

export function handshakesOfOrg(db: Db, orgId: string): Promise<HandshakeRow[]> {
  return all<HandshakeRow>(
    db,
    sql`SELECT ${HANDSHAKE} FROM org_handshakes h WHERE h.org_id = ${orgId} ORDER BY h.requested, h.handshake_id`,
  );
}

/** Invitations addressed to an account: by its id or by one of its e-mail addresses. */
export function handshakesForTargets(db: Db, targets: string[]): Promise<HandshakeRow[]> {
  return all<HandshakeRow>(
    db,
    sql`SELECT ${HANDSHAKE} FROM org_handshakes h WHERE h.target IN (${sql.join(
      targets.map((t) => sql`${t}`),
      sql`, `,
    )}) ORDER BY h.requested, h.handshake_id`,
  );
}

/** OPEN → `state` (CANCELED, DECLINED); false when it was no longer open. */
export async function closeHandshake(db: Db, id: string, state: string): Promise<boolean> {
  const res = await statement(db, sql`UPDATE org_handshakes SET state = ${state} WHERE handshake_id = ${id} AND state = 'OPEN'`).run();
  return res.meta.changes === 1;
}

/**
 * Accepts an open invitation: the account joins under the root (JoinedMethod INVITED) with the
 * organization's default policies, unless it is in an organization already. Outcome:
 * `joined`, `inOrganization`, or `notOpen` (accepted, declined or canceled meanwhile).
 */
export async function acceptInvitation(
  db: Db,
  org: OrgRow,
  h: HandshakeRow,
  member: { accountId: string; name: string; email: string; joinedDate: string },
): Promise<"joined" | "inOrganization" | "notOpen"> {
  const a = member.accountId;
  const free = sql`NOT EXISTS (SELECT 1 FROM org_accounts WHERE account_id = ${a})`;
  const res = await db.$client.batch([
    statement(db, sql`UPDATE org_handshakes SET state = 'ACCEPTED' WHERE handshake_id = ${h.handshakeId} AND state = 'OPEN' AND ${free}`),
    statement(
      db,
      sql`INSERT INTO org_accounts (account_id, org_id, parent_id, name, email, joined_method, joined_date)
        SELECT ${a}, ${org.orgId}, ${org.rootId}, ${member.name}, ${member.email}, 'INVITED', ${member.joinedDate} WHERE changes() = 1`,
    ),
    attachDefaultsStatement(db, org, a, sql`EXISTS (SELECT 1 FROM org_accounts WHERE account_id = ${a} AND org_id = ${org.orgId})`),
    statement(db, sql`UPDATE accounts SET generation = generation + 1 WHERE id = ${a}`),
  ]);
  if ((res[1]?.meta.changes ?? 0) === 1) return "joined";
  const now = await first<{ state: string }>(db, sql`SELECT state FROM org_handshakes WHERE handshake_id = ${h.handshakeId}`);
  return now?.state === "OPEN" ? "inOrganization" : "notOpen";
}
