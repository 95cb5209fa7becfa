/**
 * Onboarding (issue 25): `POST /_iamlab/accounts` with `{"learner": {"userName": "learner",
 * "policies": ["arn:aws:iam::aws:policy/IAMFullAccess"]}}` also creates an IAM user with those
 * managed policies and an access key, so a lab does not need its own bootstrap (root cannot assume
 * roles). Runs on the brand-new account before its consistency mode is configured: the learner
 * exists from the start, as if created before the lab began.
 */
import type { Db } from "../store/db";
import { createUser } from "../store/iam-users";
import { attachPolicy } from "../store/iam-attachments";
import { createAccessKey } from "../store/iam-access-keys";
import type { Write } from "../store/write";
import { newAccessKeyId, newSecretAccessKey, newUniqueId } from "../lib/ids";
import { isoSeconds } from "../lib/clock";

export interface LearnerSpec {
  userName: string;
  policies: string[];
}

export interface Learner {
  userName: string;
  arn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const USER_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_ARN = /^arn:aws:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/;

/** The learner of a create-account body, or why it is not one. */
export function parseLearner(v: unknown): LearnerSpec | string {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "learner must be an object {userName, policies?}.";
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => k !== "userName" && k !== "policies");
  if (unknown.length) return `learner has unknown member(s) ${unknown.join(", ")}.`;
  if (typeof o.userName !== "string" || !USER_NAME.test(o.userName)) return "learner.userName must be 1-64 characters of [\\w+=,.@-].";
  const policies = o.policies ?? [];
  if (!Array.isArray(policies) || policies.length > 10 || !policies.every((p) => typeof p === "string" && POLICY_ARN.test(p)))
    return "learner.policies must be at most 10 managed policy ARNs (arn:aws:iam::aws:policy/…).";
  return { userName: o.userName, policies: policies as string[] };
}

/** Creates the learner in `accountId`; a message when a policy does not exist (the caller then deletes the account). */
export async function createLearner(db: Db, accountId: string, spec: LearnerSpec, now: number): Promise<Learner | string> {
  const w: Write = { db, account: accountId, effect: "permissions" };
  const arn = `arn:aws:iam::${accountId}:user/${spec.userName}`;
  const user = await createUser(w, {
    userId: newUniqueId("AIDA"),
    userName: spec.userName,
    path: "/",
    arn,
    createDate: isoSeconds(now),
    permissionsBoundary: null,
    tags: [],
  });
  if (!user.ok) return `learner ${spec.userName} could not be created (${user.reason}).`;
  for (const p of spec.policies) {
    const r = await attachPolicy(w, "user", spec.userName, p);
    if (r !== "ok") return r === "noPolicy" ? `Policy ${p} does not exist or is not attachable.` : `Attaching ${p} failed (${r}).`;
  }
  const key = { accessKeyId: newAccessKeyId(accountId, false), secret: newSecretAccessKey(), createDate: isoSeconds(now) };
  const k = await createAccessKey(w, { kind: "user", userName: spec.userName }, key);
  if (!k.ok) return `learner's access key could not be created (${k.reason}).`;
  return { userName: spec.userName, arn, accessKeyId: key.accessKeyId, secretAccessKey: key.secret };
}

/** Paste-ready: a credentials-file profile and the environment form. */
export function learnerSnippets(profile: string, l: Learner): { profile: string; env: string } {
  return {
    profile: `[${profile}]\naws_access_key_id = ${l.accessKeyId}\naws_secret_access_key = ${l.secretAccessKey}\n`,
    env: `export AWS_ACCESS_KEY_ID=${l.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${l.secretAccessKey}\nexport AWS_DEFAULT_REGION=us-east-1\n`,
  };
}
