/**
 * Issue 18, the simulator and explanations with Organizations, through the real SDK (and the CLI where
 * installed): SimulatePrincipalPolicy / SimulateCustomPolicy evaluate the SCPs over the simulated
 * principal's account and fill OrganizationsDecisionDetail; a live request denied by an SCP explains
 * each level's verdict (root / OU / account) at GET /_iamlab/my/decisions/<id>.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  DescribeCreateAccountStatusCommand,
  DetachPolicyCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  type ContextEntry,
  type EvaluationResult,
} from "@aws-sdk/client-iam";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import { adminFetch, iam, url, type Creds } from "../helpers/sandbox";
import { withAccount, keyCreds, type AccountFixture } from "../helpers/fixtures";
import { awsCli, hasAwsCli } from "../helpers/aws-cli";

const orgs = (creds: Creds) => new OrganizationsClient({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });
const s3 = (creds: Creds, region: string) =>
  new S3Client({ endpoint: url(), region, credentials: creds, maxAttempts: 1, forcePathStyle: true });
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const SCP = "SERVICE_CONTROL_POLICY";
const region = (r: string): ContextEntry[] => [{ ContextKeyName: "aws:RequestedRegion", ContextKeyValues: [r], ContextKeyType: "string" }];
const ADMIN = doc({ Effect: "Allow", Action: "*", Resource: "*" });

async function adminUser(root: Creds, name: string): Promise<Creds> {
  const c = iam(root);
  await c.send(new CreateUserCommand({ UserName: name }));
  await c.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
  return keyCreds((await c.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!);
}

async function signedGet(path: string, creds: Creds): Promise<Response> {
  const u = new URL(url());
  const signer = new SignatureV4({ credentials: creds, region: "us-east-1", service: "sts", sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign({
    method: "GET",
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path,
    headers: { host: u.host },
  });
  const headers = { ...(signed.headers as Record<string, string>) };
  delete headers.host;
  return fetch(`${u.origin}${path}`, { headers });
}

/** action → [EvalDecision, AllowedByOrganizations] */
const verdicts = (results: EvaluationResult[] | undefined) =>
  Object.fromEntries(
    (results ?? []).map((r) => [r.EvalActionName, [r.EvalDecision, r.OrganizationsDecisionDetail?.AllowedByOrganizations]]),
  );

let mgmt: AccountFixture;
let org: OrganizationsClient;
let rootId: string;
let ouId: string;
let member: string;
let memberRoot: Creds;
let memberUser: Creds;
let denyRegionId: string;

beforeAll(async () => {
  mgmt = await withAccount();
  org = orgs(mgmt.creds);
  await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  rootId = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: SCP }));
  const started = await org.send(new CreateAccountCommand({ Email: "sim@example.com", AccountName: "sim" }));
  const done = await org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: started.CreateAccountStatus!.Id! }));
  member = done.CreateAccountStatus!.AccountId!;
  const key = (await (await adminFetch(`/accounts/${member}/root-access-key`, { method: "POST" })).json()) as {
    rootAccessKeyId: string;
    rootSecretAccessKey: string;
  };
  memberRoot = { accessKeyId: key.rootAccessKeyId, secretAccessKey: key.rootSecretAccessKey };
  memberUser = await adminUser(memberRoot, "dev-admin");
  ouId = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: "Workloads" }))).OrganizationalUnit!.Id!;
  await org.send(new MoveAccountCommand({ AccountId: member, SourceParentId: rootId, DestinationParentId: ouId }));
  const denyRegion = await org.send(
    new CreatePolicyCommand({
      Name: "DenyOutsideEU",
      Description: "eu-west-1 only, global services exempt",
      Type: SCP,
      Content: doc({
        Sid: "DenyOutsideEU",
        Effect: "Deny",
        NotAction: ["iam:*", "sts:*", "organizations:*", "support:*"],
        Resource: "*",
        Condition: { StringNotEquals: { "aws:RequestedRegion": "eu-west-1" } },
      }),
    }),
  );
  denyRegionId = denyRegion.Policy!.PolicySummary!.Id!;
  await org.send(new AttachPolicyCommand({ PolicyId: denyRegionId, TargetId: ouId }));
});

describe("the simulator under an organization's SCPs", () => {
  const userArn = () => `arn:aws:iam::${member}:user/dev-admin`;
  const actions = ["ec2:RunInstances", "s3:ListAllMyBuckets", "iam:CreateUser"];

  it("SimulatePrincipalPolicy: a member's administrator outside eu-west-1 is denied by the SCP (AllowedByOrganizations false)", async () => {
    const r = await iam(memberRoot).send(
      new SimulatePrincipalPolicyCommand({ PolicySourceArn: userArn(), ActionNames: actions, ContextEntries: region("us-east-1") }),
    );
    expect(verdicts(r.EvaluationResults)).toEqual({
      "ec2:RunInstances": ["explicitDeny", false],
      "s3:ListAllMyBuckets": ["explicitDeny", false],
      "iam:CreateUser": ["allowed", true],
    });
    const ec2 = r.EvaluationResults![0]!;
    // The SCP's statement is not one of the simulated policies' (SourcePolicyType has no value for it);
    // the simulation ends at the SCPs: no EvalDecisionDetails.
    expect(ec2.MatchedStatements).toEqual([]);
    expect(ec2.EvalDecisionDetails).toBeUndefined();
    expect(r.EvaluationResults![2]!.MatchedStatements!.map((m) => m.SourcePolicyId)).toEqual(["AdministratorAccess"]);
  });

  it("in eu-west-1 everything the administrator may do is allowed by Organizations too", async () => {
    const r = await iam(memberUser).send(
      new SimulatePrincipalPolicyCommand({ PolicySourceArn: userArn(), ActionNames: actions, ContextEntries: region("eu-west-1") }),
    );
    expect(verdicts(r.EvaluationResults)).toEqual({
      "ec2:RunInstances": ["allowed", true],
      "s3:ListAllMyBuckets": ["allowed", true],
      "iam:CreateUser": ["allowed", true],
    });
  });

  it("without aws:RequestedRegion in the context the StringNotEquals Deny applies (a missing key matches a negated operator)", async () => {
    const r = await iam(memberRoot).send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: userArn(), ActionNames: ["s3:GetObject"] }));
    expect(verdicts(r.EvaluationResults)).toEqual({ "s3:GetObject": ["explicitDeny", false] });
  });

  it("SimulateCustomPolicy: an allow-list SCP at the account level leaves ec2 out (implicitDeny), s3 in", async () => {
    const allowList = await org.send(
      new CreatePolicyCommand({
        Name: "OnlyS3AndIam",
        Description: "allow-list",
        Type: SCP,
        Content: doc({ Effect: "Allow", Action: ["s3:*", "iam:*"], Resource: "*" }),
      }),
    );
    const id = allowList.Policy!.PolicySummary!.Id!;
    await org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: member }));
    await org.send(new DetachPolicyCommand({ PolicyId: "p-FullAWSAccess", TargetId: member }));
    try {
      const r = await iam(memberUser).send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [ADMIN],
          ActionNames: ["ec2:DescribeInstances", "s3:GetObject"],
          ContextEntries: region("eu-west-1"),
        }),
      );
      expect(verdicts(r.EvaluationResults)).toEqual({
        "ec2:DescribeInstances": ["implicitDeny", false],
        "s3:GetObject": ["allowed", true],
      });
      expect(r.EvaluationResults![0]!.MatchedStatements).toEqual([]);
    } finally {
      await org.send(new AttachPolicyCommand({ PolicyId: "p-FullAWSAccess", TargetId: member }));
      await org.send(new DetachPolicyCommand({ PolicyId: id, TargetId: member }));
    }
  });

  it("a role of the member account is held too; with ResourceArns the detail is on the aggregate result", async () => {
    const r = await iam(memberRoot).send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${member}:role/OrganizationAccountAccessRole`,
        ActionNames: ["s3:GetObject"],
        ResourceArns: ["arn:aws:s3:::b/k1", "arn:aws:s3:::b/k2"],
        ContextEntries: region("ap-south-1"),
      }),
    );
    const [res] = r.EvaluationResults!;
    expect(res).toMatchObject({ EvalDecision: "explicitDeny", OrganizationsDecisionDetail: { AllowedByOrganizations: false } });
    expect(res!.ResourceSpecificResults!.map((x) => x.EvalResourceDecision)).toEqual(["explicitDeny", "explicitDeny"]);
  });

  it("the management account is never restricted by SCPs: AllowedByOrganizations true", async () => {
    await adminUser(mgmt.creds, "mgmt-admin");
    const r = await mgmt.iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${mgmt.id}:user/mgmt-admin`,
        ActionNames: ["ec2:RunInstances"],
        ContextEntries: region("us-east-1"),
      }),
    );
    expect(verdicts(r.EvaluationResults)).toEqual({ "ec2:RunInstances": ["allowed", true] });
  });

  it("an account in no organization gets no OrganizationsDecisionDetail", async () => {
    const lone = await withAccount();
    const r = await lone.iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: [ADMIN], ActionNames: ["ec2:RunInstances"] }));
    expect(r.EvaluationResults![0]!.EvalDecision).toBe("allowed");
    expect(r.EvaluationResults![0]!.OrganizationsDecisionDetail).toBeUndefined();
  });

  it.skipIf(!hasAwsCli)("the AWS CLI reads the detail", async () => {
    const out = await awsCli<{ EvaluationResults: EvaluationResult[] }>(
      memberRoot,
      "iam",
      "simulate-principal-policy",
      "--policy-source-arn",
      userArn(),
      "--action-names",
      "ec2:RunInstances",
      "--context-entries",
      "ContextKeyName=aws:RequestedRegion,ContextKeyValues=us-west-2,ContextKeyType=string",
    );
    expect(out.EvaluationResults[0]).toMatchObject({
      EvalDecision: "explicitDeny",
      OrganizationsDecisionDetail: { AllowedByOrganizations: false },
    });
  });
});

describe("a live request denied by an SCP explains each level", () => {
  it("root allows, the OU denies (naming the SCP), the account allows; the summary names the level", async () => {
    const err = await s3(memberUser, "us-east-1")
      .send(new ListBucketsCommand({}))
      .then(
        () => undefined,
        (e: { message: string; $response?: { headers?: Record<string, string> } }) => e,
      );
    expect(err?.message).toMatch(
      /with an explicit deny in a service control policy: arn:aws:organizations::\d{12}:policy\/o-[a-z0-9]+\/service_control_policy\/p-/,
    );
    const decisionId = err?.$response?.headers?.["x-iamlab-decision-id"];
    expect(decisionId).toBeTruthy();
    const res = await signedGet(`/_iamlab/my/decisions/${decisionId}`, memberUser);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      reason: string;
      summary: string;
      explanation: {
        steps: string[];
        organizationLevels: Array<{ target: string; verdict: string; policies: string[]; deniedBy?: string }>;
      };
    };
    expect(body.reason).toBe("scpDeny");
    expect(body.explanation.organizationLevels.map((l) => [l.target, l.verdict])).toEqual([
      ["root", "allows"],
      ["ou", "denies"],
      ["account", "allows"],
    ]);
    const ou = body.explanation.organizationLevels[1]!;
    expect(ou.deniedBy).toMatch(new RegExp(`/service_control_policy/${denyRegionId}$`));
    expect(ou.policies.map((p) => p.slice(p.lastIndexOf("/") + 1)).sort()).toEqual(["p-FullAWSAccess", denyRegionId].sort());
    expect(body.explanation.steps[1]).toMatch(/^SCP level 1 \(an OU\): explicit deny in arn:aws:organizations::/);
    expect(body.summary).toContain("at level 1, an OU (root → OU → account)");
  });

  it("an allow-list SCP at the account without s3: AWS's implicit-deny form, the account level without an Allow", async () => {
    const onlyIam = await org.send(
      new CreatePolicyCommand({
        Name: "OnlyIam",
        Description: "allow-list",
        Type: SCP,
        Content: doc({ Effect: "Allow", Action: "iam:*", Resource: "*" }),
      }),
    );
    const id = onlyIam.Policy!.PolicySummary!.Id!;
    await org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: member }));
    await org.send(new DetachPolicyCommand({ PolicyId: "p-FullAWSAccess", TargetId: member }));
    try {
      const err = await s3(memberUser, "eu-west-1")
        .send(new ListBucketsCommand({}))
        .then(
          () => undefined,
          (e: { message: string; $response?: { headers?: Record<string, string> } }) => e,
        );
      expect(err?.message).toBe(
        `User: arn:aws:iam::${member}:user/dev-admin is not authorized to perform: s3:ListAllMyBuckets on resource: * because no service control policy allows the s3:ListAllMyBuckets action`,
      );
      const res = await signedGet(`/_iamlab/my/decisions/${err?.$response?.headers?.["x-iamlab-decision-id"]}`, memberRoot);
      const body = (await res.json()) as {
        reason: string;
        summary: string;
        explanation: { organizationLevels: Array<{ target: string; verdict: string }> };
      };
      expect(body.reason).toBe("noScpAllow");
      expect(body.explanation.organizationLevels.map((l) => `${l.target}:${l.verdict}`)).toEqual([
        "root:allows",
        "ou:allows",
        "account:noAllow",
      ]);
      expect(body.summary).toBe(
        `no service control policy at level 2, the account (root → OU → account): ${id} allows s3:ListAllMyBuckets on * (every level must allow)`,
      );
    } finally {
      await org.send(new AttachPolicyCommand({ PolicyId: "p-FullAWSAccess", TargetId: member }));
      await org.send(new DetachPolicyCommand({ PolicyId: id, TargetId: member }));
    }
  });
});
