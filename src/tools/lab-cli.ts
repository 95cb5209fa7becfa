/**
 * `iamlab lab …` (issue 21): the lab author's commands over the admin API.
 *   iamlab lab apply <template.yaml|json> [--learners N] [--name-prefix P] [--csv out.csv]
 *   iamlab lab check <lab-id|account-id> [--json]
 *   iamlab lab export <account-id> [--json]
 *   iamlab lab reset <account-id> [--snapshot]
 * Common: --endpoint URL (else IAMLAB_ENDPOINT, else http://127.0.0.1:8787), --admin-token T (else
 * IAMLAB_ADMIN_TOKEN, else the local default). Templates may be YAML or JSON (YAML's superset): the
 * CLI converts to JSON (the Worker never parses YAML) and maps the server's JSON-pointer errors back to
 * the file's line and column.
 */
import { readFile, writeFile } from "node:fs/promises";
import { LineCounter, parseDocument, stringify, type Document } from "yaml";
import { LOCAL_DEFAULTS } from "./local-config.ts";
import { toCsv } from "../lib/csv.ts";

const DEFAULT_ENDPOINT = "http://127.0.0.1:8787";

function die(message: string, code = 1): never {
  process.stderr.write(`iamlab lab: ${message}\n`);
  process.exit(code);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) die(`${name} needs a value`, 2);
  args.splice(i, 2);
  return v;
}

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

interface Api {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

function api(args: string[]): Api {
  const endpoint = (
    option(args, "--endpoint") ??
    option(args, "--endpoint-url") ??
    process.env.IAMLAB_ENDPOINT ??
    DEFAULT_ENDPOINT
  ).replace(/\/$/, "");
  const token = option(args, "--admin-token") ?? process.env.IAMLAB_ADMIN_TOKEN ?? LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN;
  return {
    async call(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${endpoint}/_iamlab${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (e) {
        die(`cannot reach ${endpoint}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const text = await res.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        die(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 200)}`);
      }
      return { status: res.status, body: parsed };
    },
  };
}

/** `/users/0/name` → ["users", 0, "name"] (RFC 6901 unescaping). */
function segments(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `file:line:col` of the deepest node of the pointer present in the document (a missing field: its parent). */
function locate(file: string, doc: Document, lines: LineCounter, pointer: string): string {
  const path = segments(pointer);
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return `${file}:${line}:${col}`;
    }
  }
  return file;
}

async function readTemplate(file: string): Promise<{ template: unknown; where: (pointer: string) => string }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    die(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const { line, col } = lines.linePos(e.pos[0]);
      process.stderr.write(`${file}:${line}:${col}: ${e.message.split("\n")[0]}\n`);
    }
    die(`${file} is not valid YAML or JSON; nothing was applied.`);
  }
  return { template: doc.toJS(), where: (p) => locate(file, doc, lines, p) };
}

function reportTemplateErrors(body: Record<string, unknown>, where: (pointer: string) => string): never {
  const errors = (body.errors ?? []) as { path: string; message: string }[];
  for (const e of errors) process.stderr.write(`${where(e.path)}: ${e.path || "(template)"}: ${e.message}\n`);
  die(String(body.message ?? "invalid template"));
}

function failed(r: { status: number; body: Record<string, unknown> }): never {
  die(`HTTP ${r.status} ${String(r.body.error ?? "")}: ${String(r.body.message ?? JSON.stringify(r.body))}`);
}

interface UserSecrets {
  password?: string;
  accessKeys?: { accessKeyId: string; secretAccessKey: string }[];
  mfa?: { serialNumber: string; seed: string };
  mfaDevices?: { serialNumber: string; seed: string }[];
}
interface Learner {
  learner: string;
  accountId: string;
  alias: string | null;
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  consoleUrl: string;
  users: Record<string, UserSecrets>;
  /** labsorg4 (issue 21): the member accounts of the learner's organization (a root key when made now) */
  members?: {
    name: string;
    accountId: string;
    rootAccessKeyId?: string;
    rootSecretAccessKey?: string;
    consoleUrl: string;
    users: Record<string, UserSecrets>;
  }[];
}

/**
 * One CSV row per learner and credential holder (the root user first, then each user with secrets);
 * then the same for each member account of the learner's organization, its name in `member` (labsorg4).
 */
function learnersCsv(learners: Learner[]): string {
  const rows: string[][] = [
    [
      "learner",
      "account_id",
      "alias",
      "console_url",
      "user",
      "access_key_id",
      "secret_access_key",
      "password",
      "mfa_serial",
      "mfa_seed",
      "member",
    ],
  ];
  const holders = (base: string[], member: string, root: { id?: string; secret?: string }, users: Record<string, UserSecrets>) => {
    if (root.id) rows.push([...base, "root", root.id, root.secret ?? "", "", "", "", member]);
    for (const [user, s] of Object.entries(users)) {
      const keys = s.accessKeys?.length ? s.accessKeys : [undefined];
      keys.forEach((k, i) => {
        rows.push([
          ...base,
          user,
          k?.accessKeyId ?? "",
          k?.secretAccessKey ?? "",
          i === 0 ? (s.password ?? "") : "",
          i === 0 ? (s.mfa?.serialNumber ?? "") : "",
          i === 0 ? (s.mfa?.seed ?? "") : "",
          member,
        ]);
      });
      // A user's further MFA devices: a row each.
      for (const d of (s.mfaDevices ?? []).slice(1)) rows.push([...base, user, "", "", "", d.serialNumber, d.seed, member]);
    }
  };
  for (const l of learners) {
    holders([l.learner, l.accountId, l.alias ?? "", l.consoleUrl], "", { id: l.rootAccessKeyId, secret: l.rootSecretAccessKey }, l.users);
    for (const m of l.members ?? [])
      holders([l.learner, m.accountId, "", m.consoleUrl], m.name, { id: m.rootAccessKeyId, secret: m.rootSecretAccessKey }, m.users);
  }
  return `${toCsv(rows)}\n`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

async function applyCommand(args: string[]): Promise<void> {
  const a = api(args);
  const learners = Number(option(args, "--learners") ?? "1");
  const namePrefix = option(args, "--name-prefix");
  const csv = option(args, "--csv");
  const file = args[0];
  if (!file)
    die("usage: iamlab lab apply <template.yaml> [--learners N] [--name-prefix P] [--csv out.csv] [--endpoint URL] [--admin-token T]", 2);
  const { template, where } = await readTemplate(file);
  const r = await a.call("POST", "/labs", { template, learners, ...(namePrefix ? { namePrefix } : {}) });
  if (r.status === 400 && r.body.error === "InvalidTemplate") reportTemplateErrors(r.body, where);
  if (r.status !== 201) failed(r);
  const list = r.body.learners as Learner[];
  if (csv) await writeFile(csv, learnersCsv(list), { mode: 0o600 });
  process.stdout.write(
    `lab ${String(r.body.labId)}: ${list.length} learner account${list.length === 1 ? "" : "s"} in ${String(r.body.elapsedMs)} ms\n`,
  );
  process.stdout.write(
    table([
      ["LEARNER", "ACCOUNT", "ALIAS", "ROOT ACCESS KEY", "USERS WITH CREDENTIALS", "MEMBER ACCOUNTS"],
      ...list.map((l) => [
        l.learner,
        l.accountId,
        l.alias ?? "-",
        l.rootAccessKeyId,
        Object.keys(l.users).join(",") || "-",
        // labsorg4 (issue 21): name=id of each member account of the learner's organization
        l.members?.map((m) => `${m.name}=${m.accountId}`).join(",") || "-",
      ]),
    ]),
  );
  process.stdout.write(
    csv ? `credentials written to ${csv}\n` : "secrets not shown: pass --csv <file> to write every learner's credentials.\n",
  );
}

interface CheckResult {
  id: string;
  status: string;
  earned: number;
  points: number;
  detail: string;
  hint?: string;
}
interface Results {
  accountId: string;
  score: number;
  maxScore: number;
  checks: CheckResult[];
}

async function checkCommand(args: string[]): Promise<void> {
  const a = api(args);
  const json = flag(args, "--json");
  const target = args[0];
  if (!target) die("usage: iamlab lab check <lab-id|account-id> [--json]", 2);
  const account = /^\d{12}$/.test(target);
  const r = await a.call("GET", account ? `/accounts/${target}/lab/results` : `/labs/${encodeURIComponent(target)}/results`);
  if (r.status !== 200) failed(r);
  if (json) {
    process.stdout.write(`${JSON.stringify(r.body, null, 2)}\n`);
    return;
  }
  const all = account ? [r.body as unknown as Results] : (r.body.learners as Results[]);
  const ids = all[0]?.checks.map((c) => c.id) ?? [];
  const mark = (s: string) => (s === "pass" ? "PASS" : s === "fail" ? "FAIL" : "n/a");
  process.stdout.write(
    table([
      ["ACCOUNT", "SCORE", ...ids],
      ...all.map((x) => [x.accountId, `${x.score}/${x.maxScore}`, ...x.checks.map((c) => mark(c.status))]),
    ]),
  );
  for (const x of all)
    for (const c of x.checks.filter((c) => c.status !== "pass"))
      process.stdout.write(`\n${x.accountId} ${c.id} ${mark(c.status)}: ${c.detail}${c.hint ? `\n  hint: ${c.hint}` : ""}`);
  process.stdout.write("\n");
}

async function exportCommand(args: string[]): Promise<void> {
  const a = api(args);
  const json = flag(args, "--json");
  const id = args[0];
  if (!id) die("usage: iamlab lab export <account-id> [--json]", 2);
  const r = await a.call("GET", `/accounts/${id}/lab/export`);
  if (r.status !== 200) failed(r);
  process.stdout.write(json ? `${JSON.stringify(r.body, null, 2)}\n` : stringify(r.body));
}

async function resetCommand(args: string[]): Promise<void> {
  const a = api(args);
  const snapshot = flag(args, "--snapshot");
  const id = args[0];
  if (!id) die("usage: iamlab lab reset <account-id> [--snapshot]", 2);
  const r = await a.call("POST", `/accounts/${id}/lab/reset`, { to: snapshot ? "snapshot" : "template" });
  if (r.status !== 200) failed(r);
  const ch = r.body.changes as { created: string[]; updated: string[]; deleted: string[] };
  process.stdout.write(
    `account ${id} reset to its ${snapshot ? "snapshot" : "template"}: created ${ch.created.join(", ") || "-"}; updated ${ch.updated.join(", ") || "-"}; deleted ${ch.deleted.join(", ") || "-"}\n`,
  );
  const users = r.body.users as Record<string, UserSecrets>;
  if (Object.keys(users).length) process.stdout.write(`new credentials: ${JSON.stringify(users, null, 2)}\n`);
  // labsorg4 (issue 21): the member accounts' new credentials (users the reset made again)
  for (const m of (r.body.members ?? []) as NonNullable<Learner["members"]>)
    if (Object.keys(m.users).length)
      process.stdout.write(`new credentials in member ${m.name} (${m.accountId}): ${JSON.stringify(m.users, null, 2)}\n`);
}

export async function labCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === "apply") return applyCommand(rest);
  if (sub === "check") return checkCommand(rest);
  if (sub === "export") return exportCommand(rest);
  if (sub === "reset") return resetCommand(rest);
  die(
    "usage: iamlab lab apply <template> [--learners N] [--csv F] | check <lab-id|account> [--json] | export <account> | reset <account> [--snapshot]",
    2,
  );
}
