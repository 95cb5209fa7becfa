/**
 * The data plane's view of an account at one generation: everything authentication and
 * authorization read (access keys, each principal's policy rows, roles for AssumeRole, and the
 * resource policies of the account's resources — S3 bucket policies, SQS queue policies, KMS key
 * policies, ECR repository policies, SNS topic policies).
 * With eventual consistency on, the Durable Object keeps the snapshot of each generation that
 * may still be the visible one, so a request sees exactly one whole generation, never half a change.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../store/db";
import type { KeyLookup } from "../store/credentials";
import { loadAccountPolicies, type PolicyRow } from "../store/authz";
import type { RoleRow } from "../store/iam-roles";
import { sha256Hex } from "../lib/crypto";
import { bucketPoliciesOf } from "../store/s3-buckets";
import { queuePoliciesOf } from "../store/sqs-queues";
import { keyPoliciesOf } from "../store/kms-keys";
import { repositoryPoliciesOf } from "../store/ecr-repositories";
import { topicPoliciesOf } from "../store/sns";
import { s3BucketArn } from "../lib/arn";
import { loadOrgChain, type ChainRow } from "../store/org-organizations";

/** A role as AssumeRole reads it (from D1 or from a snapshot). */
export type RoleView = Pick<
  RoleRow,
  "roleId" | "roleName" | "path" | "arn" | "assumeRolePolicyDocument" | "maxSessionDuration" | "permissionsBoundary"
>;

export interface AccountSnapshot {
  accountId: string;
  generation: number;
  keys: Record<string, KeyLookup>;
  /** "user/<id>" | "role/<id>" → policy rows as loadPrincipalPolicies returns them */
  principals: Record<string, PolicyRow[]>;
  /** lower-cased role name → role */
  roles: Record<string, RoleView>;
  /**
   * Resource policies of the account's resources by resource ARN (a bucket without a policy is not
   * listed). Absent in snapshots taken before bucket policies followed the mode: unknown, not none.
   */
  resourcePolicies?: Record<string, string>;
  /**
   * The account's organization chain rows (loadOrgChain): SCPs/RCPs and org keys as of this generation,
   * so an org change reaches a lagging account's data plane after its delay. Absent in older snapshots.
   */
  org?: ChainRow[];
}

export async function captureSnapshot(db: Db, accountId: string): Promise<AccountSnapshot> {
  const [gen] = await db.all<{ generation: number }>(sql`SELECT generation FROM accounts WHERE id = ${accountId}`);
  const keys = await db.all<{
    access_key_id: string;
    secret: string;
    status: string;
    user_id: string | null;
    user_name: string | null;
    arn: string | null;
  }>(sql`SELECT k.access_key_id, k.secret, k.status, k.user_id, u.user_name, u.arn
    FROM access_keys k LEFT JOIN users u ON u.user_id = k.user_id WHERE k.account_id = ${accountId}`);
  const users = await db.all<{ user_id: string }>(sql`SELECT user_id FROM users WHERE account_id = ${accountId}`);
  const roles = await db.all<{
    role_id: string;
    role_name: string;
    name_lower: string;
    path: string;
    arn: string;
    assume_role_policy_document: string;
    max_session_duration: number;
    permissions_boundary: string | null;
  }>(sql`SELECT role_id, role_name, name_lower, path, arn, assume_role_policy_document, max_session_duration, permissions_boundary
    FROM roles WHERE account_id = ${accountId}`);
  const generation = gen?.generation ?? 0;
  const snap: AccountSnapshot = { accountId, generation, keys: {}, principals: {}, roles: {}, resourcePolicies: {} };
  for (const k of keys) {
    snap.keys[k.access_key_id] = {
      accessKeyId: k.access_key_id,
      accountId,
      secret: k.secret,
      status: k.status,
      generation,
      userId: k.user_id,
      userName: k.user_name,
      userArn: k.arn,
    };
  }
  // Two queries for every principal of the account (they were one per user and per role).
  const [userPolicies, rolePolicies, bucketPolicies, org, ...byArn] = await Promise.all([
    loadAccountPolicies(db, accountId, "user"),
    loadAccountPolicies(db, accountId, "role"),
    bucketPoliciesOf(db, accountId),
    loadOrgChain(db, accountId),
    queuePoliciesOf(db, accountId),
    keyPoliciesOf(db, accountId),
    repositoryPoliciesOf(db, accountId),
    topicPoliciesOf(db, accountId),
  ]);
  snap.org = org;
  for (const [bucket, policy] of bucketPolicies) snap.resourcePolicies![s3BucketArn(bucket)] = policy;
  for (const policies of byArn) for (const [arn, policy] of policies) snap.resourcePolicies![arn] = policy;
  for (const u of users) snap.principals[`user/${u.user_id}`] = userPolicies.get(u.user_id) ?? [];
  for (const r of roles) snap.principals[`role/${r.role_id}`] = rolePolicies.get(r.role_id) ?? [];
  for (const r of roles) {
    snap.roles[r.name_lower] = {
      roleId: r.role_id,
      roleName: r.role_name,
      path: r.path,
      arn: r.arn,
      assumeRolePolicyDocument: r.assume_role_policy_document,
      maxSessionDuration: r.max_session_duration,
      permissionsBoundary: r.permissions_boundary,
    };
  }
  return snap;
}

/**
 * How a snapshot is stored in the Durable Object and sent to the Worker: each distinct policy
 * document once, by content hash. One copy per principal would not fit: a hundred users with
 * ReadOnlyAccess attached is ~100 copies of a 40 KB document, over the DO's per-value limit.
 */
export interface PackedRow {
  slot: PolicyRow["slot"];
  id: string;
  version: string /** tag value */;
  body?: string /** document hash */;
  doc?: string;
}
export interface PackedSnapshot extends Omit<AccountSnapshot, "principals" | "resourcePolicies" | "org"> {
  principals: Record<string, PackedRow[]>;
  /** resource ARN → document hash */
  resourcePolicies?: Record<string, string>;
  /** org chain rows, each policy's content as a document hash */
  org?: (Omit<ChainRow, "content"> & { content: null; doc?: string })[];
}
/** A packed snapshot with the documents it references, as the DO sends it. */
export interface WireSnapshot extends PackedSnapshot {
  docs: Record<string, string>;
}

export async function packSnapshot(snap: AccountSnapshot): Promise<{ packed: PackedSnapshot; docs: Map<string, string> }> {
  const hashOf = new Map<string, string>();
  const docs = new Map<string, string>();
  const principals: Record<string, PackedRow[]> = {};
  for (const [who, rows] of Object.entries(snap.principals)) {
    const out: PackedRow[] = [];
    for (const r of rows) {
      if (r.slot === "tag") {
        out.push({ slot: r.slot, id: r.id, version: r.version, body: r.body });
        continue;
      }
      let h = hashOf.get(r.body);
      if (!h) {
        h = await sha256Hex(r.body);
        hashOf.set(r.body, h);
        docs.set(h, r.body);
      }
      out.push({ slot: r.slot, id: r.id, version: r.version, doc: h });
    }
    principals[who] = out;
  }
  const { resourcePolicies, org, ...rest } = snap;
  const packed: PackedSnapshot = { ...rest, principals };
  if (org) {
    packed.org = [];
    for (const r of org) {
      if (r.content === null) {
        packed.org.push({ ...r, content: null });
        continue;
      }
      const h = await sha256Hex(r.content);
      docs.set(h, r.content);
      packed.org.push({ ...r, content: null, doc: h });
    }
  }
  if (resourcePolicies) {
    const refs: Record<string, string> = {};
    for (const [id, body] of Object.entries(resourcePolicies)) {
      const h = await sha256Hex(body);
      docs.set(h, body);
      refs[id] = h;
    }
    packed.resourcePolicies = refs;
  }
  return { packed, docs };
}

/** Back to rows; every row of one document shares one string. */
export function unpackSnapshot(w: WireSnapshot): AccountSnapshot {
  const principals: Record<string, PolicyRow[]> = {};
  for (const [who, rows] of Object.entries(w.principals)) {
    principals[who] = rows.map((r) => ({
      slot: r.slot,
      id: r.id,
      version: r.version,
      body: r.doc !== undefined ? (w.docs[r.doc] ?? "") : (r.body ?? ""),
    }));
  }
  const { docs: _docs, resourcePolicies: refs, org, ...rest } = w;
  const out: AccountSnapshot = { ...rest, principals };
  if (org) out.org = org.map(({ doc, ...r }) => ({ ...r, content: doc !== undefined ? (w.docs[doc] ?? null) : null }));
  if (refs) {
    out.resourcePolicies = {};
    for (const [id, h] of Object.entries(refs)) if (w.docs[h] !== undefined) out.resourcePolicies[id] = w.docs[h];
  }
  return out;
}

/** The document hashes a packed snapshot references. */
export function docRefs(p: PackedSnapshot): string[] {
  const refs = new Set<string>();
  for (const rows of Object.values(p.principals)) for (const r of rows) if (r.doc !== undefined) refs.add(r.doc);
  for (const h of Object.values(p.resourcePolicies ?? {})) refs.add(h);
  for (const r of p.org ?? []) if (r.doc !== undefined) refs.add(r.doc);
  return [...refs];
}
