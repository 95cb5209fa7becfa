/**
 * SNS topic policies follow the owner account's eventual-consistency mode exactly as SQS queue
 * policies do (issue 17): after SetTopicAttributes(Policy), AddPermission or RemovePermission in a
 * lagging account, the data plane keeps enforcing the previous topic policy — for another account's
 * Publish and for the owner's own users alike — until the change propagates, while the control plane
 * (GetTopicAttributes) answers the new policy at once. CreateTopic's Policy and the other attributes
 * are in force at once. Driven by aws-sdk v2's SNS client and the admin API's flush (mode fixed,
 * one hour: nothing propagates unless flushed), never by sleeps.
 */
import { beforeEach, describe, expect, it } from "vitest";
import SNS from "aws-sdk/clients/sns";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { accountCreds, adminFetch, createAccount, iam, url, type Creds, type NewAccount } from "../helpers/sandbox";
import { keyCreds } from "../helpers/fixtures";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

const HOUR = 3_600_000;
let owner: NewAccount;
let ownerRoot: Creds;
let other: NewAccount;
let otherRoot: Creds;
let n = 0;
const unique = (what: string) => `${what}-${Date.now().toString(36)}-${(n++).toString(36)}`;

const sns = (creds: Creds): SNS =>
  new SNS({
    endpoint: url(),
    region: "us-east-1",
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    maxRetries: 0,
  });

async function setMode(account: string, body: object): Promise<void> {
  const r = await adminFetch(`/accounts/${account}/consistency`, { method: "PUT", body: JSON.stringify(body) });
  expect(r.status).toBe(200);
}
async function flush(account: string): Promise<void> {
  const r = await adminFetch(`/accounts/${account}/consistency/flush`, { method: "POST" });
  expect(r.status).toBe(200);
}
/** How many changes of the account have not reached its data plane yet. */
async function pending(account: string): Promise<number> {
  const r = await adminFetch(`/accounts/${account}/consistency`);
  expect(r.status).toBe(200);
  return ((await r.json()) as { pendingChanges: unknown[] }).pendingChanges.length;
}

/** "OK", or the error code of a rejected Publish. */
const publish = (creds: Creds, topicArn: string): Promise<string> =>
  sns(creds)
    .publish({ TopicArn: topicArn, Message: "hi" })
    .promise()
    .then(
      () => "OK",
      (e: { code?: string }) => e.code ?? String(e),
    );

const policyOf = async (topicArn: string): Promise<string> =>
  (await sns(ownerRoot).getTopicAttributes({ TopicArn: topicArn }).promise()).Attributes!.Policy!;

/** A topic policy granting `account` Publish (and, optionally, denying `deny` Publish). */
const grant = (topicArn: string, account: string, deny?: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "Other", Effect: "Allow", Principal: { AWS: account }, Action: "sns:Publish", Resource: topicArn },
      ...(deny ? [{ Sid: "NoUser", Effect: "Deny", Principal: { AWS: deny }, Action: "sns:Publish", Resource: topicArn }] : []),
    ],
  });

async function createTopic(attributes?: Record<string, string>): Promise<string> {
  const out = await sns(ownerRoot)
    .createTopic({ Name: unique("ect"), ...(attributes ? { Attributes: attributes } : {}) })
    .promise();
  return out.TopicArn!;
}

beforeEach(async () => {
  owner = await createAccount();
  ownerRoot = accountCreds(owner);
  other = await createAccount();
  otherRoot = accountCreds(other);
});

describe("SNS topic policies under eventual consistency (mode fixed, one hour)", () => {
  it("SetTopicAttributes(Policy): the other account's Publish is denied until the change propagates; GetTopicAttributes shows it at once", async () => {
    const topic = await createTopic();
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    expect(await publish(otherRoot, topic)).toBe("AuthorizationError");
    await sns(ownerRoot)
      .setTopicAttributes({ TopicArn: topic, AttributeName: "Policy", AttributeValue: grant(topic, other.accountId) })
      .promise();
    expect(await pending(owner.accountId)).toBe(1);
    expect(await policyOf(topic)).toBe(grant(topic, other.accountId));
    expect(await publish(otherRoot, topic)).toBe("AuthorizationError");
    await flush(owner.accountId);
    expect(await publish(otherRoot, topic)).toBe("OK");
  });

  it("AddPermission then RemovePermission: each reaches the other account's Publish only after its flush", async () => {
    const topic = await createTopic();
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    await sns(ownerRoot)
      .addPermission({ TopicArn: topic, Label: "other", AWSAccountId: [other.accountId], ActionName: ["Publish"] })
      .promise();
    expect(JSON.parse(await policyOf(topic)).Statement).toHaveLength(2);
    expect(await publish(otherRoot, topic)).toBe("AuthorizationError");
    await flush(owner.accountId);
    expect(await publish(otherRoot, topic)).toBe("OK");

    await sns(ownerRoot).removePermission({ TopicArn: topic, Label: "other" }).promise();
    expect(JSON.parse(await policyOf(topic)).Statement).toHaveLength(1);
    expect(await publish(otherRoot, topic)).toBe("OK");
    await flush(owner.accountId);
    expect(await publish(otherRoot, topic)).toBe("AuthorizationError");
  });

  it("RemovePermission of the last statement: the previous policy applies until the flush, then none — and none until a new grant's flush", async () => {
    const topic = await createTopic();
    await sns(ownerRoot).removePermission({ TopicArn: topic, Label: "__default_statement_ID" }).promise();
    await sns(ownerRoot)
      .addPermission({ TopicArn: topic, Label: "other", AWSAccountId: [other.accountId], ActionName: ["Publish"] })
      .promise();
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    await sns(ownerRoot).removePermission({ TopicArn: topic, Label: "other" }).promise();
    expect(JSON.parse(await policyOf(topic)).Statement).toEqual([]);
    expect(await publish(otherRoot, topic)).toBe("OK");
    await flush(owner.accountId);
    expect(await publish(otherRoot, topic)).toBe("AuthorizationError");
    // The emptied policy is no policy: the owner's root still publishes (identity side).
    expect(await publish(ownerRoot, topic)).toBe("OK");
    // Granting again while the emptied policy is the one in force: no policy until the flush.
    await sns(ownerRoot)
      .addPermission({ TopicArn: topic, Label: "again", AWSAccountId: [other.accountId], ActionName: ["Publish"] })
      .promise();
    expect(await publish(otherRoot, topic)).toBe("AuthorizationError");
    expect(await publish(ownerRoot, topic)).toBe("OK");
    await flush(owner.accountId);
    expect(await publish(otherRoot, topic)).toBe("OK");
  });

  it("a Deny for the owner's own user: the user keeps publishing until the change propagates", async () => {
    const topic = await createTopic();
    await iam(ownerRoot).send(new CreateUserCommand({ UserName: "pub" }));
    const userArn = `arn:aws:iam::${owner.accountId}:user/pub`;
    await iam(ownerRoot).send(
      new PutUserPolicyCommand({
        UserName: "pub",
        PolicyName: "p",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sns:Publish", Resource: "*" }] }),
      }),
    );
    const user = keyCreds((await iam(ownerRoot).send(new CreateAccessKeyCommand({ UserName: "pub" }))).AccessKey!);
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    // Created in lagging mode, the user and its key are themselves waiting for the flush.
    await flush(owner.accountId);
    expect(await publish(user, topic)).toBe("OK");
    await sns(ownerRoot)
      .setTopicAttributes({ TopicArn: topic, AttributeName: "Policy", AttributeValue: grant(topic, other.accountId, userArn) })
      .promise();
    expect(await publish(user, topic)).toBe("OK");
    await flush(owner.accountId);
    expect(await publish(user, topic)).toBe("AuthorizationError");
  });

  it("CreateTopic's Policy and the other attributes are in force at once (no pending change)", async () => {
    await setMode(owner.accountId, { mode: "fixed", delayMs: HOUR });
    const name = unique("ect");
    const arn = `arn:aws:sns:us-east-1:${owner.accountId}:${name}`;
    await sns(ownerRoot)
      .createTopic({ Name: name, Attributes: { Policy: grant(arn, other.accountId) } })
      .promise();
    expect(await publish(otherRoot, arn)).toBe("OK");
    await sns(ownerRoot).setTopicAttributes({ TopicArn: arn, AttributeName: "DisplayName", AttributeValue: "Lab" }).promise();
    expect((await sns(ownerRoot).getTopicAttributes({ TopicArn: arn }).promise()).Attributes!.DisplayName).toBe("Lab");
    expect(await pending(owner.accountId)).toBe(0);
    expect(await publish(otherRoot, arn)).toBe("OK");
  });
});
