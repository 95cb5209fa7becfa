/**
 * Bad input never gets a 500: every action of every service, called with no parameters and with
 * hostile values, answers an AWS-style 4xx (or 200 where the input is acceptable).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { accountCreds, createAccount, rawSigned, type Creds } from "../helpers/sandbox";
import { listActions } from "../../src/data/catalog";

const SERVICES = path.resolve(__dirname, "../../src/services");

/** Every action declared with defineAction, with the input member names it declares. */
function declaredActions(): { service: string; name: string; members: string[] }[] {
  const out: { service: string; name: string; members: string[] }[] = [];
  for (const svc of ["iam", "sts"]) {
    for (const f of readdirSync(path.join(SERVICES, svc))) {
      if (!f.endsWith(".ts")) continue;
      const src = readFileSync(path.join(SERVICES, svc, f), "utf8");
      for (const m of src.matchAll(/service: "(iam|sts)",\s*name: "(\w+)",\s*input: \{([^}]*)\}/g)) {
        const members = [...m[3]!.matchAll(/(\b[A-Z]\w*):/g)].map((x) => x[1]!);
        out.push({ service: m[1]!, name: m[2]!, members });
      }
    }
  }
  return out;
}

const actions = declaredActions();
const HOSTILE = ["", "x".repeat(5000), "%", "../../etc/passwd", "<xml>&amp;</xml>", "arn:aws:iam::123456789012:", "{\"Version\":", "-1", "99999999999999999999", "\u0000\u0001", "ñ😀"];

let creds: Creds;
beforeAll(async () => {
  creds = accountCreds(await createAccount());
});

describe("robustness: never a 5xx for client input", () => {
  it("finds the declared actions", () => {
    expect(actions.length).toBeGreaterThan(80);
  });

  it("every IAM and STS action of AWS's catalogue with no parameters (implemented or not)", async () => {
    const bad: string[] = [];
    const all = [...listActions("iam").map((name) => ({ service: "iam", name })), ...listActions("sts").map((name) => ({ service: "sts", name }))];
    expect(all.length).toBeGreaterThan(190);
    for (const a of all) {
      const r = await rawSigned({ Action: a.name, Version: a.service === "iam" ? "2010-05-08" : "2011-06-15" }, { service: a.service, creds });
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
});
