/**
 * A function's execution role: the PassRole contract when a caller hands Lambda a role, and the
 * role's session that Invoke acts as. Lambda (the service principal `lambda.amazonaws.com`)
 * assumes the role through the role's trust policy — assumeRoleAsService, the engine's own
 * evaluation — with the function name as the session name, as AWS names a function's sessions
 * (`…:assumed-role/<role>/<function>`). The credentials are kept in the isolate until 5 minutes
 * before they expire, like the real service's cached execution credentials; a session that no
 * longer resolves (role deleted, account reset) is dropped and assumed again.
 */
import type { ActionContext } from "../action";
import type { Caller } from "../../auth/caller";
import { decidePassRole } from "../../authz/pass-role";
import { AwsError, errors } from "../../protocol/errors";
import { accessDeniedMessage } from "../../policy/index";
import { assumeRoleAsService } from "../sts/service-sessions";
import type { Credentials } from "../../sessions/issue";
import { sessionResolverFor } from "../../sessions/resolver";
import { dataPlaneFor } from "../../consistency/client";
import { setBounded } from "../../lib/bounded";
import { lambdaErr } from "./common";

export const LAMBDA_SERVICE = "lambda.amazonaws.com";
export const ROLE_PATTERN = "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+";
const ROLE = new RegExp(`^${ROLE_PATTERN}$`);
const SESSION_SECONDS = 3600;
const REFRESH_BEFORE_MS = 5 * 60_000;

export const cannotAssume = () => lambdaErr.invalidParameter("The role defined for the function cannot be assumed by Lambda.");

export function checkRoleArn(role: string): void {
  if (!ROLE.test(role)) throw lambdaErr.validation(role, "role", `Member must satisfy regular expression pattern: ${ROLE_PATTERN}`);
}

/**
 * The PassRole contract (CreateFunction, UpdateFunctionConfiguration with a Role): the caller's
 * iam:PassRole on the role, with iam:PassedToService = lambda.amazonaws.com and
 * iam:AssociatedResourceArn = the function; then Lambda must be able to assume the role (its trust
 * policy names lambda.amazonaws.com; an unknown role, or one of another account, fails the same way).
 */
export async function passExecutionRole(ctx: ActionContext, role: string, functionArn: string, functionName: string): Promise<void> {
  checkRoleArn(role);
  const passed = await decidePassRole(ctx, { roleArn: role, passedToService: LAMBDA_SERVICE, associatedResourceArn: functionArn });
  if (passed.decision.decision !== "allow") {
    ctx.decisionId = passed.decisionId;
    throw errors.accessDenied(accessDeniedMessage(passed.request, passed.decision));
  }
  await executionCredentials(ctx, role, functionArn, functionName, true);
}

interface Cached {
  credentials: Credentials;
  expires: number;
}
const sessions = new Map<string, Cached>();

async function executionCredentials(
  ctx: ActionContext,
  role: string,
  functionArn: string,
  functionName: string,
  fresh: boolean,
): Promise<Credentials> {
  const key = `${functionArn}|${role}`;
  const now = ctx.request.now;
  const hit = sessions.get(key);
  if (!fresh && hit && hit.expires - REFRESH_BEFORE_MS > now) return hit.credentials;
  const account = ctx.caller.principal.account;
  const roleAccount = role.split(":")[4];
  const roleName = role.slice(role.lastIndexOf("/") + 1);
  if (roleAccount !== functionArn.split(":")[4]) throw cannotAssume();
  try {
    const out = await assumeRoleAsService(
      ctx.env,
      ctx.db,
      roleAccount ?? account,
      { service: LAMBDA_SERVICE, roleName, sessionName: sessionName(functionName), durationSeconds: SESSION_SECONDS },
      now,
    );
    // A role with the same name but another path is not the role the function names.
    const assumedArn = out.AssumedRoleUser.Arn;
    if (!assumedArn.endsWith(`:assumed-role/${roleName}/${sessionName(functionName)}`)) throw cannotAssume();
    setBounded(sessions, key, { credentials: out.Credentials, expires: out.Credentials.Expiration.getTime() }, 4096);
    return out.Credentials;
  } catch (e) {
    if (e instanceof AwsError && e.code !== "ServiceFailure") throw cannotAssume();
    throw e;
  }
}

/** RoleSessionName allows 2–64 characters; a one-letter function gets a trailing `_`. */
function sessionName(functionName: string): string {
  return functionName.length < 2 ? `${functionName}_` : functionName.slice(0, 64);
}

/** The function's execution role as a caller: its session resolved as any request's would be. */
export async function executionCaller(ctx: ActionContext, role: string, functionArn: string, functionName: string): Promise<Caller> {
  for (const fresh of [false, true]) {
    const creds = await executionCredentials(ctx, role, functionArn, functionName, fresh);
    try {
      const { caller } = await sessionResolverFor(ctx.env).resolve(creds.AccessKeyId, creds.SessionToken, ctx.request.now);
      const c = caller.consistency;
      if (c) {
        caller.consistency = await dataPlaneFor(ctx.env).view(caller.principal.account, c.mode, c.latestGeneration, ctx.request.now);
        caller.generation = caller.consistency.visibleGeneration;
      }
      if (caller.entityDeleted) throw errors.invalidClientTokenId();
      return caller;
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      sessions.delete(`${functionArn}|${role}`);
    }
  }
  throw cannotAssume();
}
