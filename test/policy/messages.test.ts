/** accessDeniedMessage: AWS's current AccessDenied wording for each deny reason. */
import { describe, expect, it } from "vitest";
import {
  accessDeniedMessage,
  evaluate,
  parsePolicy,
  type AuthzRequest,
  type PolicySet,
  type PolicySource,
} from "../../src/policy/index.js";
import type { PolicyKind, PolicySourceType } from "../../src/policy/types.js";
import { A, B, PRINCIPALS } from "./corpus.js";

function src(
  id: string,
  type: PolicySourceType,
  statements: unknown[],
  kind: PolicyKind = type === "resource"
    ? "resource"
    : type === "rcp"
      ? "rcp"
      : type === "scp"
        ? "scp"
        : type === "boundary"
          ? "boundary"
          : type === "session"
            ? "session"
            : "identity",
): PolicySource {
  const r = parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), kind);
  if (!r.ok) throw new Error(r.message);
  return { id, type, policy: r.policy };
}
const allowAll = [{ Effect: "Allow", Action: "*", Resource: "*" }];
const denyAll = [{ Effect: "Deny", Action: "*", Resource: "*" }];
const iamOnly = [{ Effect: "Allow", Action: "iam:*", Resource: "*" }];
const bob = PRINCIPALS.user!;
const req: AuthzRequest = {
  principal: bob,
  action: "iam:CreateUser",
  resource: `arn:aws:iam::${A}:user/eve`,
  context: {},
};
const head = `User: arn:aws:iam::${A}:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${A}:user/eve`;
const msg = (set: PolicySet, r: AuthzRequest = req) => accessDeniedMessage(r, evaluate(r, set));

describe("accessDeniedMessage", () => {
  it("no identity-based policy", () => {
    expect(msg({ identity: [] })).toBe(`${head} because no identity-based policy allows the iam:CreateUser action`);
  });
  it("explicit deny in a managed identity-based policy names its ARN", () => {
    const id = `arn:aws:iam::${A}:policy/DenyAll`;
    expect(msg({ identity: [src(id, "identity", denyAll)] })).toBe(`${head} with an explicit deny in an identity-based policy: ${id}`);
  });
  it("explicit deny in an inline policy has no ARN", () => {
    expect(msg({ identity: [src("user/bob:inline/deny", "identity", denyAll)] })).toBe(
      `${head} with an explicit deny in an identity-based policy`,
    );
  });
  it("includePolicyArn: false gives the classic form", () => {
    const r = { ...req };
    const d = evaluate(r, { identity: [src(`arn:aws:iam::${A}:policy/DenyAll`, "identity", denyAll)] });
    expect(accessDeniedMessage(r, d, { includePolicyArn: false })).toBe(`${head} with an explicit deny in an identity-based policy`);
  });
  it("permissions boundary", () => {
    const set = {
      identity: [src("p", "identity", allowAll)],
      boundary: [src("b", "boundary", [{ Effect: "Allow", Action: "s3:*", Resource: "*" }])],
    };
    expect(msg(set)).toBe(`${head} because no permissions boundary allows the iam:CreateUser action`);
  });
  it("explicit deny in a permissions boundary", () => {
    const set = { identity: [src("p", "identity", allowAll)], boundary: [src("b", "boundary", denyAll)] };
    expect(msg(set)).toBe(`${head} with an explicit deny in a permissions boundary`);
  });
  it("session policy", () => {
    const r = { ...req, principal: PRINCIPALS.session! };
    const set = {
      identity: [src("p", "identity", allowAll)],
      session: [src("s", "session", [{ Effect: "Allow", Action: "s3:*", Resource: "*" }])],
    };
    expect(msg(set, r)).toBe(
      `User: arn:aws:sts::${A}:assumed-role/Dev/s1 is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${A}:user/eve because no session policy allows the iam:CreateUser action`,
    );
  });
  it("explicit deny in a session policy", () => {
    const r = { ...req, principal: PRINCIPALS.session! };
    const set = { identity: [src("p", "identity", allowAll)], session: [src("s", "session", denyAll)] };
    expect(msg(set, r)).toMatch(/with an explicit deny in a session policy$/);
  });
  it("service control policy (with its ARN)", () => {
    const scp = "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd";
    const set = {
      identity: [src("p", "identity", allowAll)],
      scps: [[src(scp, "scp", [...allowAll, ...[{ Effect: "Deny", Action: "iam:*", Resource: "*" }]])]],
    };
    expect(msg(set)).toBe(`${head} with an explicit deny in a service control policy: ${scp}`);
  });
  it("no service control policy allows", () => {
    const set = {
      identity: [src("p", "identity", allowAll)],
      scps: [[src("scp", "scp", [{ Effect: "Allow", Action: "s3:*", Resource: "*" }])]],
    };
    expect(msg(set)).toBe(`${head} because no service control policy allows the iam:CreateUser action`);
  });
  it("resource control policy", () => {
    const set = {
      identity: [src("p", "identity", allowAll)],
      rcps: [
        [
          src("rcp", "rcp", [
            { Effect: "Allow", Principal: "*", Action: "*", Resource: "*" },
            { Effect: "Deny", Principal: "*", Action: "iam:*", Resource: "*" },
          ]),
        ],
      ],
    };
    expect(msg(set)).toBe(`${head} with an explicit deny in a resource control policy`);
  });
  it("resource-based policy (cross account)", () => {
    const r = {
      ...req,
      principal: PRINCIPALS.userB!,
      action: "sts:AssumeRole",
      resource: `arn:aws:iam::${A}:role/Target`,
      resourceAccount: A,
    };
    const set = { identity: [src("p", "identity", allowAll)], resource: [] };
    expect(msg(set, r)).toBe(
      `User: arn:aws:iam::${B}:user/carol is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${A}:role/Target because no resource-based policy allows the sts:AssumeRole action`,
    );
  });
  it("explicit deny in a resource-based policy", () => {
    const set = {
      identity: [src("p", "identity", allowAll)],
      resource: [src("bucket", "resource", [{ Effect: "Deny", Principal: "*", Action: "*", Resource: "*" }])],
    };
    expect(msg(set)).toBe(`${head} with an explicit deny in a resource-based policy`);
  });
  it("keeps the action as the caller wrote it", () => {
    const r = { ...req, action: "iam:createuser" };
    expect(msg({ identity: [] }, r)).toMatch(/perform: iam:createuser on .* allows the iam:createuser action$/);
  });
  it("anonymous callers", () => {
    const r = { ...req, principal: PRINCIPALS.anon!, action: "s3:GetObject", resource: "arn:aws:s3:::b/k" };
    expect(msg({ identity: [] }, r)).toBe(
      "Anonymous is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no resource-based policy allows the s3:GetObject action",
    );
  });
  it("iam-only identity does not cover the action", () => {
    const r = { ...req, action: "s3:GetObject", resource: "arn:aws:s3:::b/k" };
    expect(msg({ identity: [src("p", "identity", iamOnly)] }, r)).toMatch(
      /because no identity-based policy allows the s3:GetObject action$/,
    );
  });
});
