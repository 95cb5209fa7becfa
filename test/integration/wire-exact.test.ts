/**
 * Wire details real clients exposed (issue 13): a signature over Accept-Encoding, characters XML 1.0
 * forbids, far-apart member indexes, the STS namespace before authentication.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { rawSigned, url } from "../helpers/sandbox";
import { withAccount, type AccountFixture } from "../helpers/fixtures";

const hasCurl = spawnSync("curl", ["--version"], { stdio: "ignore" }).status === 0;

let fx: AccountFixture;
beforeAll(async () => {
  fx = await withAccount();
});

/** curl's own SigV4 signer, which signs every header it sends (Accept-Encoding too). */
async function curlSigned(service: string, body: string, headers: string[]): Promise<{ status: number; text: string }> {
  const args = ["-s", "-o", "-", "-w", "\n%{http_code}", "--aws-sigv4", `aws:amz:us-east-1:${service}`];
  args.push("--user", `${fx.creds.accessKeyId}:${fx.creds.secretAccessKey}`, "-d", body);
  for (const h of headers) args.push("-H", h);
  const { stdout } = await promisify(execFile)("curl", [...args, `${url()}/`]);
  const nl = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(nl + 1)), text: stdout.slice(0, nl) };
}

describe("a signature that covers Accept-Encoding", () => {
  it.skipIf(!hasCurl)("curl --aws-sigv4 with Accept-Encoding: identity", async () => {
    const r = await curlSigned("sts", "Action=GetCallerIdentity&Version=2011-06-15", ["Accept-Encoding: identity"]);
    expect(r.text).toContain(`<Account>${fx.id}</Account>`);
    expect(r.status).toBe(200);
  });

  it.skipIf(!hasCurl)("curl --aws-sigv4 with other Accept-Encoding values (IAM)", async () => {
    for (const ae of ["gzip", "gzip, deflate", "br;q=1.0, gzip;q=0.8, *;q=0.1", "zstd"]) {
      const r = await curlSigned("iam", "Action=ListUsers&Version=2010-05-08", [`Accept-Encoding: ${ae}`]);
      expect({ ae, status: r.status }).toEqual({ ae, status: 200 });
    }
  });

  it("an SDK-style signer that signs accept-encoding", async () => {
    const r = await rawSigned(
      { Action: "GetCallerIdentity", Version: "2011-06-15" },
      { creds: fx.creds, headers: { "accept-encoding": "identity" } },
    );
    expect(r.status).toBe(200);
    expect(r.text).toContain(`<Account>${fx.id}</Account>`);
  });

  it("the signed value still counts: another Accept-Encoding than the signed one is refused", async () => {
    const r = await rawSigned(
      { Action: "GetCallerIdentity", Version: "2011-06-15" },
      { creds: fx.creds, headers: { "accept-encoding": "identity" }, tamper: (req) => void (req.headers["accept-encoding"] = "gzip") },
    );
    expect(r.status).toBe(403);
    expect(r.text).toContain("<Code>SignatureDoesNotMatch</Code>");
  });

  it("the SDK (accept-encoding unsigned) still works", async () => {
    const out = await fx.sts.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe(fx.id);
  });
});
