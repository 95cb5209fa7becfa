/**
 * Shared-sandbox safety (issue 23): a hostile tenant with root keys and ordinary signed requests
 * must not be able to make one answer huge, store data that breaks later answers, or get past
 * the quotas — and another tenant on the same server keeps getting correct answers.
 * Runs its own sandbox so the heavy account cannot disturb the shared one.
 */
import { UNTHROTTLED_RATE_LIMITS } from "../../src/tools/local-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  type IAMClient,
  ListInstanceProfilesForRoleCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  type GetAccountAuthorizationDetailsCommandOutput,
} from "@aws-sdk/client-iam";
import { startSandbox, type Sandbox } from "../../src/tools/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { withAccount } from "../helpers/fixtures";

let sb: Sandbox;

async function newAccount(): Promise<IAMClient> {
  return (await withAccount({}, sb)).iam;
}

/** A document padded with whitespace to exactly `length` characters (AWS does not count whitespace against its size quotas). */
function padded(doc: object, length: number): string {
  const json = JSON.stringify(doc);
  return `{${" ".repeat(length - json.length)}${json.slice(1)}`;
}

const TRUST = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
};
const PERMS = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
const MAX_DOC = 131072;

/** GetAccountAuthorizationDetails through every page, with each page's approximate size. */
async function allPages(client: IAMClient, maxItems?: number) {
  const pages: GetAccountAuthorizationDetailsCommandOutput[] = [];
  const bytes: number[] = [];
  let marker: string | undefined;
  for (let n = 0; n < 50; n++) {
    const page = await client.send(new GetAccountAuthorizationDetailsCommand({ Marker: marker, MaxItems: maxItems }));
    pages.push(page);
    // The documents stay URL-encoded in the SDK's output: its JSON is about the size of the XML.
    bytes.push(JSON.stringify(page).length);
    if (!page.IsTruncated) return { pages, bytes };
    expect(page.Marker).toBeTruthy();
    marker = page.Marker;
  }
  throw new Error("no last page");
}

beforeAll(async () => {
  sb = await startSandbox({ port: 0, persistTo: false, vars: { IAMLAB_RATE_LIMITS: UNTHROTTLED_RATE_LIMITS } });
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe("policy documents: AWS's limits at write time", () => {
  it("refuses a document longer than 131,072 characters and inline policies past the role's 10,240 counted characters", async () => {
    const c = await newAccount();
    await c.send(new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: JSON.stringify(TRUST) }));
    const tooLong = await expectAwsError(
      c.send(new PutRolePolicyCommand({ RoleName: "r", PolicyName: "p", PolicyDocument: padded(PERMS, MAX_DOC + 1) })),
      "ValidationError",
      400,
    );
    expect(tooLong.message).toContain("failed to satisfy constraint: Member must have length less than or equal to 131072");
    // Padding is not counted: a 131,072-character document of ~90 counted characters is accepted…
    await c.send(new PutRolePolicyCommand({ RoleName: "r", PolicyName: "padded", PolicyDocument: padded(PERMS, MAX_DOC) }));
    // …but the counted characters of all the role's inline policies stay within 10,240.
    const big = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: Array.from({ length: 200 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`) },
      ],
    };
    expect(JSON.stringify(big).length).toBeGreaterThan(5200);
    await c.send(new PutRolePolicyCommand({ RoleName: "r", PolicyName: "big1", PolicyDocument: JSON.stringify(big) }));
    await expectAwsError(
      c.send(new PutRolePolicyCommand({ RoleName: "r", PolicyName: "big2", PolicyDocument: JSON.stringify(big) })),
      "LimitExceeded",
      409,
      "Maximum policy size of 10240 bytes exceeded for role r",
    );
    await expectAwsError(
      c.send(
        new CreateRoleCommand({
          RoleName: "t",
          AssumeRolePolicyDocument: JSON.stringify({ ...TRUST, Statement: [{ ...TRUST.Statement[0], Sid: "x".repeat(2048) }] }),
        }),
      ),
      "LimitExceeded",
      409,
      "Cannot exceed quota for ACLSizePerRole: 2048",
    );
  });
});

describe("control characters never reach an answer", () => {
  it("a policy Description with ESC/BEL/NUL is refused with AWS's pattern message; answers stay parseable", async () => {
    const c = await newAccount();
    for (const ch of ["\u001b", "\u0007", "\u0000", "\n"]) {
      const e = await expectAwsError(
        c.send(new CreatePolicyCommand({ PolicyName: "p", PolicyDocument: JSON.stringify(PERMS), Description: `a${ch}b` })),
        "ValidationError",
        400,
      );
      expect(e.message).toContain(
        "at 'description' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*",
      );
    }
    await expectAwsError(
      c.send(new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: JSON.stringify(TRUST), Description: "a\u001bb" })),
      "ValidationError",
      400,
    );
    const ok = await c.send(
      new CreatePolicyCommand({ PolicyName: "p", PolicyDocument: JSON.stringify(PERMS), Description: "Zugriff für Ärzte — s3 (read)" }),
    );
    const got = await c.send(new GetPolicyCommand({ PolicyArn: ok.Policy!.Arn! }));
    expect(got.Policy?.Description).toBe("Zugriff für Ärzte — s3 (read)");
    const gaad = await c.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["LocalManagedPolicy"] }));
    expect(gaad.Policies?.map((p) => p.PolicyName)).toEqual(["p"]);
  });
});

describe("GetAccountAuthorizationDetails and ListRoles stay bounded for the largest legal documents", () => {
  const ROLES = 24;
  let heavy: IAMClient;

  beforeAll(async () => {
    heavy = await newAccount();
    // Every role carries a trust policy and an inline policy padded to the longest document AWS
    // accepts: before issue 23 one default page (MaxItems 100) of such roles was built whole.
    for (let i = 0; i < ROLES; i++) {
      const name = `heavy-${String(i).padStart(2, "0")}`;
      await heavy.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: padded(TRUST, MAX_DOC) }));
      await heavy.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "padded", PolicyDocument: padded(PERMS, MAX_DOC) }));
    }
  }, 120_000);

  it("GAAD stops a page early (IsTruncated + Marker) and every role arrives exactly once, intact", async () => {
    const { pages, bytes } = await allPages(heavy);
    expect(pages.length).toBeGreaterThan(1);
    // Each page is cut near the sandbox's 8 MiB budget (URL-encoded documents), never the whole account.
    for (const b of bytes) expect(b).toBeLessThan(10 * 1024 * 1024);
    for (const p of pages.slice(0, -1)) expect(p.RoleDetailList!.length).toBeLessThan(ROLES);
    const roles = pages.flatMap((p) => p.RoleDetailList ?? []);
    expect(roles.map((r) => r.RoleName)).toEqual(Array.from({ length: ROLES }, (_, i) => `heavy-${String(i).padStart(2, "0")}`));
    for (const r of roles) {
      expect(decodeURIComponent(r.AssumeRolePolicyDocument!)).toHaveLength(MAX_DOC);
      expect(decodeURIComponent(r.RolePolicyList![0]!.PolicyDocument!)).toHaveLength(MAX_DOC);
    }
  }, 120_000);

  it("GAAD with MaxItems=1 still returns one whole role a page", async () => {
    const first = await heavy.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1, Filter: ["Role"] }));
    expect(first.RoleDetailList?.map((r) => r.RoleName)).toEqual(["heavy-00"]);
    expect(first.IsTruncated).toBe(true);
    const second = await heavy.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1, Filter: ["Role"], Marker: first.Marker }));
    expect(second.RoleDetailList?.map((r) => r.RoleName)).toEqual(["heavy-01"]);
  });

  it("ListRoles with MaxItems=1000 stops early too, and its pages cover every role once", async () => {
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const p = await heavy.send(new ListRolesCommand({ MaxItems: 1000, Marker: marker }));
      pages++;
      names.push(...p.Roles!.map((r) => r.RoleName!));
      for (const r of p.Roles!) expect(decodeURIComponent(r.AssumeRolePolicyDocument!)).toHaveLength(MAX_DOC);
      marker = p.IsTruncated ? p.Marker : undefined;
      if (p.IsTruncated) expect(p.Marker).toBeTruthy();
    } while (marker && pages < 20);
    expect(pages).toBeGreaterThan(1);
    expect(names).toEqual(Array.from({ length: ROLES }, (_, i) => `heavy-${String(i).padStart(2, "0")}`));
  }, 60_000);

  it("ListInstanceProfilesForRole stops early too; a role repeated in its profiles is still one whole GAAD item", async () => {
    const PROFILES = 24;
    for (let i = 0; i < PROFILES; i++) {
      const name = `ip-${String(i).padStart(2, "0")}`;
      await heavy.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
      await heavy.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: "heavy-00" }));
    }
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const p = await heavy.send(new ListInstanceProfilesForRoleCommand({ RoleName: "heavy-00", MaxItems: 1000, Marker: marker }));
      pages++;
      names.push(...p.InstanceProfiles!.map((ip) => ip.InstanceProfileName!));
      marker = p.IsTruncated ? p.Marker : undefined;
    } while (marker && pages < 20);
    expect(pages).toBeGreaterThan(1);
    expect(names).toHaveLength(PROFILES);
    // heavy-00 now weighs ~10 MB in GAAD (its trust policy once more in each profile): alone on its page.
    const first = await heavy.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Role"] }));
    expect(first.RoleDetailList?.map((r) => r.RoleName)).toEqual(["heavy-00"]);
    expect(first.RoleDetailList![0]!.InstanceProfileList).toHaveLength(PROFILES);
    expect(first.IsTruncated).toBe(true);
  }, 120_000);

  it("another tenant on the same server still gets its own, correct answer", async () => {
    const other = await newAccount();
    await other.send(new CreateUserCommand({ UserName: "alice" }));
    await other.send(new CreateRoleCommand({ RoleName: "small", AssumeRolePolicyDocument: JSON.stringify(TRUST) }));
    // While the heavy account is read page after page.
    const [mine] = await Promise.all([
      other.send(new GetAccountAuthorizationDetailsCommand({})),
      heavy.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Role"] })),
    ]);
    expect(mine.IsTruncated).toBe(false);
    expect(mine.UserDetailList?.map((u) => u.UserName)).toEqual(["alice"]);
    expect(mine.RoleDetailList?.map((r) => r.RoleName)).toEqual(["small"]);
    expect(JSON.parse(decodeURIComponent(mine.RoleDetailList![0]!.AssumeRolePolicyDocument!))).toEqual(TRUST);
  }, 60_000);
});
