/**
 * An account's place in an organization, for the authorizer: its org id and path (aws:PrincipalOrgID /
 * aws:PrincipalOrgPaths for its principals, aws:ResourceOrgID / aws:ResourceOrgPaths for its
 * resources) and, for a member account, the SCPs (when enabled) and RCPs (when enabled) of every level
 * from the root through its OUs to the account. Cached per (account, generation): every org write that
 * changes an account's chain or membership bumps that account's generation in the same batch
 * (src/store/org-organizations.ts), so the warm path costs no D1 round trip and a cold one costs one
 * query, run beside the principal's policy query.
 */
import type { PolicySource } from "../policy/index";
import type { CompiledPolicyCache } from "../policy/index";
import { BoundedMap } from "../lib/bounded";
import { loadOrgChain, FULL_AWS_ACCESS_ID, RCP_FULL_AWS_ACCESS_ID, RCP_TYPE, type ChainRow } from "../store/org-organizations";
import type { Db } from "../store/db";

export interface OrgChain {
  orgId: string;
  /** o-…/r-…/ou-…/ (aws:PrincipalOrgPaths, aws:ResourceOrgPaths: the account's parent path) */
  path: string;
  /** root → OUs → account; undefined for the management account or when SCPs are off */
  scps?: PolicySource[][];
  /** root → OUs → account; undefined for the management account or when RCPs are off */
  rcps?: PolicySource[][];
}

const FULL_AWS_ACCESS_CONTENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
const RCP_FULL_AWS_ACCESS_CONTENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}';
const NONE = { orgId: "" } as OrgChain;
const cache = new BoundedMap<string, OrgChain>(
  4096,
  4 * 1024 * 1024,
  (c, k) => 2 * k.length + 256 + 64 * ((c.scps?.flat().length ?? 0) + (c.rcps?.flat().length ?? 0)),
);

const MANAGED: Record<string, { arn: string; content: string }> = {
  [FULL_AWS_ACCESS_ID]: {
    arn: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
    content: FULL_AWS_ACCESS_CONTENT,
  },
  [RCP_FULL_AWS_ACCESS_ID]: {
    arn: "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess",
    content: RCP_FULL_AWS_ACCESS_CONTENT,
  },
};

const policyArn = (row: ChainRow, id: string, rcp: boolean) =>
  MANAGED[id]?.arn ??
  `arn:aws:organizations::${row.mgmt}:policy/${row.orgId}/${rcp ? "resource_control_policy" : "service_control_policy"}/${id}`;

/** The chain as documents (policy id and text per level), before compilation. */
export interface OrgChainDocs {
  orgId: string;
  path: string;
  scps?: Array<Array<{ id: string; json: string }>>;
  rcps?: Array<Array<{ id: string; json: string }>>;
}

/** The chain's documents from loadOrgChain's rows (ordered root first). Pure. */
export function chainDocuments(account: string, rows: ChainRow[]): OrgChainDocs | undefined {
  const top = rows[0];
  if (!top) return undefined;
  type Doc = { id: string; json: string };
  const levels = new Map<number, { target: string; scps: Doc[]; rcps: Doc[] }>();
  for (const r of rows) {
    let lvl = levels.get(r.depth);
    if (!lvl) levels.set(r.depth, (lvl = { target: r.targetId, scps: [], rcps: [] }));
    if (!r.policyId) continue;
    const rcp = r.policyType === RCP_TYPE;
    const body = MANAGED[r.policyId]?.content ?? r.content;
    if (body === null) continue; // a policy deleted under us
    (rcp ? lvl.rcps : lvl.scps).push({ id: policyArn(r, r.policyId, rcp), json: body });
  }
  const ordered = [...levels.entries()].sort((a, b) => b[0] - a[0]).map(([, l]) => l);
  // The path names the parents (root, then OUs), not the account itself.
  const path = `${top.orgId}/${ordered
    .slice(0, -1)
    .map((l) => `${l.target}/`)
    .join("")}`;
  const chain: OrgChainDocs = { orgId: top.orgId, path };
  // Neither SCPs nor RCPs touch the management account (its principals, its resources).
  if (top.mgmt !== account) {
    if (top.scpEnabled) chain.scps = ordered.map((l) => l.scps);
    if (top.rcpEnabled) chain.rcps = ordered.map((l) => l.rcps);
  }
  return chain;
}

/** Builds the chain from loadOrgChain's rows (ordered root first). Pure. */
export function buildChain(account: string, rows: ChainRow[], compiled: CompiledPolicyCache): OrgChain | undefined {
  const docs = chainDocuments(account, rows);
  if (!docs) return undefined;
  const compile = (kind: "scp" | "rcp") => (levels: Array<Array<{ id: string; json: string }>>) =>
    levels.map((level) =>
      level.map((d): PolicySource => ({ id: d.id, type: kind, policy: compiled.get(`${d.id}#${d.json}`, d.json, kind) })),
    );
  const chain: OrgChain = { orgId: docs.orgId, path: docs.path };
  if (docs.scps) chain.scps = compile("scp")(docs.scps);
  if (docs.rcps) chain.rcps = compile("rcp")(docs.rcps);
  return chain;
}

/**
 * The account's chain at `generation` (undefined: not in an organization). `asOf`: the rows of that
 * generation's snapshot when the account lags (eventual consistency) — D1 holds a later state then.
 */
export async function orgChain(
  db: Db,
  account: string,
  generation: number,
  compiled: CompiledPolicyCache,
  asOf?: ChainRow[],
): Promise<OrgChain | undefined> {
  if (!account) return undefined;
  const key = `${account}/${generation}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = buildChain(account, asOf ?? (await loadOrgChain(db, account)), compiled) ?? NONE;
    cache.set(key, hit);
  }
  return hit === NONE ? undefined : hit;
}

/**
 * The services whose resources RCPs govern: S3, STS, SQS, KMS, Secrets Manager (December 2024), then
 * ECR and OpenSearch Serverless (June 2025), Cognito user pools and CloudWatch Logs (announced later;
 * their prefixes here are inferred). DynamoDB is named by some sources and is not included (unconfirmed).
 */
export const RCP_SERVICES: ReadonlySet<string> = new Set([
  "s3",
  "sts",
  "sqs",
  "kms",
  "secretsmanager",
  "ecr",
  "aoss",
  "cognito-idp",
  "logs",
]);
