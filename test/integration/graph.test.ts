/**
 * The Permissions Graph API (issue 20), over accounts built with the real @aws-sdk/client-iam:
 * the PassRole escalation lab (a user with ec2:RunInstances + iam:PassRole * reaches the admin role;
 * scoping PassRole removes the path), access edges and filters, reach through an assume-role chain,
 * cross-account graphs, DOT output, and the signed /_iamlab/my/graph for the account's own principals.
 */
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { lambdaZip } from "../helpers/zip";
import { passRoleLab } from "../helpers/graph-lab";
import { adminFetch, signedGet, url } from "../helpers/sandbox";
import { keyCreds, withAccount, type AccountFixture } from "../helpers/fixtures";

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const trust = (Principal: object) => doc({ Effect: "Allow", Principal, Action: "sts:AssumeRole" });

interface Step {
  from: string;
  to: string;
  technique: string;
  via: Array<{ type: string; policy: string }>;
}

let a: AccountFixture;
let b: AccountFixture;
const arn = (kind: string, name: string, acct = a.id) => `arn:aws:iam::${acct}:${kind}/${name}`;

beforeAll(async () => {
  a = await withAccount();
  b = await withAccount();
  // The PassRole escalation lab: a developer who may launch instances and pass any role.
  await passRoleLab(a.iam);
  // A reader role the analyst may assume, allowed to read one bucket.
  await a.iam.send(new CreateUserCommand({ UserName: "analyst" }));
  await a.iam.send(
    new PutUserPolicyCommand({
      UserName: "analyst",
      PolicyName: "assume",
      PolicyDocument: doc({ Effect: "Allow", Action: "sts:AssumeRole", Resource: arn("role", "Reader") }),
    }),
  );
  await a.iam.send(new CreateRoleCommand({ RoleName: "Reader", AssumeRolePolicyDocument: trust({ AWS: arn("user", "analyst") }) }));
  await a.iam.send(
    new PutRolePolicyCommand({
      RoleName: "Reader",
      PolicyName: "read",
      PolicyDocument: doc({
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: ["arn:aws:s3:::graph-vault-*", "arn:aws:s3:::graph-vault-*/*"],
      }),
    }),
  );
  const s3 = new S3Client({ endpoint: url(), region: "us-east-1", credentials: a.creds, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: `graph-vault-${a.id}` }));
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: `graph-vault-${a.id}`,
      Policy: doc({
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${b.id}:root` },
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::graph-vault-${a.id}/*`,
      }),
    }),
  );
  // Account B: a user allowed to read anything (cross account: the bucket policy must allow too).
  await b.iam.send(new CreateUserCommand({ UserName: "partner" }));
  await b.iam.send(
    new PutUserPolicyCommand({
      UserName: "partner",
      PolicyName: "s3read",
      PolicyDocument: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }),
    }),
  );
});

describe("GET /_iamlab/accounts/:id/graph/escalations", () => {
  it("finds the PassRole + RunInstances path to the admin role; scoping PassRole removes it", async () => {
    const res = await adminFetch(`/accounts/${a.id}/graph/escalations`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { admins: string[]; paths: Array<{ principal: string; reaches: string; steps: Step[] }> };
    expect(body.admins).toContain(arn("role", "AdminRole"));
    const dev = body.paths.find((p) => p.principal === arn("user", "dev"))!;
    expect(dev.reaches).toBe(arn("role", "AdminRole"));
    expect(dev.steps.map((s) => s.technique)).toEqual(["iam:PassRole+ec2:RunInstances", "*:*"]);
    // The statements that formed the edge: the user's inline policy (PassRole and RunInstances).
    expect(dev.steps[0]!.via.map((v) => v.policy)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^user\/AIDA\w+:inline\/launch$/)]),
    );
    expect(body.paths.some((p) => p.principal === arn("user", "analyst"))).toBe(false);

    await a.iam.send(
      new PutUserPolicyCommand({
        UserName: "dev",
        PolicyName: "launch",
        PolicyDocument: doc(
          { Effect: "Allow", Action: "ec2:RunInstances", Resource: "*" },
          { Effect: "Allow", Action: "iam:PassRole", Resource: arn("role", "WebServer") },
        ),
      }),
    );
    const after = (await (await adminFetch(`/accounts/${a.id}/graph/escalations`)).json()) as { paths: Array<{ principal: string }> };
    expect(after.paths.some((p) => p.principal === arn("user", "dev"))).toBe(false);
  });

  it("as DOT: a digraph of the paths' principals", async () => {
    const res = await adminFetch(`/accounts/${a.id}/graph/escalations?target=${encodeURIComponent(arn("role", "Reader"))}&format=dot`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/vnd.graphviz");
    const text = await res.text();
    expect(text).toMatch(/^digraph iamlab \{\n/);
    expect(text.trimEnd().endsWith("}")).toBe(true);
    expect(text).toContain(`"${arn("user", "analyst")}" -> "${arn("role", "Reader")}" [label="sts:AssumeRole"`);
  });
});

describe("GET /_iamlab/accounts/:id/graph", () => {
  it("vertices and edges with the statements that formed them; filters by action and resource", async () => {
    const bucket = `arn:aws:s3:::graph-vault-${a.id}`;
    const res = await adminFetch(`/accounts/${a.id}/graph?service=s3`);
    expect(res.status).toBe(200);
    const g = (await res.json()) as {
      vertices: Array<{ type: string; id: string; admin?: unknown }>;
      edges: Array<{ kind: string; from: string; to: string; actions?: string[]; technique?: string; via: Array<{ type: string }> }>;
      accessEdges: { total: number };
      stats: { principals: number; evaluations: number };
    };
    expect(g.vertices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "resource", id: bucket }),
        expect.objectContaining({ type: "principal", id: arn("role", "AdminRole"), admin: expect.anything() }),
      ]),
    );
    const reader = g.edges.find((e) => e.kind === "access" && e.from === arn("role", "Reader") && e.to === bucket)!;
    expect(reader.actions!.sort()).toEqual(["s3:GetObject", "s3:ListBucket"]);
    expect(reader.via).toEqual([expect.objectContaining({ type: "identity" })]);
    expect(g.edges).toContainEqual(
      expect.objectContaining({ kind: "principal", from: arn("user", "analyst"), to: arn("role", "Reader"), technique: "sts:AssumeRole" }),
    );
    expect(g.edges.some((e) => e.kind === "access" && e.from === arn("user", "analyst"))).toBe(false);

    const only = (await (
      await adminFetch(`/accounts/${a.id}/graph?action=s3:ListBucket&resource=${encodeURIComponent(bucket)}&edges=access`)
    ).json()) as typeof g;
    expect(only.edges.every((e) => e.kind === "access" && e.actions!.join() === "s3:ListBucket")).toBe(true);
    expect(only.edges.map((e) => e.from).sort()).toEqual(
      [arn("role", "AdminRole"), `arn:aws:iam::${a.id}:root`, arn("role", "Reader")].sort(),
    );
  });

  it("across accounts: the cross-account edge needs the bucket policy and the identity policy", async () => {
    const bucket = `arn:aws:s3:::graph-vault-${a.id}`;
    const res = await adminFetch(`/graph?accounts=${a.id},${b.id}&action=s3:GetObject&edges=access`);
    expect(res.status).toBe(200);
    const g = (await res.json()) as { accounts: string[]; edges: Array<{ from: string; to: string; via: Array<{ type: string }> }> };
    expect(g.accounts).toEqual([a.id, b.id]);
    const partner = g.edges.find((e) => e.from === arn("user", "partner", b.id) && e.to === bucket)!;
    expect(partner.via.map((v) => v.type).sort()).toEqual(["identity", "resource"]);
    // B's root user: its identity side allows everything, the bucket policy names B.
    expect(g.edges.some((e) => e.from === `arn:aws:iam::${b.id}:root` && e.to === bucket)).toBe(true);
  });

  it("DOT output parses as a digraph (balanced, one statement a line)", async () => {
    const res = await adminFetch(`/accounts/${a.id}/graph?format=dot`);
    const text = await res.text();
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("digraph iamlab {");
    expect(lines.at(-1)).toBe("}");
    for (const l of lines.slice(1, -1)) expect(l).toMatch(/^ {2}(rankdir=LR;|node \[.*\];|"[^"]*(?:\\"[^"]*)*"( -> "[^"]*")? \[.*\];)$/);
    // Where Graphviz is installed, it must render the file.
    const dot = spawnSync("dot", ["-Tsvg"], { input: text, encoding: "utf8" });
    if (!dot.error) {
      expect(dot.stderr).toBe("");
      expect(dot.status).toBe(0);
      expect(dot.stdout).toContain("<svg");
    }
  });

  it("rejects malformed filters and unknown accounts", async () => {
    for (const q of ["format=svg", "limit=-1", "action=s3:*", "edges=some", "resource=bucket"]) {
      const res = await adminFetch(`/accounts/${a.id}/graph?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe("InvalidRequest");
    }
    expect((await adminFetch("/accounts/999999999990/graph")).status).toBe(404);
    expect((await adminFetch(`/accounts/${a.id}/graph/reach?resource=arn:aws:s3:::x`)).status).toBe(400);
    expect((await fetch(`${url()}/_iamlab/accounts/${a.id}/graph`)).status).toBe(401);
  });
});

describe("lambda:UpdateFunctionCode on an existing function", () => {
  it("reaches the function's execution role (the loader reads the role from the function's configuration)", async () => {
    await a.iam.send(new CreateRoleCommand({ RoleName: "FnAdmin", AssumeRolePolicyDocument: trust({ Service: "lambda.amazonaws.com" }) }));
    await a.iam.send(new AttachRolePolicyCommand({ RoleName: "FnAdmin", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    const lambda = new LambdaClient({ endpoint: url(), region: "us-east-1", credentials: a.creds });
    const fn = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: "nightly",
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Role: arn("role", "FnAdmin"),
        Code: { ZipFile: lambdaZip() },
      }),
    );
    await a.iam.send(new CreateUserCommand({ UserName: "coder" }));
    await a.iam.send(
      new PutUserPolicyCommand({
        UserName: "coder",
        PolicyName: "code",
        PolicyDocument: doc({ Effect: "Allow", Action: "lambda:UpdateFunctionCode", Resource: fn.FunctionArn }),
      }),
    );
    const body = (await (await adminFetch(`/accounts/${a.id}/graph/escalations`)).json()) as {
      paths: Array<{ principal: string; steps: Array<Step & { target?: string }> }>;
    };
    const coder = body.paths.find((p) => p.principal === arn("user", "coder"))!;
    expect(coder.steps[0]).toMatchObject({ technique: "lambda:UpdateFunctionCode", to: arn("role", "FnAdmin"), target: fn.FunctionArn });
  });
});

describe("GET /_iamlab/accounts/:id/graph/reach", () => {
  it("who can read the bucket's objects, through an assume-role chain", async () => {
    const resource = `arn:aws:s3:::graph-vault-${a.id}/report.csv`;
    const res = await adminFetch(`/accounts/${a.id}/graph/reach?resource=${encodeURIComponent(resource)}&action=s3:GetObject`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { principals: Array<{ principal: string; actor: string; path: Step[] }> };
    const analyst = body.principals.find((p) => p.principal === arn("user", "analyst"))!;
    expect(analyst.actor).toBe(arn("role", "Reader"));
    expect(analyst.path.map((s) => s.technique)).toEqual(["sts:AssumeRole"]);
    expect(body.principals.some((p) => p.principal === arn("user", "dev"))).toBe(false);
  });
});

describe("GET /_iamlab/my/graph (SigV4, iam:GetAccountAuthorizationDetails)", () => {
  it("answers the account's own principals allowed GetAccountAuthorizationDetails, and denies the others as AWS words it", async () => {
    const root = await signedGet("/_iamlab/my/graph/escalations", a.creds);
    expect(root.status).toBe(200);
    expect(((await root.json()) as { accounts: string[] }).accounts).toEqual([a.id]);

    const key = await a.iam.send(new CreateAccessKeyCommand({ UserName: "analyst" }));
    const denied = await signedGet("/_iamlab/my/graph?service=s3", keyCreds(key.AccessKey!));
    expect(denied.status).toBe(403);
    const err = (await denied.json()) as { error: string; message: string };
    expect(err.error).toBe("AccessDenied");
    expect(err.message).toContain("iam:GetAccountAuthorizationDetails");

    expect((await signedGet(`/_iamlab/my/graph?accounts=${b.id}`, a.creds)).status).toBe(400);
  });
});
