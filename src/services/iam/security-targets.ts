/**
 * Whose MFA devices / login profile an action is about: the named IAM user, or — when UserName
 * is omitted — the caller itself (an IAM user, or the root user for MFA). Looked up once per
 * request (authorize needs the user's ARN with path, the handler its id).
 */
import type { ActionContext } from "../action";
import { errors } from "../../protocol/errors";
import { iamArn, rootArn } from "../../lib/arn";
import { ROOT_USER_ID, userByName, type UserRef } from "../../store/iam-mfa";
import { notFound } from "./common";

export interface Target {
  /** AIDA… or 'root' */
  userId: string;
  /** user name; the account id for the root user */
  userName: string;
  arn: string;
  user: UserRef | null;
}

const memo = new WeakMap<object, Map<string, Promise<UserRef | null>>>();

function lookup(ctx: ActionContext, input: object, name: string): Promise<UserRef | null> {
  let m = memo.get(input);
  if (!m) memo.set(input, (m = new Map()));
  const key = name.toLowerCase();
  let p = m.get(key);
  if (!p) m.set(key, (p = userByName(ctx.db, ctx.caller.principal.account, name)));
  return p;
}

export const nonUserCredentials = () => errors.validation("Must specify userName when calling with non-User credentials");

/**
 * The target of an action; `allowRoot` lets a root caller without UserName act on its own MFA.
 * Throws NoSuchEntity for a named user that does not exist.
 */
export async function resolveTarget(ctx: ActionContext, input: object, userName: string | undefined, allowRoot: boolean): Promise<Target> {
  const p = ctx.caller.principal;
  if (userName === undefined) {
    if (p.kind === "root" && allowRoot) return { userId: ROOT_USER_ID, userName: p.account, arn: rootArn(p.account), user: null };
    if (p.kind === "user" && p.username) userName = p.username;
    else throw nonUserCredentials();
  }
  const u = await lookup(ctx, input, userName);
  if (!u) throw notFound.user(userName);
  return { userId: u.userId, userName: u.userName, arn: u.arn, user: u };
}

/** The authorization resource: the user's ARN (with path), the path-less ARN of a missing user, or root's ARN. */
export async function targetResource(ctx: ActionContext, input: object, userName: string | undefined, allowRoot: boolean): Promise<string> {
  const p = ctx.caller.principal;
  if (userName === undefined) {
    if (p.kind === "root" && allowRoot) return rootArn(p.account);
    if (p.kind === "user") return p.arn;
    return iamArn(p.account, "user", "/", "*");
  }
  const u = await lookup(ctx, input, userName);
  return u?.arn ?? iamArn(p.account, "user", "/", userName);
}
