/**
 * The workload credentials endpoint, `GET /_iamlab/workloads/credentials` with
 * `Authorization: <workload token>`: what the SDKs' container-credentials provider calls when
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN` are set (JS v3
 * fromHttp / fromContainerMetadata, botocore's ContainerProvider: loopback http or https). Answers
 * `{AccessKeyId, SecretAccessKey, Token, Expiration}` (+ RoleArn, AccountId), or a 4xx
 * `{Code, Message}` the SDKs surface.
 *
 * Each fetch resolves the workload afresh (one D1 query); the role's session is assumed as the
 * workload's service (trust policy checked, src/services/sts/service-sessions.ts) and reused until
 * 5 minutes before it expires, while the workload's fingerprint (role, trust policy, association)
 * is unchanged.
 */
import type { Env } from "../env";
import { getDb } from "../store/db";
import { tokenKey } from "../sessions/issue";
import { assumeRoleAsService } from "../services/sts/service-sessions";
import { AwsError } from "../protocol/errors";
import { BoundedMap } from "../lib/bounded";
import { isoSeconds } from "../lib/clock";
import { now as sandboxNow } from "../lib/time";
import { signWorkloadToken, verifyWorkloadToken } from "./token";
import { ec2Workloads } from "./ec2";
import { lambdaWorkloads } from "./lambda";
import type { WorkloadKind, WorkloadRef, WorkloadRefusal } from "./types";

export const WORKLOAD_CREDENTIALS_PATH = "/_iamlab/workloads/credentials";

/** The kinds of workload the endpoint serves. */
export const WORKLOAD_KINDS: Record<string, WorkloadKind> = { ec2: ec2Workloads, lambda: lambdaWorkloads };

/** Session length of a workload's credentials (EC2 rotates instance credentials hourly or so). */
const SESSION_SECONDS = 3600;
/** Fresh credentials are handed out this long before the old ones expire (the SDKs refresh 5 min early too). */
const REFRESH_BEFORE_MS = 5 * 60 * 1000;

interface CachedCredentials {
  fingerprint: string;
  refreshAt: number;
  body: string;
}
const cache = new BoundedMap<string, CachedCredentials>(
  4096,
  4 * 1024 * 1024,
  (v, k) => 2 * k.length + 2 * v.body.length + 2 * v.fingerprint.length + 64,
);

/** The token that lets code "on" the workload fetch its credentials; undefined when the Worker has no token key. */
export async function workloadToken(env: Env, ref: WorkloadRef): Promise<string | undefined> {
  const key = tokenKey(env);
  return key ? signWorkloadToken(key, ref) : undefined;
}

/** The endpoint's URL under the origin the client called. */
export function workloadCredentialsUrl(origin: string | undefined): string {
  return `${origin ?? "http://localhost:8787"}${WORKLOAD_CREDENTIALS_PATH}`;
}

function refusal(r: WorkloadRefusal): Response {
  return Response.json({ Code: r.code, Message: r.message }, { status: r.status });
}

export async function workloadCredentials(env: Env, req: Request): Promise<Response> {
  const key = tokenKey(env);
  const token = req.headers.get("authorization") ?? "";
  const ref = key && token ? await verifyWorkloadToken(key, token) : null;
  if (!ref) return refusal({ status: 403, code: "AccessDenied", message: "The workload authorization token is missing or invalid." });
  const kind = WORKLOAD_KINDS[ref.kind];
  if (!kind) return refusal({ status: 404, code: "NotFound", message: `Unknown workload kind ${ref.kind}.` });
  const db = getDb(env.DB);
  const now = sandboxNow();
  const found = await kind.resolve(env, db, ref, now);
  const cacheKey = `${ref.kind}/${ref.account}/${ref.id}`;
  if (!found.ok) {
    cache.delete(cacheKey);
    return refusal(found.refusal);
  }
  const w = found.workload;
  const hit = cache.get(cacheKey);
  if (hit && hit.fingerprint === w.fingerprint && now < hit.refreshAt) return json(hit.body);
  try {
    const s = await assumeRoleAsService(
      env,
      db,
      w.account,
      {
        service: w.service,
        roleName: w.roleName,
        sessionName: w.sessionName,
        durationSeconds: SESSION_SECONDS,
        sessionContext: w.sessionContext,
        ...(w.trustContext ? { trustContext: w.trustContext } : {}),
      },
      now,
    );
    const expires = s.Credentials.Expiration.getTime();
    const body = JSON.stringify({
      Code: "Success",
      Type: "AWS-HMAC",
      LastUpdated: isoSeconds(now),
      AccessKeyId: s.Credentials.AccessKeyId,
      SecretAccessKey: s.Credentials.SecretAccessKey,
      Token: s.Credentials.SessionToken,
      Expiration: isoSeconds(expires),
      RoleArn: s.AssumedRoleUser.Arn,
      AccountId: w.account,
    });
    cache.set(cacheKey, { fingerprint: w.fingerprint, refreshAt: expires - REFRESH_BEFORE_MS, body });
    return json(body);
  } catch (e) {
    cache.delete(cacheKey);
    if (!(e instanceof AwsError)) throw e;
    // The trust policy does not let the service assume the role (IMDS's iam/info code for it).
    if (e.code === "AccessDenied")
      return refusal({
        status: 403,
        code: "AssumeRoleUnauthorizedAccess",
        message: `${serviceName(w.service)} cannot assume the role ${w.roleName}. ${e.message}`,
      });
    return refusal({ status: e.status >= 500 ? 500 : 404, code: e.code, message: e.message });
  }
}

function serviceName(principal: string): string {
  return principal.split(".")[0]!.toUpperCase();
}

function json(body: string): Response {
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}
