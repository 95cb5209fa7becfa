/**
 * Whose SSH keys, signing certificates or service-specific credentials a call is about: UserName,
 * else the calling IAM user, else (where AWS allows it) the root user; temporary credentials get
 * AWS's ValidationError. Looked up in the actions' load step: the target needs the user's ARN.
 */
import type { ActionContext } from "../action";
import { rootArn } from "../../lib/arn";
import type { CredentialOwner } from "../../store/iam-credential-owner";
import { findUser, nonUserCredentials, userResource } from "./users";

export interface LoadedOwner {
  owner: CredentialOwner;
  /** the resource to authorize: the user's ARN (path-less when missing) or root's */
  resource: string;
  /** false when the named user does not exist */
  exists: boolean;
  /** the user's name as stored (the request may spell it in another case) */
  userName?: string;
}

export function ownerOf(userName: string | undefined, ctx: ActionContext): CredentialOwner {
  if (userName !== undefined) return { kind: "user", userName };
  const p = ctx.caller.principal;
  if (p.kind === "user" && p.username) return { kind: "user", userName: p.username };
  if (p.kind === "root" && !ctx.caller.session) return { kind: "root" };
  throw nonUserCredentials();
}

export async function loadOwner(ctx: ActionContext, userName: string | undefined): Promise<LoadedOwner> {
  const owner = ownerOf(userName, ctx);
  if (owner.kind === "root") return { owner, resource: rootArn(ctx.caller.principal.account), exists: true };
  const u = await findUser(ctx, owner.userName);
  return { owner, resource: userResource(ctx, owner.userName, u), exists: !!u, userName: u?.userName };
}

/** The user name an owner is shown under in errors (the account id for root). */
export function ownerLabel(ctx: ActionContext, owner: CredentialOwner): string {
  return owner.kind === "user" ? owner.userName : ctx.caller.principal.account;
}
