/**
 * The banner's claims, checked against every AWS client installed here: a client that
 * `honoursEndpointEnv` reaches the sandbox with AWS_ENDPOINT_URL alone; one that does not goes
 * elsewhere. Real AWS is never reached: HTTPS_PROXY points at a closed port (NO_PROXY exempts the sandbox).
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { honoursEndpointEnv, describeClient, type ClientVersion } from "../../src/tools/clients";
import { detectClients } from "../../src/tools/detect-clients";
import { rootCreds, url } from "../helpers/sandbox";

const clients = await detectClients();

function callerIdentity(c: ClientVersion): Promise<{ ok: boolean; out: string }> {
  const creds = rootCreds();
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_PAGER: "",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_ENDPOINT_URL: url(),
    AWS_MAX_ATTEMPTS: "1",
    HTTPS_PROXY: "http://127.0.0.1:9",
    HTTP_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
  };
  const [cmd, args] =
    c.kind === "boto3"
      ? [c.command, ["-c", 'import boto3; print(boto3.client("sts").get_caller_identity()["Account"])']]
      : [c.command, ["sts", "get-caller-identity", "--output", "text", "--query", "Account"]];
  return new Promise((resolve) =>
    execFile(cmd, args, { env, timeout: 25_000 }, (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout}${stderr}` })),
  );
}

describe("AWS_ENDPOINT_URL per installed client", () => {
  it.skipIf(clients.length === 0)("each installed client behaves as the banner says", async () => {
    for (const c of clients) {
      const { ok, out } = await callerIdentity(c);
      if (honoursEndpointEnv(c)) {
        expect(ok, `${describeClient(c)} should reach the sandbox: ${out}`).toBe(true);
        expect(out.trim()).toBe("123456789012");
      } else {
        expect(ok, `${describeClient(c)} should ignore AWS_ENDPOINT_URL: ${out}`).toBe(false);
        expect(out).toMatch(/proxy|amazonaws\.com/i);
      }
    }
  });
});
