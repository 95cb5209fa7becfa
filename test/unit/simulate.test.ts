import { describe, expect, it } from "vitest";
import { statementOffsets, statementPositions } from "../../src/authz/statement-positions";
import {
  compileSimPolicy,
  contextFromEntries,
  contextKeysOf,
  simulate,
  variableKeys,
  type SimEvaluation,
  type SimPolicy,
  type SimulationInput,
} from "../../src/authz/simulate";
import { XmlMap } from "../../src/protocol/xml";
import type { Principal } from "../../src/policy/index";

const ACCT = "111122223333";
const OTHER = "444455556666";
const alice: Principal = { kind: "user", account: ACCT, arn: `arn:aws:iam::${ACCT}:user/alice`, userId: "AIDAALICE", username: "alice" };

function pol(id: string, doc: unknown, kind: "identity" | "boundary" | "resource" = "identity", type = "IAM Policy"): SimPolicy {
  const json = typeof doc === "string" ? doc : JSON.stringify(doc);
  const r = compileSimPolicy(id, type, json, kind);
  if (!r.ok) throw new Error(r.message);
  return r.policy;
}

const allow = (action: string | string[], resource: string | string[] = "*", extra: object = {}) => ({
  Effect: "Allow",
  Action: action,
  Resource: resource,
  ...extra,
});
const deny = (action: string | string[], resource: string | string[] = "*", extra: object = {}) => ({
  Effect: "Deny",
  Action: action,
  Resource: resource,
  ...extra,
});
const doc = (...Statement: object[]) => ({ Version: "2012-10-17", Statement });

function run(over: Partial<SimulationInput>, provided: string[] = []) {
  const input: SimulationInput = { principal: alice, identity: [], actions: ["s3:GetObject"], resources: [], context: {}, ...over };
  return simulate(input, { provided: new Set(provided.map((k) => k.toLowerCase())) });
}

describe("statement positions", () => {
  it("compact document: starts right after `[`, ends right after `}` (AWS: Line 1 Column 38)", () => {
    const json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
    const [p] = statementPositions(json);
    expect(p!.StartPosition).toEqual({ Line: 1, Column: 38 });
    expect(json[p!.StartPosition.Column - 1]).toBe("{");
    expect(json[p!.EndPosition.Column - 2]).toBe("}");
    expect(p!.EndPosition).toEqual({ Line: 1, Column: json.length - 1 });
  });

  it("spaced document as json.dumps writes it (AWS: Column 41)", () => {
    const json = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}';
    expect(statementPositions(json)[0]!.StartPosition).toEqual({ Line: 1, Column: 41 });
  });

  it("pretty-printed AdministratorAccess: Line 3 Column 17 → Line 8 Column 6 (AWS)", () => {
    const json = [
      "{",
      '  "Version": "2012-10-17",',
      '  "Statement": [',
      "    {",
      '      "Effect": "Allow",',
      '      "Action": "*",',
      '      "Resource": "*"',
      "    }",
      "  ]",
      "}",
    ].join("\n");
    expect(statementPositions(json)).toEqual([{ StartPosition: { Line: 3, Column: 17 }, EndPosition: { Line: 8, Column: 6 } }]);
  });

  it("several statements: each starts after its comma; strings with brackets, braces, quotes and escapes do not confuse it", () => {
    const json =
      '{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/{x}[y]\\"z\\\\"} , {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"k":["],{"]}}}],"Version":"2012-10-17"}';
    const spans = statementOffsets(json);
    expect(spans).toHaveLength(2);
    expect(json.slice(spans[0]![0], spans[0]![1])).toMatch(/^\{"Sid":"A".*\}$/);
    expect(json.slice(spans[1]![0], spans[1]![1])).toMatch(/^ \{"Effect":"Deny".*\}\}\}$/);
    expect(JSON.parse(json.slice(spans[1]![0], spans[1]![1])).Effect).toBe("Deny");
  });

  it("a single-object Statement starts after its colon; CRLF line ends count one line each", () => {
    const json = '{\r\n"Version":"2012-10-17",\r\n"Statement":\r\n  {"Effect":"Allow","Action":"*","Resource":"*"}\r\n}';
    const [p] = statementPositions(json);
    expect(p!.StartPosition).toEqual({ Line: 3, Column: 13 });
    expect(p!.EndPosition).toEqual({ Line: 4, Column: 49 });
  });

  it("Statement nested in other keys is not taken; the last top-level Statement wins", () => {
    const json = '{"Id":{"Statement":[{}]},"Statement":[{"a":1}],"Statement":[{"b":1},{"c":1}]}';
    const spans = statementOffsets(json);
    expect(spans.map(([s, e]) => json.slice(s, e))).toEqual(['{"b":1}', '{"c":1}']);
  });

  it("tolerates truncated or odd text without throwing", () => {
    expect(statementOffsets("")).toEqual([]);
    expect(statementOffsets("[1,2]")).toEqual([]);
    expect(statementOffsets('{"Statement":[{"Effect":"Allow"')).toHaveLength(1);
    expect(statementOffsets('{"Statement":"x"}')).toEqual([]);
  });
});

describe("simulate core", () => {
  it("allowed: one result on `*`, the matched Allow statement with its position, no EvalDecisionDetails", () => {
    const p = pol("PolicyInputList.1", doc(allow("s3:GetObject")));
    const end = p.json.length - 1; // right after the statement's `}` (before `]}`)
    const { results } = run({ identity: [p] });
    expect(results).toEqual([
      {
        EvalActionName: "s3:GetObject",
        EvalResourceName: "*",
        EvalDecision: "allowed",
        MatchedStatements: [
          {
            SourcePolicyId: "PolicyInputList.1",
            SourcePolicyType: "IAM Policy",
            StartPosition: { Line: 1, Column: 38 },
            EndPosition: { Line: 1, Column: end },
          },
        ],
        MissingContextValues: [],
        OrganizationsDecisionDetail: undefined,
        PermissionsBoundaryDecisionDetail: undefined,
        EvalDecisionDetails: undefined,
      },
    ]);
  });

  it("implicitDeny when nothing allows: no matched statements", () => {
    const { results } = run({ identity: [pol("PolicyInputList.1", doc(allow("s3:PutObject")))] });
    expect(results[0]!.EvalDecision).toBe("implicitDeny");
    expect(results[0]!.MatchedStatements).toEqual([]);
  });

  it("explicitDeny lists only the Deny statements", () => {
    const p = pol("PolicyInputList.1", doc(allow("s3:*"), deny("s3:GetObject")));
    const r = run({ identity: [p] }).results[0]!;
    expect(r.EvalDecision).toBe("explicitDeny");
    const denyAt = p.json.indexOf(',{"Effect":"Deny"') + 2; // 1-based column right after the comma
    expect(r.MatchedStatements).toEqual([
      {
        SourcePolicyId: "PolicyInputList.1",
        SourcePolicyType: "IAM Policy",
        StartPosition: { Line: 1, Column: denyAt },
        EndPosition: { Line: 1, Column: p.json.length - 1 },
      },
    ]);
  });

  it("allow statements of several policies all appear, in policy order", () => {
    const r = run({ identity: [pol("PolicyInputList.1", doc(allow("s3:Get*"))), pol("ReadOnlyAccess", doc(allow("s3:*")))] }).results[0]!;
    expect((r.MatchedStatements as Array<{ SourcePolicyId: string }>).map((m) => m.SourcePolicyId)).toEqual([
      "PolicyInputList.1",
      "ReadOnlyAccess",
    ]);
  });

  it("conditions: MissingContextValues lists the keys the request reached but did not supply", () => {
    const p = pol(
      "PolicyInputList.1",
      doc(
        allow("s3:GetObject", "*", {
          Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" }, Bool: { "aws:MultiFactorAuthPresent": "true" } },
        }),
        allow("ec2:*", "*", { Condition: { StringEquals: { "ec2:Region": "us-east-1" } } }),
      ),
    );
    const missing = run({ identity: [p] }).results[0]!;
    expect(missing.EvalDecision).toBe("implicitDeny");
    expect(missing.MissingContextValues).toEqual(["aws:SourceIp", "aws:MultiFactorAuthPresent"]);

    const ctx = contextFromEntries([
      { ContextKeyName: "aws:SourceIp", ContextKeyValues: ["10.1.2.3"], ContextKeyType: "ip" },
      { ContextKeyName: "aws:MultiFactorAuthPresent", ContextKeyValues: ["true"], ContextKeyType: "boolean" },
    ]);
    if (!ctx.ok) throw new Error(ctx.message);
    const ok = simulate(
      { principal: alice, identity: [p], actions: ["s3:GetObject"], resources: [], context: ctx.context },
      { provided: ctx.provided },
    ).results[0]!;
    expect(ok.EvalDecision).toBe("allowed");
    expect(ok.MissingContextValues).toEqual([]);

    const partial = contextFromEntries([{ ContextKeyName: "aws:sourceip", ContextKeyValues: ["192.168.0.1"], ContextKeyType: "ip" }]);
    if (!partial.ok) throw new Error(partial.message);
    const r = simulate(
      { principal: alice, identity: [p], actions: ["s3:GetObject"], resources: [], context: partial.context },
      { provided: partial.provided },
    ).results[0]!;
    expect(r.EvalDecision).toBe("implicitDeny");
    expect(r.MissingContextValues).toEqual(["aws:MultiFactorAuthPresent"]);
  });

  it("unresolved policy variables in a Resource count as missing keys", () => {
    const p = pol("PolicyInputList.1", doc(allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team}/*")));
    const r = run({ identity: [p], resources: ["arn:aws:s3:::b/red/x"] }).results[0]!;
    expect(r.EvalDecision).toBe("implicitDeny");
    const rsr = (r.ResourceSpecificResults as Array<Record<string, unknown>>)[0]!;
    expect(rsr.MissingContextValues).toEqual(["aws:PrincipalTag/team"]);
    expect(r.MissingContextValues).toEqual([]);
  });

  it("policy variables are missing keys only where they are variables (2012-10-17), not in 2008 literal text", () => {
    const cond = allow("s3:GetObject", "*", { Condition: { StringEquals: { "s3:prefix": "${aws:username}" } } });
    const v2012 = run({ identity: [pol("PolicyInputList.1", doc(cond))] }).results[0]!;
    expect(v2012.MissingContextValues).toEqual(["s3:prefix", "aws:username"]);
    const v2008 = run({ identity: [pol("PolicyInputList.1", { Version: "2008-10-17", Statement: [cond] })] }).results[0]!;
    expect(v2008.MissingContextValues).toEqual(["s3:prefix"]);
  });

  it("ResourceArns: one result per action, ResourceSpecificResults per ARN, the most restrictive decision on top", () => {
    const p = pol("PolicyInputList.1", doc(allow("s3:GetObject", "arn:aws:s3:::good/*"), deny("s3:GetObject", "arn:aws:s3:::bad/*")));
    const { results } = run({ identity: [p], resources: ["arn:aws:s3:::good/x", "arn:aws:s3:::bad/x", "arn:aws:s3:::other/x"] });
    expect(results).toHaveLength(1);
    const r = results[0]!;
    expect(r.EvalDecision).toBe("explicitDeny");
    expect(r.EvalResourceName).toBe("arn:aws:s3:::${BucketName}/${ObjectName}");
    expect(r.EvalDecisionDetails).toEqual(new XmlMap([]));
    const rsr = r.ResourceSpecificResults as Array<Record<string, unknown>>;
    expect(rsr.map((x) => [x.EvalResourceName, x.EvalResourceDecision])).toEqual([
      ["arn:aws:s3:::good/x", "allowed"],
      ["arn:aws:s3:::bad/x", "explicitDeny"],
      ["arn:aws:s3:::other/x", "implicitDeny"],
    ]);
    expect(r.MatchedStatements).toEqual(rsr[1]!.MatchedStatements);
  });

  it("a single ResourceArn is the top-level EvalResourceName", () => {
    const r = run({ identity: [pol("PolicyInputList.1", doc(allow("s3:GetObject")))], resources: ["arn:aws:s3:::b/k"] }).results[0]!;
    expect(r.EvalResourceName).toBe("arn:aws:s3:::b/k");
    expect(r.EvalDecision).toBe("allowed");
  });

  it("permissions boundary caps the identity policies and is reported", () => {
    const admin = pol("AdministratorAccess", doc(allow("*")));
    const boundary = [pol("PermissionsBoundaryPolicyInputList.1", doc(allow("s3:*")), "boundary")];
    const { results } = run({ identity: [admin], boundary, actions: ["s3:GetObject", "iam:CreateUser"] });
    expect(results.map((r) => [r.EvalDecision, r.PermissionsBoundaryDecisionDetail])).toEqual([
      ["allowed", { AllowedByPermissionsBoundary: true }],
      ["implicitDeny", { AllowedByPermissionsBoundary: false }],
    ]);
    // boundary statements are not MatchedStatements
    expect(results[0]!.MatchedStatements).toEqual([expect.objectContaining({ SourcePolicyId: "AdministratorAccess" })]);
  });

  it("session policies (iamlab extension) intersect like a boundary", () => {
    const admin = pol("AdministratorAccess", doc(allow("*")));
    const session = [pol("session", doc(allow("s3:GetObject")), "identity")];
    const { results } = run({ identity: [admin], session, actions: ["s3:GetObject", "s3:PutObject"] });
    expect(results.map((r) => r.EvalDecision)).toEqual(["allowed", "implicitDeny"]);
  });

  it("same-account resource policy naming the caller allows on its own", () => {
    const rp = pol(
      "ResourcePolicy",
      doc({ Effect: "Allow", Principal: { AWS: alice.arn }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }),
      "resource",
      "resource",
    );
    const r = run({ identity: [], resourcePolicy: rp, resources: ["arn:aws:s3:::b/k"] }).results[0]!;
    expect(r.EvalDecision).toBe("allowed");
    expect(r.MatchedStatements).toEqual([expect.objectContaining({ SourcePolicyId: "ResourcePolicy", SourcePolicyType: "resource" })]);
  });

  it("cross account (ResourceOwner): both sides must allow; EvalDecisionDetails per side", () => {
    const rp = pol(
      "ResourcePolicy",
      doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: "s3:GetObject", Resource: "*" }),
      "resource",
      "resource",
    );
    const idAllow = pol("PolicyInputList.1", doc(allow("s3:GetObject")));
    const both = run({ identity: [idAllow], resourcePolicy: rp, resources: ["arn:aws:s3:::b/k"], resourceOwner: OTHER }).results[0]!;
    expect(both.EvalDecision).toBe("allowed");
    expect(both.EvalDecisionDetails).toEqual(
      new XmlMap([
        ["IAM Policy", "allowed"],
        ["Resource Policy", "allowed"],
      ]),
    );
    const rsr = (both.ResourceSpecificResults as Array<Record<string, unknown>>)[0]!;
    expect(rsr.EvalDecisionDetails).toEqual(
      new XmlMap([
        ["IAM Policy", "allowed"],
        ["Resource Policy", "allowed"],
      ]),
    );

    const onlyIdentity = run({ identity: [idAllow], resources: ["arn:aws:s3:::b/k"], resourceOwner: OTHER }).results[0]!;
    expect(onlyIdentity.EvalDecision).toBe("implicitDeny");
    expect(onlyIdentity.EvalDecisionDetails).toEqual(
      new XmlMap([
        ["IAM Policy", "allowed"],
        ["Resource Policy", "implicitDeny"],
      ]),
    );

    // the ARN's own account wins over ResourceOwner
    const own = run({
      identity: [idAllow],
      resources: [`arn:aws:sqs:us-east-1:${ACCT}:q`],
      resourceOwner: OTHER,
      actions: ["s3:GetObject"],
    }).results[0]!;
    expect(own.EvalDecision).toBe("allowed");
  });

  it("SCPs (iamlab input for Organizations): OrganizationsDecisionDetail", () => {
    const admin = pol("AdministratorAccess", doc(allow("*")));
    const scp = [[pol("FullAWSAccess", doc(allow("*")))], [pol("DenyIam", doc(allow("*"), deny("iam:*")))]];
    const { results } = run({ identity: [admin], scps: scp, actions: ["s3:GetObject", "iam:CreateUser"] });
    expect(results.map((r) => [r.EvalDecision, r.OrganizationsDecisionDetail])).toEqual([
      ["allowed", { AllowedByOrganizations: true }],
      ["explicitDeny", { AllowedByOrganizations: false }],
    ]);
  });

  it("SCPs: an implicit deny by an allow-list level; SCP statements are not matched statements", () => {
    const admin = pol("AdministratorAccess", doc(allow("*")));
    const scps = [[pol("FullAWSAccess", doc(allow("*")))], [pol("OnlyS3", doc(allow("s3:*")))]];
    const [s3, ec2] = run({ identity: [admin], scps, actions: ["s3:GetObject", "ec2:RunInstances"] }).results;
    expect(s3).toMatchObject({ EvalDecision: "allowed", OrganizationsDecisionDetail: { AllowedByOrganizations: true } });
    expect(ec2).toMatchObject({ EvalDecision: "implicitDeny", OrganizationsDecisionDetail: { AllowedByOrganizations: false } });
    expect(ec2!.MatchedStatements).toEqual([]);
    const denied = run({ identity: [admin], scps: [[pol("DenyEc2", doc(allow("*"), deny("ec2:*")))]], actions: ["ec2:RunInstances"] });
    expect(denied.results[0]).toMatchObject({ EvalDecision: "explicitDeny", MatchedStatements: [] });
  });

  it("SCPs: an identity Deny is still listed when the SCPs deny too", () => {
    const admin = pol("Admin", doc(allow("*"), deny("ec2:*")));
    const r = run({ identity: [admin], scps: [[pol("OnlyS3", doc(allow("s3:*")))]], actions: ["ec2:RunInstances"] }).results[0]!;
    expect(r.EvalDecision).toBe("explicitDeny");
    expect((r.MatchedStatements as unknown as Array<{ SourcePolicyId: string }>).map((m) => m.SourcePolicyId)).toEqual(["Admin"]);
    expect(r.OrganizationsDecisionDetail).toEqual({ AllowedByOrganizations: false });
  });

  it("SCPs: no levels (management account, SCPs not enabled) allow; outside an organization no detail", () => {
    const admin = pol("AdministratorAccess", doc(allow("*")));
    expect(run({ identity: [admin], scps: [] }).results[0]!.OrganizationsDecisionDetail).toEqual({ AllowedByOrganizations: true });
    expect(run({ identity: [admin] }).results[0]!.OrganizationsDecisionDetail).toBeUndefined();
  });

  it("SCPs: a service-linked role is not restricted", () => {
    const slr: Principal = {
      kind: "assumedRole",
      account: ACCT,
      arn: `arn:aws:sts::${ACCT}:assumed-role/AWSServiceRoleForSupport/SimulatedSession`,
      userId: "AROASLR:SimulatedSession",
      roleArn: `arn:aws:iam::${ACCT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport`,
      serviceLinkedRole: true,
    };
    const r = run({ principal: slr, identity: [pol("Support", doc(allow("*")))], scps: [[pol("DenyAll", doc(deny("*")))]] });
    expect(r.results[0]).toMatchObject({ EvalDecision: "allowed", OrganizationsDecisionDetail: { AllowedByOrganizations: true } });
  });

  it("SCPs deny: no EvalDecisionDetails (AWS: the simulation ends), across accounts and for named resources", () => {
    const admin = pol("Admin", doc(allow("*")));
    const bucket = pol(
      "ResourcePolicy",
      doc(allow("s3:GetObject", "*", { Principal: { AWS: `arn:aws:iam::${ACCT}:root` } })),
      "resource",
      "resource",
    );
    const scps = [[pol("DenyS3", doc(allow("*"), deny("s3:*")))]];
    const cross = run({ identity: [admin], resourcePolicy: bucket, scps, resources: ["arn:aws:s3:::b/k"], resourceOwner: OTHER })
      .results[0]!;
    expect(cross.EvalDecision).toBe("explicitDeny");
    expect(cross.EvalDecisionDetails).toBeUndefined();
    const rsr = cross.ResourceSpecificResults as unknown as Array<Record<string, unknown>>;
    expect(rsr[0]!.EvalDecisionDetails).toBeUndefined();
    const allowed = run({
      identity: [admin],
      resourcePolicy: bucket,
      scps: [[pol("Full", doc(allow("*")))]],
      resources: ["arn:aws:s3:::b/k"],
      resourceOwner: OTHER,
    }).results[0]!;
    expect(allowed.EvalDecision).toBe("allowed");
    expect(allowed.EvalDecisionDetails).toBeInstanceOf(XmlMap);
  });

  it("hands over the engine evaluations for explanation records", () => {
    const evaluations: SimEvaluation[][] = [];
    const input = {
      principal: alice,
      identity: [pol("PolicyInputList.1", doc(allow("s3:*")))],
      actions: ["s3:GetObject", "s3:PutObject"],
      resources: ["arn:aws:s3:::a/1", "arn:aws:s3:::a/2"],
      context: {},
    };
    simulate(input, { provided: new Set(), onResult: (e) => evaluations.push(e) });
    expect(evaluations.map((e) => e.map((x) => `${x.request.action} ${x.request.resource} ${x.decision.decision}`))).toEqual([
      ["s3:GetObject arn:aws:s3:::a/1 allow", "s3:GetObject arn:aws:s3:::a/2 allow"],
      ["s3:PutObject arn:aws:s3:::a/1 allow", "s3:PutObject arn:aws:s3:::a/2 allow"],
    ]);
  });
});

describe("context entries", () => {
  it("typed values: lists stay lists, scalars are strings", () => {
    const r = contextFromEntries([
      { ContextKeyName: "aws:TagKeys", ContextKeyValues: ["a", "b"], ContextKeyType: "stringList" },
      { ContextKeyName: "s3:max-keys", ContextKeyValues: ["10"], ContextKeyType: "numeric" },
      { ContextKeyName: "aws:CurrentTime", ContextKeyValues: ["2026-01-01T00:00:00Z"], ContextKeyType: "date" },
      { ContextKeyName: "aws:SourceIp", ContextKeyValues: ["2001:db8::1"], ContextKeyType: "ip" },
    ]);
    expect(r.ok && r.context).toEqual({
      "aws:TagKeys": ["a", "b"],
      "s3:max-keys": "10",
      "aws:CurrentTime": "2026-01-01T00:00:00Z",
      "aws:SourceIp": "2001:db8::1",
    });
  });

  it.each([
    ["numeric", "ten"],
    ["boolean", "yes"],
    ["ip", "10.0.0.300"],
    ["date", "not a date"],
    ["binary", "%%%"],
    ["ipList", "nope"],
  ])("a %s value %s is InvalidInput", (type, value) => {
    const r = contextFromEntries([{ ContextKeyName: "aws:SomeKey", ContextKeyValues: [value], ContextKeyType: type }]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toBe(`Invalid value ${value} for context key aws:SomeKey of type ${type}.`);
  });
});

describe("context entries read as the condition operators read them", () => {
  it.each([
    ["ip", "010.0.0.1"],
    ["ip", "::ffff:10.0.0.1"],
    ["ip", "10.0.0.0/8"],
    ["date", "1767225600.5"],
    ["date", "2026-01-01T00:00:00+02:00"],
    ["numeric", " 2e3 "],
  ])("a %s value %s is accepted", (type, value) => {
    expect(contextFromEntries([{ ContextKeyName: "k", ContextKeyValues: [value], ContextKeyType: type }]).ok).toBe(true);
  });

  it.each([
    ["ip", "1:2"],
    ["ip", "10.0.0.0/33"],
    ["date", "March 7, 2026"],
    ["date", "2026-13-01"],
  ])("a %s value %s, which no condition could compare, is InvalidInput", (type, value) => {
    expect(contextFromEntries([{ ContextKeyName: "k", ContextKeyValues: [value], ContextKeyType: type }]).ok).toBe(false);
  });
});

describe("context keys of policies", () => {
  it("AWS's documented example: variable in Resource, then the condition key", () => {
    const p =
      '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}';
    expect(contextKeysOf([p])).toEqual(["aws:username", "aws:CurrentTime"]);
  });

  it("dedupes case-insensitively across policies, reads condition-value variables, ignores 2008 variables and ${*}", () => {
    const a = JSON.stringify(
      doc(
        allow("s3:*", "*", {
          Condition: { StringEquals: { "s3:prefix": ["${aws:username}/*", "${*}"] }, Bool: { "aws:SecureTransport": "true" } },
        }),
      ),
    );
    const b = JSON.stringify({
      Version: "2008-10-17",
      Statement: [allow("s3:*", "arn:aws:s3:::${aws:userid}", { Condition: { Bool: { "AWS:securetransport": "true" } } })],
    });
    expect(contextKeysOf([a, b])).toEqual(["s3:prefix", "aws:username", "aws:SecureTransport"]);
  });

  it("variable names with defaults", () => {
    expect(variableKeys("arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}/${$}/${aws:userid}")).toEqual([
      "aws:PrincipalTag/team",
      "aws:userid",
    ]);
  });
});

describe("work budget (shared-sandbox safety)", () => {
  // Every statement matches: the costliest output (1,200 matched statements per resource).
  const big = () => {
    const stmts = Array.from({ length: 1200 }, (_, i) =>
      allow(["s3:*", `ec2:Describe${i}*`], "*", { Condition: { StringLike: { "aws:UserAgent": "*x*" } } }),
    );
    return Array.from({ length: 12 }, (_, i) => pol(`PolicyInputList.${i + 1}`, doc(...stmts.slice(i * 100, i * 100 + 100))));
  };
  const actions = Array.from({ length: 1000 }, (_, i) => `s3:GetObject${i}`);
  const resources = Array.from({ length: 30 }, (_, i) => `arn:aws:s3:::bucket/key${i}`);

  it("the 1,200 statements × 1,000 actions × 30 ARNs request stops at the budget instead of building every result", () => {
    const out = run({ identity: big(), actions, resources, context: { "aws:UserAgent": "x" } });
    // One result alone (30 × 1,200 matched statements) is more output than a request may build.
    expect(out).toEqual({ results: [], exhausted: true });
  });

  it("a page is cut short when the budget runs out; whole results only, in order", () => {
    const identity = big();
    const full = run({ identity, actions: actions.slice(0, 2), resources: resources.slice(0, 1) }).results;
    const one = simulate(
      { principal: alice, identity, actions: actions.slice(0, 50), resources: resources.slice(0, 1), context: {} },
      { provided: new Set(), budget: 3_000_000 },
    );
    expect(one.exhausted).toBe(true);
    expect(one.results.length).toBeGreaterThan(0);
    expect(one.results.length).toBeLessThan(50);
    expect(one.results.slice(0, 2)).toEqual(full.slice(0, one.results.length >= 2 ? 2 : 1));
    expect(one.results.map((r) => r.EvalActionName)).toEqual(actions.slice(0, one.results.length));
  });

  it("ordinary simulations stay far below the budget", () => {
    const out = run({
      identity: [pol("PolicyInputList.1", doc(allow("s3:*")))],
      actions: actions.slice(0, 1000),
      resources: resources.slice(0, 3),
    });
    expect(out.exhausted).toBe(false);
    expect(out.results).toHaveLength(1000);
  });

  it("many ContextEntries for the same key are merged in linear time (the last one wins)", () => {
    const entries = Array.from({ length: 20_000 }, (_, i) => ({
      ContextKeyName: i % 2 ? "aws:UserAgent" : "AWS:useragent",
      ContextKeyValues: [`v${i}`],
    }));
    const r = contextFromEntries(entries);
    expect(r.ok && r.context).toEqual({ "aws:UserAgent": "v19999" });
  });
});

describe("no quadratic or worse regular expressions on hostile input", () => {
  // Each of these used a backtracking RegExp: 20k characters took 0.2–0.4 s, 131k (a policy document's
  // limit) tens of seconds; the cubic one (the aggregate's resource name) grew with a hostile ARN.
  it("variableKeys: long runs of spaces and `${` without `}`", () => {
    expect(variableKeys(`\${x${" ".repeat(200_000)}y}`)).toEqual([`x${" ".repeat(200_000)}y`]);
    expect(variableKeys("${".repeat(200_000))).toEqual([]);
    expect(variableKeys(`\${aws:username ,  'dflt' } and \${a,b, 'x,y'}`)).toEqual(["aws:username", "a,b"]);
    expect(variableKeys("${k,'}")).toEqual(["k,'"]);
  });

  it("a policy variable with a long run of spaces parses (default-value split is linear)", () => {
    const p = pol("PolicyInputList.1", doc(allow("s3:GetObject", `arn:aws:s3:::b/\${aws:username${" ".repeat(100_000)}, 'x'}`)));
    const r = simulate(
      { principal: alice, identity: [p], actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/alice"], context: {} },
      { provided: new Set() },
    );
    expect(r.results[0]!.EvalDecision).toBe("allowed");
  });

  it("the aggregate's resource name on a hostile first ARN", () => {
    const hostile = `arn:aws:ec2:${":ec2:".repeat(400)}`;
    const r = run({
      identity: [pol("PolicyInputList.1", doc(allow("*")))],
      actions: ["ec2:StartInstances"],
      resources: [hostile, "arn:aws:ec2:us-east-1:111122223333:instance/i-1"],
    });
    expect(r.results[0]!.EvalDecision).toBe("allowed");
  });

  it("numeric ContextKeyValues: a long non-number is rejected quickly", () => {
    const r = contextFromEntries([
      { ContextKeyName: "s3:max-keys", ContextKeyValues: [`${"1".repeat(200_000)}x`], ContextKeyType: "numeric" },
    ]);
    expect(r.ok).toBe(false);
    const ok = contextFromEntries([
      { ContextKeyName: "s3:max-keys", ContextKeyValues: ["10", "1.5", ".5", "2e3", "3."], ContextKeyType: "numericList" },
    ]);
    expect(ok.ok).toBe(true);
  });
});
