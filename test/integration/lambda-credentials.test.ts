/**
 * A function's execution-role credentials for code run elsewhere (issue 16): Invoke's `LogType: Tail`
 * log prints the container-credentials lines; the SDK's own http provider then gets the role's
 * session named after the function, re-resolved on each fetch (a deleted function stops working).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CreateFunctionCommand, DeleteFunctionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { CreateRoleCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import { fromHttp } from "@aws-sdk/credential-provider-http";
import { accountCreds, createAccount, iam, url, type Creds } from "../helpers/sandbox";
import { serviceTrust } from "../helpers/documents";
import { lambdaZip } from "../helpers/zip";

const lambda = (creds: Creds) => new LambdaClient({ endpoint: url(), region: "us-east-1", credentials: creds, maxAttempts: 1 });
let root: Creds;
let account: string;

beforeAll(async () => {
  const a = await createAccount();
  account = a.accountId;
  root = accountCreds(a);
});

async function functionWithRole(name: string): Promise<string> {
  const roleArn = (
    await iam(root).send(
      new CreateRoleCommand({ RoleName: `${name}-role`, AssumeRolePolicyDocument: serviceTrust("lambda.amazonaws.com") }),
    )
  ).Role!.Arn!;
  await iam(root).send(
    new PutRolePolicyCommand({
      RoleName: `${name}-role`,
      PolicyName: "p",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }],
      }),
    }),
  );
  await lambda(root).send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: roleArn,
      Code: { ZipFile: lambdaZip() },
    }),
  );
  return roleArn;
}

async function exportLines(name: string): Promise<{ uri: string; token: string; log: string }> {
  const out = await lambda(root).send(new InvokeCommand({ FunctionName: name, LogType: "Tail", Payload: new TextEncoder().encode("{}") }));
  const log = Buffer.from(out.LogResult ?? "", "base64").toString("utf8");
  const uri = /^export AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)$/m.exec(log)?.[1];
  const token = /^export AWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)$/m.exec(log)?.[1];
  if (!uri || !token) throw new Error(`no export lines in the log:\n${log}`);
  return { uri, token, log };
}

const sts = (credentials: ReturnType<typeof fromHttp>) =>
  new STSClient({ endpoint: url(), region: "us-east-1", credentials, maxAttempts: 1 });
const provider = (e: { uri: string; token: string }) =>
  fromHttp({ awsContainerCredentialsFullUri: e.uri, awsContainerAuthorizationToken: e.token, maxRetries: 0 });

describe("Lambda execution-role credentials through the container-credentials provider", () => {
  it("Invoke's Tail log hands out the lines; the SDK's http provider is the function's assumed role", async () => {
    const name = `fn-creds-${Date.now().toString(36)}`;
    await functionWithRole(name);
    const e = await exportLines(name);
    expect(e.log).toContain("unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE");
    const id = await sts(provider(e)).send(new GetCallerIdentityCommand({}));
    expect(id.Arn).toBe(`arn:aws:sts::${account}:assumed-role/${name}-role/${name}`);
    expect(id.Account).toBe(account);
  });

  it("the token is refused once the role no longer trusts Lambda, and once the function is deleted", async () => {
    const name = `fn-gone-${Date.now().toString(36)}`;
    await functionWithRole(name);
    const e = await exportLines(name);
    const res = await fetch(e.uri, { headers: { authorization: e.token } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { AccessKeyId: string; Expiration: string };
    expect(body.AccessKeyId).toMatch(/^ASIA/);

    await iam(root).send(
      new UpdateAssumeRolePolicyCommand({ RoleName: `${name}-role`, PolicyDocument: serviceTrust("ec2.amazonaws.com") }),
    );
    const untrusted = await fetch(e.uri, { headers: { authorization: e.token } });
    expect(untrusted.status).toBeGreaterThanOrEqual(400);
    await untrusted.body?.cancel();

    await iam(root).send(
      new UpdateAssumeRolePolicyCommand({ RoleName: `${name}-role`, PolicyDocument: serviceTrust("lambda.amazonaws.com") }),
    );
    await lambda(root).send(new DeleteFunctionCommand({ FunctionName: name }));
    const gone = await fetch(e.uri, { headers: { authorization: e.token } });
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain("Function not found");
  });

  it("a token minted for a function is useless with a forged function name", async () => {
    const name = `fn-forge-${Date.now().toString(36)}`;
    await functionWithRole(name);
    const e = await exportLines(name);
    const [head, payload, sig] = e.token.split(".");
    const forged = [
      head,
      Buffer.from(
        Buffer.from(payload ?? "", "base64url")
          .toString()
          .replace(name, `${name}x`),
      ).toString("base64url"),
      sig,
    ].join(".");
    const res = await fetch(e.uri, { headers: { authorization: forged } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await res.body?.cancel();
  });
});
