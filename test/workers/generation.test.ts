/**
 * The account generation follows the action's declared effect (issue 24): every registered action
 * of effect `permissions` or `rootKeys` moves it, every `write` action leaves it. Each action runs
 * through runAction (authorization, the handler, the store's write batch) as the account's root
 * user — ChangePassword as an IAM user — against an account of its own, seeded with one entity of
 * each kind by the real actions. FIXTURES holds one valid input per action, one line each: a new
 * action of one of those effects without a line here fails the coverage test.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { ALL_ACTIONS } from "../../src/services/registry";
import { runAction } from "../../src/services/run-action";
import type { ActionContext, RegisteredAction } from "../../src/services/action";
import type { Caller } from "../../src/auth/caller";
import type { XmlValue } from "../../src/protocol/xml";
import type { AwsError } from "../../src/protocol/errors";
import { hotp, timeStep } from "../../src/lib/totp";
import { bumpsGeneration } from "../../src/store/write";
import { TRUST, allowDoc } from "../helpers/documents";
import { FIXTURE_CERT, FIXTURE_CERT_2, FIXTURE_KEY, FIXTURE_SSH_KEY } from "../fixtures/certs";
import { defaultKeyPolicy } from "../../src/services/kms/key-policy";
import { idpMetadata } from "../helpers/saml";

const NOW = Date.now(); // real time: the MFA codes below are computed for it
const DOC = allowDoc();
const TAGS = [{ Key: "team", Value: "lab" }];
const AWS_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess";
const PASSWORD = "Initial-Passw0rd!";
const SLR = "AWSServiceRoleForAccessAnalyzer";

/** What the seed created that an input has to name. */
interface Seeded {
  account: string;
  policyArn: string;
  barePolicyArn: string;
  accessKeyId: string;
  /** an unassigned virtual MFA device, and the seed of it */
  freeSerial: string;
  freeSeed: string;
  /** a device enabled for user u, and its seed */
  onSerial: string;
  onSeed: string;
  /** an SSH public key of user u */
  sshPublicKeyId: string;
  /** a signing certificate of user u */
  certificateId: string;
  /** a CodeCommit credential of user u */
  credentialId: string;
  /** the seed's queue (with a policy statement labelled "seeded") and KMS key */
  queueUrl: string;
  keyId: string;
}

interface Fixture {
  input: (s: Seeded) => object;
  /** the caller (default: the account's root user) */
  as?: "user";
  /** the AWS error code the call ends with whatever the input (actions iamlab does not implement yet) */
  fails?: string;
}

const step = timeStep(NOW);
const codes = async (seed: string, from: number) => ({
  AuthenticationCode1: await hotp(seed, from),
  AuthenticationCode2: await hotp(seed, from + 1),
});

// One valid input per action of effect permissions, rootKeys or write, against the seed below.
const FIXTURES: Record<string, Fixture> = {
  // permissions
  "iam:CreateUser": { input: () => ({ UserName: "new-user", Tags: TAGS }) },
  "iam:UpdateUser": { input: () => ({ UserName: "u", NewPath: "/moved/" }) },
  "iam:DeleteUser": { input: () => ({ UserName: "bare" }) },
  "iam:TagUser": { input: () => ({ UserName: "u", Tags: [{ Key: "more", Value: "x" }] }) },
  "iam:UntagUser": { input: () => ({ UserName: "u", TagKeys: ["team"] }) },
  "iam:CreateGroup": { input: () => ({ GroupName: "new-group" }) },
  "iam:UpdateGroup": { input: () => ({ GroupName: "g", NewPath: "/moved/" }) },
  "iam:DeleteGroup": { input: () => ({ GroupName: "bare-group" }) },
  "iam:AddUserToGroup": { input: () => ({ GroupName: "g", UserName: "bare" }) },
  "iam:RemoveUserFromGroup": { input: () => ({ GroupName: "g", UserName: "u" }) },
  "iam:CreateRole": { input: () => ({ RoleName: "new-role", AssumeRolePolicyDocument: TRUST }) },
  "iam:UpdateRole": { input: () => ({ RoleName: "r", MaxSessionDuration: 7200 }) },
  "iam:UpdateAssumeRolePolicy": { input: () => ({ RoleName: "r", PolicyDocument: TRUST }) },
  "iam:DeleteRole": { input: () => ({ RoleName: "bare-role" }) },
  "iam:TagRole": { input: () => ({ RoleName: "r", Tags: [{ Key: "more", Value: "x" }] }) },
  "iam:UntagRole": { input: () => ({ RoleName: "r", TagKeys: ["team"] }) },
  "iam:CreateServiceLinkedRole": { input: () => ({ AWSServiceName: "config.amazonaws.com" }) },
  "iam:DeleteServiceLinkedRole": { input: () => ({ RoleName: SLR }) },
  "iam:AddRoleToInstanceProfile": { input: () => ({ InstanceProfileName: "ip-empty", RoleName: "r" }) },
  "iam:RemoveRoleFromInstanceProfile": { input: () => ({ InstanceProfileName: "ip", RoleName: "r" }) },
  "iam:AttachUserPolicy": { input: (s) => ({ UserName: "u", PolicyArn: s.policyArn }) },
  "iam:AttachGroupPolicy": { input: (s) => ({ GroupName: "g", PolicyArn: s.policyArn }) },
  "iam:AttachRolePolicy": { input: (s) => ({ RoleName: "r", PolicyArn: s.policyArn }) },
  "iam:DetachUserPolicy": { input: () => ({ UserName: "u", PolicyArn: AWS_POLICY }) },
  "iam:DetachGroupPolicy": { input: () => ({ GroupName: "g", PolicyArn: AWS_POLICY }) },
  "iam:DetachRolePolicy": { input: () => ({ RoleName: "r", PolicyArn: AWS_POLICY }) },
  "iam:PutUserPolicy": { input: () => ({ UserName: "u", PolicyName: "more", PolicyDocument: DOC }) },
  "iam:PutGroupPolicy": { input: () => ({ GroupName: "g", PolicyName: "more", PolicyDocument: DOC }) },
  "iam:PutRolePolicy": { input: () => ({ RoleName: "r", PolicyName: "more", PolicyDocument: DOC }) },
  "iam:DeleteUserPolicy": { input: () => ({ UserName: "u", PolicyName: "inline" }) },
  "iam:DeleteGroupPolicy": { input: () => ({ GroupName: "g", PolicyName: "inline" }) },
  "iam:DeleteRolePolicy": { input: () => ({ RoleName: "r", PolicyName: "inline" }) },
  "iam:PutUserPermissionsBoundary": { input: () => ({ UserName: "bare", PermissionsBoundary: BOUNDARY }) },
  "iam:PutRolePermissionsBoundary": { input: () => ({ RoleName: "bare-role", PermissionsBoundary: BOUNDARY }) },
  "iam:DeleteUserPermissionsBoundary": { input: () => ({ UserName: "bounded" }) },
  "iam:DeleteRolePermissionsBoundary": { input: () => ({ RoleName: "r" }) },
  "iam:CreatePolicy": { input: () => ({ PolicyName: "new-policy", PolicyDocument: DOC }) },
  "iam:DeletePolicy": { input: (s) => ({ PolicyArn: s.barePolicyArn }) },
  "iam:CreatePolicyVersion": { input: (s) => ({ PolicyArn: s.policyArn, PolicyDocument: DOC }) },
  "iam:DeletePolicyVersion": { input: (s) => ({ PolicyArn: s.policyArn, VersionId: "v2" }) },
  "iam:SetDefaultPolicyVersion": { input: (s) => ({ PolicyArn: s.policyArn, VersionId: "v2" }) },
  "s3:PutBucketPolicy": { input: (s) => ({ Bucket: bucketOf(s.account), Policy: bucketPolicy(s.account, "s3:GetObject") }) },
  "s3:DeleteBucketPolicy": { input: (s) => ({ Bucket: bucketOf(s.account) }) },
  // resource policies of SQS, KMS, ECR (issue 17: they follow eventual consistency like bucket policies)
  "sqs:SetQueueAttributes": { input: (s) => ({ QueueUrl: s.queueUrl, Attributes: { Policy: queuePolicy(s.account) } }) },
  "sqs:AddPermission": {
    input: (s) => ({ QueueUrl: s.queueUrl, Label: "more", AWSAccountIds: ["123456789012"], Actions: ["SendMessage"] }),
  },
  "sqs:RemovePermission": { input: (s) => ({ QueueUrl: s.queueUrl, Label: "seeded" }) },
  "kms:PutKeyPolicy": { input: (s) => ({ KeyId: s.keyId, Policy: defaultKeyPolicy(s.account) }) },
  "ecr:SetRepositoryPolicy": { input: (s) => ({ repositoryName: REPO, policyText: repositoryPolicy(s.account) }) },
  "ecr:DeleteRepositoryPolicy": { input: () => ({ repositoryName: REPO }) },
  // SNS topic policies (issue 17: they follow eventual consistency like queue policies)
  "sns:SetTopicAttributes": {
    input: (s) => ({ TopicArn: topicArnOf(s.account), AttributeName: "Policy", AttributeValue: topicPolicy(s.account) }),
  },
  "sns:AddPermission": {
    input: (s) => ({ TopicArn: topicArnOf(s.account), Label: "more", AWSAccountId: ["123456789012"], ActionName: ["Publish"] }),
  },
  "sns:RemovePermission": { input: (s) => ({ TopicArn: topicArnOf(s.account), Label: "seeded" }) },
  // federation (issue 19): identity providers decide who may assume roles
  "iam:CreateOpenIDConnectProvider": { input: () => ({ Url: "https://new.example.com", ClientIDList: ["app"] }) },
  "iam:DeleteOpenIDConnectProvider": { input: (s) => ({ OpenIDConnectProviderArn: oidcArn(s) }) },
  "iam:AddClientIDToOpenIDConnectProvider": { input: (s) => ({ OpenIDConnectProviderArn: oidcArn(s), ClientID: "new-app" }) },
  "iam:RemoveClientIDFromOpenIDConnectProvider": { input: (s) => ({ OpenIDConnectProviderArn: oidcArn(s), ClientID: "app" }) },
  "iam:UpdateOpenIDConnectProviderThumbprint": {
    input: (s) => ({ OpenIDConnectProviderArn: oidcArn(s), ThumbprintList: ["a".repeat(40)] }),
  },
  "iam:CreateSAMLProvider": { input: () => ({ Name: "new-saml", SAMLMetadataDocument: idpMetadata() }) },
  "iam:UpdateSAMLProvider": { input: (s) => ({ SAMLProviderArn: samlArn(s), SAMLMetadataDocument: idpMetadata({ second: true }) }) },
  "iam:DeleteSAMLProvider": { input: (s) => ({ SAMLProviderArn: samlArn(s) }) },
  // rootKeys
  "iam:CreateAccessKey": { input: () => ({}) },
  "iam:UpdateAccessKey": { input: (s) => ({ UserName: "u", AccessKeyId: s.accessKeyId, Status: "Inactive" }) },
  "iam:DeleteAccessKey": { input: (s) => ({ UserName: "u", AccessKeyId: s.accessKeyId }) },
  // write
  "iam:UpdateRoleDescription": { input: () => ({ RoleName: "r", Description: "described" }) },
  "iam:CreateInstanceProfile": { input: () => ({ InstanceProfileName: "new-ip", Tags: TAGS }) },
  "iam:DeleteInstanceProfile": { input: () => ({ InstanceProfileName: "ip-empty" }) },
  "iam:TagInstanceProfile": { input: () => ({ InstanceProfileName: "ip", Tags: [{ Key: "more", Value: "x" }] }) },
  "iam:UntagInstanceProfile": { input: () => ({ InstanceProfileName: "ip", TagKeys: ["team"] }) },
  "iam:TagPolicy": { input: (s) => ({ PolicyArn: s.policyArn, Tags: [{ Key: "more", Value: "x" }] }) },
  "iam:UntagPolicy": { input: (s) => ({ PolicyArn: s.policyArn, TagKeys: ["team"] }) },
  "iam:CreateVirtualMFADevice": { input: () => ({ VirtualMFADeviceName: "new-mfa", Tags: TAGS }) },
  "iam:EnableMFADevice": { input: async (s) => ({ UserName: "bare", SerialNumber: s.freeSerial, ...(await codes(s.freeSeed, step - 2)) }) },
  "iam:DeactivateMFADevice": { input: (s) => ({ UserName: "u", SerialNumber: s.onSerial }) },
  "iam:ResyncMFADevice": { input: async (s) => ({ UserName: "u", SerialNumber: s.onSerial, ...(await codes(s.onSeed, step)) }) },
  "iam:DeleteVirtualMFADevice": { input: (s) => ({ SerialNumber: s.freeSerial }) },
  "iam:TagMFADevice": { input: (s) => ({ SerialNumber: s.freeSerial, Tags: [{ Key: "more", Value: "x" }] }) },
  "iam:UntagMFADevice": { input: (s) => ({ SerialNumber: s.freeSerial, TagKeys: ["team"] }) },
  "iam:UpdateAccountPasswordPolicy": { input: () => ({ MinimumPasswordLength: 12 }) },
  "iam:DeleteAccountPasswordPolicy": { input: () => ({}) },
  "iam:CreateAccountAlias": { input: (s) => ({ AccountAlias: `new-${s.account}` }) },
  "iam:DeleteAccountAlias": { input: (s) => ({ AccountAlias: `lab-${s.account}` }) },
  "iam:CreateLoginProfile": { input: () => ({ UserName: "bare", Password: PASSWORD }) },
  "iam:UpdateLoginProfile": { input: () => ({ UserName: "u", Password: "Updated-Passw0rd!" }) },
  "iam:DeleteLoginProfile": { input: () => ({ UserName: "u" }) },
  "iam:ChangePassword": { as: "user", input: () => ({ OldPassword: PASSWORD, NewPassword: "Changed-Passw0rd!" }) },
  "iam:UploadSSHPublicKey": { input: () => ({ UserName: "bare", SSHPublicKeyBody: FIXTURE_SSH_KEY }) },
  "iam:UpdateSSHPublicKey": { input: (s) => ({ UserName: "u", SSHPublicKeyId: s.sshPublicKeyId, Status: "Inactive" }) },
  "iam:DeleteSSHPublicKey": { input: (s) => ({ UserName: "u", SSHPublicKeyId: s.sshPublicKeyId }) },
  "iam:UploadSigningCertificate": { input: () => ({ UserName: "bare", CertificateBody: FIXTURE_CERT_2 }) },
  "iam:UpdateSigningCertificate": { input: (s) => ({ UserName: "u", CertificateId: s.certificateId, Status: "Inactive" }) },
  "iam:DeleteSigningCertificate": { input: (s) => ({ UserName: "u", CertificateId: s.certificateId }) },
  "iam:UploadServerCertificate": {
    input: () => ({ ServerCertificateName: "new-sc", CertificateBody: FIXTURE_CERT, PrivateKey: FIXTURE_KEY, Tags: TAGS }),
  },
  "iam:UpdateServerCertificate": { input: () => ({ ServerCertificateName: "sc", NewPath: "/moved/" }) },
  "iam:DeleteServerCertificate": { input: () => ({ ServerCertificateName: "sc" }) },
  "iam:TagServerCertificate": { input: () => ({ ServerCertificateName: "sc", Tags: [{ Key: "more", Value: "x" }] }) },
  "iam:UntagServerCertificate": { input: () => ({ ServerCertificateName: "sc", TagKeys: ["team"] }) },
  "iam:CreateServiceSpecificCredential": { input: () => ({ UserName: "bare", ServiceName: "codecommit.amazonaws.com" }) },
  "iam:ResetServiceSpecificCredential": { input: (s) => ({ UserName: "u", ServiceSpecificCredentialId: s.credentialId }) },
  "iam:UpdateServiceSpecificCredential": {
    input: (s) => ({ UserName: "u", ServiceSpecificCredentialId: s.credentialId, Status: "Inactive" }),
  },
  "iam:DeleteServiceSpecificCredential": { input: (s) => ({ UserName: "u", ServiceSpecificCredentialId: s.credentialId }) },
  "iam:TagOpenIDConnectProvider": { input: (s) => ({ OpenIDConnectProviderArn: oidcArn(s), Tags: [{ Key: "more", Value: "x" }] }) },
  "iam:UntagOpenIDConnectProvider": { input: (s) => ({ OpenIDConnectProviderArn: oidcArn(s), TagKeys: ["team"] }) },
  "iam:TagSAMLProvider": { input: (s) => ({ SAMLProviderArn: samlArn(s), Tags: [{ Key: "more", Value: "x" }] }) },
  "iam:UntagSAMLProvider": { input: (s) => ({ SAMLProviderArn: samlArn(s), TagKeys: ["team"] }) },
};

/** The seed's identity providers (issue 19). */
function oidcArn(s: Seeded): string {
  return `arn:aws:iam::${s.account}:oidc-provider/seed.example.com`;
}
function samlArn(s: Seeded): string {
  return `arn:aws:iam::${s.account}:saml-provider/seed-saml`;
}

/** The seed's bucket (names are global) and a policy for it. */
const bucketOf = (account: string) => `gen-${account}`;
const bucketPolicy = (account: string, action: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: account }, Action: action, Resource: `arn:aws:s3:::${bucketOf(account)}/*` }],
  });

/** The seed's queue, repository and their policies. */
const REPO = "gen-repo";
const queuePolicy = (account: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: account }, Action: "sqs:SendMessage", Resource: `arn:aws:sqs:us-east-1:${account}:gen-queue` },
    ],
  });
const repositoryPolicy = (account: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "ecr:BatchGetImage" }],
  });

/** The seed's topic (its policy has a statement labelled "seeded") and a policy for it. */
const topicArnOf = (account: string) => `arn:aws:sns:us-east-1:${account}:gen-topic`;
const topicPolicy = (account: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: account }, Action: "sns:Publish", Resource: topicArnOf(account) }],
  });

const keyOf = (a: RegisteredAction) => `${a.service}:${a.name}`;
const byKey = new Map(ALL_ACTIONS.map((a) => [keyOf(a), a]));
const WRITING = ALL_ACTIONS.filter((a) => a.effect === "permissions" || a.effect === "rootKeys" || a.effect === "write");

function ctxFor(account: string, as?: { userId: string }): ActionContext {
  const caller: Caller = as
    ? {
        principal: { kind: "user", account, arn: `arn:aws:iam::${account}:user/u`, userId: as.userId, username: "u" },
        accessKeyId: "AKIATEST",
        generation: 0,
        entityId: as.userId,
      }
    : {
        principal: { kind: "root", account, arn: `arn:aws:iam::${account}:root`, userId: account },
        accessKeyId: "AKIATEST",
        generation: 0,
      };
  return {
    env,
    db: getDb(env.DB),
    caller,
    request: { requestId: "gen", now: NOW, sourceIp: "127.0.0.1", region: "us-east-1", userAgent: "test", secureTransport: true },
    waitUntil: () => {},
  };
}

/** Runs an action as runAction does for a request (authorization included); its plain result. */
async function run(account: string, key: string, input: object, as?: { userId: string }): Promise<Record<string, XmlValue>> {
  const def = byKey.get(key);
  if (!def) throw new Error(`no action ${key}`);
  return ((await runAction(def, input, ctxFor(account, as), (v) => v)) ?? {}) as Record<string, XmlValue>;
}

const field = (v: XmlValue | undefined, k: string) => (v as Record<string, XmlValue>)[k] as string;

/** A fresh account with one of everything the fixtures name. */
async function seed(account: string): Promise<Seeded> {
  await createAccount(getDb(env.DB), account, null, NOW);
  const r = (key: string, input: object) => run(account, key, input);
  await r("iam:CreateAccountAlias", { AccountAlias: `lab-${account}` });
  await r("iam:UpdateAccountPasswordPolicy", { MinimumPasswordLength: 8 });
  await r("iam:CreateUser", { UserName: "u", Tags: TAGS });
  await r("iam:CreateUser", { UserName: "bare" });
  await r("iam:CreateUser", { UserName: "bounded" });
  await r("iam:CreateGroup", { GroupName: "g" });
  await r("iam:CreateGroup", { GroupName: "bare-group" });
  await r("iam:AddUserToGroup", { GroupName: "g", UserName: "u" });
  await r("iam:CreateRole", { RoleName: "r", AssumeRolePolicyDocument: TRUST, Tags: TAGS });
  await r("iam:CreateRole", { RoleName: "bare-role", AssumeRolePolicyDocument: TRUST });
  await r("iam:CreateServiceLinkedRole", { AWSServiceName: "access-analyzer.amazonaws.com" });
  await r("iam:CreateInstanceProfile", { InstanceProfileName: "ip", Tags: TAGS });
  await r("iam:CreateInstanceProfile", { InstanceProfileName: "ip-empty" });
  await r("iam:AddRoleToInstanceProfile", { InstanceProfileName: "ip", RoleName: "r" });
  const policyArn = field((await r("iam:CreatePolicy", { PolicyName: "p", PolicyDocument: DOC, Tags: TAGS })).Policy, "Arn");
  await r("iam:CreatePolicyVersion", { PolicyArn: policyArn, PolicyDocument: allowDoc("s3:*") });
  const barePolicyArn = field((await r("iam:CreatePolicy", { PolicyName: "bare-policy", PolicyDocument: DOC })).Policy, "Arn");
  for (const [key, who] of [
    ["User", { UserName: "u" }],
    ["Group", { GroupName: "g" }],
    ["Role", { RoleName: "r" }],
  ] as const) {
    await r(`iam:Attach${key}Policy`, { ...who, PolicyArn: AWS_POLICY });
    await r(`iam:Put${key}Policy`, { ...who, PolicyName: "inline", PolicyDocument: allowDoc("*") });
  }
  await r("s3:CreateBucket", { Bucket: bucketOf(account) });
  await r("s3:PutBucketPolicy", { Bucket: bucketOf(account), Policy: bucketPolicy(account, "s3:PutObject") });
  const queueUrl = field(await r("sqs:CreateQueue", { QueueName: "gen-queue" }), "QueueUrl");
  await r("sqs:AddPermission", { QueueUrl: queueUrl, Label: "seeded", AWSAccountIds: ["123456789012"], Actions: ["ReceiveMessage"] });
  const keyId = field((await r("kms:CreateKey", {})).KeyMetadata, "KeyId");
  await r("ecr:CreateRepository", { repositoryName: REPO });
  await r("ecr:SetRepositoryPolicy", { repositoryName: REPO, policyText: repositoryPolicy(account) });
  await r("sns:CreateTopic", { Name: "gen-topic" });
  await r("sns:AddPermission", {
    TopicArn: topicArnOf(account),
    Label: "seeded",
    AWSAccountId: ["123456789012"],
    ActionName: ["Subscribe"],
  });
  await r("iam:PutUserPermissionsBoundary", { UserName: "bounded", PermissionsBoundary: BOUNDARY });
  await r("iam:PutRolePermissionsBoundary", { RoleName: "r", PermissionsBoundary: BOUNDARY });
  const accessKeyId = field((await r("iam:CreateAccessKey", { UserName: "u" })).AccessKey, "AccessKeyId");
  await r("iam:CreateLoginProfile", { UserName: "u", Password: PASSWORD });
  const device = async (name: string) => {
    const d = (await r("iam:CreateVirtualMFADevice", { VirtualMFADeviceName: name, Tags: TAGS })).VirtualMFADevice;
    return { serial: field(d, "SerialNumber"), seed: atob(field(d, "Base32StringSeed")) };
  };
  const free = await device("mfa-free");
  const on = await device("mfa-on");
  await r("iam:EnableMFADevice", { UserName: "u", SerialNumber: on.serial, ...(await codes(on.seed, step - 3)) });
  const sshPublicKeyId = field(
    (await r("iam:UploadSSHPublicKey", { UserName: "u", SSHPublicKeyBody: FIXTURE_SSH_KEY })).SSHPublicKey,
    "SSHPublicKeyId",
  );
  const certificateId = field(
    (await r("iam:UploadSigningCertificate", { UserName: "u", CertificateBody: FIXTURE_CERT })).Certificate,
    "CertificateId",
  );
  await r("iam:UploadServerCertificate", {
    ServerCertificateName: "sc",
    CertificateBody: FIXTURE_CERT,
    PrivateKey: FIXTURE_KEY,
    Tags: TAGS,
  });
  await r("iam:CreateOpenIDConnectProvider", { Url: "https://seed.example.com", ClientIDList: ["app"], Tags: TAGS });
  await r("iam:CreateSAMLProvider", { Name: "seed-saml", SAMLMetadataDocument: idpMetadata(), Tags: TAGS });
  const credentialId = field(
    (await r("iam:CreateServiceSpecificCredential", { UserName: "u", ServiceName: "codecommit.amazonaws.com" })).ServiceSpecificCredential,
    "ServiceSpecificCredentialId",
  );
  return {
    queueUrl,
    keyId,
    credentialId,
    sshPublicKeyId,
    certificateId,
    account,
    policyArn,
    barePolicyArn,
    accessKeyId,
    freeSerial: free.serial,
    freeSeed: free.seed,
    onSerial: on.serial,
    onSeed: on.seed,
  };
}

async function generation(account: string): Promise<number> {
  return (await env.DB.prepare("SELECT generation FROM accounts WHERE id = ?").bind(account).first<{ generation: number }>())!.generation;
}

async function userId(account: string, name: string): Promise<string> {
  return (await env.DB.prepare("SELECT user_id FROM users WHERE account_id = ? AND name_lower = ?")
    .bind(account, name)
    .first<{ user_id: string }>())!.user_id;
}

describe("the account generation follows the action's effect", () => {
  it("every action that writes (permissions, rootKeys, write) has a fixture, and every fixture an action", () => {
    expect(WRITING.map(keyOf).filter((k) => !(k in FIXTURES))).toEqual([]);
    expect(Object.keys(FIXTURES).filter((k) => !WRITING.some((a) => keyOf(a) === k))).toEqual([]);
    expect(WRITING.filter((a) => bumpsGeneration(a.effect)).length).toBeGreaterThanOrEqual(40);
  });

  WRITING.forEach((def, n) => {
    const key = keyOf(def);
    const bumps = bumpsGeneration(def.effect);
    it(`${key} (${def.effect}) ${bumps ? "moves" : "leaves"} the generation`, async () => {
      const fixture = FIXTURES[key];
      if (!fixture) throw new Error(`no fixture for ${key}`);
      const account = `81${String(n).padStart(10, "0")}`;
      const s = await seed(account);
      const as = fixture.as === "user" ? { userId: await userId(account, "u") } : undefined;
      const before = await generation(account);
      const call = run(account, key, await fixture.input(s), as);
      if (fixture.fails) expect(((await call.catch((e: unknown) => e)) as AwsError).code).toBe(fixture.fails);
      else await call;
      const after = await generation(account);
      if (bumps && !fixture.fails) expect(after).toBeGreaterThan(before);
      else expect(after).toBe(before);
    });
  });

  it("a permissions write that changes nothing (an attach already attached, a failed delete) leaves the generation", async () => {
    const account = "819999999999";
    await seed(account);
    const before = await generation(account);
    await run(account, "iam:AttachUserPolicy", { UserName: "u", PolicyArn: AWS_POLICY });
    const e = await run(account, "iam:DeleteUser", { UserName: "u" }).catch((x: unknown) => x);
    expect((e as AwsError).code).toBe("DeleteConflict");
    expect(await generation(account)).toBe(before);
  });
});
