/**
 * Bad input never gets a 500: every action of every service, called with no parameters and with
 * hostile values, answers an AWS-style 4xx (or 200 where the input is acceptable).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { rawSigned, type Creds } from "../helpers/sandbox";
import { withAccount } from "../helpers/fixtures";
import { listActions } from "../../src/data/catalog";
import { ALL_ACTIONS, isQueryService } from "../../src/services/registry";

/** Every registered Query-protocol action (IAM, STS), with its input's top-level member names. The
 * model-driven protocols have their own bad-input tests (protocols.test.ts, test/unit/protocols-*). */
const actions = ALL_ACTIONS.filter((a) => isQueryService(a.service)).map((a) => ({
  service: a.service,
  name: a.name,
  members: Object.keys(a.input),
}));
const HOSTILE = [
  "",
  "x".repeat(5000),
  "%",
  "../../etc/passwd",
  "<xml>&amp;</xml>",
  "arn:aws:iam::123456789012:",
  '{"Version":',
  "-1",
  "99999999999999999999",
  "\u0000\u0001",
  "ñ😀",
];

/** Characters XML 1.0 forbids (C0 controls but TAB/LF/CR, U+FFFE/U+FFFF), alone and inside plausible values. */
const XML_FORBIDDEN = ["\u0000", "a\u000bb", "1\u0000", "x\u001f\uFFFE\uFFFF"];
const FORBIDDEN_IN_ANSWER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** Never a 5xx, and always an answer any XML 1.0 parser accepts. */
function answerProblem(r: { status: number; text: string }): string | undefined {
  if (r.status >= 500) return `status ${r.status}`;
  if (FORBIDDEN_IN_ANSWER.test(r.text)) return "a character XML 1.0 forbids";
  if (!/^<(ErrorResponse|\w+Response) xmlns="[^"]+">[\s\S]*<\/(ErrorResponse|\w+Response)>$/.test(r.text)) return "not an AWS XML answer";
  return undefined;
}

let creds: Creds;
beforeAll(async () => {
  ({ creds } = await withAccount());
});

describe("robustness: never a 5xx for client input", () => {
  it("finds every registered action", () => {
    expect(actions.length).toBeGreaterThan(120);
  });

  it("every IAM and STS action of AWS's catalogue with no parameters (implemented or not)", async () => {
    const bad: string[] = [];
    const all = [
      ...listActions("iam").map((name) => ({ service: "iam", name })),
      ...listActions("sts").map((name) => ({ service: "sts", name })),
    ];
    expect(all.length).toBeGreaterThan(190);
    for (const a of all) {
      const r = await rawSigned(
        { Action: a.name, Version: a.service === "iam" ? "2010-05-08" : "2011-06-15" },
        { service: a.service, creds },
      );
      if (r.status >= 500 || !/<(ErrorResponse|\w+Response) /.test(r.text)) bad.push(`${a.name}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    expect(bad).toEqual([]);
  });

  it("every action with hostile values in every member", async () => {
    const bad: string[] = [];
    for (const a of actions) {
      for (const v of HOSTILE) {
        const params: Record<string, string> = { Action: a.name, Version: a.service === "iam" ? "2010-05-08" : "2011-06-15" };
        for (const m of a.members) {
          params[m] = v;
          params[`${m}.member.1`] = v;
          params[`${m}.member.1.Key`] = v;
          params[`${m}.member.1.Value`] = v;
        }
        const r = await rawSigned(params, { service: a.service, creds });
        if (r.status >= 500) bad.push(`${a.name} ${JSON.stringify(v).slice(0, 20)}: ${r.status} ${r.text.slice(0, 300)}`);
      }
    }
    expect(bad).toEqual([]);
  }, 120_000);

  it("every action with characters XML 1.0 forbids in every member: a well-formed answer", async () => {
    const bad: string[] = [];
    for (const a of actions) {
      const version = a.service === "iam" ? "2010-05-08" : "2011-06-15";
      for (const v of XML_FORBIDDEN) {
        const params: Record<string, string> = { Action: a.name, Version: version };
        for (const m of a.members) {
          params[m] = v;
          params[`${m}.member.1`] = v;
          params[`${m}.member.1.Key`] = v;
          params[`${m}.member.1.Value`] = v;
        }
        const r = await rawSigned(params, { service: a.service, creds });
        const problem = answerProblem(r);
        if (problem) bad.push(`${a.name} ${JSON.stringify(v)}: ${problem}: ${r.status} ${JSON.stringify(r.text.slice(0, 300))}`);
      }
      // The action name and the version themselves
      for (const params of [
        { Action: `${a.name}\u0000`, Version: version },
        { Action: a.name, Version: `${version}\u0000` },
      ]) {
        const r = await rawSigned(params, { service: a.service, creds });
        const problem = answerProblem(r);
        if (problem) bad.push(`${JSON.stringify(params)}: ${problem}: ${r.status} ${JSON.stringify(r.text.slice(0, 300))}`);
        else expect(r.text).toContain("<Code>InvalidAction</Code>");
      }
    }
    expect(bad).toEqual([]);
  }, 180_000);
});
