/**
 * SQS and KMS for the benchmarks (issue 17): JSON-protocol requests SigV4-signed in advance (SQS's
 * JSON 1.0 and KMS's JSON 1.1, `X-Amz-Target` as the SDKs send it), and the fixture the scenarios
 * replay, seeded once per server through the admin API, the real IAM API and signed JSON calls:
 * - an account with an IAM user `bench-worker` whose identity policy allows sqs:* and kms:* (the
 *   key's default key policy delegates to IAM policies, so this is the usual way to use a key);
 * - a queue for SendMessage (1 KB body), a queue holding 10 messages for ReceiveMessage
 *   (VisibilityTimeout 0: the same message again at every call, the queue never grows), a queue for
 *   the alternating SendMessage + ReceiveMessage round trip (each receive hides what it takes);
 * - a KMS key, Encrypt of 1 KB and Decrypt of its ciphertext.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { createAccount, iamClient, type Account } from "./seed";
import type { Creds, SignedRequest } from "./sign";

export const SQS_KMS_SEED = { messageBytes: 1024, plaintextBytes: 1024 } as const;

const PROTOCOL = {
  sqs: { contentType: "application/x-amz-json-1.0", prefix: "AmazonSQS" },
  kms: { contentType: "application/x-amz-json-1.1", prefix: "TrentService" },
} as const;

/** A JSON-protocol request of `service`'s operation `op`, signed now. */
export async function signJson(url: string, creds: Creds, service: "sqs" | "kms", op: string, input: object): Promise<SignedRequest> {
  const u = new URL(url);
  const body = JSON.stringify(input);
  const signer = new SignatureV4({ credentials: creds, region: "us-east-1", service, sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign({
    method: "POST",
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: "/",
    headers: { host: u.host, "content-type": PROTOCOL[service].contentType, "x-amz-target": `${PROTOCOL[service].prefix}.${op}` },
    body,
  });
  return { method: "POST", path: "/", headers: { ...(signed.headers as Record<string, string>) }, body };
}

async function call<T>(url: string, creds: Creds, service: "sqs" | "kms", op: string, input: object): Promise<T> {
  const r = await signJson(url, creds, service, op, input);
  const res = await fetch(`${url}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${service}:${op} → ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

export interface SqsKmsFixture {
  account: Account;
  send: SignedRequest;
  receive: SignedRequest;
  /** SendMessage then ReceiveMessage on one queue, replayed alternately */
  roundTrip: SignedRequest[];
  encrypt: SignedRequest;
  decrypt: SignedRequest;
}

const fixtures = new Map<string, Promise<SqsKmsFixture>>();

/** The SQS/KMS fixture of the server at `url` (seeded on first use). */
export function sqsKmsFixture(url: string): Promise<SqsKmsFixture> {
  let p = fixtures.get(url);
  if (!p) {
    p = seed(url);
    fixtures.set(url, p);
  }
  return p;
}

async function seed(url: string): Promise<SqsKmsFixture> {
  const account = await createAccount(url);
  const iam = iamClient(url, account.root);
  await iam.send(new CreateUserCommand({ UserName: "bench-worker" }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: "bench-worker",
      PolicyName: "queues-and-keys",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["sqs:*", "kms:*"], Resource: "*" }],
      }),
    }),
  );
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: "bench-worker" }))).AccessKey!;
  const worker: Creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
  const queue = async (name: string): Promise<string> =>
    (await call<{ QueueUrl: string }>(url, account.root, "sqs", "CreateQueue", { QueueName: name })).QueueUrl;
  const [sendQ, receiveQ, roundQ] = await Promise.all([queue("bench-send"), queue("bench-receive"), queue("bench-round-trip")]);
  const body = "m".repeat(SQS_KMS_SEED.messageBytes);
  for (let i = 0; i < 10; i++) await call(url, account.root, "sqs", "SendMessage", { QueueUrl: receiveQ, MessageBody: body });
  const { KeyMetadata } = await call<{ KeyMetadata: { KeyId: string } }>(url, account.root, "kms", "CreateKey", {});
  const plaintext = Buffer.alloc(SQS_KMS_SEED.plaintextBytes, 7).toString("base64");
  const { CiphertextBlob } = await call<{ CiphertextBlob: string }>(url, worker, "kms", "Encrypt", {
    KeyId: KeyMetadata.KeyId,
    Plaintext: plaintext,
  });
  return {
    account,
    send: await signJson(url, worker, "sqs", "SendMessage", { QueueUrl: sendQ, MessageBody: body }),
    receive: await signJson(url, worker, "sqs", "ReceiveMessage", { QueueUrl: receiveQ, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }),
    roundTrip: [
      await signJson(url, worker, "sqs", "SendMessage", { QueueUrl: roundQ, MessageBody: body }),
      await signJson(url, worker, "sqs", "ReceiveMessage", { QueueUrl: roundQ, MaxNumberOfMessages: 1, VisibilityTimeout: 43200 }),
    ],
    encrypt: await signJson(url, worker, "kms", "Encrypt", { KeyId: KeyMetadata.KeyId, Plaintext: plaintext }),
    decrypt: await signJson(url, worker, "kms", "Decrypt", { CiphertextBlob }),
  };
}
