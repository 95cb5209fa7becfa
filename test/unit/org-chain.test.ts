/** The org chain the authorizer builds from loadOrgChain's rows: levels root → OUs → account, the org path, who is exempt. */
import { describe, expect, it } from "vitest";
import { buildChain } from "../../src/authz/org-chain";
import { CompiledPolicyCache } from "../../src/policy/index";
import type { ChainRow } from "../../src/store/org-organizations";

const compiled = new CompiledPolicyCache(64);
const DENY = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}';
const row = (
  targetId: string,
  depth: number,
  policyId: string | null,
  content: string | null = null,
  over: Partial<ChainRow> = {},
): ChainRow => ({
  orgId: "o-abcdefghij",
  mgmt: "111111111111",
  rootId: "r-ab12",
  scpEnabled: 1,
  rcpEnabled: 0,
  targetId,
  depth,
  policyId,
  policyType: policyId ? "SERVICE_CONTROL_POLICY" : null,
  content,
  ...over,
});

describe("buildChain", () => {
  const rows = [
    row("r-ab12", 2, "p-FullAWSAccess"),
    row("ou-ab12-aaaaaaaa", 1, "p-FullAWSAccess"),
    row("ou-ab12-aaaaaaaa", 1, "p-denys3xx", DENY),
    row("222222222222", 0, "p-FullAWSAccess"),
  ];

  it("orders the levels root first, names each SCP by its ARN and gives the parents' path", () => {
    const c = buildChain("222222222222", rows, compiled)!;
    expect(c.orgId).toBe("o-abcdefghij");
    expect(c.path).toBe("o-abcdefghij/r-ab12/ou-ab12-aaaaaaaa/");
    expect(c.scps!.map((l) => l.map((s) => s.id))).toEqual([
      ["arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"],
      [
        "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
        "arn:aws:organizations::111111111111:policy/o-abcdefghij/service_control_policy/p-denys3xx",
      ],
      ["arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"],
    ]);
  });

  it("the management account and an organization without SCPs get org keys but no SCP levels", () => {
    expect(buildChain("111111111111", [row("r-ab12", 1, null), row("111111111111", 0, null)], compiled)).toEqual({
      orgId: "o-abcdefghij",
      path: "o-abcdefghij/r-ab12/",
    });
    expect(
      buildChain(
        "222222222222",
        rows.map((r) => ({ ...r, scpEnabled: 0 })),
        compiled,
      )?.scps,
    ).toBeUndefined();
  });

  it("RCP levels beside the SCP levels, each policy under its type's ARN; none for the management account", () => {
    const RCP_DENY = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}';
    const rcp = { rcpEnabled: 1, policyType: "RESOURCE_CONTROL_POLICY" };
    const withRcps = [
      row("r-ab12", 1, "p-FullAWSAccess"),
      row("r-ab12", 1, "p-RCPFullAWSAccess", null, rcp),
      row("222222222222", 0, "p-FullAWSAccess"),
      row("222222222222", 0, "p-RCPFullAWSAccess", null, rcp),
      row("222222222222", 0, "p-perimeter", RCP_DENY, rcp),
    ].map((r) => ({ ...r, rcpEnabled: 1 }));
    const c = buildChain("222222222222", withRcps, compiled)!;
    expect(c.scps!.map((l) => l.length)).toEqual([1, 1]);
    expect(c.rcps!.map((l) => l.map((s) => s.id))).toEqual([
      ["arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"],
      [
        "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess",
        "arn:aws:organizations::111111111111:policy/o-abcdefghij/resource_control_policy/p-perimeter",
      ],
    ]);
    expect(c.rcps![1]![1]!.type).toBe("rcp");
    // SCPs off, RCPs on: RCP levels only.
    const rcpOnly = buildChain(
      "222222222222",
      withRcps.map((r) => ({ ...r, scpEnabled: 0 })),
      compiled,
    )!;
    expect(rcpOnly.scps).toBeUndefined();
    expect(rcpOnly.rcps).toHaveLength(2);
    const mgmt = buildChain(
      "111111111111",
      [row("r-ab12", 1, "p-RCPFullAWSAccess", null, rcp), row("111111111111", 0, "p-RCPFullAWSAccess", null, rcp)].map((r) => ({
        ...r,
        rcpEnabled: 1,
      })),
      compiled,
    )!;
    expect(mgmt.rcps).toBeUndefined();
  });

  it("an account in no organization: no chain", () => {
    expect(buildChain("333333333333", [], compiled)).toBeUndefined();
  });
});
