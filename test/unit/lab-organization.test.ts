/**
 * The `organization` section of lab templates (issue 21), pure: validation as Organizations' API checks
 * (policy content, types, targets by name, OU nesting, quotas) with JSON pointers into the template,
 * member templates validated as templates, and the helpers apply and export share.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateTemplate } from "../../src/labs/template";
import { defaultEmail, unitPaths, wantedTypes, withAccessRole } from "../../src/labs/organization-spec";

const deny = (action = "iam:CreateUser") => ({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: action, Resource: "*" }] });
const errorsOf = (t: unknown) => {
  const r = validateTemplate(t);
  return r.ok ? [] : r.errors;
};
const paths = (t: unknown) => errorsOf(t).map((e) => e.path);

describe("organization section: validation", () => {
  it("accepts OUs, SCPs and RCPs with targets by name, members with templates, checks naming a member", () => {
    const t = {
      organization: {
        policyTypes: ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"],
        units: [{ name: "Workloads", units: [{ name: "Prod" }, { name: "Dev" }] }],
        policies: [
          { name: "NoUsers", content: deny(), targets: ["Workloads/Prod", "dev"] },
          {
            name: "NoPublic",
            type: "RESOURCE_CONTROL_POLICY",
            content: {
              Version: "2012-10-17",
              Statement: [
                { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
              ],
            },
            targets: ["Root"],
          },
        ],
        accounts: [{ name: "dev", parent: "Workloads/Dev", email: "dev+${account}@example.com", template: { users: [{ name: "alice" }] } }],
      },
      checks: [{ cannot: { account: "dev", principal: "role/OrganizationAccountAccessRole", action: "iam:CreateUser" } }],
    };
    expect(errorsOf(t)).toEqual([]);
  });

  it("checks policy content as CreatePolicy does, with the engine's reason", () => {
    const errs = errorsOf({
      organization: {
        policies: [
          {
            name: "WithPrincipal",
            content: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }] },
          },
          {
            name: "RcpAllow",
            type: "RESOURCE_CONTROL_POLICY",
            content: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }] },
          },
          {
            name: "Huge",
            content: {
              Version: "2012-10-17",
              Statement: Array.from({ length: 120 }, (_, i) => ({ Sid: `S${i}`, Effect: "Deny", Action: "s3:GetObject", Resource: "*" })),
            },
          },
        ],
      },
    });
    const at = (p: string) => errs.find((e) => e.path === p)?.message ?? "";
    expect(at("/organization/policies/0/content")).toMatch(/^MalformedPolicyDocumentException: .*\(.+\)$/);
    expect(at("/organization/policies/1/content")).toMatch(/^MalformedPolicyDocumentException/);
    expect(at("/organization/policies/2/content")).toMatch(/POLICY_CONTENT_LIMIT_EXCEEDED/);
  });

  it("refuses unserved types, unknown targets and parents, duplicates, types not enabled and the 5-per-target quota", () => {
    const p = paths({
      organization: {
        featureSet: "CONSOLIDATED_BILLING",
        policyTypes: ["SERVICE_CONTROL_POLICY", "TAG_POLICY"],
        units: [{ name: "A" }, { name: "A" }, { name: "B/C" }],
        policies: [
          {
            name: "R",
            type: "RESOURCE_CONTROL_POLICY",
            content: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }] },
            targets: ["Root"],
          },
          { name: "P1", content: deny(), targets: ["A", "A", "Nowhere"] },
          { name: "P1", content: deny() },
          ...["P2", "P3", "P4", "P5"].map((name) => ({ name, content: deny(), targets: ["Root"] })),
          { name: "P6", content: deny(), targets: ["Root"] },
        ],
        accounts: [{ name: "x", parent: "Nope" }, { name: "x" }, { name: "A" }],
      },
    });
    expect(p).toEqual(
      expect.arrayContaining([
        "/organization/featureSet",
        "/organization/policyTypes/1",
        "/organization/units/1/name",
        "/organization/units/2/name",
        "/organization/policies/0/targets",
        "/organization/policies/1/targets/1",
        "/organization/policies/1/targets/2",
        "/organization/policies/2/name",
        "/organization/policies/7/targets/0",
        "/organization/accounts/0/parent",
        "/organization/accounts/1/name",
        "/organization/accounts/2/name",
      ]),
    );
    expect(p).not.toContain("/organization/policies/6/targets/0");
  });

  it("OUs nest five levels deep at most", () => {
    const nest = (n: number): object => (n === 1 ? { name: `L${n}` } : { name: `L${n}`, units: [nest(n - 1)] });
    expect(paths({ organization: { units: [nest(5)] } })).toEqual([]);
    expect(paths({ organization: { units: [nest(6)] } })).toEqual(["/organization/units/0/units/0/units/0/units/0/units/0/units/0"]);
  });

  it("member templates are validated as templates (pointers into them), without organization or checks", () => {
    const p = paths({
      organization: {
        accounts: [
          { name: "m", template: { users: [{ name: "bad name" }], organization: {}, checks: [], extra: 1 }, roleName: "no spaces" },
        ],
      },
      checks: [{ can: { account: "other", principal: "x", action: "s3:GetObject" } }],
    });
    expect(p.sort()).toEqual(
      [
        "/organization/accounts/0/template/users/0/name",
        "/organization/accounts/0/template/organization",
        "/organization/accounts/0/template/checks",
        "/organization/accounts/0/template/extra",
        "/organization/accounts/0/roleName",
        "/checks/0/can/account",
      ].sort(),
    );
  });
});

describe("organization section: helpers", () => {
  it("OU paths parents first; default types from the policies", () => {
    expect(unitPaths([{ name: "W", units: [{ name: "P" }] }, { name: "S" }])).toEqual(["W", "W/P", "S"]);
    expect(wantedTypes({ policies: [{ name: "a", content: {} }] })).toEqual(["SERVICE_CONTROL_POLICY"]);
    expect(wantedTypes({ policyTypes: ["RESOURCE_CONTROL_POLICY"], policies: [{ name: "a", content: {} }] })).toEqual([
      "RESOURCE_CONTROL_POLICY",
    ]);
  });

  it("a member's template keeps the access role CreateAccount made, unless it defines that role", () => {
    const t = withAccessRole({ users: [{ name: "u" }] }, "OrganizationAccountAccessRole", "111122223333");
    expect(t.roles).toEqual([
      {
        name: "OrganizationAccountAccessRole",
        trustPolicy: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "sts:AssumeRole" }],
        },
        policies: ["AdministratorAccess"],
      },
    ]);
    const own = { roles: [{ name: "organizationaccountaccessrole", trustPolicy: {} }] };
    expect(withAccessRole(own, "OrganizationAccountAccessRole", "111122223333")).toBe(own);
    expect(defaultEmail("Prod Workloads!", "111122223333")).toBe("prod-workloads+111122223333@iamlab.invalid");
  });

  it("the JSON Schema describes the section", () => {
    const schema = JSON.parse(readFileSync("schema/lab-template.schema.json", "utf8")) as {
      properties: { organization: { properties: Record<string, unknown> } };
    };
    expect(Object.keys(schema.properties.organization.properties).sort()).toEqual(
      ["featureSet", "policyTypes", "units", "policies", "accounts"].sort(),
    );
  });
});
