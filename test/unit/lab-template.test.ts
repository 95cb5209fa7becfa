/**
 * Lab templates (issue 21), pure: validation with JSON-pointer errors, the schema file in step with
 * the validator's fields, and export reproducing a template from the state it describes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RESOURCE_KEYS, validateResources } from "../../src/labs/resources";
import { CHECK_KINDS, validateTemplate, type LabTemplate } from "../../src/labs/template";
import { completePasswordPolicy, desiredState, exportTemplate } from "../../src/labs/state";
import { generatePassword } from "../../src/labs/secrets";
import { passwordPolicyViolation } from "../../src/lib/password";

const example = JSON.parse(readFileSync("labs/examples/least-privilege.json", "utf8")) as LabTemplate;
const schema = JSON.parse(readFileSync("schema/lab-template.schema.json", "utf8")) as {
  properties: Record<string, { items?: { properties?: Record<string, unknown> } }>;
};
const MANAGED = new Map([["administratoraccess", "arn:aws:iam::aws:policy/AdministratorAccess"]]);

describe("validateTemplate", () => {
  it("accepts the example", () => {
    expect(validateTemplate(example)).toMatchObject({ ok: true });
  });

  it("reports every problem with its JSON pointer", () => {
    const r = validateTemplate({
      users: [{ name: "a b" }, { name: "A" }, { name: "a", tags: { "aws:x": "1" } }],
      groups: [{ name: "g", inlinePolicies: { p: { Statement: [{ Effect: "Allow", Action: "s3:GetObject" }] } } }],
      roles: [{ name: "r" }],
      instanceProfiles: [{ name: "ip", role: "nope" }],
      checks: [{ can: { principal: "a", action: "s3 get" } }, { exists: { user: "a" }, userInGroup: { user: "a", group: "g" } }],
      extra: 1,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        "/extra",
        "/users/0/name",
        "/users/2/name",
        "/users/2/tags/aws:x",
        "/groups/0/inlinePolicies/p",
        "/roles/0/trustPolicy",
        "/instanceProfiles/0/role",
        "/checks/0/can/action",
        "/checks/1",
      ]),
    );
    expect(r.errors.find((e) => e.path === "/users/2/name")!.message).toContain('Duplicate user name "a"');
    // The engine's own MalformedPolicyDocument wording
    expect(r.errors.find((e) => e.path === "/groups/0/inlinePolicies/p")!.message).toBe("Policy statement must contain resources.");
  });

  it("escapes pointer segments (RFC 6901)", () => {
    const r = validateTemplate({ users: [{ name: "u", tags: { "a/b": 3 } }] });
    expect(!r.ok && r.errors[0]!.path).toBe("/users/0/tags/a~1b");
  });
});

describe("the JSON Schema", () => {
  it("names the fields the validator knows", () => {
    expect(Object.keys(schema.properties).sort()).toEqual(
      [
        "$schema",
        "description",
        "account",
        "policies",
        "groups",
        "users",
        "roles",
        "instanceProfiles",
        "checks",
        ...RESOURCE_KEYS,
        "organization",
      ].sort(),
    );
    const checkProps = Object.keys(schema.properties.checks!.items!.properties!);
    for (const k of CHECK_KINDS) expect(checkProps).toContain(k);
    expect(Object.keys(schema.properties.users!.items!.properties!).sort()).toEqual(
      ["name", "path", "tags", "password", "accessKeys", "mfa", "groups", "policies", "inlinePolicies", "permissionsBoundary"].sort(),
    );
  });
});

describe("desired state and export", () => {
  it("export gives back the template its state came from (account id as ${account})", () => {
    const d = desiredState(example, "111122223333", MANAGED, new Set());
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const t = exportTemplate(d.state, "111122223333", example.checks);
    const { description: _, ...rest } = example;
    expect(t).toEqual(rest);
  });

  it("an unknown policy name is an error at its reference", () => {
    const d = desiredState({ users: [{ name: "u", policies: ["Nope"] }] }, "111122223333", MANAGED, new Set());
    expect(d).toEqual({ ok: false, errors: [{ path: "/users/0/policies/0", message: expect.stringContaining('"Nope"') }] });
  });
});

describe("generated passwords", () => {
  it("comply with a strict password policy", () => {
    const policy = completePasswordPolicy({
      MinimumPasswordLength: 32,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
    });
    for (let i = 0; i < 50; i++) {
      const p = generatePassword(policy);
      expect(p.length).toBe(32);
      expect(passwordPolicyViolation(p, policy)).toBeNull();
    }
  });
});

describe("service resources in templates (src/labs/resources.ts)", () => {
  const doc = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::${account}:root" }, Action: "s3:GetObject", Resource: "*" }],
  };
  it("accepts buckets, queues, topics, keys and repositories with their policies", () => {
    const r = validateTemplate({
      buckets: [
        { name: "data-${account}", policy: doc, publicAccessBlock: { BlockPublicPolicy: true }, objects: [{ key: "a.txt", body: "hi" }] },
      ],
      queues: [{ name: "jobs", policy: doc }, { name: "jobs.fifo" }],
      topics: [{ name: "alerts", subscriptions: [{ queue: "jobs", rawMessageDelivery: true }] }],
      keys: [{ alias: "lab/data", description: "lab key" }],
      repositories: [{ name: "team/app", policy: doc }],
    });
    expect(r).toMatchObject({ ok: true });
  });

  it("reports every problem with its pointer", () => {
    const r = validateTemplate({
      buckets: [{ name: "Bad_Bucket" }, { name: "ok-bucket", policy: { Statement: "x" } }, { name: "ok-bucket" }],
      queues: [{ name: "q", attributes: { Policy: "{}" } }],
      topics: [{ name: "t", subscriptions: [{ queue: "missing" }] }],
      keys: [{ alias: "aws/s3" }],
      repositories: [{ name: "UPPER" }],
    });
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/buckets/0/name",
        "/buckets/1/policy",
        "/buckets/2/name",
        "/queues/0/attributes/Policy",
        "/topics/0/subscriptions/0/queue",
        "/keys/0/alias",
        "/repositories/0/name",
      ]),
    );
  });

  it("asks for ${account} in bucket names when a template serves several learners (S3 names are global)", () => {
    expect(validateResources({ buckets: [{ name: "shared-bucket" }] }, 30).map((e) => e.path)).toEqual(["/buckets/0/name"]);
    expect(validateResources({ buckets: [{ name: "b-${account}" }] }, 30)).toEqual([]);
  });
});

describe("the example templates in labs/examples", () => {
  it.each(["least-privilege.yaml", "organization.yaml", "cloudtrail-audit.yaml"])("%s is valid", async (file) => {
    const { parse } = await import("yaml");
    const t: unknown = parse(readFileSync(`labs/examples/${file}`, "utf8"));
    const r = validateTemplate(t);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
});
