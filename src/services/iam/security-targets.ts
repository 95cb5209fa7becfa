/**
 * Whose MFA devices / login profile an action is about: the named IAM user, or — when UserName
 * is omitted — the caller itself (an IAM user, or the root user for MFA). Looked up in the
 * actions' load step (the target needs the user's ARN with path, the handler its id).
 */
import type { ActionContext } from "../action";
import { iamArn, rootArn } from "../../lib/arn";
import { ROOT_USER_ID, userByName, type UserRef } from "../../store/iam-mfa";
import { notFound } from "./common";
import { nonUserCredentials } from "./users";

export interface Target {
  /** AIDA… or 'root' */
  userId: string;
  /** user name; the account id for the root user */
  userName: string;
  arn: string;
  user: UserRef | null;
}

/** What the load step found: the authorization resource and, when one is named or implied, the user. */
export interface TargetLookup {
  resource: string;
  user: UserRef | null;
}

/**
 * The load step: the user the call is about (named, or the calling IAM user) and the resource to
 * authorize — the user's ARN (with path), the path-less ARN of a missing user, or root's ARN.
 */
export async function lookupTarget(ctx: ActionContext, userName: string | undefined, allowRoot: boolean): Promise<TargetLookup> {
  const p = ctx.caller.principal;
  if (userName === undefined) {
    if (p.kind === "root" && allowRoot) return { resource: rootArn(p.account), user: null };
    if (p.kind === "user" && p.username) return { resource: p.arn, user: await userByName(ctx.db, p.account, p.username) };
    return { resource: iamArn(p.account, "user", "/", "*"), user: null };
  }
  const u = await userByName(ctx.db, p.account, userName);
  return { resource: u?.arn ?? iamArn(p.account, "user", "/", userName), user: u };
}

/**
 * The target of an action, from what the load step found; `allowRoot` lets a root caller without
 * UserName act on its own MFA. Throws NoSuchEntity for a named user that does not exist.
 */
export function resolveTarget(ctx: ActionContext, userName: string | undefined, allowRoot: boolean, found: TargetLookup): Target {
  const p = ctx.caller.principal;
  if (userName === undefined) {
    if (p.kind === "root" && allowRoot) return { userId: ROOT_USER_ID, userName: p.account, arn: rootArn(p.account), user: null };
    if (p.kind === "user" && p.username) userName = p.username;
    else throw nonUserCredentials();
  }
  const u = found.user;
  if (!u) throw notFound.user(userName);
  return { userId: u.userId, userName: u.userName, arn: u.arn, user: u };
}
