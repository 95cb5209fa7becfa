/**
 * Wire details real clients exposed (issue 13): a signature over Accept-Encoding, characters XML 1.0
 * forbids, far-apart member indexes, the STS namespace before authentication.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CreatePolicyCommand, CreateUserCommand, ListUserTagsCommand } from "@aws-sdk/client-iam";
import { expectAwsError } from "../helpers/aws-errors";
import { ALL_ACTIONS } from "../../src/services/registry";
import { hasAwsCli } from "../helpers/aws-cli";
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

describe("characters XML 1.0 forbids never reach an answer", () => {
  const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

  it("a policy name with \\x0b (SDK): ValidationError for the name's pattern, parsed by the SDK", async () => {
    const e = await expectAwsError(
      fx.iam.send(new CreatePolicyCommand({ PolicyName: "a\u000bb", PolicyDocument: '{"Version":"2012-10-17","Statement":[]}' })),
      "ValidationError",
      400,
    );
    expect(e.message).toMatch(
      /^1 validation error detected: Value at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: /,
    );
  });

  it("Action=ListUsers%00 (raw): InvalidAction, well-formed", async () => {
    const r = await rawSigned({ Action: "ListUsers\u0000", Version: "2010-05-08" }, { creds: fx.creds, service: "iam" });
    expect(r.status).toBe(400);
    expect(r.text).toContain("<Code>InvalidAction</Code>");
    expect(r.text).toContain("<Message>Could not find operation ListUsers\uFFFD for version 2010-05-08</Message>");
    expect(FORBIDDEN.test(r.text)).toBe(false);
  });

  it("MaxItems=1%00 (raw): ValidationError, well-formed", async () => {
    const r = await rawSigned({ Action: "ListUsers", Version: "2010-05-08", MaxItems: "1\u0000" }, { creds: fx.creds, service: "iam" });
    expect(r.status).toBe(400);
    expect(r.text).toContain("<Code>ValidationError</Code>");
    expect(FORBIDDEN.test(r.text)).toBe(false);
  });
});

describe("list members far apart or huge (Tags.member.100000.Key)", () => {
  it("TagUser with only Tags.member.100000: the required Tags is missing (ValidationError), nothing tagged", async () => {
    await fx.iam.send(new CreateUserCommand({ UserName: "sparse-tags" }));
    const r = await rawSigned(
      { Action: "TagUser", Version: "2010-05-08", UserName: "sparse-tags", "Tags.member.100000.Key": "k", "Tags.member.100000.Value": "v" },
      { creds: fx.creds, service: "iam" },
    );
    expect(r.status).toBe(400);
    expect(r.text).toContain("<Code>ValidationError</Code>");
    expect(r.text).toContain("Value at 'tags' failed to satisfy constraint: Member must not be null");
    const tags = await fx.iam.send(new ListUserTagsCommand({ UserName: "sparse-tags" }));
    expect(tags.Tags).toEqual([]);
  });

  it("every registered Tag*/Untag* call with a huge index only: ValidationError, never 2xx", async () => {
    const calls = ALL_ACTIONS.filter((a) => a.service === "iam" && /^(Tag|Untag)/.test(a.name));
    expect(calls.length).toBeGreaterThanOrEqual(10);
    for (const a of calls) {
      const params: Record<string, string> = { Action: a.name, Version: "2010-05-08" };
      for (const m of Object.keys(a.input)) {
        if (m === "Tags") Object.assign(params, { "Tags.member.100000.Key": "k", "Tags.member.100000.Value": "v" });
        else if (m === "TagKeys") params["TagKeys.member.100000"] = "k";
        else params[m] = m.endsWith("Arn") || m === "SerialNumber" ? `arn:aws:iam::${fx.id}:policy/x` : "sparse-tags";
      }
      const r = await rawSigned(params, { creds: fx.creds, service: "iam" });
      expect({ action: a.name, status: r.status, code: /<Code>(\w+)<\/Code>/.exec(r.text)?.[1] }).toEqual({
        action: a.name,
        status: 400,
        code: "ValidationError",
      });
      expect(r.text).toMatch(/Value at '(tags|tagKeys)' failed to satisfy constraint: Member must not be null/);
    }
  });

  it("members after a gap are not part of the list (.1 and .3: one tag)", async () => {
    const r = await rawSigned(
      {
        Action: "TagUser",
        Version: "2010-05-08",
        UserName: "sparse-tags",
        "Tags.member.1.Key": "a",
        "Tags.member.1.Value": "1",
        "Tags.member.3.Key": "c",
        "Tags.member.3.Value": "3",
      },
      { creds: fx.creds, service: "iam" },
    );
    expect(r.status).toBe(200);
    const tags = await fx.iam.send(new ListUserTagsCommand({ UserName: "sparse-tags" }));
    expect(tags.Tags).toEqual([{ Key: "a", Value: "1" }]);
  });
});

describe("errors before authentication speak the service's namespace", () => {
  const STS_NS = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"';
  const IAM_NS = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"';
  const post = (body: string) =>
    fetch(`${url()}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });

  it("an unsigned STS call: MissingAuthenticationToken in STS's namespace", async () => {
    const r = await post("Action=GetCallerIdentity&Version=2011-06-15");
    const text = await r.text();
    expect(r.status).toBe(403);
    expect(text).toContain("<Code>MissingAuthenticationToken</Code>");
    expect(text).toContain(STS_NS);
    // by the action alone, too
    expect(await (await post("Action=AssumeRole")).text()).toContain(STS_NS);
  });

  it("an unsigned IAM call stays in IAM's namespace", async () => {
    const text = await (await post("Action=ListUsers&Version=2010-05-08")).text();
    expect(text).toContain("<Code>MissingAuthenticationToken</Code>");
    expect(text).toContain(IAM_NS);
  });

  it("an unknown key signed for STS: InvalidClientTokenId in STS's namespace (SDK and raw)", async () => {
    const bogus = { accessKeyId: "AKIAZZZZZZZZZZZZZZZZ", secretAccessKey: "x".repeat(40) };
    const r = await rawSigned({ Action: "GetCallerIdentity", Version: "2011-06-15" }, { creds: bogus, service: "sts" });
    expect(r.status).toBe(403);
    expect(r.text).toContain("<Code>InvalidClientTokenId</Code>");
    expect(r.text).toContain(STS_NS);
    const { sts } = await import("../helpers/sandbox");
    await expectAwsError(sts(bogus).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
  });

  it.skipIf(!hasAwsCli)("aws sts get-caller-identity --no-sign-request: the CLI reads STS's MissingAuthenticationToken", async () => {
    const out = await promisify(execFile)(
      "aws",
      ["sts", "get-caller-identity", "--no-sign-request", "--endpoint-url", url(), "--region", "us-east-1"],
      { env: { ...process.env, AWS_PAGER: "", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" } },
    ).then(
      () => "",
      (e: { stderr?: string }) => e.stderr ?? "",
    );
    expect(out).toContain("(MissingAuthenticationToken)");
  });
});
