/**
 * Seeds a fresh sandbox account for the server benchmark, through the admin API and the real IAM
 * API (@aws-sdk/client-iam / client-sts), exactly as a user would: 100 users, 20 roles, 50
 * customer-managed policies with conditions, a caller user with 10 of them attached and an access
 * key, a user with no policies (the AccessDenied path), and one AssumeRole session.
 * Actions that the Worker does not implement yet (InvalidAction) are recorded, and the scenarios
 * that need them are skipped with the reason; everything else still runs.
 */
import {
  IAMClient,
  CreateUserCommand,
  CreateRoleCommand,
  CreatePolicyCommand,
  AttachUserPolicyCommand,
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { STSClient, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { LOCAL_DEFAULTS } from "../../src/tools/sandbox";
import type { Creds } from "./sign";

export const SEED = { users: 100, roles: 20, policies: 50, callerPolicies: 10 } as const;

export interface Account {
  accountId: string;
  root: Creds;
}

export interface Fixture {
  account: Account;
  /** IAM user with SEED.callerPolicies attached policies (with conditions) and an access key */
  caller?: { userName: string; arn: string; creds: Creds; attached: number };
  /** IAM user with no policies at all */
  denied?: { userName: string; creds: Creds };
  roleArn?: string;
  /** AssumeRole credentials of `caller` (or of root-less fallback) on roleArn */
  session?: Creds;
  /** action → why it failed (InvalidAction = not implemented yet, or the error) */
  failed: Map<string, string>;
  counts: { users: number; roles: number; policies: number };
  notes: string[];
}

export async function createAccount(url: string): Promise<Account> {
  const res = await fetch(`${url}/_iamlab/accounts`, {
    method: "POST",
    headers: { authorization: `Bearer ${LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: "{}",
  });
  if (res.status !== 201) throw new Error(`POST /_iamlab/accounts: ${res.status} ${await res.text()}`);
  const a = (await res.json()) as { accountId: string; rootAccessKeyId: string; rootSecretAccessKey: string };
  return { accountId: a.accountId, root: { accessKeyId: a.rootAccessKeyId, secretAccessKey: a.rootSecretAccessKey } };
}

export function iamClient(url: string, creds: Creds): IAMClient {
  return new IAMClient({ endpoint: url, region: "us-east-1", credentials: creds, maxAttempts: 1 });
}
export function stsClient(url: string, creds: Creds): STSClient {
  return new STSClient({ endpoint: url, region: "us-east-1", credentials: creds, maxAttempts: 1 });
}

/** One of the 50 customer policies: realistic statements with conditions and wildcards. */
export function policyDocument(i: number, accountId: string): string {
  const statements: Record<string, unknown>[] = [
    {
      Sid: `S3Home${i}`,
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
      Resource: [`arn:aws:s3:::bench-bucket-${i}`, `arn:aws:s3:::bench-bucket-${i}/home/\${aws:username}/*`],
      Condition: { StringLike: { "s3:prefix": ["home/${aws:username}/*"] }, Bool: { "aws:SecureTransport": "true" } },
    },
    {
      Sid: `TeamRead${i}`,
      Effect: "Allow",
      Action: ["iam:Get*", "iam:List*"],
      Resource: `arn:aws:iam::${accountId}:user/team-${i}/*`,
      Condition: { IpAddress: { "aws:SourceIp": [`10.${i}.0.0/16`, "192.168.0.0/16"] } },
    },
    {
      Sid: `RegionFence${i}`,
      Effect: "Deny",
      Action: ["ec2:*", "lambda:*"],
      Resource: "*",
      Condition: { StringNotEquals: { "aws:RequestedRegion": ["us-east-1", "eu-west-1"] } },
    },
  ];
  if (i === 5) {
    // A Deny that must be evaluated (and not apply) on every call: only from the local network.
    statements.push({
      Sid: "OnlyFromLocal",
      Effect: "Deny",
      Action: "iam:*",
      Resource: "*",
      Condition: { NotIpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } },
    });
  }
  if (i === SEED.callerPolicies - 1) {
    // The statements that actually allow the benchmarked calls come last.
    statements.push(
      {
        Sid: "ReadBenchUsers",
        Effect: "Allow",
        Action: "iam:GetUser",
        Resource: `arn:aws:iam::${accountId}:user/bench/bench-user-*`,
        Condition: { IpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] }, StringEquals: { "aws:RequestedRegion": "us-east-1" } },
      },
      { Sid: "AssumeBenchRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: `arn:aws:iam::${accountId}:role/bench-role-*` },
    );
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

function errText(e: unknown): string {
  const x = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return `${x.name ?? "Error"}${x.$metadata?.httpStatusCode ? ` ${x.$metadata.httpStatusCode}` : ""}: ${x.message ?? String(e)}`;
}

async function pool<T>(n: number, width: number, f: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const out: PromiseSettledResult<T>[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) {
        const i = next++;
        try {
          out[i] = { status: "fulfilled", value: await f(i) };
        } catch (e) {
          out[i] = { status: "rejected", reason: e };
        }
      }
    }),
  );
  return out;
}

export async function seed(url: string): Promise<Fixture> {
  const account = await createAccount(url);
  const A = account.accountId;
  const iam = iamClient(url, account.root);
  const fx: Fixture = { account, failed: new Map(), counts: { users: 0, roles: 0, policies: 0 }, notes: [] };
  const fail = (action: string, e: unknown): void => {
    if (!fx.failed.has(action)) fx.failed.set(action, errText(e));
  };
  const ok = (action: string): boolean => !fx.failed.has(action);

  // The caller first: role trust policies name it.
  let caller: Fixture["caller"];
  try {
    const u = await iam.send(new CreateUserCommand({ UserName: "bench-caller" }));
    caller = { userName: "bench-caller", arn: u.User!.Arn!, creds: { accessKeyId: "", secretAccessKey: "" }, attached: 0 };
  } catch (e) {
    fail("iam:CreateUser", e);
  }

  const users = await pool(SEED.users, 6, (i) =>
    iam.send(new CreateUserCommand({ UserName: `bench-user-${String(i).padStart(3, "0")}`, Path: "/bench/" })),
  );
  fx.counts.users = users.filter((r) => r.status === "fulfilled").length;
  for (const r of users) if (r.status === "rejected") fail("iam:CreateUser", r.reason);

  const policies = await pool(SEED.policies, 6, (i) =>
    iam.send(
      new CreatePolicyCommand({
        PolicyName: `bench-policy-${String(i).padStart(2, "0")}`,
        PolicyDocument: policyDocument(i, A),
        Description: "iamlab bench",
      }),
    ),
  );
  fx.counts.policies = policies.filter((r) => r.status === "fulfilled").length;
  for (const r of policies) if (r.status === "rejected") fail("iam:CreatePolicy", r.reason);
  const policyArn = (i: number): string => `arn:aws:iam::${A}:policy/bench-policy-${String(i).padStart(2, "0")}`;

  const principals = [`arn:aws:iam::${A}:root`, ...(caller ? [caller.arn] : [])];
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: principals }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
  });
  const roles = await pool(SEED.roles, 6, (i) =>
    iam.send(
      new CreateRoleCommand({
        RoleName: `bench-role-${String(i).padStart(2, "0")}`,
        AssumeRolePolicyDocument: trust,
        MaxSessionDuration: 3600,
      }),
    ),
  );
  fx.counts.roles = roles.filter((r) => r.status === "fulfilled").length;
  for (const r of roles) if (r.status === "rejected") fail("iam:CreateRole", r.reason);
  if (roles[0]?.status === "fulfilled") fx.roleArn = roles[0].value.Role!.Arn!;

  if (caller && fx.counts.policies >= SEED.callerPolicies) {
    for (let i = 0; i < SEED.callerPolicies; i++) {
      try {
        await iam.send(new AttachUserPolicyCommand({ UserName: caller.userName, PolicyArn: policyArn(i) }));
        caller.attached++;
      } catch (e) {
        fail("iam:AttachUserPolicy", e);
        break;
      }
    }
  }
  if (fx.roleArn && ok("iam:CreatePolicy")) {
    // Give the role a few policies too (an assumed-role session's calls evaluate them).
    for (let i = 0; i < 3; i++) {
      try {
        await iam.send(new AttachRolePolicyCommand({ RoleName: "bench-role-00", PolicyArn: policyArn(10 + i) }));
      } catch (e) {
        fail("iam:AttachRolePolicy", e);
        break;
      }
    }
  }

  if (caller) {
    try {
      const k = await iam.send(new CreateAccessKeyCommand({ UserName: caller.userName }));
      caller.creds = { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
      fx.caller = caller;
    } catch (e) {
      fail("iam:CreateAccessKey", e);
    }
  }
  if (ok("iam:CreateUser") && ok("iam:CreateAccessKey")) {
    try {
      await iam.send(new CreateUserCommand({ UserName: "bench-denied" }));
      const k = await iam.send(new CreateAccessKeyCommand({ UserName: "bench-denied" }));
      fx.denied = {
        userName: "bench-denied",
        creds: { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! },
      };
    } catch (e) {
      fail("iam:CreateAccessKey", e);
    }
  }

  if (fx.roleArn && fx.caller) {
    try {
      const r = await stsClient(url, fx.caller.creds).send(
        new AssumeRoleCommand({ RoleArn: fx.roleArn, RoleSessionName: "bench-session", DurationSeconds: 3600 }),
      );
      const c = r.Credentials!;
      fx.session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    } catch (e) {
      fail("sts:AssumeRole", e);
    }
  }
  return fx;
}
