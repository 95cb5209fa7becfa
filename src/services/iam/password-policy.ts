/** The account password policy: Update/Get/DeleteAccountPasswordPolicy with AWS's bounds and defaults. */
import { defineAction, type RegisteredAction } from "../action";
import { s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import type { PasswordPolicy } from "../../lib/password";
import * as store from "../../store/iam-passwords";

/** GetAccountPasswordPolicy's PasswordPolicy element, in AWS's member order. */
export function passwordPolicyView(p: PasswordPolicy) {
  return {
    MinimumPasswordLength: p.MinimumPasswordLength,
    RequireSymbols: p.RequireSymbols,
    RequireNumbers: p.RequireNumbers,
    RequireUppercaseCharacters: p.RequireUppercaseCharacters,
    RequireLowercaseCharacters: p.RequireLowercaseCharacters,
    AllowUsersToChangePassword: p.AllowUsersToChangePassword,
    ExpirePasswords: (p.MaxPasswordAge ?? 0) > 0,
    MaxPasswordAge: p.MaxPasswordAge,
    PasswordReusePrevention: p.PasswordReusePrevention,
    HardExpiry: p.HardExpiry,
  };
}

export const UpdateAccountPasswordPolicy = defineAction({
  service: "iam",
  name: "UpdateAccountPasswordPolicy",
  effect: "write",
  input: {
    MinimumPasswordLength: s.integer({ min: 6, max: 128 }),
    RequireSymbols: s.boolean(),
    RequireNumbers: s.boolean(),
    RequireUppercaseCharacters: s.boolean(),
    RequireLowercaseCharacters: s.boolean(),
    AllowUsersToChangePassword: s.boolean(),
    // Decoded (and so reported) in the order AWS reports their problems: PasswordReusePrevention before
    // MaxPasswordAge (LocalStack's AWS-recorded snapshot), unlike the model's member order.
    PasswordReusePrevention: s.integer({ min: 1, max: 24 }),
    MaxPasswordAge: s.integer({ min: 1, max: 1095 }),
    HardExpiry: s.boolean(),
  },
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    // Every parameter left out reverts to its default (AWS replaces the whole policy).
    const policy: PasswordPolicy = {
      MinimumPasswordLength: i.MinimumPasswordLength ?? 6,
      RequireSymbols: i.RequireSymbols ?? false,
      RequireNumbers: i.RequireNumbers ?? false,
      RequireUppercaseCharacters: i.RequireUppercaseCharacters ?? false,
      RequireLowercaseCharacters: i.RequireLowercaseCharacters ?? false,
      AllowUsersToChangePassword: i.AllowUsersToChangePassword ?? false,
    };
    if (i.MaxPasswordAge !== undefined) policy.MaxPasswordAge = i.MaxPasswordAge;
    if (i.PasswordReusePrevention !== undefined) policy.PasswordReusePrevention = i.PasswordReusePrevention;
    if (i.HardExpiry !== undefined) policy.HardExpiry = i.HardExpiry;
    await store.putPasswordPolicy(ctx.write, policy);
    return undefined;
  },
});

export const GetAccountPasswordPolicy = defineAction({
  service: "iam",
  name: "GetAccountPasswordPolicy",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (_i, ctx) => {
    const account = ctx.caller.principal.account;
    const p = await store.getPasswordPolicy(ctx.db, account);
    if (!p) throw errors.noSuchEntity(`The Password Policy with domain name ${account} cannot be found.`);
    return { PasswordPolicy: passwordPolicyView(p) };
  },
});

export const DeleteAccountPasswordPolicy = defineAction({
  service: "iam",
  name: "DeleteAccountPasswordPolicy",
  effect: "write",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (_i, ctx) => {
    if (!(await store.deletePasswordPolicy(ctx.write)))
      throw errors.noSuchEntity("The account policy with name PasswordPolicy cannot be found.");
    return undefined;
  },
});

export const passwordPolicyActions: RegisteredAction[] = [
  UpdateAccountPasswordPolicy,
  GetAccountPasswordPolicy,
  DeleteAccountPasswordPolicy,
];
