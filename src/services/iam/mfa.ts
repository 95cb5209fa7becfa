/**
 * Virtual MFA devices: Create/Delete, Enable/Deactivate/Resync (two consecutive RFC 6238 codes),
 * ListMFADevices, ListVirtualMFADevices, GetMFADevice and tags. The root user's devices are
 * assigned to user id 'root' (root caller without UserName).
 */
import { defineAction, type RegisteredAction, type ActionContext } from "../action";
import { common, s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { iamArn, rootArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { toBase64 } from "../../lib/encoding";
import { consecutiveStep, newTotpSeed, timeStep } from "../../lib/totp";
import { qrPng } from "../../lib/qr";
import { getAccount } from "../../store/accounts";
import * as store from "../../store/iam-mfa";
import { quotaMessage } from "../../store/iam-quotas";
import { DEFAULT_MAX_ITEMS, decodeMarker, page, paging, requestTagContext, validateTags } from "./common";
import { lookupTarget, resolveTarget } from "./security-targets";
import { listEntityTags, tagEntity, tagKeysInput, tagsInput, untagEntity, type TaggedEntity } from "./tags";

// ---------------------------------------------------------------- shapes and messages

const serialNumber = () => s.string({ required: true, min: 9, max: 256, pattern: /^[\w+=/:,.@-]+$/, patternText: "[\\w+=/:,.@-]+" });
const authenticationCode = () => s.string({ required: true, min: 6, max: 6, pattern: /^\d+$/, patternText: "[\\d]+" });
const optionalUserName = () => common.name(128, false);

/** pathType's pattern in AWS's model: `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`. */
const MODEL_PATH = /^(?:\/|\/[\u0021-\u007E]+\/)$/;

export const mfaErrors = {
  noSuchDevice: (serial: string) => errors.noSuchEntity(`VirtualMFADevice with serial number ${serial} does not exist.`),
  // AWS's wording (LocalStack's AWS-recorded snapshots): "MFA device already exists.", and "MFA Device
  // with serial number … does not exist." when deleting a device that is not there.
  exists: () => errors.entityAlreadyExists("MFA device already exists."),
  noSuchDeviceToDelete: (serial: string) => errors.noSuchEntity(`MFA Device with serial number ${serial} does not exist.`),
  badPath: () =>
    errors.validation(
      "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
    ),
  inUse: () => errors.entityAlreadyExists("MFA Device is already in use."),
  stillInUse: () => errors.deleteConflict("MFA Device is already in use."),
  invalidForUser: () => errors.noSuchEntity("MFA Device invalid for user."),
  invalidCode: () => new AwsError("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403),
  limit: () => errors.limitExceeded("Cannot exceed quota for MFADevicesPerUser: 8"),
};

/** EnableMFADevice: AuthenticationCode1 may be up to 4 steps (2 minutes) old. */
const ENABLE_WINDOW = { before: 4, after: 0 };
/** ResyncMFADevice: a device whose clock drifted up to 20 minutes either way. */
const RESYNC_WINDOW = { before: 40, after: 40 };

function deviceArn(account: string, path: string, name: string): string {
  return iamArn(account, "mfa", path, name);
}

/** The AWS User element of an assigned device (the root user shows its ARN and account id). */
async function deviceUser(ctx: ActionContext, d: store.MfaDeviceWithUser) {
  if (d.userId === null) return undefined;
  const account = ctx.caller.principal.account;
  if (d.userId === store.ROOT_USER_ID) {
    const a = await getAccount(ctx.db, account);
    return { UserId: account, Arn: rootArn(account), CreateDate: a?.createDate };
  }
  return {
    Path: d.userPath ?? undefined,
    UserName: d.userName ?? undefined,
    UserId: d.userId,
    Arn: d.userArn ?? undefined,
    CreateDate: d.userCreateDate ?? undefined,
    PasswordLastUsed: d.userPasswordLastUsed ?? undefined,
  };
}

/** Two consecutive codes around now, or InvalidAuthenticationCode. */
async function codesStep(
  seed: string,
  code1: string,
  code2: string,
  now: number,
  window: { before: number; after: number },
): Promise<number> {
  const cur = timeStep(now);
  const step = await consecutiveStep(seed, code1, code2, cur - window.before, cur + window.after);
  if (step === null) throw mfaErrors.invalidCode();
  return step;
}

// ---------------------------------------------------------------- actions

export const CreateVirtualMFADevice = defineAction({
  service: "iam",
  name: "CreateVirtualMFADevice",
  effect: "write",
  input: {
    // The model's pattern is checked in `target` (before authorization), with IAM's own message.
    Path: s.string({ min: 1, max: 512 }),
    VirtualMFADeviceName: s.string({ required: true, min: 1, max: 226, pattern: /^[\w+=,.@-]+$/, patternText: "[\\w+=,.@-]+" }),
    Tags: common.tags(),
  },
  target: (i, ctx) => {
    if (i.Path !== undefined && !MODEL_PATH.test(i.Path)) throw mfaErrors.badPath();
    return {
      resource: deviceArn(ctx.caller.principal.account, i.Path ?? "/", i.VirtualMFADeviceName),
      context: requestTagContext(i.Tags),
    };
  },
  handler: async (i, ctx) => {
    const tags = i.Tags ?? [];
    validateTags(tags);
    const account = ctx.caller.principal.account;
    const path = i.Path ?? "/";
    const serial = deviceArn(account, path, i.VirtualMFADeviceName);
    const seed = newTotpSeed();
    const alias = (await getAccount(ctx.db, account))?.alias ?? null;
    // AWS: otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String
    const uri = `otpauth://totp/${encodeURIComponent(i.VirtualMFADeviceName)}@${encodeURIComponent(alias ?? account)}?secret=${seed}`;
    const png = await qrPng(uri);
    const ok = await store.insertDevice(
      ctx.write,
      {
        serialNumber: serial,
        deviceName: i.VirtualMFADeviceName,
        path,
        seed,
        createDate: isoSeconds(ctx.request.now),
      },
      tags,
    );
    if (ok === "exists") throw mfaErrors.exists();
    if (ok === "limit") throw errors.limitExceeded(quotaMessage("VirtualMFADevicesPerAccount"));
    return {
      VirtualMFADevice: {
        SerialNumber: serial,
        // Blobs: base64 of the base32 seed text, and of the PNG.
        Base32StringSeed: btoa(seed),
        QRCodePNG: toBase64(png),
        Tags: tags.length ? tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
      },
    };
  },
});

export const EnableMFADevice = defineAction({
  service: "iam",
  name: "EnableMFADevice",
  effect: "write",
  input: {
    UserName: optionalUserName(),
    SerialNumber: serialNumber(),
    AuthenticationCode1: authenticationCode(),
    AuthenticationCode2: authenticationCode(),
  },
  load: (i, ctx) => lookupTarget(ctx, i.UserName, true),
  target: (_i, _ctx, found) => ({ resource: found.resource }),
  handler: async (i, ctx, found) => {
    const target = resolveTarget(ctx, i.UserName, true, found);
    const account = ctx.caller.principal.account;
    const dev = await store.getDevice(ctx.db, account, i.SerialNumber);
    if (!dev) throw mfaErrors.noSuchDevice(i.SerialNumber);
    if (dev.userId !== null) throw mfaErrors.inUse();
    const step = await codesStep(dev.seed, i.AuthenticationCode1, i.AuthenticationCode2, ctx.request.now, ENABLE_WINDOW);
    const res = await store.enableDevice(ctx.write, i.SerialNumber, target.userId, isoSeconds(ctx.request.now), step + 1);
    if (res.ok) return undefined;
    if (res.reason === "notFound") throw mfaErrors.noSuchDevice(i.SerialNumber);
    if (res.reason === "inUse") throw mfaErrors.inUse();
    throw mfaErrors.limit();
  },
});

export const DeactivateMFADevice = defineAction({
  service: "iam",
  name: "DeactivateMFADevice",
  effect: "write",
  input: { UserName: optionalUserName(), SerialNumber: serialNumber() },
  load: (i, ctx) => lookupTarget(ctx, i.UserName, true),
  target: (_i, _ctx, found) => ({ resource: found.resource }),
  handler: async (i, ctx, found) => {
    const target = resolveTarget(ctx, i.UserName, true, found);
    if (!(await store.deactivateDevice(ctx.write, i.SerialNumber, target.userId))) throw mfaErrors.invalidForUser();
    return undefined;
  },
});

export const ResyncMFADevice = defineAction({
  service: "iam",
  name: "ResyncMFADevice",
  effect: "write",
  input: {
    UserName: optionalUserName(),
    SerialNumber: serialNumber(),
    AuthenticationCode1: authenticationCode(),
    AuthenticationCode2: authenticationCode(),
  },
  load: (i, ctx) => lookupTarget(ctx, i.UserName, true),
  target: (_i, _ctx, found) => ({ resource: found.resource }),
  handler: async (i, ctx, found) => {
    const target = resolveTarget(ctx, i.UserName, true, found);
    const account = ctx.caller.principal.account;
    const dev = await store.getDevice(ctx.db, account, i.SerialNumber);
    if (!dev || dev.userId !== target.userId) throw mfaErrors.invalidForUser();
    const step = await codesStep(dev.seed, i.AuthenticationCode1, i.AuthenticationCode2, ctx.request.now, RESYNC_WINDOW);
    // The codes just used are spent; a device whose clock ran ahead keeps its newer step.
    await store.setLastTimeStep(ctx.write, i.SerialNumber, target.userId, step + 1);
    return undefined;
  },
});

export const DeleteVirtualMFADevice = defineAction({
  service: "iam",
  name: "DeleteVirtualMFADevice",
  effect: "write",
  input: { SerialNumber: serialNumber() },
  target: (i) => ({ resource: i.SerialNumber }),
  handler: async (i, ctx) => {
    const res = await store.deleteDevice(ctx.write, i.SerialNumber);
    if (res === "notFound") throw mfaErrors.noSuchDeviceToDelete(i.SerialNumber);
    if (res === "inUse") throw mfaErrors.stillInUse();
    return undefined;
  },
});

export const ListMFADevices = defineAction({
  service: "iam",
  name: "ListMFADevices",
  effect: "read",
  input: { UserName: optionalUserName(), ...paging },
  load: (i, ctx) => lookupTarget(ctx, i.UserName, true),
  target: (_i, _ctx, found) => ({ resource: found.resource }),
  handler: async (i, ctx, found) => {
    const target = resolveTarget(ctx, i.UserName, true, found);
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await store.listUserDevices(ctx.db, ctx.caller.principal.account, target.userId, decodeMarker(i.Marker), max + 1);
    const pg = page(rows, max, (d) => d.serialNumber);
    return {
      MFADevices: pg.items.map((d) => ({ UserName: target.userName, SerialNumber: d.serialNumber, EnableDate: d.enableDate ?? undefined })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },
});

export const ListVirtualMFADevices = defineAction({
  service: "iam",
  name: "ListVirtualMFADevices",
  effect: "read",
  input: { AssignmentStatus: s.string({ enum: ["Assigned", "Unassigned", "Any"] as const }), ...paging },
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const status = (i.AssignmentStatus ?? "Any") as store.AssignmentStatus;
    const rows = await store.listVirtualDevices(ctx.db, ctx.caller.principal.account, status, decodeMarker(i.Marker), max + 1);
    const pg = page(rows, max, (d) => d.serialNumber);
    const devices = [];
    for (const d of pg.items)
      devices.push({
        SerialNumber: d.serialNumber,
        User: await deviceUser(ctx, d),
        EnableDate: d.enableDate ?? undefined,
        Tags: d.tags.length ? d.tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
      });
    return { VirtualMFADevices: devices, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
});

export const GetMFADevice = defineAction({
  service: "iam",
  name: "GetMFADevice",
  effect: "read",
  input: { SerialNumber: serialNumber(), UserName: optionalUserName() },
  load: (i, ctx) => lookupTarget(ctx, i.UserName, true),
  target: (_i, _ctx, found) => ({ resource: found.resource }),
  handler: async (i, ctx, found) => {
    const target = resolveTarget(ctx, i.UserName, true, found);
    const dev = await store.getDevice(ctx.db, ctx.caller.principal.account, i.SerialNumber);
    if (!dev || dev.userId !== target.userId) throw mfaErrors.invalidForUser();
    return { UserName: target.userName, SerialNumber: dev.serialNumber, EnableDate: dev.enableDate ?? undefined };
  },
});

/** A device is tagged by its serial number; whether it exists is the store's answer. */
const taggedDevice = (ctx: ActionContext, serial: string): TaggedEntity => ({
  kind: "mfa",
  accountId: ctx.caller.principal.account,
  id: serial,
});

export const TagMFADevice = defineAction({
  service: "iam",
  name: "TagMFADevice",
  effect: "write",
  input: { SerialNumber: serialNumber(), ...tagsInput() },
  target: (i) => ({ resource: i.SerialNumber, context: requestTagContext(i.Tags) }),
  handler: (i, ctx) => tagEntity(ctx, taggedDevice(ctx, i.SerialNumber), i.Tags, () => mfaErrors.noSuchDevice(i.SerialNumber)),
});

export const UntagMFADevice = defineAction({
  service: "iam",
  name: "UntagMFADevice",
  effect: "write",
  input: { SerialNumber: serialNumber(), ...tagKeysInput() },
  target: (i) => ({ resource: i.SerialNumber, context: { "aws:TagKeys": i.TagKeys } }),
  handler: (i, ctx) => untagEntity(ctx, taggedDevice(ctx, i.SerialNumber), i.TagKeys, () => mfaErrors.noSuchDevice(i.SerialNumber)),
});

export const ListMFADeviceTags = defineAction({
  service: "iam",
  name: "ListMFADeviceTags",
  effect: "read",
  input: { SerialNumber: serialNumber(), ...paging },
  target: (i) => ({ resource: i.SerialNumber }),
  handler: (i, ctx) => listEntityTags(ctx, taggedDevice(ctx, i.SerialNumber), i, () => mfaErrors.noSuchDevice(i.SerialNumber)),
});

export const mfaActions: RegisteredAction[] = [
  CreateVirtualMFADevice,
  EnableMFADevice,
  DeactivateMFADevice,
  ResyncMFADevice,
  DeleteVirtualMFADevice,
  ListMFADevices,
  ListVirtualMFADevices,
  GetMFADevice,
  TagMFADevice,
  UntagMFADevice,
  ListMFADeviceTags,
];
