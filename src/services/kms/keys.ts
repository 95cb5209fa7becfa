/**
 * KMS keys: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, ScheduleKeyDeletion,
 * CancelKeyDeletion, and tags (TagResource, UntagResource, ListResourceTags).
 *
 * Only symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, origin AWS_KMS) are served; a
 * request for another kind is refused with UnsupportedOperationException (our wording). A key
 * scheduled for deletion is PendingDeletion until its DeletionDate, then gone (NotFoundException);
 * CancelKeyDeletion leaves it Disabled, as on AWS.
 */
import type { XmlValue } from "../../protocol/xml";
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import { toBase64 } from "../../protocol/wire";
import { createKey, listKeys, setKeyState, setKeyTags, type KeyRow } from "../../store/kms-keys";
import { checkLockout, defaultKeyPolicy, validateKeyPolicy } from "./key-policy";
import { newKeyMaterial } from "./blob";
import { keyArn, keyMetadata, kmsErr, kmsTarget, regionOf, resolveKey } from "./common";

const DAY_MS = 86_400_000;
const MAX_TAGS = 50;

type Tag = { TagKey?: string; TagValue?: string };

interface CreateKeyInput {
  Policy?: string;
  Description?: string;
  KeyUsage?: string;
  KeySpec?: string;
  CustomerMasterKeySpec?: string;
  Origin?: string;
  MultiRegion?: boolean;
  BypassPolicyLockoutSafetyCheck?: boolean;
  Tags?: Tag[];
}

const unsupported = (what: string): AwsError =>
  new AwsError("UnsupportedOperationException", `${what} is not supported by iamlab: only symmetric encryption keys are served.`, 400);

/** Tags as a map, validated as KMS does (keys 1–128, values 0–256 characters, no `aws:` keys; TagException). */
function tagMap(tags: readonly Tag[], existing: Record<string, string> = {}): Record<string, string> {
  const out = { ...existing };
  for (const t of tags) {
    const key = t.TagKey ?? "";
    const value = t.TagValue ?? "";
    if (key.length < 1 || key.length > 128 || value.length > 256)
      throw kmsErr.tag("Tag keys must be 1 to 128 and values 0 to 256 characters long.");
    if (key.toLowerCase().startsWith("aws:")) throw kmsErr.tag("Tags beginning with aws: are reserved for AWS use.");
    out[key] = value;
  }
  if (Object.keys(out).length > MAX_TAGS) throw kmsErr.limitExceeded(`A KMS key can have at most ${MAX_TAGS} tags.`);
  return out;
}

function requestTags(tags: readonly Tag[] | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!tags?.length) return out;
  for (const t of tags) if (t.TagKey !== undefined) out[`aws:RequestTag/${t.TagKey}`] = t.TagValue ?? "";
  out["aws:TagKeys"] = tags.flatMap((t) => (t.TagKey === undefined ? [] : [t.TagKey]));
  return out;
}

export const CreateKey = defineAction({
  service: "kms",
  name: "CreateKey",
  effect: "none",
  input: {},
  // kms:CreateKey has no resource: its key does not exist yet (the Service Authorization Reference lists `*`).
  target: (i, ctx: ActionContext) => {
    const input = i as CreateKeyInput;
    return {
      resource: "*",
      context: {
        "kms:CallerAccount": ctx.caller.principal.account,
        "kms:KeySpec": input.KeySpec ?? input.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT",
        "kms:KeyUsage": input.KeyUsage ?? "ENCRYPT_DECRYPT",
        "kms:KeyOrigin": input.Origin ?? "AWS_KMS",
        "kms:MultiRegion": String(input.MultiRegion === true),
        "kms:BypassPolicyLockoutSafetyCheck": String(input.BypassPolicyLockoutSafetyCheck === true),
        ...requestTags(input.Tags),
      },
    };
  },
  handler: async (i, ctx) => {
    const input = i as CreateKeyInput;
    const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") throw unsupported(`KeySpec ${spec}`);
    if ((input.KeyUsage ?? "ENCRYPT_DECRYPT") !== "ENCRYPT_DECRYPT") throw unsupported(`KeyUsage ${input.KeyUsage}`);
    if ((input.Origin ?? "AWS_KMS") !== "AWS_KMS") throw unsupported(`Origin ${input.Origin}`);
    if (input.MultiRegion) throw unsupported("A multi-Region key");
    if ((input.Description ?? "").length > 8192)
      throw kmsErr.validation(
        "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192",
      );
    const account = ctx.caller.principal.account;
    const key: KeyRow = {
      keyId: crypto.randomUUID(),
      accountId: account,
      region: regionOf(ctx),
      description: input.Description ?? "",
      keyState: "Enabled",
      creationDate: ctx.request.now,
      policy: defaultKeyPolicy(account),
      material: toBase64(newKeyMaterial()),
      tags: tagMap(input.Tags ?? []),
      grants: [],
    };
    if (input.Policy !== undefined) {
      key.policy = validateKeyPolicy(input.Policy);
      await checkLockout(ctx, key, key.policy, input.BypassPolicyLockoutSafetyCheck);
    }
    await createKey(ctx.db, key);
    return { KeyMetadata: keyMetadata(key) };
  },
});

interface KeyInput {
  KeyId: string;
}

/** The actions that take a KeyId and answer about that key: load it, authorize on it. */
const onKey = {
  input: {},
  load: (i: object, ctx: ActionContext) => resolveKey(ctx, (i as KeyInput).KeyId),
  target: (_i: object, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k),
} as const;

export const DescribeKey = defineAction({
  service: "kms",
  name: "DescribeKey",
  effect: "read",
  ...onKey,
  handler: (_i, _ctx, k: KeyRow) => ({ KeyMetadata: keyMetadata(k) }),
});

/** A Limit outside 1–1000: AWS's constraint message. */
export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (limit < 1 || limit > 1000)
    throw kmsErr.validation(
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? "greater than or equal to 1" : "less than or equal to 1000"}`,
    );
  return limit;
}

export const ListKeys = defineAction({
  service: "kms",
  name: "ListKeys",
  effect: "read",
  input: {},
  target: (_i, ctx: ActionContext) => ({ resource: "*", context: { "kms:CallerAccount": ctx.caller.principal.account } }),
  handler: async (i, ctx) => {
    const input = i as { Limit?: number; Marker?: string };
    const limit = checkLimit(input.Limit);
    const rows = await listKeys(ctx.db, ctx.caller.principal.account, regionOf(ctx), input.Marker ?? "", limit + 1);
    // Keys past their deletion date are gone; the marker still counts them (it is the last id looked at).
    const page = rows.slice(0, limit).filter((k) => !(k.keyState === "PendingDeletion" && (k.deletionDate ?? Infinity) <= ctx.request.now));
    const out: { [k: string]: XmlValue } = {
      Keys: page.map((k) => ({ KeyId: k.keyId, KeyArn: keyArn(k) })),
      Truncated: rows.length > limit,
    };
    if (rows.length > limit) out.NextMarker = rows[limit - 1]!.keyId;
    return out;
  },
});

function notPendingDeletion(k: KeyRow): void {
  if (k.keyState === "PendingDeletion") throw kmsErr.pendingDeletion(keyArn(k));
}

export const EnableKey = defineAction({
  service: "kms",
  name: "EnableKey",
  effect: "none",
  ...onKey,
  handler: async (_i, ctx, k: KeyRow) => {
    notPendingDeletion(k);
    await setKeyState(ctx.db, k, "Enabled", null);
    return {};
  },
});

export const DisableKey = defineAction({
  service: "kms",
  name: "DisableKey",
  effect: "none",
  ...onKey,
  handler: async (_i, ctx, k: KeyRow) => {
    notPendingDeletion(k);
    await setKeyState(ctx.db, k, "Disabled", null);
    return {};
  },
});

export const ScheduleKeyDeletion = defineAction({
  service: "kms",
  name: "ScheduleKeyDeletion",
  effect: "none",
  ...onKey,
  handler: async (i, ctx, k: KeyRow) => {
    const days = (i as { PendingWindowInDays?: number }).PendingWindowInDays ?? 30;
    if (days < 7 || days > 30)
      throw kmsErr.validation(
        `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${days < 7 ? "greater than or equal to 7" : "less than or equal to 30"}`,
      );
    notPendingDeletion(k);
    const deletionDate = ctx.request.now + days * DAY_MS;
    await setKeyState(ctx.db, k, "PendingDeletion", deletionDate);
    return { KeyId: keyArn(k), DeletionDate: new Date(deletionDate), KeyState: "PendingDeletion", PendingWindowInDays: days };
  },
});

export const CancelKeyDeletion = defineAction({
  service: "kms",
  name: "CancelKeyDeletion",
  effect: "none",
  ...onKey,
  handler: async (_i, ctx, k: KeyRow) => {
    // Wording unconfirmed: AWS answers KMSInvalidStateException for a key that is not pending deletion.
    if (k.keyState !== "PendingDeletion") throw kmsErr.invalidState(`${keyArn(k)} is not pending deletion.`);
    await setKeyState(ctx.db, k, "Disabled", null);
    return { KeyId: keyArn(k) };
  },
});

export const TagResource = defineAction({
  service: "kms",
  name: "TagResource",
  effect: "none",
  input: {},
  load: (i: object, ctx: ActionContext) => resolveKey(ctx, (i as KeyInput).KeyId, false),
  target: (i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k, requestTags((i as { Tags?: Tag[] }).Tags)),
  handler: async (i, ctx, k: KeyRow) => {
    notPendingDeletion(k);
    await setKeyTags(ctx.db, k, tagMap((i as { Tags?: Tag[] }).Tags ?? [], k.tags));
    return {};
  },
});

export const UntagResource = defineAction({
  service: "kms",
  name: "UntagResource",
  effect: "none",
  input: {},
  load: (i: object, ctx: ActionContext) => resolveKey(ctx, (i as KeyInput).KeyId, false),
  target: (i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k, { "aws:TagKeys": (i as { TagKeys?: string[] }).TagKeys ?? [] }),
  handler: async (i, ctx, k: KeyRow) => {
    notPendingDeletion(k);
    const tags = { ...k.tags };
    for (const t of (i as { TagKeys?: string[] }).TagKeys ?? []) delete tags[t];
    await setKeyTags(ctx.db, k, tags);
    return {};
  },
});

export const ListResourceTags = defineAction({
  service: "kms",
  name: "ListResourceTags",
  effect: "read",
  input: {},
  load: (i: object, ctx: ActionContext) => resolveKey(ctx, (i as KeyInput).KeyId, false),
  target: (_i, ctx: ActionContext, k: KeyRow) => kmsTarget(ctx, k),
  handler: (i, _ctx, k: KeyRow) => {
    const input = i as { Limit?: number; Marker?: string };
    const limit = checkLimit(input.Limit);
    const keys = Object.keys(k.tags)
      .sort()
      .filter((t) => input.Marker === undefined || t > input.Marker);
    const page = keys.slice(0, limit);
    const out: { [k: string]: XmlValue } = { Tags: page.map((t) => ({ TagKey: t, TagValue: k.tags[t] })), Truncated: keys.length > limit };
    if (keys.length > limit) out.NextMarker = page[page.length - 1];
    return out;
  },
});

export const keyActions: RegisteredAction[] = [
  CreateKey,
  DescribeKey,
  ListKeys,
  EnableKey,
  DisableKey,
  ScheduleKeyDeletion,
  CancelKeyDeletion,
  TagResource,
  UntagResource,
  ListResourceTags,
];
