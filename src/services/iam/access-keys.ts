/**
 * IAM access keys: Create/List/Update/DeleteAccessKey and GetAccessKeyLastUsed.
 *
 * Without UserName the caller's own keys are meant, as in AWS: an IAM user manages its own keys,
 * the root user manages the root keys (at most two, like a user's), and temporary credentials
 * (assumed roles, federation) get AWS's ValidationError. Root keys carry no UserName in answers.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common, s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { rootArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newAccessKeyId, newSecretAccessKey } from "../../lib/ids";
import * as store from "../../store/iam-access-keys";
import type { AccessKeyRow, KeyOwner } from "../../store/iam-access-keys";
import { getUserById } from "../../store/iam-users";
import { DEFAULT_MAX_ITEMS, decodeMarker, encodeMarker, notFound, paging } from "./common";
import { findUser, nonUserCredentials, userResource } from "./users";

const accessKeyId = () => s.string({ required: true, min: 16, max: 128, pattern: /^[\w]+$/, patternText: "[\\w]+" });

/** Whose keys the call is about: UserName, else the calling user, else root; never a session. */
function ownerOf(userName: string | undefined, ctx: ActionContext): KeyOwner {
  if (userName !== undefined) return { kind: "user", userName };
  const p = ctx.caller.principal;
  if (p.kind === "user" && p.username) return { kind: "user", userName: p.username };
  if (p.kind === "root" && !ctx.caller.session) return { kind: "root" };
  throw nonUserCredentials();
}

/** The load step of the key actions: whose keys, and that owner's ARN (with the user's path). */
async function loadOwner(ctx: ActionContext, userName: string | undefined): Promise<{ owner: KeyOwner; resource: string }> {
  const owner = ownerOf(userName, ctx);
  const resource =
    owner.kind === "root" ? rootArn(ctx.caller.principal.account) : userResource(ctx, owner.userName, await findUser(ctx, owner.userName));
  return { owner, resource };
}

function keyNotFound(id: string): AwsError {
  return errors.noSuchEntity(`The Access Key with id ${id} cannot be found.`);
}

function keyWriteError(r: Exclude<store.KeyWriteResult, { ok: true }>, owner: KeyOwner, id: string): AwsError {
  return r.reason === "noUser" && owner.kind === "user" ? notFound.user(owner.userName) : keyNotFound(id);
}

function metadata(k: AccessKeyRow) {
  return { UserName: k.userName ?? undefined, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: k.createDate };
}

export const CreateAccessKey = defineAction({
  service: "iam",
  name: "CreateAccessKey",
  effect: "rootKeys",
  input: { UserName: common.name(128, false) },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx, { owner }) => {
    const account = ctx.caller.principal.account;
    const secret = newSecretAccessKey();
    const res = await store.createAccessKey(ctx.db, account, owner, {
      accessKeyId: newAccessKeyId(account, false),
      secret,
      createDate: isoSeconds(ctx.request.now),
    });
    if (!res.ok) {
      if (res.reason === "noUser" && owner.kind === "user") throw notFound.user(owner.userName);
      throw errors.limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${store.ACCESS_KEYS_PER_USER}`);
    }
    const k = res.key;
    return {
      AccessKey: {
        UserName: k.userName ?? undefined,
        AccessKeyId: k.accessKeyId,
        Status: k.status,
        SecretAccessKey: secret,
        CreateDate: k.createDate,
      },
    };
  },
});

export const ListAccessKeys = defineAction({
  service: "iam",
  name: "ListAccessKeys",
  effect: "read",
  input: { UserName: common.name(128, false), ...paging },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx, { owner }) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const m = decodeMarker(i.Marker);
    let after: { createDate: string; accessKeyId: string } | undefined;
    if (m !== undefined) {
      const [createDate, id] = m.split(" ");
      if (!createDate || !id) throw errors.validation("Invalid Marker.");
      after = { createDate, accessKeyId: id };
    }
    const rows = await store.listAccessKeys(ctx.db, ctx.caller.principal.account, owner, { after, limit: max + 1 });
    if (!rows) throw notFound.user(i.UserName ?? "");
    const truncated = rows.length > max;
    const items = rows.slice(0, max);
    const last = items[items.length - 1];
    return {
      AccessKeyMetadata: items.map(metadata),
      IsTruncated: truncated,
      Marker: truncated && last ? encodeMarker(`${last.createDate} ${last.accessKeyId}`) : undefined,
    };
  },
});

export const UpdateAccessKey = defineAction({
  service: "iam",
  name: "UpdateAccessKey",
  effect: "rootKeys",
  input: {
    UserName: common.name(128, false),
    AccessKeyId: accessKeyId(),
    Status: s.string({ required: true, enum: ["Active", "Inactive", "Expired"] }),
  },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx, { owner }) => {
    if (i.Status === "Expired") throw errors.invalidInput("Access keys can only be set to Active or Inactive.");
    const r = await store.updateAccessKeyStatus(ctx.db, ctx.caller.principal.account, owner, i.AccessKeyId, i.Status);
    if (!r.ok) throw keyWriteError(r, owner, i.AccessKeyId);
    return undefined;
  },
});

export const DeleteAccessKey = defineAction({
  service: "iam",
  name: "DeleteAccessKey",
  effect: "rootKeys",
  input: { UserName: common.name(128, false), AccessKeyId: accessKeyId() },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx, { owner }) => {
    const r = await store.deleteAccessKey(ctx.db, ctx.caller.principal.account, owner, i.AccessKeyId);
    if (!r.ok) throw keyWriteError(r, owner, i.AccessKeyId);
    return undefined;
  },
});

export const GetAccessKeyLastUsed = defineAction({
  service: "iam",
  name: "GetAccessKeyLastUsed",
  effect: "read",
  input: { AccessKeyId: accessKeyId() },
  load: (i, ctx) => store.getAccessKey(ctx.db, ctx.caller.principal.account, i.AccessKeyId),
  target: async (i, ctx, k) => {
    const p = ctx.caller.principal;
    // AWS answers a key it cannot place (unknown, or another account's) with this AccessDenied.
    if (!k)
      throw errors.accessDenied(
        `User: ${p.arn} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key ${i.AccessKeyId}`,
      );
    if (!k.userId) return { resource: rootArn(p.account) };
    const u = await getUserById(ctx.db, p.account, k.userId);
    return { resource: u?.arn ?? rootArn(p.account) };
  },
  handler: (i, _ctx, k) => {
    if (!k) throw keyNotFound(i.AccessKeyId);
    return {
      UserName: k.userName ?? undefined,
      AccessKeyLastUsed: {
        LastUsedDate: k.lastUsedDate ?? undefined,
        ServiceName: k.lastUsedService ?? "N/A",
        Region: k.lastUsedRegion ?? "N/A",
      },
    };
  },
});

export const accessKeyActions: RegisteredAction[] = [
  CreateAccessKey,
  ListAccessKeys,
  UpdateAccessKey,
  DeleteAccessKey,
  GetAccessKeyLastUsed,
];
