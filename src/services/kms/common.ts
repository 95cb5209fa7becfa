/**
 * What every KMS action shares: AWS's KMS errors, how a KeyId names a key (key id, key ARN, alias
 * name, alias ARN), the key's KeyMetadata as DescribeKey answers it, and the authorization target.
 *
 * Authorization (AWS's rule, the KMS Developer Guide "Key policies"): the key policy is the primary
 * control — no principal, the account's root user included, can use a key unless the key policy
 * allows it, directly or by naming the account (`arn:aws:iam::<acct>:root`), which delegates to the
 * account's IAM policies. So the key policy is a resource policy that must allow
 * (`requireResourceAllow`), and the engine's usual rules do the rest: naming the caller grants on
 * its own; naming the account needs an identity-based Allow too; across accounts, both must allow.
 * Grants, the third path, reach the engine as one more resource policy (./grants.ts `grantsPolicy`).
 */
import type { XmlValue } from "../../protocol/xml";
import type { ActionContext, AuthzTarget } from "../action";
import { AwsError } from "../../protocol/errors";
import { getAlias, getKey, type AliasRow, type KeyRow } from "../../store/kms-keys";
import { cachedRow } from "../data-rows";
import { grantsPolicy } from "./grant-policy";

export const kmsErr = {
  notFound: (m: string): AwsError => new AwsError("NotFoundException", m, 400),
  disabled: (arn: string): AwsError => new AwsError("DisabledException", `${arn} is disabled.`, 400),
  pendingDeletion: (arn: string): AwsError => new AwsError("KMSInvalidStateException", `${arn} is pending deletion.`, 400),
  invalidState: (m: string): AwsError => new AwsError("KMSInvalidStateException", m, 400),
  /** AWS answers it without a message. */
  invalidCiphertext: (): AwsError => new AwsError("InvalidCiphertextException", "", 400),
  validation: (m: string): AwsError => new AwsError("ValidationException", m, 400),
  malformedPolicy: (m: string): AwsError => new AwsError("MalformedPolicyDocumentException", m, 400),
  limitExceeded: (m: string): AwsError => new AwsError("LimitExceededException", m, 400),
  alreadyExists: (m: string): AwsError => new AwsError("AlreadyExistsException", m, 400),
  invalidAliasName: (m: string): AwsError => new AwsError("InvalidAliasNameException", m, 400),
  invalidArn: (m: string): AwsError => new AwsError("InvalidArnException", m, 400),
  notAuthorized: (m: string): AwsError => new AwsError("NotAuthorizedException", m, 400),
  invalidMarker: (): AwsError => new AwsError("InvalidMarkerException", "Invalid marker", 400),
  tag: (m: string): AwsError => new AwsError("TagException", m, 400),
};

/** The signing region stands for the endpoint's region (one endpoint serves every region). */
export function regionOf(ctx: ActionContext): string {
  return ctx.request.region || "us-east-1";
}

export const keyArn = (k: Pick<KeyRow, "region" | "accountId" | "keyId">): string =>
  `arn:aws:kms:${k.region}:${k.accountId}:key/${k.keyId}`;
export const aliasArn = (region: string, account: string, name: string): string => `arn:aws:kms:${region}:${account}:${name}`;

const KEY_ARN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const ALIAS_ARN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;

/**
 * The key a KeyId names: a key id or key ARN, or (`aliases`) an alias name or alias ARN. A bare id
 * or alias name is looked up in the caller's account and region; another account's key needs its
 * ARN (AWS's rule). NotFoundException in AWS's words when nothing is there.
 */
export async function resolveKey(ctx: ActionContext, keyIdInput: string, aliases = true): Promise<KeyRow> {
  const k = await findKey(ctx, keyIdInput, aliases);
  // A key whose waiting period is over is gone (deleted lazily, on the first look after its DeletionDate).
  if (k.keyState === "PendingDeletion" && k.deletionDate !== undefined && k.deletionDate <= ctx.request.now)
    throw kmsErr.notFound(`Key '${keyArn(k)}' does not exist`);
  return k;
}

/**
 * A key by id, through the isolate's cache of key rows (../data-rows.ts): a warm Encrypt or Decrypt
 * reads no D1.
 */
export function cachedKey(ctx: ActionContext, keyId: string): Promise<KeyRow | undefined> {
  return cachedRow(
    ctx,
    `kms:${keyId}`,
    (k: KeyRow) => k.accountId,
    () => getKey(ctx.db, keyId),
  );
}

function cachedAlias(ctx: ActionContext, account: string, region: string, name: string): Promise<AliasRow | undefined> {
  return cachedRow(
    ctx,
    `kms-alias:${account}/${region}/${name}`,
    (a: AliasRow) => a.accountId,
    () => getAlias(ctx.db, account, region, name),
  );
}

async function findKey(ctx: ActionContext, keyIdInput: string, aliases: boolean): Promise<KeyRow> {
  const region = regionOf(ctx);
  const account = ctx.caller.principal.account;
  const keyArnMatch = KEY_ARN.exec(keyIdInput);
  if (keyArnMatch) {
    const [, r, a, id] = keyArnMatch;
    const k = await cachedKey(ctx, id!);
    if (!k || k.region !== r || r !== region || k.accountId !== a) throw kmsErr.notFound(`Key '${keyIdInput}' does not exist`);
    return k;
  }
  const aliasArnMatch = ALIAS_ARN.exec(keyIdInput);
  if (aliasArnMatch || keyIdInput.startsWith("alias/")) {
    const [r, a, name] = aliasArnMatch ? [aliasArnMatch[1]!, aliasArnMatch[2]!, aliasArnMatch[3]!] : [region, account, keyIdInput];
    const where = aliasArn(r, a, name);
    if (!aliases) throw kmsErr.notFound(`Alias ${where} is not found.`);
    const alias = await cachedAlias(ctx, a, r, name);
    const k = alias ? await cachedKey(ctx, alias.targetKeyId) : undefined;
    if (!k) throw kmsErr.notFound(`Alias ${where} is not found.`);
    return k;
  }
  if (keyIdInput.startsWith("arn:")) throw kmsErr.notFound(`Invalid arn ${keyIdInput}`);
  const k = await cachedKey(ctx, keyIdInput);
  if (!k || k.accountId !== account || k.region !== region)
    throw kmsErr.notFound(`Key '${keyArn({ region, accountId: account, keyId: keyIdInput })}' does not exist`);
  return k;
}

/** Cryptographic operations need an enabled key (DisabledException / KMSInvalidStateException otherwise). */
export function requireUsable(k: KeyRow): void {
  if (k.keyState === "Disabled") throw kmsErr.disabled(keyArn(k));
  if (k.keyState === "PendingDeletion") throw kmsErr.pendingDeletion(keyArn(k));
}

/**
 * The authorization target of a call on a key: its ARN, its account, its key policy as the resource
 * policy that must allow, and KMS's condition keys — `kms:CallerAccount` always; `kms:ViaService` is
 * absent (every call here is a direct call, never one an AWS service makes on the caller's behalf).
 */
export function kmsTarget(ctx: ActionContext, k: KeyRow, context: Record<string, string | string[]> = {}): AuthzTarget {
  const arn = keyArn(k);
  const t: AuthzTarget = {
    resource: arn,
    resourceAccount: k.accountId,
    // Grants are their own kind: a grant authorizes its grantee on its own, across accounts too.
    resourcePolicies: k.grants.length
      ? [
          { id: arn, json: k.policy, kind: "resource" },
          { id: `${arn}/grants`, json: grantsPolicyOf(k), kind: "grant" },
        ]
      : [{ id: arn, json: k.policy, kind: "resource" }],
    requireResourceAllow: true,
    context: { "kms:CallerAccount": ctx.caller.principal.account, ...resourceTags(k), ...context },
  };
  // A key-policy change still propagating (the owner lagged): the engine applies the policy in force.
  if (k.policyGeneration !== undefined)
    t.pendingResourcePolicy = { id: arn, account: k.accountId, generation: k.policyGeneration, alwaysHasPolicy: true };
  return t;
}

/** The grants' policy document, built once per key row (cached rows serve many calls). */
const grantDocs = new WeakMap<readonly object[], string>();
function grantsPolicyOf(k: KeyRow): string {
  let doc = grantDocs.get(k.grants);
  if (doc === undefined) grantDocs.set(k.grants, (doc = grantsPolicy(k.grants)));
  return doc;
}

/** aws:ResourceTag/<k> of the key's tags. */
function resourceTags(k: KeyRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [t, v] of Object.entries(k.tags)) out[`aws:ResourceTag/${t}`] = v;
  return out;
}

/** The encryption-context condition keys: kms:EncryptionContext:<k> for each pair, kms:EncryptionContextKeys. */
export function encryptionContextKeys(ec: Readonly<Record<string, string>> | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!ec) return out;
  for (const [k, v] of Object.entries(ec)) out[`kms:EncryptionContext:${k}`] = v;
  const keys = Object.keys(ec);
  if (keys.length) out["kms:EncryptionContextKeys"] = keys;
  return out;
}

/** KeyMetadata as DescribeKey and CreateKey answer it for a symmetric customer managed key. */
export function keyMetadata(k: KeyRow): { [k: string]: XmlValue } {
  const m: { [k: string]: XmlValue } = {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: keyArn(k),
    CreationDate: new Date(k.creationDate),
    Enabled: k.keyState === "Enabled",
    Description: k.description,
    KeyUsage: "ENCRYPT_DECRYPT",
    KeyState: k.keyState,
    Origin: "AWS_KMS",
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
    KeySpec: "SYMMETRIC_DEFAULT",
    EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    MultiRegion: false,
  };
  if (k.deletionDate !== undefined) m.DeletionDate = new Date(k.deletionDate);
  return m;
}

/** Base64 key material as bytes: one array per key row (the imported CryptoKey is kept per array: ./blob.ts). */
const materials = new WeakMap<KeyRow, Uint8Array>();
export function materialOf(k: KeyRow): Uint8Array {
  let m = materials.get(k);
  if (!m) {
    m = Uint8Array.from(atob(k.material), (c) => c.charCodeAt(0));
    materials.set(k, m);
  }
  return m;
}
