/** The IAM policy simulator through the real @aws-sdk/client-iam (and raw requests for the wire and extras). */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetContextKeysForCustomPolicyCommand,
  GetContextKeysForPrincipalPolicyCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  paginateSimulateCustomPolicy,
  type EvaluationResult,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { adminFetch, iam, rawSigned, type Creds } from "../helpers/sandbox";
import { expectAwsError as expectErr } from "../helpers/aws-errors";
import { allow, deny, policyDoc as doc } from "../helpers/documents";
import { keyCreds, withAccount } from "../helpers/fixtures";

let creds: Creds;
let client: IAMClient;
let A: string;

beforeAll(async () => {
  ({ creds, iam: client, id: A } = await withAccount());
});

const conditional = doc(
  allow("s3:GetObject", "*", {
    Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" }, Bool: { "aws:MultiFactorAuthPresent": "true" } },
  }),
);

describe("SimulateCustomPolicy", () => {
  it("conditions with typed ContextEntries (ip, boolean): allowed, with the statement's position", async () => {
    const r = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [conditional],
        ActionNames: ["s3:GetObject"],
        ContextEntries: [
          { ContextKeyName: "aws:SourceIp", ContextKeyValues: ["203.0.113.7"], ContextKeyType: "ip" },
          { ContextKeyName: "aws:MultiFactorAuthPresent", ContextKeyValues: ["true"], ContextKeyType: "boolean" },
        ],
      }),
    );
    expect(r.IsTruncated).toBe(false);
    expect(r.EvaluationResults).toEqual([
      {
        EvalActionName: "s3:GetObject",
        EvalResourceName: "*",
        EvalDecision: "allowed",
        MatchedStatements: [
          {
            SourcePolicyId: "PolicyInputList.1",
            SourcePolicyType: "IAM Policy",
            StartPosition: { Line: 1, Column: 38 },
            EndPosition: { Line: 1, Column: conditional.length - 1 },
          },
        ],
        MissingContextValues: [],
      },
    ]);
  });

  it("a context value outside the condition: implicitDeny", async () => {
    const r = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [conditional],
        ActionNames: ["s3:GetObject"],
        ContextEntries: [
          { ContextKeyName: "aws:SourceIp", ContextKeyValues: ["198.51.100.1"], ContextKeyType: "ip" },
          { ContextKeyName: "aws:MultiFactorAuthPresent", ContextKeyValues: ["true"], ContextKeyType: "boolean" },
        ],
      }),
    );
    expect(r.EvaluationResults![0]).toMatchObject({ EvalDecision: "implicitDeny", MatchedStatements: [], MissingContextValues: [] });
  });

  it("MissingContextValues: the keys the statements needed and the request lacked", async () => {
    const r = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [conditional],
        ActionNames: ["s3:GetObject", "s3:PutObject"],
        ContextEntries: [{ ContextKeyName: "aws:MultiFactorAuthPresent", ContextKeyValues: ["true"], ContextKeyType: "boolean" }],
      }),
    );
    expect(r.EvaluationResults!.map((e) => [e.EvalActionName, e.EvalDecision, e.MissingContextValues])).toEqual([
      ["s3:GetObject", "implicitDeny", ["aws:SourceIp"]],
      ["s3:PutObject", "implicitDeny", []],
    ]);
  });

  it("explicit deny wins and is the only matched statement", async () => {
    const p = doc(allow("s3:*"), deny("s3:DeleteObject"));
    const r = await client.send(
      new SimulateCustomPolicyCommand({ PolicyInputList: [p], ActionNames: ["s3:DeleteObject", "s3:GetObject"] }),
    );
    const [del, get] = r.EvaluationResults!;
    expect(del!.EvalDecision).toBe("explicitDeny");
    expect(del!.MatchedStatements).toEqual([
      {
        SourcePolicyId: "PolicyInputList.1",
        SourcePolicyType: "IAM Policy",
        StartPosition: { Line: 1, Column: p.indexOf(',{"Effect":"Deny"') + 2 },
        EndPosition: { Line: 1, Column: p.length - 1 },
      },
    ]);
    expect(get!.EvalDecision).toBe("allowed");
    expect(get!.MatchedStatements![0]!.StartPosition).toEqual({ Line: 1, Column: 38 });
  });

  it("statement positions in a pretty-printed second policy", async () => {
    const pretty = JSON.stringify({ Version: "2012-10-17", Statement: [allow("ec2:*"), allow("s3:GetObject")] }, null, 2);
    const r = await client.send(
      new SimulateCustomPolicyCommand({ PolicyInputList: [doc(allow("sqs:*")), pretty], ActionNames: ["s3:GetObject"] }),
    );
    // line 8 is "    }," closing the first statement; the second starts right after that comma, ends after line 13's "}"
    expect(r.EvaluationResults![0]!.MatchedStatements).toEqual([
      {
        SourcePolicyId: "PolicyInputList.2",
        SourcePolicyType: "IAM Policy",
        StartPosition: { Line: 8, Column: 7 },
        EndPosition: { Line: 13, Column: 6 },
      },
    ]);
  });

  it("PermissionsBoundaryPolicyInputList caps the identity policies", async () => {
    const r = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("*"))],
        PermissionsBoundaryPolicyInputList: [doc(allow("s3:*"))],
        ActionNames: ["s3:GetObject", "iam:CreateUser"],
      }),
    );
    expect(r.EvaluationResults!.map((e) => [e.EvalDecision, e.PermissionsBoundaryDecisionDetail])).toEqual([
      ["allowed", { AllowedByPermissionsBoundary: true }],
      ["implicitDeny", { AllowedByPermissionsBoundary: false }],
    ]);
  });

  it("ResourceArns: ResourceSpecificResults per ARN, the most restrictive decision on top, empty EvalDecisionDetails in one account", async () => {
    const p = doc(allow("s3:GetObject", "arn:aws:s3:::good/*"), deny("s3:GetObject", "arn:aws:s3:::bad/*"));
    const r = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [p],
        ActionNames: ["s3:GetObject"],
        ResourceArns: ["arn:aws:s3:::good/a", "arn:aws:s3:::bad/a"],
      }),
    );
    const e = r.EvaluationResults![0]!;
    expect(e.EvalDecision).toBe("explicitDeny");
    expect(e.EvalDecisionDetails).toEqual({});
    expect(e.ResourceSpecificResults!.map((x) => [x.EvalResourceName, x.EvalResourceDecision, x.MatchedStatements!.length])).toEqual([
      ["arn:aws:s3:::good/a", "allowed", 1],
      ["arn:aws:s3:::bad/a", "explicitDeny", 1],
    ]);
    const one = await client.send(
      new SimulateCustomPolicyCommand({ PolicyInputList: [p], ActionNames: ["s3:GetObject"], ResourceArns: ["arn:aws:s3:::good/a"] }),
    );
    expect(one.EvaluationResults![0]).toMatchObject({
      EvalResourceName: "arn:aws:s3:::good/a",
      EvalDecision: "allowed",
      MissingContextValues: [],
      EvalDecisionDetails: {},
    });
  });

  it("resource policy: same account grants alone; cross account (ResourceOwner) needs both sides", async () => {
    const caller = `arn:aws:iam::${A}:user/sim-caller`;
    const rp = (principal: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/*" }],
      });
    const same = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("sqs:*"))],
        ActionNames: ["s3:GetObject"],
        ResourceArns: ["arn:aws:s3:::shared/k"],
        ResourcePolicy: rp(caller),
        CallerArn: caller,
      }),
    );
    expect(same.EvaluationResults![0]).toMatchObject({
      EvalDecision: "allowed",
      MatchedStatements: [{ SourcePolicyId: "ResourcePolicy", SourcePolicyType: "resource" }],
    });

    const other = "arn:aws:iam::999988887777:root";
    const crossBoth = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("s3:GetObject"))],
        ActionNames: ["s3:GetObject"],
        ResourceArns: ["arn:aws:s3:::shared/k"],
        ResourcePolicy: rp(`arn:aws:iam::${A}:root`),
        ResourceOwner: other,
        CallerArn: caller,
      }),
    );
    expect(crossBoth.EvaluationResults![0]).toMatchObject({
      EvalDecision: "allowed",
      EvalDecisionDetails: { "IAM Policy": "allowed", "Resource Policy": "allowed" },
    });

    const crossIdentityOnly = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("s3:GetObject"))],
        ActionNames: ["s3:GetObject"],
        ResourceArns: ["arn:aws:s3:::shared/k"],
        ResourcePolicy: rp("arn:aws:iam::123456789012:root"),
        ResourceOwner: other,
        CallerArn: caller,
      }),
    );
    expect(crossIdentityOnly.EvaluationResults![0]).toMatchObject({
      EvalDecision: "implicitDeny",
      EvalDecisionDetails: { "IAM Policy": "allowed", "Resource Policy": "implicitDeny" },
    });
  });

  it("a role trust policy as ResourcePolicy: sts:AssumeRole allowed for the named caller", async () => {
    const caller = `arn:aws:iam::${A}:user/sim-caller`;
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: caller }, Action: "sts:AssumeRole" }],
    });
    const r = await client.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("sts:AssumeRole"))],
        ActionNames: ["sts:AssumeRole"],
        ResourceArns: [`arn:aws:iam::${A}:role/target`],
        ResourcePolicy: trust,
        CallerArn: caller,
      }),
    );
    expect(r.EvaluationResults![0]).toMatchObject({ EvalDecision: "allowed" });
  });

  it("pagination: MaxItems / Marker / IsTruncated over the EvaluationResults", async () => {
    const actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "sqs:SendMessage", "iam:GetUser"];
    const seen: string[] = [];
    let Marker: string | undefined;
    let pages = 0;
    do {
      const r = await client.send(
        new SimulateCustomPolicyCommand({ PolicyInputList: [doc(allow("s3:*"))], ActionNames: actions, MaxItems: 2, Marker }),
      );
      seen.push(...r.EvaluationResults!.map((e) => `${e.EvalActionName}=${e.EvalDecision}`));
      Marker = r.IsTruncated ? r.Marker : undefined;
      if (r.IsTruncated) expect(r.Marker).toBeTruthy();
      else expect(r.Marker).toBeUndefined();
      pages++;
    } while (Marker);
    expect(pages).toBe(3);
    expect(seen).toEqual([
      "s3:GetObject=allowed",
      "s3:PutObject=allowed",
      "s3:ListBucket=allowed",
      "sqs:SendMessage=implicitDeny",
      "iam:GetUser=implicitDeny",
    ]);
  });

  it("errors: MalformedPolicyDocument, InvalidInput for values of the wrong type, ValidationError for an unknown type", async () => {
    await expectErr(
      client.send(new SimulateCustomPolicyCommand({ PolicyInputList: [doc(allow("s3:*")), "{not json"], ActionNames: ["s3:GetObject"] })),
      "MalformedPolicyDocument",
      400,
      "Syntax errors in policy.",
    );
    await expectErr(
      client.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [conditional],
          ActionNames: ["s3:GetObject"],
          ContextEntries: [{ ContextKeyName: "aws:SourceIp", ContextKeyValues: ["not-an-ip"], ContextKeyType: "ip" }],
        }),
      ),
      "InvalidInput",
      400,
      "Invalid value not-an-ip for context key aws:SourceIp of type ip.",
    );
    await expectErr(
      client.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [conditional],
          ActionNames: ["s3:GetObject"],
          ContextEntries: [{ ContextKeyName: "aws:MultiFactorAuthPresent", ContextKeyValues: ["maybe"], ContextKeyType: "boolean" }],
        }),
      ),
      "InvalidInput",
      400,
      "Invalid value maybe for context key aws:MultiFactorAuthPresent of type boolean.",
    );
    await expectErr(
      client.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [conditional],
          ActionNames: ["s3:GetObject"],
          ContextEntries: [{ ContextKeyName: "aws:SourceIp", ContextKeyValues: ["10.0.0.1"], ContextKeyType: "ipAddress" as never }],
        }),
      ),
      "ValidationError",
      400,
      /Value at 'contextEntries.1.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set/,
    );
    await expectErr(
      client.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [doc(allow("s3:*"))],
          ActionNames: ["s3:GetObject"],
          ResourcePolicy: doc(allow("s3:*")),
        }),
      ),
      "InvalidInput",
      400,
    );
  });

  it("the raw wire: member lists, an empty EvalDecisionDetails element, typed positions", async () => {
    const r = await rawSigned(
      {
        Action: "SimulateCustomPolicy",
        Version: "2010-05-08",
        "PolicyInputList.member.1": doc(allow("s3:GetObject")),
        "ActionNames.member.1": "s3:GetObject",
        "ResourceArns.member.1": "arn:aws:s3:::b/k",
      },
      { service: "iam", creds },
    );
    expect(r.status).toBe(200);
    expect(r.text).toContain(
      "<EvaluationResults><member><EvalActionName>s3:GetObject</EvalActionName><EvalResourceName>arn:aws:s3:::b/k</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements><member><SourcePolicyId>PolicyInputList.1</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType><StartPosition><Line>1</Line><Column>38</Column></StartPosition>",
    );
    expect(r.text).toContain(
      "<MissingContextValues></MissingContextValues><EvalDecisionDetails></EvalDecisionDetails><ResourceSpecificResults><member><EvalResourceName>arn:aws:s3:::b/k</EvalResourceName><EvalResourceDecision>allowed</EvalResourceDecision>",
    );
    expect(r.text).toContain("<IsTruncated>false</IsTruncated></SimulateCustomPolicyResult>");
  });
});

describe("SimulatePrincipalPolicy", () => {
  it("a user with AWS-managed ReadOnlyAccess: reads allowed, writes implicitly denied", async () => {
    await client.send(new CreateUserCommand({ UserName: "reader" }));
    await client.send(new AttachUserPolicyCommand({ UserName: "reader", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    const r = await client.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${A}:user/reader`,
        ActionNames: ["s3:GetObject", "iam:GetUser", "iam:CreateUser", "s3:PutObject"],
      }),
    );
    expect(r.EvaluationResults!.map((e) => [e.EvalActionName, e.EvalDecision])).toEqual([
      ["s3:GetObject", "allowed"],
      ["iam:GetUser", "allowed"],
      ["iam:CreateUser", "implicitDeny"],
      ["s3:PutObject", "implicitDeny"],
    ]);
    const m = r.EvaluationResults![0]!.MatchedStatements!;
    expect(m.length).toBeGreaterThan(0);
    expect(m[0]).toMatchObject({ SourcePolicyId: "ReadOnlyAccess", SourcePolicyType: "IAM Policy", StartPosition: { Line: 1 } });
  });

  it("a user's group policies, inline and PolicyInputList policies, and its boundary (overridable)", async () => {
    await client.send(new CreateUserCommand({ UserName: "dev" }));
    await client.send(new CreateGroupCommand({ GroupName: "devs" }));
    await client.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "dev" }));
    await client.send(new PutGroupPolicyCommand({ GroupName: "devs", PolicyName: "sqs", PolicyDocument: doc(allow("sqs:*")) }));
    const arn = `arn:aws:iam::${A}:user/dev`;
    const r = await client.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: arn,
        PolicyInputList: [doc(allow("sns:Publish"))],
        ActionNames: ["sqs:SendMessage", "sns:Publish", "s3:GetObject"],
      }),
    );
    expect(r.EvaluationResults!.map((e) => [e.EvalDecision, e.MatchedStatements!.map((s) => s.SourcePolicyId)])).toEqual([
      ["allowed", ["group_devs_sqs"]],
      ["allowed", ["PolicyInputList.1"]],
      ["implicitDeny", []],
    ]);

    const bp = await client.send(new CreatePolicyCommand({ PolicyName: "only-sqs", PolicyDocument: doc(allow("sqs:*")) }));
    await client.send(new PutUserPermissionsBoundaryCommand({ UserName: "dev", PermissionsBoundary: bp.Policy!.Arn! }));
    const capped = await client.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: arn,
        PolicyInputList: [doc(allow("sns:Publish"))],
        ActionNames: ["sqs:SendMessage", "sns:Publish"],
      }),
    );
    expect(
      capped.EvaluationResults!.map((e) => [e.EvalDecision, e.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary]),
    ).toEqual([
      ["allowed", true],
      ["implicitDeny", false],
    ]);
    const overridden = await client.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: arn,
        PolicyInputList: [doc(allow("sns:Publish"))],
        PermissionsBoundaryPolicyInputList: [doc(allow("sns:*"))],
        ActionNames: ["sqs:SendMessage", "sns:Publish"],
      }),
    );
    expect(overridden.EvaluationResults!.map((e) => e.EvalDecision)).toEqual(["implicitDeny", "allowed"]);
  });

  it("a role's inline policy is named role_<role>_<policy>; a group can be the source", async () => {
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    await client.send(new CreateRoleCommand({ RoleName: "app", AssumeRolePolicyDocument: trust }));
    await client.send(
      new PutRolePolicyCommand({ RoleName: "app", PolicyName: "secrets", PolicyDocument: doc(deny("ssm:GetParameters"), allow("ssm:*")) }),
    );
    const r = await client.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${A}:role/app`,
        ActionNames: ["ssm:GetParameters", "ssm:GetParameter"],
      }),
    );
    expect(r.EvaluationResults!.map((e) => [e.EvalDecision, e.MatchedStatements![0]?.SourcePolicyId])).toEqual([
      ["explicitDeny", "role_app_secrets"],
      ["allowed", "role_app_secrets"],
    ]);
    const g = await client.send(
      new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${A}:group/devs`, ActionNames: ["sqs:ReceiveMessage"] }),
    );
    expect(g.EvaluationResults![0]).toMatchObject({ EvalDecision: "allowed", MatchedStatements: [{ SourcePolicyId: "group_devs_sqs" }] });
  });

  it("NoSuchEntity for an unknown user / role / group; a resource policy needs CallerArn for a role", async () => {
    await expectErr(
      client.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${A}:user/ghost`, ActionNames: ["s3:GetObject"] })),
      "NoSuchEntity",
      404,
      "The user with name ghost cannot be found.",
    );
    await expectErr(
      client.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${A}:role/ghost`, ActionNames: ["s3:GetObject"] })),
      "NoSuchEntity",
      404,
      "The role with name ghost cannot be found.",
    );
    await expectErr(
      client.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${A}:group/ghost`, ActionNames: ["s3:GetObject"] })),
      "NoSuchEntity",
      404,
      "The group with name ghost cannot be found.",
    );
    await expectErr(
      client.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: `arn:aws:iam::${A}:role/app`,
          ActionNames: ["s3:GetObject"],
          ResourcePolicy: doc(allow("s3:*")),
        }),
      ),
      "InvalidInput",
      400,
    );
    await expectErr(
      client.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: `arn:aws:iam::${A}:user/reader`,
          PolicyInputList: ['{"Version":"2012-10-17"}'],
          ActionNames: ["s3:GetObject"],
        }),
      ),
      "MalformedPolicyDocument",
      400,
      "Syntax errors in policy.",
    );
  });

  it("the simulator is itself authorized: iam:SimulatePrincipalPolicy on the source ARN, iam:SimulateCustomPolicy on *", async () => {
    await client.send(new CreateUserCommand({ UserName: "nobody" }));
    const key = await client.send(new CreateAccessKeyCommand({ UserName: "nobody" }));
    const nobody = iam(keyCreds(key.AccessKey!));
    const target = `arn:aws:iam::${A}:user/reader`;
    await expectErr(
      nobody.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: target, ActionNames: ["s3:GetObject"] })),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${A}:user/nobody is not authorized to perform: iam:SimulatePrincipalPolicy on resource: ${target} because no identity-based policy allows the iam:SimulatePrincipalPolicy action`,
    );
    await expectErr(
      nobody.send(new SimulateCustomPolicyCommand({ PolicyInputList: [doc(allow("*"))], ActionNames: ["s3:GetObject"] })),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${A}:user/nobody is not authorized to perform: iam:SimulateCustomPolicy on resource: * because no identity-based policy allows the iam:SimulateCustomPolicy action`,
    );
  });
});

describe("iam:PassRole in the simulator (issue 16)", () => {
  it("iam:PassedToService as a context entry decides a PassRole statement scoped to one service, as AWS's simulator does", async () => {
    const policy = doc(
      allow("iam:PassRole", `arn:aws:iam::${A}:role/app`, { Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } } }),
    );
    const run = async (service?: string) =>
      (
        await client.send(
          new SimulateCustomPolicyCommand({
            PolicyInputList: [policy],
            ActionNames: ["iam:PassRole"],
            ResourceArns: [`arn:aws:iam::${A}:role/app`],
            ...(service
              ? { ContextEntries: [{ ContextKeyName: "iam:PassedToService", ContextKeyValues: [service], ContextKeyType: "string" }] }
              : {}),
          }),
        )
      ).EvaluationResults![0]!;
    expect((await run("ec2.amazonaws.com")).EvalDecision).toBe("allowed");
    expect((await run("lambda.amazonaws.com")).EvalDecision).toBe("implicitDeny");
    const missing = await run();
    expect(missing.EvalDecision).toBe("implicitDeny");
    // With ResourceArns the missing keys are reported per resource (AWS: the top-level list is for "*").
    expect(missing.ResourceSpecificResults?.[0]?.MissingContextValues).toEqual(["iam:PassedToService"]);
    const keys = await client.send(new GetContextKeysForCustomPolicyCommand({ PolicyInputList: [policy] }));
    expect(keys.ContextKeyNames).toEqual(["iam:PassedToService"]);
  });
});

describe("GetContextKeysFor*", () => {
  it("GetContextKeysForCustomPolicy: AWS's documented example", async () => {
    const p =
      '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}';
    const r = await client.send(new GetContextKeysForCustomPolicyCommand({ PolicyInputList: [p] }));
    expect(r.ContextKeyNames).toEqual(["aws:username", "aws:CurrentTime"]);
    await expectErr(
      client.send(new GetContextKeysForCustomPolicyCommand({ PolicyInputList: ["nope"] })),
      "MalformedPolicyDocument",
      400,
      "Syntax errors in policy.",
    );
  });

  it("GetContextKeysForPrincipalPolicy: the entity's policies (groups included) plus the input list", async () => {
    await client.send(new CreateUserCommand({ UserName: "keys" }));
    await client.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "keys" }));
    await client.send(
      new PutGroupPolicyCommand({
        GroupName: "devs",
        PolicyName: "mfa",
        PolicyDocument: doc(allow("ec2:*", "*", { Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } })),
      }),
    );
    const r = await client.send(
      new GetContextKeysForPrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${A}:user/keys`,
        PolicyInputList: [doc(allow("s3:*", "*", { Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }))],
      }),
    );
    expect(r.ContextKeyNames).toEqual(["aws:MultiFactorAuthPresent", "aws:SourceIp"]);
    await expectErr(
      client.send(new GetContextKeysForPrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${A}:user/ghost` })),
      "NoSuchEntity",
      404,
      "The user with name ghost cannot be found.",
    );
  });
});

describe("x-iamlab-explain", () => {
  it("every evaluation behind the page gets a resolvable decision id", async () => {
    const r = await rawSigned(
      {
        Action: "SimulateCustomPolicy",
        Version: "2010-05-08",
        "PolicyInputList.member.1": doc(allow("s3:GetObject")),
        "ActionNames.member.1": "s3:GetObject",
        "ActionNames.member.2": "s3:PutObject",
      },
      { service: "iam", creds, headers: { "x-iamlab-explain": "true" } },
    );
    expect(r.status).toBe(200);
    const ids = r.headers.get("x-iamlab-decision-id")!.split(",");
    expect(ids).toHaveLength(3); // the call's own authorization + one per evaluation
    const sims = await Promise.all(
      ids
        .slice(1)
        .map(
          async (id) =>
            (await adminFetch(`/decisions/${encodeURIComponent(id)}`)).json() as Promise<{ decision: string; request: { action: string } }>,
        ),
    );
    expect(sims.map((d) => [d.request.action, d.decision])).toEqual([
      ["s3:GetObject", "allow"],
      ["s3:PutObject", "implicitDeny"],
    ]);
  });
});

describe("bounded work per request (shared-sandbox safety)", () => {
  // 1,200 statements that never match × 30 ARNs: each EvaluationResult costs a large share of the
  // per-request work budget, so pages come back shorter than MaxItems (as AWS allows) and the
  // SDK's paginator walks them all, in order.
  const stmts = Array.from({ length: 1200 }, (_, i) =>
    allow(["s3:*", `ec2:Describe${i}*`], "*", { Condition: { StringEquals: { "aws:UserAgent": "never" } } }),
  );
  const PolicyInputList = Array.from({ length: 12 }, (_, i) => doc(...stmts.slice(i * 100, i * 100 + 100)));
  const ActionNames = Array.from({ length: 20 }, (_, i) => `s3:GetObject${i}`);
  const ResourceArns = Array.from({ length: 30 }, (_, i) => `arn:aws:s3:::bucket/key${i}`);

  it("short pages with a Marker; the paginator collects every result in order", async () => {
    const pages: EvaluationResult[][] = [];
    for await (const page of paginateSimulateCustomPolicy({ client, pageSize: 1000 }, { PolicyInputList, ActionNames, ResourceArns })) {
      pages.push(page.EvaluationResults ?? []);
    }
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat().map((r) => [r.EvalActionName, r.EvalDecision, r.ResourceSpecificResults?.length])).toEqual(
      ActionNames.map((a) => [a, "implicitDeny", 30]),
    );
  });

  it("PermissionsBoundaryPolicyInputList takes one document", async () => {
    await expectErr(
      client.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [doc(allow("*"))],
          PermissionsBoundaryPolicyInputList: [doc(allow("*")), doc(allow("s3:*"))],
          ActionNames: ["s3:GetObject"],
        }),
      ),
      "ValidationError",
      400,
      /Member must have length less than or equal to 1/,
    );
  });
});
