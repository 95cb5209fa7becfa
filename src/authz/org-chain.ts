/**
 * The caller's place in an organization, for the authorizer: its org id and path (aws:PrincipalOrgID,
 * aws:PrincipalOrgPaths) and, for a member account with SCPs enabled, the SCPs of every level from the
 * root through its OUs to the account. Cached per (account, generation): every org write that changes
 * an account's chain or membership bumps that account's generation in the same batch
 * (src/store/org-organizations.ts), so the warm path costs no D1 round trip and a cold one costs one
 * query, run beside the principal's policy query.
 */
import type { PolicySource } from "../policy/index";
import type { CompiledPolicyCache } from "../policy/index";
import { BoundedMap } from "../lib/bounded";
import { loadOrgChain, FULL_AWS_ACCESS_ID, type ChainRow } from "../store/org-organizations";
import type { Db } from "../store/db";

export interface OrgChain {
  orgId: string;
  /** o-…/r-…/ou-…/ (aws:PrincipalOrgPaths: the account's parent path) */
  path: string;
  /** root → OUs → account; undefined for the management account or when SCPs are off */
  scps?: PolicySource[][];
}

const FULL_AWS_ACCESS_CONTENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
const NONE = { orgId: "" } as OrgChain;
const cache = new BoundedMap<string, OrgChain>(4096, 4 * 1024 * 1024, (c, k) => 2 * k.length + 256 + 64 * (c.scps?.flat().length ?? 0));

const scpArn = (row: ChainRow, id: string) =>
  id === FULL_AWS_ACCESS_ID
    ? "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    : `arn:aws:organizations::${row.mgmt}:policy/${row.orgId}/service_control_policy/${id}`;

/** Builds the chain from loadOrgChain's rows (ordered root first). Pure. */
export function buildChain(account: string, rows: ChainRow[], compiled: CompiledPolicyCache): OrgChain | undefined {
  const top = rows[0];
  if (!top) return undefined;
  const levels = new Map<number, { target: string; sources: PolicySource[] }>();
  for (const r of rows) {
    let lvl = levels.get(r.depth);
    if (!lvl) levels.set(r.depth, (lvl = { target: r.targetId, sources: [] }));
    if (!r.policyId) continue;
    const body = r.policyId === FULL_AWS_ACCESS_ID ? FULL_AWS_ACCESS_CONTENT : r.content;
    if (body === null) continue; // a policy deleted under us
    const id = scpArn(r, r.policyId);
    lvl.sources.push({ id, type: "scp", policy: compiled.get(`${id}#${body}`, body, "scp") });
  }
  const ordered = [...levels.entries()].sort((a, b) => b[0] - a[0]).map(([, l]) => l);
  // The path names the parents (root, then OUs), not the account itself.
  const path = `${top.orgId}/${ordered
    .slice(0, -1)
    .map((l) => `${l.target}/`)
    .join("")}`;
  const chain: OrgChain = { orgId: top.orgId, path };
  if (top.scpEnabled && top.mgmt !== account) chain.scps = ordered.map((l) => l.sources);
  return chain;
}

/** The account's chain at `generation` (undefined: not in an organization). */
export async function orgChain(db: Db, account: string, generation: number, compiled: CompiledPolicyCache): Promise<OrgChain | undefined> {
  if (!account) return undefined;
  const key = `${account}/${generation}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = buildChain(account, await loadOrgChain(db, account), compiled) ?? NONE;
    cache.set(key, hit);
  }
  return hit === NONE ? undefined : hit;
}
