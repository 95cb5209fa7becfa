/**
 * The calls the hot-path tools replay (bench/hotpath.ts, bench/profile.ts, bench/ab.ts), by id, for
 * an account seeded by bench/lib/seed.ts (the S3 ones: bench/lib/s3.ts). The server benchmark
 * (bench/run.ts) has its own, richer list.
 */
import type { Fixture } from "./seed";
import { signRequest, type Creds, type SignedRequest } from "./sign";
import { s3Fixture } from "./s3";

export interface HotScenario {
  name: string;
  creds: Creds;
  service: "iam" | "sts";
  params: Record<string, string>;
  expect: number;
}

export function hotScenarios(fx: Fixture): Record<string, HotScenario> {
  const root = fx.account.root;
  return {
    "gci-root": { name: "GetCallerIdentity (root)", creds: root, service: "sts", params: { Action: "GetCallerIdentity" }, expect: 200 },
    "get-user": {
      name: "GetUser (10 policies w/ conditions)",
      creds: fx.caller!.creds,
      service: "iam",
      params: { Action: "GetUser", UserName: "bench-user-007" },
      expect: 200,
    },
    "list-users": {
      name: "ListUsers (root, 100)",
      creds: root,
      service: "iam",
      params: { Action: "ListUsers", MaxItems: "100" },
      expect: 200,
    },
    denied: { name: "ListUsers denied (403)", creds: fx.denied!.creds, service: "iam", params: { Action: "ListUsers" }, expect: 403 },
    "session-gci": {
      name: "GetCallerIdentity (session)",
      creds: fx.session!,
      service: "sts",
      params: { Action: "GetCallerIdentity" },
      expect: 200,
    },
    "assume-role": {
      name: "AssumeRole (creates a session: 1 DO call)",
      creds: fx.caller!.creds,
      service: "sts",
      params: { Action: "AssumeRole", RoleArn: fx.roleArn!, RoleSessionName: "hot", DurationSeconds: "3600" },
      expect: 200,
    },
    // A write that succeeds every time (same tag again): one D1 batch, caches invalidated.
    "tag-user": {
      name: "TagUser (same tag again)",
      creds: root,
      service: "iam",
      params: { Action: "TagUser", UserName: "bench-user-007", "Tags.member.1.Key": "team", "Tags.member.1.Value": "blue" },
      expect: 200,
    },
  };
}

export function signScenario(url: string, s: HotScenario): Promise<SignedRequest> {
  return signRequest({ url, creds: s.creds, service: s.service, params: s.params });
}

/** The S3 calls, by id: their own fixture (an account with a bucket), seeded on first use. */
export const S3_SCENARIOS = {
  "s3-get": { name: "S3 GetObject 1 KB (bucket policy only)", expect: 200 },
  "s3-put": { name: "S3 PutObject 1 KB", expect: 200 },
  "s3-list": { name: "S3 ListObjectsV2 (1,000 keys)", expect: 200 },
} as const;
export type S3ScenarioId = keyof typeof S3_SCENARIOS;

/** Any hot scenario's name, expected status and signed request (IAM/STS or S3). */
export async function hotRequest(url: string, fx: Fixture, id: string): Promise<{ name: string; expect: number; request: SignedRequest }> {
  if (id in S3_SCENARIOS) {
    const s3 = await s3Fixture(url);
    const s = S3_SCENARIOS[id as S3ScenarioId];
    const request = id === "s3-get" ? s3.get : id === "s3-put" ? s3.put : s3.list;
    return { name: s.name, expect: s.expect, request };
  }
  const s = hotScenarios(fx)[id];
  if (!s) throw new Error(`unknown scenario ${id}; one of ${[...Object.keys(hotScenarios(fx)), ...Object.keys(S3_SCENARIOS)].join(", ")}`);
  return { name: s.name, expect: s.expect, request: await signScenario(url, s) };
}
