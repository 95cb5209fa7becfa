/**
 * SNS delivery inside an organization (issues 17 + 18): a service acting for a topic carries
 * aws:SourceOrgID of the topic owner's organization, and the queue owner's RCPs govern the
 * delivery — AWS's "confused deputy" perimeter RCP keeps every topic outside the organization out,
 * even though the queue policy trusts sns.amazonaws.com without conditions.
 */
import { beforeAll, describe, expect, it } from "vitest";
import SNS from "aws-sdk/clients/sns";
import {
  SQSClient,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  DescribeCreateAccountStatusCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { adminFetch, signedGet, url, type Creds } from "../helpers/sandbox";
import { withAccount } from "../helpers/fixtures";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

const sns = (c: Creds) =>
  new SNS({
    endpoint: url(),
    region: "us-east-1",
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
    maxRetries: 0,
  });
const sqs = (c: Creds) => new SQSClient({ endpoint: url(), region: "us-east-1", credentials: c, maxAttempts: 1 });
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

async function messages(c: Creds, queueUrl: string): Promise<string[]> {
  const r = await sqs(c).send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
  return (r.Messages ?? []).map((m) => (JSON.parse(m.Body!) as { Message?: string; Type: string }).Message ?? "");
}

let memberRoot: Creds;
let member: string;
let orgId: string;
let rootId: string;
let org: OrganizationsClient;

beforeAll(async () => {
  const mgmt = await withAccount();
  org = new OrganizationsClient({ endpoint: url(), region: "us-east-1", credentials: mgmt.creds, maxAttempts: 1 });
  orgId = (await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }))).Organization!.Id!;
  rootId = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const started = await org.send(new CreateAccountCommand({ Email: "queues@example.com", AccountName: "queues" }));
  const done = await org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: started.CreateAccountStatus!.Id! }));
  member = done.CreateAccountStatus!.AccountId!;
  const k = (await (await adminFetch(`/accounts/${member}/root-access-key`, { method: "POST" })).json()) as {
    rootAccessKeyId: string;
    rootSecretAccessKey: string;
  };
  memberRoot = { accessKeyId: k.rootAccessKeyId, secretAccessKey: k.rootSecretAccessKey };
});

describe("SNS → SQS under an organization's RCP", () => {
  it("the perimeter RCP on aws:SourceOrgID keeps an outsider's topic out of a member's queue; the member's own topic delivers", async () => {
    const outsider = await withAccount();
    const q = await sqs(memberRoot).send(new CreateQueueCommand({ QueueName: "org-inbox" }));
    const arn = (await sqs(memberRoot).send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl!, AttributeNames: ["QueueArn"] })))
      .Attributes!.QueueArn!;
    // The queue trusts SNS without conditions: any topic of any account.
    await sqs(memberRoot).send(
      new SetQueueAttributesCommand({
        QueueUrl: q.QueueUrl!,
        Attributes: {
          Policy: doc({ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn }),
        },
      }),
    );
    const own = (await sns(memberRoot).createTopic({ Name: "own" }).promise()).TopicArn!;
    await sns(memberRoot).subscribe({ TopicArn: own, Protocol: "sqs", Endpoint: arn }).promise();
    const foreign = (await sns(outsider.creds).createTopic({ Name: "foreign" }).promise()).TopicArn!;
    await sns(outsider.creds).subscribe({ TopicArn: foreign, Protocol: "sqs", Endpoint: arn }).promise();
    const r = await sqs(memberRoot).send(new ReceiveMessageCommand({ QueueUrl: q.QueueUrl!, MaxNumberOfMessages: 10 }));
    const token = (JSON.parse(r.Messages![0]!.Body!) as { Token: string }).Token;
    await sns(memberRoot).confirmSubscription({ TopicArn: foreign, Token: token }).promise();

    await sns(outsider.creds).publish({ TopicArn: foreign, Message: "from outside" }).promise();
    expect(await messages(memberRoot, q.QueueUrl!)).toEqual(["from outside"]);

    // AWS's confused-deputy RCP: a service may reach the org's queues only on behalf of the org.
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: "RESOURCE_CONTROL_POLICY" }));
    const rcp = await org.send(
      new CreatePolicyCommand({
        Name: "confused-deputy",
        Description: "services act for the organization only",
        Type: "RESOURCE_CONTROL_POLICY",
        Content: doc({
          Sid: "EnforceConfusedDeputyProtection",
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:*",
          Resource: "*",
          Condition: {
            StringNotEqualsIfExists: { "aws:SourceOrgID": orgId },
            Null: { "aws:SourceAccount": "false" },
            Bool: { "aws:PrincipalIsAWSService": "true" },
          },
        }),
      }),
    );
    await org.send(new AttachPolicyCommand({ PolicyId: rcp.Policy!.PolicySummary!.Id!, TargetId: rootId }));

    const denied = await sns(outsider.creds).publish({ TopicArn: foreign, Message: "kept out" }).promise();
    const decisionId = denied.$response.httpResponse.headers["x-iamlab-delivery-denied"];
    expect(decisionId).toBeTruthy();
    await sns(memberRoot).publish({ TopicArn: own, Message: "from inside" }).promise();
    expect(await messages(memberRoot, q.QueueUrl!)).toEqual(["from inside"]);

    // The member reads why: the RCP denied; the delivery carried no aws:SourceOrgID (the member topic's did: IfExists would deny it otherwise).
    const view = (await (await signedGet(`/_iamlab/my/decisions/${decisionId}`, memberRoot)).json()) as {
      reason: string;
      request: { context: Record<string, unknown> };
    };
    expect(view.reason).toBe("rcpDeny");
    expect(view.request.context["aws:ResourceOrgID"]).toBe(orgId);
    expect(view.request.context["aws:SourceOrgID"]).toBeUndefined();
  });
});
