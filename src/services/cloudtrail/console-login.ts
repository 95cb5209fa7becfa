/**
 * Console sign-ins as CloudTrail records them (issue 21): eventSource `signin.amazonaws.com`,
 * eventName `ConsoleLogin`, eventType `AwsConsoleSignIn`, responseElements `{"ConsoleLogin":
 * "Success" | "Failure"}`, additionalEventData `{LoginTo, MobileVersion, MFAUsed}`, and on failure
 * errorMessage "Failed authentication" — AWS's documented examples ("AWS Management Console sign-in
 * events"). A failure names the user only when the name exists in the account; otherwise AWS writes
 * `HIDDEN_DUE_TO_SECURITY_REASONS`. Federated sign-ins (SAML, the federation endpoint) are recorded
 * as the assumed role. Written behind the response; never throws (the trail must not fail a sign-in).
 */
import type { Env } from "../../env";
import type { Caller } from "../../auth/caller";
import type { TrailRow } from "../../store/cloudtrail-events";
import { insertEvents } from "../../store/cloudtrail-events";
import { getDb } from "../../store/db";
import { isoSeconds } from "../../lib/clock";
import { EVENT_VERSION, userIdentity } from "./event";
import { trailEnabled } from "./recorder";

type JsonObject = Record<string, unknown>;

export interface ConsoleLoginFacts {
  account: string;
  /** who signed in (success), or the user name tried (failure; undefined = root) */
  outcome: { ok: true; caller: Caller } | { ok: false; userName?: string; userKnown: boolean };
  mfaUsed: boolean;
  /** where the console opens (AWS: the console URL) */
  loginTo: string;
  sourceIp: string;
  userAgent: string;
  now: number;
}

export const HIDDEN_USER = "HIDDEN_DUE_TO_SECURITY_REASONS";

/** The record (pure but for the ids). */
export function consoleLoginRow(f: ConsoleLoginFacts, newId: () => string): TrailRow {
  const eventId = newId();
  let identity: JsonObject;
  let username: string | undefined;
  if (f.outcome.ok) {
    // The sign-in itself, not a call made with the console's credentials: no access key, no session.
    const c = f.outcome.caller;
    const { session: _s, ...plain } = c;
    identity = userIdentity(c.principal.kind === "assumedRole" || c.principal.kind === "federatedUser" ? c : { ...plain, accessKeyId: "" });
    if (c.principal.kind === "user") username = c.principal.username;
    else if (c.principal.kind === "root") username = "root";
  } else if (f.outcome.userName === undefined) {
    identity = { type: "Root", principalId: f.account, arn: `arn:aws:iam::${f.account}:root`, accountId: f.account, accessKeyId: "" };
    username = "root";
  } else {
    username = f.outcome.userKnown ? f.outcome.userName : HIDDEN_USER;
    identity = { type: "IAMUser", accountId: f.account, accessKeyId: "", userName: username };
  }
  const body: JsonObject = {
    eventVersion: EVENT_VERSION,
    userIdentity: identity,
    eventTime: isoSeconds(f.now),
    eventSource: "signin.amazonaws.com",
    eventName: "ConsoleLogin",
    awsRegion: "us-east-1",
    sourceIPAddress: f.sourceIp,
    userAgent: f.userAgent,
    ...(f.outcome.ok ? {} : { errorMessage: "Failed authentication" }),
    requestParameters: null,
    responseElements: { ConsoleLogin: f.outcome.ok ? "Success" : "Failure" },
    additionalEventData: { LoginTo: f.loginTo, MobileVersion: "No", MFAUsed: f.mfaUsed ? "Yes" : "No" },
    eventID: eventId,
    readOnly: false,
    eventType: "AwsConsoleSignIn",
    managementEvent: true,
    recipientAccountId: f.account,
    eventCategory: "Management",
  };
  return {
    accountId: f.account,
    eventId,
    eventTime: f.now,
    eventName: "ConsoleLogin",
    eventSource: "signin.amazonaws.com",
    category: "Management",
    readOnly: false,
    ...(username ? { username } : {}),
    resources: [],
    body: JSON.stringify(body),
  };
}

export async function recordConsoleLogin(env: Env, f: ConsoleLoginFacts): Promise<void> {
  if (!trailEnabled(env) || !f.account) return;
  try {
    await insertEvents(getDb(env.DB), [consoleLoginRow(f, () => crypto.randomUUID())]);
  } catch (e) {
    console.error("cloudtrail: recording a console sign-in failed", e instanceof Error ? e.message : e);
  }
}
