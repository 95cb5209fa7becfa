/**
 * The HTTP status of every error iamlab raises with a literal status, against the service's Smithy
 * model as the SDK v3 client carries it (`httpError`): a service's code under src/services/<svc>/
 * is checked against @aws-sdk/client-<svc> (where installed). Codes the model does not declare
 * (common errors such as ValidationException or Throttling) are not checked here.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/** error name → status, from a client's bundled schema (and the query-compatible code's status). */
function modelStatuses(client: string): Map<string, number> | undefined {
  const file = path.join(ROOT, `node_modules/@aws-sdk/client-${client}/dist-cjs/index.js`);
  if (!existsSync(file)) return undefined;
  const s = readFileSync(file, "utf8");
  const consts = new Map([...s.matchAll(/const (_[A-Za-z0-9]+) = "([^"]+)";/g)].map((m) => [m[1]!, m[2]!]));
  const out = new Map<string, number>();
  for (const m of s.matchAll(/var (\w+)\$ = \[-3, n0, (_?\w+),\s*\{([^}]*)\}/g)) {
    const name = consts.get(m[2]!) ?? m[1]!;
    const status = /\[_hE\]: (\d+)/.exec(m[3]!);
    if (status) out.set(name, Number(status[1]));
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

const SERVICES = ["s3", "sqs", "ec2", "lambda", "organizations", "cloudtrail", "iam", "sts"];

describe("error statuses match the services' models", () => {
  for (const svc of SERVICES) {
    const model = modelStatuses(svc);
    it.skipIf(!model)(`${svc}: every literal AwsError status is the model's`, () => {
      const wrong: string[] = [];
      for (const file of sources(path.join(ROOT, "src/services", svc))) {
        const text = readFileSync(file, "utf8");
        for (const m of text.matchAll(/new AwsError\(\s*"(\w+)",[\s\S]{0,400}?,\s*(\d{3})\s*(?:,|\))/g)) {
          const want = model!.get(m[1]!);
          if (want !== undefined && want !== Number(m[2])) wrong.push(`${path.relative(ROOT, file)}: ${m[1]} ${m[2]}, model ${want}`);
        }
        // Helpers named by their status: e400("Code", …), e403(…), e404(…).
        for (const m of text.matchAll(/\be(\d{3})\(\s*"(\w+)"/g)) {
          const want = model!.get(m[2]!);
          if (want !== undefined && want !== Number(m[1])) wrong.push(`${path.relative(ROOT, file)}: ${m[2]} ${m[1]}, model ${want}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
