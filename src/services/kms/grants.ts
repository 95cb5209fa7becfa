/**
 * KMS grants: CreateGrant, ListGrants, RetireGrant, RevokeGrant. A grant lets its grantee principal
 * perform its operations on the key, within its constraints, without a key policy or IAM policy
 * that says so — the third authorization path (how the engine sees them: ./grant-policy.ts). Grants
 * are effective at once here (AWS's eventual consistency of grants, and so grant tokens, do not
 * apply: tokens are accepted and not needed).
 *
 * Who may retire a grant (AWS): its retiring principal, or its grantee when the grant includes
 * RetireGrant — no policy is consulted. RevokeGrant is authorized on the key like any key call.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { parsePolicy, type Principal } from "../../policy/index";
import { AwsError } from "../../protocol/errors";
import type { XmlValue } from "../../protocol/xml";
import { addKeyGrant, getKey, MAX_GRANTS_PER_KEY, removeKeyGrant, type Grant, type KeyRow } from "../../store/kms-keys";
import { checkLimit } from "./keys";
import { keyArn, kmsErr, kmsTarget, resolveKey } from "./common";
import { grantsPolicy } from "./grant-policy";

/** The operations a grant can allow (KMS API reference, CreateGrant `Operations`). */
export const GRANT_OPERATIONS: readonly string[] = [
  "Decrypt",
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "ReEncryptFrom",
  "ReEncryptTo",
  "Sign",
  "Verify",
  "GetPublicKey",
  "CreateGrant",
  "RetireGrant",
  "DescribeKey",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateMac",
  "VerifyMac",
  "DeriveSharedSecret",
];

type Constraints = NonNullable<Grant["constraints"]>;

interface CreateGrantInput {
  KeyId: string;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  Operations?: string[];
  Constraints?: Constraints;
  Name?: string;
  DryRun?: boolean;
}

const PRINCIPAL = /^(arn:aws:(iam|sts)::\d{12}:.+|\d{12}|[a-z0-9.-]+\.amazonaws\.com)$/;

function checkPrincipal(what: string, p: string | undefined): void {
  if (p !== undefined && !PRINCIPAL.test(p))
    throw kmsErr.validation(
      `1 validation error detected: Value '${p}' at '${what}' failed to satisfy constraint: Member must be a valid principal`,
    );
}

/** A grant token names its key and grant (opaque to clients, as AWS's are). */
const grantToken = (keyId: string, grantId: string): string => btoa(`iamlab-grant:${keyId}:${grantId}`);

function parseToken(token: string): { keyId: string; grantId: string } | undefined {
  try {
    const m = /^iamlab-grant:([0-9a-f-]{36}):([0-9a-f]{64})$/.exec(atob(token));
    return m ? { keyId: m[1]!, grantId: m[2]! } : undefined;
  } catch {
    return undefined;
  }
}

const newGrantId = (): string => [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");

const invalidGrantToken = (): AwsError => new AwsError("InvalidGrantTokenException", "Invalid grant token", 400);
const grantNotFound = (id: string): AwsError => new AwsError("NotFoundException", `Grant ID ${id} not found`, 400);
const invalidGrantId = (id: string): AwsError => new AwsError("InvalidGrantIdException", `Invalid grant ID ${id}`, 400);

export const CreateGrant = defineAction({
  service: "kms",
  name: "CreateGrant",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as CreateGrantInput).KeyId, false),
  target: (i, ctx: ActionContext, k: KeyRow) => {
    const input = i as CreateGrantInput;
    const c: Record<string, string | string[]> = {
      "kms:GrantOperations": input.Operations ?? [],
      "kms:GranteePrincipal": input.GranteePrincipal,
      "kms:GrantIsForAWSResource": "false",
    };
    if (input.RetiringPrincipal) c["kms:RetiringPrincipal"] = input.RetiringPrincipal;
    const ec = input.Constraints?.EncryptionContextEquals ?? input.Constraints?.EncryptionContextSubset;
    if (ec) for (const [key, v] of Object.entries(ec)) c[`kms:EncryptionContext:${key}`] = v;
    if (input.Constraints?.EncryptionContextEquals) c["kms:GrantConstraintType"] = "EncryptionContextEquals";
    else if (input.Constraints?.EncryptionContextSubset) c["kms:GrantConstraintType"] = "EncryptionContextSubset";
    return kmsTarget(ctx, k, c);
  },
  handler: async (i, ctx, k: KeyRow) => {
    const input = i as CreateGrantInput;
    checkPrincipal("granteePrincipal", input.GranteePrincipal);
    checkPrincipal("retiringPrincipal", input.RetiringPrincipal);
    const ops = input.Operations ?? [];
    if (!ops.length)
      throw kmsErr.validation(
        "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    for (const op of ops)
      if (!GRANT_OPERATIONS.includes(op))
        throw kmsErr.validation(
          `1 validation error detected: Value '[${ops.join(", ")}]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${GRANT_OPERATIONS.join(", ")}]]`,
        );
    if (input.Constraints?.EncryptionContextEquals && input.Constraints.EncryptionContextSubset)
      throw kmsErr.validation("EncryptionContextEquals and EncryptionContextSubset cannot both be specified.");
    if (k.keyState === "PendingDeletion") throw kmsErr.pendingDeletion(keyArn(k));
    if (input.DryRun)
      throw new AwsError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.", 412);
    const grant: Grant = {
      grantId: newGrantId(),
      granteePrincipal: input.GranteePrincipal,
      issuingAccount: `arn:aws:iam::${ctx.caller.principal.account}:root`,
      operations: [...new Set(ops)],
      creationDate: ctx.request.now,
    };
    if (input.Name !== undefined) grant.name = input.Name;
    if (input.RetiringPrincipal !== undefined) grant.retiringPrincipal = input.RetiringPrincipal;
    if (input.Constraints?.EncryptionContextEquals || input.Constraints?.EncryptionContextSubset) grant.constraints = input.Constraints;
    // A grantee the policy grammar refuses (a group, a malformed ARN) would make every later call on the key fail.
    if (!parsePolicy(grantsPolicy([grant]), "resource").ok)
      throw kmsErr.validation(
        `1 validation error detected: Value '${input.GranteePrincipal}' at 'granteePrincipal' failed to satisfy constraint: Member must be a valid principal`,
      );
    // One statement appends (concurrent CreateGrant calls all land); the quota is checked in it.
    if (!(await addKeyGrant(ctx.db, k, grant)))
      throw kmsErr.limitExceeded(`The request would exceed the limit of ${MAX_GRANTS_PER_KEY} grants for key ${keyArn(k)}.`); // wording unconfirmed
    return { GrantToken: grantToken(k.keyId, grant.grantId), GrantId: grant.grantId };
  },
});

function grantListEntry(k: KeyRow, g: Grant): { [k: string]: XmlValue } {
  const out: { [k: string]: XmlValue } = {
    KeyId: keyArn(k),
    GrantId: g.grantId,
    CreationDate: new Date(g.creationDate),
    GranteePrincipal: g.granteePrincipal,
    IssuingAccount: g.issuingAccount,
    Operations: g.operations,
  };
  if (g.name !== undefined) out.Name = g.name;
  if (g.retiringPrincipal !== undefined) out.RetiringPrincipal = g.retiringPrincipal;
  if (g.constraints) out.Constraints = g.constraints;
  return out;
}

export const ListGrants = defineAction({
  service: "kms",
  name: "ListGrants",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as { KeyId: string }).KeyId, false),
  target: (_i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k),
  handler: (i, _ctx, k: KeyRow) => {
    const input = i as { Limit?: number; Marker?: string; GrantId?: string; GranteePrincipal?: string };
    const limit = checkLimit(input.Limit);
    const matching = k.grants.filter(
      (g) =>
        (input.GrantId === undefined || g.grantId === input.GrantId) &&
        (input.GranteePrincipal === undefined || g.granteePrincipal === input.GranteePrincipal),
    );
    const start = input.Marker === undefined ? 0 : matching.findIndex((g) => g.grantId === input.Marker) + 1;
    if (input.Marker !== undefined && start === 0) throw kmsErr.invalidMarker();
    const page = matching.slice(start, start + limit);
    const truncated = start + limit < matching.length;
    const out: { [k: string]: XmlValue } = { Grants: page.map((g) => grantListEntry(k, g)), Truncated: truncated };
    if (truncated) out.NextMarker = page[page.length - 1]!.grantId;
    return out;
  },
});

/** Whether the caller is the principal a grant names (a role names its sessions; an account its root and, here, only its root). */
export function isPrincipal(p: Principal, named: string | undefined): boolean {
  if (named === undefined) return false;
  return named === p.arn || (p.roleArn !== undefined && named === p.roleArn);
}

interface RetireInput {
  GrantToken?: string;
  KeyId?: string;
  GrantId?: string;
  DryRun?: boolean;
}

export const RetireGrant = defineAction({
  service: "kms",
  name: "RetireGrant",
  effect: "none",
  input: {},
  // No target: retiring is decided by the grant itself (its retiring principal or grantee), not by a policy.
  handler: async (i, ctx) => {
    const input = i as RetireInput;
    let keyId: string;
    let grantId: string;
    let key: KeyRow | undefined;
    if (input.GrantToken !== undefined) {
      const t = parseToken(input.GrantToken);
      if (!t) throw invalidGrantToken();
      ({ keyId, grantId } = t);
      key = await getKey(ctx.db, keyId);
    } else if (input.KeyId !== undefined && input.GrantId !== undefined) {
      key = await resolveKey(ctx, input.KeyId, false);
      grantId = input.GrantId;
    } else throw kmsErr.validation("Either GrantToken or both KeyId and GrantId must be specified.");
    const grant = key?.grants.find((g) => g.grantId === grantId);
    if (!key || !grant) throw grantNotFound(grantId);
    const p = ctx.caller.principal;
    const allowed =
      isPrincipal(p, grant.retiringPrincipal) || (grant.operations.includes("RetireGrant") && isPrincipal(p, grant.granteePrincipal));
    if (!allowed)
      throw new AwsError(
        "AccessDeniedException",
        `User: ${p.arn} is not authorized to perform: kms:RetireGrant on resource: ${keyArn(key)}`,
        400,
      );
    if (input.DryRun)
      throw new AwsError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.", 412);
    // Retired or revoked meanwhile by another call: not found, as if it had been gone before.
    if (!(await removeKeyGrant(ctx.db, key, grantId))) throw grantNotFound(grantId);
    return {};
  },
});

export const RevokeGrant = defineAction({
  service: "kms",
  name: "RevokeGrant",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as { KeyId: string }).KeyId, false),
  target: (_i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k),
  handler: async (i, ctx, k: KeyRow) => {
    const grantId = (i as { GrantId: string }).GrantId;
    if (!/^[0-9a-f]{64}$/.test(grantId)) throw invalidGrantId(grantId);
    if (!k.grants.some((g) => g.grantId === grantId)) throw grantNotFound(grantId);
    if ((i as { DryRun?: boolean }).DryRun)
      throw new AwsError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.", 412);
    if (!(await removeKeyGrant(ctx.db, k, grantId))) throw grantNotFound(grantId);
    return {};
  },
});

export const grantActions: RegisteredAction[] = [CreateGrant, ListGrants, RetireGrant, RevokeGrant];
