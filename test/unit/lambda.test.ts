/** Lambda's pure parts: the zip reader, iamlab.json programs and their templates, AddPermission's statement, body limits. */
import { describe, expect, it } from "vitest";
import { readZipEntry, zipEntries, ZipError } from "../../src/services/lambda/zip";
import { fillTemplate, parsePayload, parseProgram, programOfPackage, TemplateError } from "../../src/services/lambda/program";
import { permissionStatement } from "../../src/services/lambda/permissions";
import { lambdaBodyLimit } from "../../src/services/lambda/common";
import { makeZip } from "../helpers/zip";

const known = (s: string, a: string) => (s === "s3" && a === "GetObject") || (s === "sts" && a === "GetCallerIdentity");

describe("zip", () => {
  it("lists entries and reads a stored one", async () => {
    const zip = makeZip([
      { name: "a.txt", data: "alpha" },
      { name: "dir/b.txt", data: "beta" },
    ]);
    const entries = zipEntries(zip);
    expect(entries.map((e) => e.name)).toEqual(["a.txt", "dir/b.txt"]);
    expect(new TextDecoder().decode(await readZipEntry(zip, entries[1]!, 100))).toBe("beta");
  });

  it("refuses what is not a zip, and entries over the size asked", async () => {
    expect(() => zipEntries(new TextEncoder().encode("PK nothing"))).toThrow(ZipError);
    const zip = makeZip([{ name: "big", data: "x".repeat(1000) }]);
    await expect(readZipEntry(zip, zipEntries(zip)[0]!, 10)).rejects.toThrow(ZipError);
  });
});

describe("iamlab.json programs", () => {
  it("a list or an object of calls; params default to {}", () => {
    expect(parseProgram('[{"service":"sts","action":"GetCallerIdentity"}]', known)).toEqual({
      ok: true,
      program: { calls: [{ service: "sts", action: "GetCallerIdentity", params: {} }], failOnError: false },
    });
    const r = parseProgram('{"failOnError":true,"calls":[{"service":"s3","action":"GetObject","params":{"Bucket":"b"}}]}', known);
    expect(r.ok && r.program?.failOnError).toBe(true);
  });

  it("malformed programs say what is wrong", () => {
    const msg = (t: string) => {
      const r = parseProgram(t, known);
      return r.ok ? "ok" : r.message;
    };
    expect(msg("{")).toMatch(/^iamlab\.json is not valid JSON/);
    expect(msg('{"calls":[]}')).toBe("iamlab.json calls must be a non-empty list.");
    expect(msg('{"calls":[{"service":"s3"}]}')).toMatch(/needs "service" and "action"/);
    expect(msg('{"calls":[{"service":"s3","action":"DeleteBucket"}]}')).toMatch(/does not serve s3:DeleteBucket/);
    expect(msg('{"calls":[{"service":"s3","action":"GetObject","param":{}}]}')).toMatch(/unknown key "param"/);
    expect(msg('{"calls":[{"service":"s3","action":"GetObject"}],"x":1}')).toMatch(/unknown key "x"/);
    expect(msg('{"calls":[{"service":"s3","action":"GetObject","params":[]}]}')).toMatch(/params must be an object/);
  });

  it("a package without iamlab.json has no program; one that is not a zip cannot be unzipped", async () => {
    expect(await programOfPackage(makeZip([{ name: "index.js", data: "" }]), known)).toEqual({ ok: true, program: undefined });
    expect(await programOfPackage(new Uint8Array([1, 2, 3]), known)).toEqual({
      ok: false,
      message: "Could not unzip uploaded file. Please check your file, then try to upload again.",
    });
  });

  it("templates take values from the payload", () => {
    const event = { key: "k1", n: 3, nested: { list: [1, 2] } };
    expect(fillTemplate({ Key: "${event.key}", Max: "${event.n}", Path: "a/${event.key}/${event.n}" }, event)).toEqual({
      Key: "k1",
      Max: 3,
      Path: "a/k1/3",
    });
    expect(fillTemplate(["${event.nested.list}"], event)).toEqual([[1, 2]]);
    expect(() => fillTemplate({ Key: "${event.missing}" }, event)).toThrow(TemplateError);
  });
});

describe("AddPermission's statement", () => {
  const arn = "arn:aws:lambda:us-east-1:111111111111:function:f";
  const base = { FunctionName: "f", StatementId: "s", Action: "lambda:InvokeFunction" };
  it("principals as AWS writes them", () => {
    expect(permissionStatement({ ...base, Principal: "222222222222" }, arn).Principal).toEqual({ AWS: "arn:aws:iam::222222222222:root" });
    expect(permissionStatement({ ...base, Principal: "sns.amazonaws.com" }, arn).Principal).toEqual({ Service: "sns.amazonaws.com" });
    expect(permissionStatement({ ...base, Principal: "*" }, arn).Principal).toBe("*");
    expect(permissionStatement({ ...base, Principal: "arn:aws:iam::222222222222:role/r" }, arn).Principal).toEqual({
      AWS: "arn:aws:iam::222222222222:role/r",
    });
    expect(() => permissionStatement({ ...base, Principal: "nonsense" }, arn)).toThrow(/The provided principal was invalid/);
  });

  it("conditions: PrincipalOrgID and FunctionUrlAuthType as StringEquals", () => {
    expect(permissionStatement({ ...base, Principal: "*", PrincipalOrgID: "o-abc", FunctionUrlAuthType: "NONE" }, arn).Condition).toEqual({
      StringEquals: { "aws:PrincipalOrgID": "o-abc", "lambda:FunctionUrlAuthType": "NONE" },
    });
    expect(() => permissionStatement({ ...base, Action: "s3:GetObject", Principal: "*" }, arn)).toThrow(/at 'action'/);
  });
});

describe("limits and payloads", () => {
  it("body limits by route, named as AWS names the operation", () => {
    expect(lambdaBodyLimit("POST", "/2015-03-31/functions")).toEqual({ max: 69905067, operation: "CreateFunction" });
    expect(lambdaBodyLimit("PUT", "/2015-03-31/functions/f/code")).toEqual({ max: 69905067, operation: "UpdateFunctionCode" });
    expect(lambdaBodyLimit("POST", "/2015-03-31/functions/f/invocations").operation).toBe("InvokeFunction");
    expect(lambdaBodyLimit("GET", "/2015-03-31/functions/f").operation).toBe("");
  });

  it("an empty payload is {}; a malformed one InvalidRequestContentException", () => {
    expect(parsePayload(undefined)).toEqual({});
    expect(() => parsePayload(new TextEncoder().encode("{x"))).toThrow(/Could not parse request body into json/);
  });
});
