/**
 * KMS cryptographic operations: Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
 * ReEncrypt — real AES-256-GCM (./blob.ts) under the key's material, the encryption context as the
 * authenticated data. Decrypt finds the key in the blob (KeyId optional, as on AWS); a blob that is
 * not ours, was altered, or is opened under another context answers InvalidCiphertextException.
 *
 * Each call is authorized on its key with the encryption context as condition keys
 * (kms:EncryptionContext:<k>, kms:EncryptionContextKeys) and kms:EncryptionAlgorithm; ReEncrypt
 * needs kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination key.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { authorizeCall } from "../../authz/authorize";
import { AwsError } from "../../protocol/errors";
import type { KeyRow } from "../../store/kms-keys";
import { decodeBlob, open, seal, type Blob } from "./blob";
import { cachedKey, encryptionContextKeys, keyArn, kmsErr, kmsTarget, materialOf, regionOf, requireUsable, resolveKey } from "./common";

const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;
const ALGORITHM = "SYMMETRIC_DEFAULT";

type Context = Record<string, string>;

const dryRun = (): AwsError =>
  new AwsError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.", 412);

function checkLength(what: string, bytes: Uint8Array | undefined, max: number): Uint8Array {
  const n = bytes?.length ?? 0;
  if (n < 1)
    throw kmsErr.validation(
      `1 validation error detected: Value at '${what}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  if (n > max)
    throw kmsErr.validation(
      `1 validation error detected: Value at '${what}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  return bytes!;
}

function checkAlgorithm(a: string | undefined): void {
  if (a !== undefined && a !== ALGORITHM)
    throw new AwsError("InvalidKeyUsageException", `${a} is not a supported encryption algorithm for a symmetric encryption key.`, 400);
}

/** The condition keys of a call with this encryption context. */
const cryptoContext = (ec: Context | undefined): Record<string, string | string[]> => ({
  "kms:EncryptionAlgorithm": ALGORITHM,
  ...encryptionContextKeys(ec),
});

interface EncryptInput {
  KeyId: string;
  Plaintext?: Uint8Array;
  EncryptionContext?: Context;
  EncryptionAlgorithm?: string;
  DryRun?: boolean;
}

export const Encrypt = defineAction({
  service: "kms",
  name: "Encrypt",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as EncryptInput).KeyId),
  target: (i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k, cryptoContext((i as EncryptInput).EncryptionContext)),
  handler: async (i, _ctx, k: KeyRow) => {
    const input = i as EncryptInput;
    const plaintext = checkLength("plaintext", input.Plaintext, MAX_PLAINTEXT);
    checkAlgorithm(input.EncryptionAlgorithm);
    requireUsable(k);
    if (input.DryRun) throw dryRun();
    const blob = await seal(k.keyId, materialOf(k), plaintext, input.EncryptionContext);
    return { CiphertextBlob: blob, KeyId: keyArn(k), EncryptionAlgorithm: ALGORITHM };
  },
});

/**
 * The key a ciphertext blob names: InvalidCiphertextException when the bytes are not a blob; AWS's
 * AccessDeniedException (400, its words, widely reported) when the key it names is not there — deleted,
 * or of another region.
 */
async function blobKey(ctx: ActionContext, bytes: Uint8Array | undefined): Promise<{ blob: Blob; key: KeyRow }> {
  const blob = decodeBlob(checkLength("ciphertextBlob", bytes, MAX_CIPHERTEXT));
  if (!blob) throw kmsErr.invalidCiphertext();
  const key = await cachedKey(ctx, blob.keyId);
  const gone = key?.keyState === "PendingDeletion" && key.deletionDate !== undefined && key.deletionDate <= ctx.request.now;
  if (!key || gone || key.region !== regionOf(ctx))
    throw new AwsError(
      "AccessDeniedException",
      "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.",
      400,
    );
  return { blob, key };
}

/** A KeyId given with a blob must name the blob's key (IncorrectKeyException, AWS's wording). */
async function checkNamedKey(ctx: ActionContext, keyId: string | undefined, key: KeyRow): Promise<void> {
  if (keyId === undefined) return;
  const named = await resolveKey(ctx, keyId);
  if (named.keyId !== key.keyId)
    throw new AwsError(
      "IncorrectKeyException",
      "The key ID in the request does not identify a KMS key that can perform this operation.",
      400,
    );
}

async function openBlob(blob: Blob, key: KeyRow, ec: Context | undefined): Promise<Uint8Array> {
  requireUsable(key);
  const plaintext = await open(blob, materialOf(key), ec);
  if (!plaintext) throw kmsErr.invalidCiphertext();
  return plaintext;
}

interface DecryptInput {
  CiphertextBlob?: Uint8Array;
  KeyId?: string;
  EncryptionContext?: Context;
  EncryptionAlgorithm?: string;
  DryRun?: boolean;
}

export const Decrypt = defineAction({
  service: "kms",
  name: "Decrypt",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => blobKey(ctx, (i as DecryptInput).CiphertextBlob),
  target: (i, ctx: ActionContext, l: { key: KeyRow }) => kmsTarget(ctx, l.key, cryptoContext((i as DecryptInput).EncryptionContext)),
  handler: async (i, ctx, l: { blob: Blob; key: KeyRow }) => {
    const input = i as DecryptInput;
    checkAlgorithm(input.EncryptionAlgorithm);
    await checkNamedKey(ctx, input.KeyId, l.key);
    if (input.DryRun) {
      requireUsable(l.key);
      throw dryRun();
    }
    const plaintext = await openBlob(l.blob, l.key, input.EncryptionContext);
    return { KeyId: keyArn(l.key), Plaintext: plaintext, EncryptionAlgorithm: ALGORITHM };
  },
});

interface DataKeyInput {
  KeyId: string;
  KeySpec?: string;
  NumberOfBytes?: number;
  EncryptionContext?: Context;
  DryRun?: boolean;
}

/** The length of the data key a request asks for (exactly one of KeySpec and NumberOfBytes). */
function dataKeyLength(input: DataKeyInput): number {
  if (input.KeySpec !== undefined && input.NumberOfBytes !== undefined)
    throw kmsErr.validation("Please specify either number of bytes or key spec, not both.");
  if (input.KeySpec !== undefined) {
    if (input.KeySpec === "AES_256") return 32;
    if (input.KeySpec === "AES_128") return 16;
    throw kmsErr.validation(
      `1 validation error detected: Value '${input.KeySpec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`,
    );
  }
  const n = input.NumberOfBytes;
  if (n === undefined) throw kmsErr.validation("Please specify either number of bytes or key spec.");
  if (n < 1 || n > 1024)
    throw kmsErr.validation(
      `1 validation error detected: Value '${n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value ${n < 1 ? "greater than or equal to 1" : "less than or equal to 1024"}`,
    );
  return n;
}

async function dataKey(input: DataKeyInput, k: KeyRow): Promise<{ plaintext: Uint8Array; blob: Uint8Array }> {
  const n = dataKeyLength(input);
  requireUsable(k);
  if (input.DryRun) throw dryRun();
  const plaintext = crypto.getRandomValues(new Uint8Array(n));
  return { plaintext, blob: await seal(k.keyId, materialOf(k), plaintext, input.EncryptionContext) };
}

export const GenerateDataKey = defineAction({
  service: "kms",
  name: "GenerateDataKey",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as DataKeyInput).KeyId),
  target: (i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k, cryptoContext((i as DataKeyInput).EncryptionContext)),
  handler: async (i, _ctx, k: KeyRow) => {
    const { plaintext, blob } = await dataKey(i as DataKeyInput, k);
    return { CiphertextBlob: blob, Plaintext: plaintext, KeyId: keyArn(k) };
  },
});

export const GenerateDataKeyWithoutPlaintext = defineAction({
  service: "kms",
  name: "GenerateDataKeyWithoutPlaintext",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => resolveKey(ctx, (i as DataKeyInput).KeyId),
  target: (i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k, cryptoContext((i as DataKeyInput).EncryptionContext)),
  handler: async (i, _ctx, k: KeyRow) => {
    const { blob } = await dataKey(i as DataKeyInput, k);
    return { CiphertextBlob: blob, KeyId: keyArn(k) };
  },
});

interface ReEncryptInput {
  CiphertextBlob?: Uint8Array;
  SourceEncryptionContext?: Context;
  SourceKeyId?: string;
  DestinationKeyId: string;
  DestinationEncryptionContext?: Context;
  SourceEncryptionAlgorithm?: string;
  DestinationEncryptionAlgorithm?: string;
  DryRun?: boolean;
}

export const ReEncrypt = defineAction({
  service: "kms",
  name: "ReEncrypt",
  permission: "kms:ReEncryptFrom",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => blobKey(ctx, (i as ReEncryptInput).CiphertextBlob),
  target: (i, ctx: ActionContext, l: { key: KeyRow }) =>
    kmsTarget(ctx, l.key, cryptoContext((i as ReEncryptInput).SourceEncryptionContext)),
  handler: async (i, ctx, l: { blob: Blob; key: KeyRow }) => {
    const input = i as ReEncryptInput;
    checkAlgorithm(input.SourceEncryptionAlgorithm);
    checkAlgorithm(input.DestinationEncryptionAlgorithm);
    await checkNamedKey(ctx, input.SourceKeyId, l.key);
    const dest = await resolveKey(ctx, input.DestinationKeyId);
    await authorizeCall(ctx, "kms:ReEncryptTo", kmsTarget(ctx, dest, cryptoContext(input.DestinationEncryptionContext)));
    const plaintext = await openBlob(l.blob, l.key, input.SourceEncryptionContext);
    requireUsable(dest);
    if (input.DryRun) throw dryRun();
    const blob = await seal(dest.keyId, materialOf(dest), plaintext, input.DestinationEncryptionContext);
    return {
      CiphertextBlob: blob,
      SourceKeyId: keyArn(l.key),
      KeyId: keyArn(dest),
      SourceEncryptionAlgorithm: ALGORITHM,
      DestinationEncryptionAlgorithm: ALGORITHM,
    };
  },
});

export const cryptographyActions: RegisteredAction[] = [Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncrypt];
