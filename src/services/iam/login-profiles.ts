/**
 * Console passwords of IAM users: Create/Get/Update/DeleteLoginProfile and ChangePassword. Every
 * new password is checked against the account policy (or AWS's default one) and against the
 * last PasswordReusePrevention passwords, then stored only as a PBKDF2 hash.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common, s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { isoSeconds } from "../../lib/clock";
import { hashPassword, passwordPolicyViolation, verifyPassword } from "../../lib/password";
import * as store from "../../store/iam-passwords";
import { lookupTarget, resolveTarget, type Target } from "./security-targets";

const PASSWORD = {
  min: 1,
  max: 128,
  pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/,
  patternText: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
} as const;
const password = () => s.string({ ...PASSWORD, required: true as const });
const optionalPassword = () => s.string(PASSWORD);

export const loginProfileErrors = {
  notFound: (user: string) => errors.noSuchEntity(`Login Profile for User ${user} cannot be found.`),
  exists: (user: string) => errors.entityAlreadyExists(`Login Profile for user ${user} already exists.`),
  violation: (m: string) => new AwsError("PasswordPolicyViolation", m, 400),
};

/** Policy rules, then reuse prevention; the PasswordPolicyViolation to throw, if any. */
async function checkNewPassword(ctx: ActionContext, target: Target, pw: string): Promise<void> {
  const account = ctx.caller.principal.account;
  const policy = await store.getPasswordPolicy(ctx.db, account);
  const violation = passwordPolicyViolation(pw, policy);
  if (violation) throw loginProfileErrors.violation(violation);
  const n = policy?.PasswordReusePrevention ?? 0;
  if (n > 0) {
    for (const h of await store.recentPasswordHashes(ctx.db, account, target.userId, n))
      if (await verifyPassword(pw, h)) throw loginProfileErrors.violation(`Password should not be one of your last ${n} passwords`);
  }
}

function profileView(target: Target, p: { createDate: string; passwordResetRequired: boolean }) {
  return { LoginProfile: { UserName: target.userName, CreateDate: p.createDate, PasswordResetRequired: p.passwordResetRequired } };
}

export const CreateLoginProfile = defineAction({
  service: "iam",
  name: "CreateLoginProfile",
  effect: "write",
  input: { UserName: common.name(64, false), Password: password(), PasswordResetRequired: s.boolean() },
  load: (i, ctx) => lookupTarget(ctx, i.UserName, false),
  target: (_i, _ctx, found) => ({ resource: found.resource }),
  handler: async (i, ctx, found) => {
    const target = resolveTarget(ctx, i.UserName, false, found);
    const account = ctx.caller.principal.account;
    if (await store.getLoginProfile(ctx.db, account, target.userId)) throw loginProfileErrors.exists(target.userName);
    await checkNewPassword(ctx, target, i.Password);
    const now = isoSeconds(ctx.request.now);
    const reset = i.PasswordResetRequired ?? false;
    const res = await store.createLoginProfile(ctx.write, target.userId, await hashPassword(i.Password), now, reset);
    if (res === "exists") throw loginProfileErrors.exists(target.userName);
    if (res === "noUser") throw errors.noSuchEntity(`The user with name ${target.userName} cannot be found.`);
    return profileView(target, { createDate: now, passwordResetRequired: reset });
  },
});

export const GetLoginProfile = defineAction({
  service: "iam",
  name: "GetLoginProfile",
  effect: "read",
  input: { UserName: common.name(64, false) },
  load: (i, ctx) => lookupTarget(ctx, i.UserName, false),
  target: (_i, _ctx, found) => ({ resource: found.resource }),
  handler: async (i, ctx, found) => {
    const target = resolveTarget(ctx, i.UserName, false, found);
    const p = await store.getLoginProfile(ctx.db, ctx.caller.principal.account, target.userId);
    if (!p) throw loginProfileErrors.notFound(target.userName);
    return profileView(target, p);
  },
});

export const UpdateLoginProfile = defineAction({
  service: "iam",
  name: "UpdateLoginProfile",
  effect: "write",
  input: { UserName: common.name(64), Password: optionalPassword(), PasswordResetRequired: s.boolean() },
  load: (i, ctx) => lookupTarget(ctx, i.UserName, false),
  target: (_i, _ctx, found) => ({ resource: found.resource }),
  handler: async (i, ctx, found) => {
    const target = resolveTarget(ctx, i.UserName, false, found);
    const account = ctx.caller.principal.account;
    if (!(await store.getLoginProfile(ctx.db, account, target.userId))) throw loginProfileErrors.notFound(target.userName);
    let hash: string | undefined;
    if (i.Password !== undefined) {
      await checkNewPassword(ctx, target, i.Password);
      hash = await hashPassword(i.Password);
    }
    const ok = await store.updateLoginProfile(ctx.write, target.userId, {
      hash,
      resetRequired: i.PasswordResetRequired,
      now: isoSeconds(ctx.request.now),
    });
    if (!ok) throw loginProfileErrors.notFound(target.userName);
    return undefined;
  },
});

export const DeleteLoginProfile = defineAction({
  service: "iam",
  name: "DeleteLoginProfile",
  effect: "write",
  input: { UserName: common.name(64, false) },
  load: (i, ctx) => lookupTarget(ctx, i.UserName, false),
  target: (_i, _ctx, found) => ({ resource: found.resource }),
  handler: async (i, ctx, found) => {
    const target = resolveTarget(ctx, i.UserName, false, found);
    if (!(await store.deleteLoginProfile(ctx.write, target.userId))) throw loginProfileErrors.notFound(target.userName);
    return undefined;
  },
});

export const ChangePassword = defineAction({
  service: "iam",
  name: "ChangePassword",
  effect: "write",
  input: { OldPassword: password(), NewPassword: password() },
  target: (_i, ctx) => ({ resource: ctx.caller.principal.kind === "user" ? ctx.caller.principal.arn : "*" }),
  handler: async (i, ctx) => {
    const p = ctx.caller.principal;
    // Only an IAM user changes its own password (the root user's is not managed by IAM).
    if (p.kind !== "user" || !p.username) throw new AwsError("InvalidUserType", "The user type is not valid for this operation.", 400);
    const target = resolveTarget(ctx, p.username, false, await lookupTarget(ctx, p.username, false));
    const account = p.account;
    const profile = await store.getLoginProfile(ctx.db, account, target.userId);
    if (!profile) throw loginProfileErrors.notFound(target.userName);
    if (!(await verifyPassword(i.OldPassword, profile.passwordHash))) throw errors.accessDenied("The old password is incorrect.");
    await checkNewPassword(ctx, target, i.NewPassword);
    const ok = await store.updateLoginProfile(ctx.write, target.userId, {
      hash: await hashPassword(i.NewPassword),
      resetRequired: false,
      now: isoSeconds(ctx.request.now),
      expectHash: profile.passwordHash,
    });
    // The password changed concurrently: the old password given is no longer the current one.
    if (!ok) throw errors.accessDenied("The old password is incorrect.");
    return undefined;
  },
});

export const loginProfileActions: RegisteredAction[] = [
  CreateLoginProfile,
  GetLoginProfile,
  UpdateLoginProfile,
  DeleteLoginProfile,
  ChangePassword,
];
