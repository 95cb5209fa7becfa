/** The CloudTrail record of one call (src/services/cloudtrail/event.ts), pure: identities, secrets, copies, categories. */
import { describe, expect, it } from "vitest";
import { categoryOf, isReadOnly, javaDate, trailRows, userIdentity, type CallFacts } from "../../src/services/cloudtrail/event";
import type { Caller } from "../../src/auth/caller";
import type { RequestInfo } from "../../src/services/action";

const T = Date.parse("2026-12-04T16:11:15.123Z");
const request: RequestInfo = {
  requestId: "req-1",
  now: T,
  sourceIp: "203.0.113.7",
  region: "eu-west-1",
  userAgent: "ua/1",
  secureTransport: false,
};
const user: Caller = {
  principal: {
    kind: "user",
    account: "111111111111",
    arn: "arn:aws:iam::111111111111:user/ops/alice",
    userId: "AIDAALICE",
    username: "alice",
  },
  accessKeyId: "AKIAALICE",
  generation: 1,
  entityId: "AIDAALICE",
};
let n = 0;
const ids = () => `id-${++n}`;
const facts = (f: Partial<CallFacts>): CallFacts => ({ service: "iam", name: "GetUser", readOnly: true, caller: user, request, ...f });
const body = (f: CallFacts) => trailRows(f, ids).map((r) => JSON.parse(r.body) as Record<string, unknown>);

describe("trailRows", () => {
  it("IAM is global (us-east-1), seconds-precision time, reads have no responseElements", () => {
    const [r] = body(facts({ input: { UserName: "alice" }, output: { User: { UserName: "alice" } } }));
    expect(r).toMatchObject({
      eventVersion: "1.11",
      eventTime: "2026-12-04T16:11:15Z",
      awsRegion: "us-east-1",
      eventSource: "iam.amazonaws.com",
      sourceIPAddress: "203.0.113.7",
      requestParameters: { userName: "alice" },
      responseElements: null,
      readOnly: true,
      eventCategory: "Management",
    });
    expect(r).not.toHaveProperty("tlsDetails");
  });

  it("regional services keep the request's region; writes keep their result, without secrets or blobs", () => {
    const [r] = body(
      facts({
        service: "kms",
        name: "CreateKey",
        readOnly: false,
        input: { Description: "d" },
        output: { KeyMetadata: { KeyId: "k1", CreationDate: new Date(T) }, Plaintext: new Uint8Array([1]) },
      }),
    );
    expect(r!.awsRegion).toBe("eu-west-1");
    expect(r!.responseElements).toEqual({ keyMetadata: { keyId: "k1", creationDate: "2026-12-04T16:11:15Z" } });
  });

  it("drops passwords, tokens, assertions and secret keys from requests; keeps a session token in responses", () => {
    const [r] = body(
      facts({
        service: "sts",
        name: "AssumeRole",
        readOnly: false,
        input: {
          RoleArn: "arn:aws:iam::111111111111:role/r",
          TokenCode: "123456",
          Password: "pw",
          SAMLAssertion: "x",
          WebIdentityToken: "t",
        },
        output: { Credentials: { AccessKeyId: "ASIA1", SecretAccessKey: "s3cr3t", SessionToken: "tok", Expiration: new Date(T) } },
      }),
    );
    expect(r!.requestParameters).toEqual({ roleArn: "arn:aws:iam::111111111111:role/r" });
    expect(r!.responseElements).toEqual({
      credentials: { accessKeyId: "ASIA1", sessionToken: "tok", expiration: "Dec 4, 2026 4:11:15 PM" },
    });
  });

  it("a call on another account's resource: two copies, one sharedEventID, the owner's names the caller's account", () => {
    const rows = trailRows(
      facts({
        service: "s3",
        name: "GetBucketPolicy",
        target: { resource: "arn:aws:s3:::b", resourceAccount: "222222222222" },
        foreignAccount: "222222222222",
      }),
      ids,
    );
    expect(rows.map((r) => r.accountId)).toEqual(["111111111111", "222222222222"]);
    const [mine, theirs] = rows.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(mine!.sharedEventID).toBe(theirs!.sharedEventID);
    expect(mine!.eventID).not.toBe(theirs!.eventID);
    expect(theirs!.userIdentity).toEqual({ type: "AWSAccount", principalId: "AIDAALICE", accountId: "111111111111" });
    expect(theirs!.recipientAccountId).toBe("222222222222");
    expect(rows[1]!.username).toBeUndefined();
    expect(rows[0]!.username).toBe("alice");
  });

  it("an anonymous S3 request: the bucket owner's copy only", () => {
    const anon: Caller = {
      principal: { kind: "anonymous", account: "", arn: "anonymous", userId: "anonymous" },
      accessKeyId: "",
      generation: 0,
    };
    const rows = trailRows(
      facts({
        caller: anon,
        service: "s3",
        name: "GetObject",
        target: { resource: "arn:aws:s3:::b/k", resourceAccount: "222222222222" },
        foreignAccount: "222222222222",
      }),
      ids,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.accountId).toBe("222222222222");
    expect(rows[0]!.category).toBe("Data");
    expect(JSON.parse(rows[0]!.body).userIdentity).toEqual({ type: "AWSAccount", principalId: "", accountId: "anonymous" });
  });

  it("a failed unsigned AssumeRoleWithWebIdentity is recorded in the role's account from the token's claims", () => {
    const anon: Caller = {
      principal: { kind: "anonymous", account: "", arn: "anonymous", userId: "anonymous" },
      accessKeyId: "",
      generation: 0,
    };
    const claims = btoa(JSON.stringify({ iss: "https://idp.example.com", aud: "app", sub: "u1" })).replace(/=+$/, "");
    const rows = trailRows(
      facts({
        caller: anon,
        service: "sts",
        name: "AssumeRoleWithWebIdentity",
        readOnly: false,
        input: { RoleArn: "arn:aws:iam::333333333333:role/r", RoleSessionName: "s", WebIdentityToken: `h.${claims}.sig` },
        error: { code: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithWebIdentity" },
      }),
      ids,
    );
    expect(rows.map((r) => r.accountId)).toEqual(["333333333333"]);
    const r = JSON.parse(rows[0]!.body) as Record<string, unknown>;
    expect(r.userIdentity).toEqual({
      type: "WebIdentityUser",
      principalId: "idp.example.com:app:u1",
      userName: "u1",
      identityProvider: "idp.example.com",
    });
    expect(r.errorCode).toBe("AccessDenied");
    expect(JSON.stringify(r)).not.toContain(claims);
  });

  it("https requests carry tlsDetails", () => {
    const [r] = body(facts({ request: { ...request, secureTransport: true, tlsVersion: "1.3", origin: "https://iam.example.com" } }));
    expect(r!.tlsDetails).toEqual({ tlsVersion: "TLSv1.3", clientProvidedHostHeader: "iam.example.com" });
  });
});

describe("userIdentity", () => {
  it("a federated user names the IAM user who federated as its session issuer", () => {
    const fed: Caller = {
      principal: {
        kind: "federatedUser",
        account: "111111111111",
        arn: "arn:aws:sts::111111111111:federated-user/bob",
        userId: "111111111111:bob",
        federatingUserArn: "arn:aws:iam::111111111111:user/alice",
      },
      accessKeyId: "ASIAFED",
      generation: 1,
      entityId: "AIDAALICE",
      session: { tokenIssueTime: T, expiration: T + 3600_000, mfaAuthenticated: false, kind: "federation" },
    };
    expect(userIdentity(fed)).toEqual({
      type: "FederatedUser",
      principalId: "111111111111:bob",
      arn: "arn:aws:sts::111111111111:federated-user/bob",
      accountId: "111111111111",
      accessKeyId: "ASIAFED",
      sessionContext: {
        sessionIssuer: {
          type: "IAMUser",
          principalId: "AIDAALICE",
          arn: "arn:aws:iam::111111111111:user/alice",
          accountId: "111111111111",
          userName: "alice",
        },
        webIdFederationData: {},
        attributes: { creationDate: "2026-12-04T16:11:15Z", mfaAuthenticated: "false" },
      },
    });
  });
});

describe("classification", () => {
  it("S3 object, SQS message, SNS publish and Lambda invoke calls are data events; KMS crypto is management", () => {
    expect(categoryOf("s3", "GetObject")).toBe("Data");
    expect(categoryOf("s3", "CompleteMultipartUpload")).toBe("Data");
    expect(categoryOf("s3", "CreateBucket")).toBe("Management");
    expect(categoryOf("sqs", "SendMessage")).toBe("Data");
    expect(categoryOf("sns", "Publish")).toBe("Data");
    expect(categoryOf("lambda", "Invoke")).toBe("Data");
    expect(categoryOf("kms", "Decrypt")).toBe("Management");
    expect(isReadOnly("Decrypt", "none")).toBe(true);
    expect(isReadOnly("GetCallerIdentity", "none")).toBe(true);
    expect(isReadOnly("AssumeRole", "none")).toBe(false);
  });

  it("prints dates as AWS's Java formatter", () => {
    expect(javaDate(new Date("2026-01-05T00:03:09Z"))).toBe("Jan 5, 2026 12:03:09 AM");
    expect(javaDate(new Date("2026-07-19T23:31:02Z"))).toBe("Jul 19, 2026 11:31:02 PM");
  });
});
