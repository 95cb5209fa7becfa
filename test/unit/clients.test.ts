/** Which client versions honour AWS_ENDPOINT_URL, and what the banner tells each (src/tools/clients.ts). */
import { describe, expect, it } from "vitest";
import { endpointAdvice, honoursEndpointEnv, parseAwsCliVersion, parseBoto3Version, versionAtLeast } from "../../src/tools/clients";

const V2_DEBIAN = "aws-cli/2.9.19 Python/3.11.2 Linux/6.18.44-fc-v1252 source/x86_64.debian.12 prompt/off";
const V2_NEW = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.ubuntu.22 prompt/off";
const V1_PIP = "aws-cli/1.45.11 Python/3.11.7 Linux/6.18.44-fc-v1252 botocore/1.43.11";
const V1_OLD = "aws-cli/1.27.0 Python/3.10.0 Linux/5.15 botocore/1.29.0";

describe("client versions", () => {
  it("compares dotted versions numerically", () => {
    expect(versionAtLeast("2.13.0", "2.13.0")).toBe(true);
    expect(versionAtLeast("2.9.19", "2.13.0")).toBe(false);
    expect(versionAtLeast("2.100.0", "2.13.0")).toBe(true);
    expect(versionAtLeast("1.31", "1.31.0")).toBe(true);
  });

  it("parses aws --version of CLI v1 and v2, and boto3's versions", () => {
    expect(parseAwsCliVersion("/usr/bin/aws", V2_DEBIAN)).toEqual({ kind: "aws-cli-v2", command: "/usr/bin/aws", version: "2.9.19" });
    expect(parseAwsCliVersion("aws", V1_PIP)).toEqual({ kind: "aws-cli-v1", command: "aws", version: "1.45.11", botocore: "1.43.11" });
    expect(parseAwsCliVersion("aws", "command not found")).toBeUndefined();
    expect(parseBoto3Version("python3", "1.26.27 1.29.27\n")).toEqual({
      kind: "boto3",
      command: "python3",
      version: "1.26.27",
      botocore: "1.29.27",
    });
    expect(parseBoto3Version("python3", "Traceback …")).toBeUndefined();
  });

  it("knows who honours AWS_ENDPOINT_URL: CLI v2 >= 2.13, botocore >= 1.31 (CLI v1, boto3)", () => {
    expect(honoursEndpointEnv(parseAwsCliVersion("aws", V2_DEBIAN)!)).toBe(false);
    expect(honoursEndpointEnv(parseAwsCliVersion("aws", V2_NEW)!)).toBe(true);
    expect(honoursEndpointEnv(parseAwsCliVersion("aws", V1_PIP)!)).toBe(true);
    expect(honoursEndpointEnv(parseAwsCliVersion("aws", V1_OLD)!)).toBe(false);
    expect(honoursEndpointEnv(parseBoto3Version("python3", "1.26.27 1.29.27")!)).toBe(false); // Debian 12's python3-boto3
    expect(honoursEndpointEnv(parseBoto3Version("python3", "1.43.11 1.43.11")!)).toBe(true);
  });
});

describe("the banner's endpoint advice", () => {
  const url = "http://127.0.0.1:8787";
  const all = (clients: string[]) =>
    endpointAdvice(
      url,
      clients.map((o) => parseAwsCliVersion("aws", o)!),
    ).join("\n");

  it("never tells anyone to export AWS_ENDPOINT_URL, and gives --endpoint-url first", () => {
    for (const text of [all([]), all([V2_DEBIAN]), all([V1_PIP]), all([V1_PIP, V2_DEBIAN])]) {
      expect(text).not.toMatch(/export AWS_ENDPOINT_URL/);
      expect(text.indexOf(`aws --endpoint-url ${url} sts get-caller-identity`)).toBeGreaterThanOrEqual(0);
      expect(text.indexOf("--endpoint-url")).toBeLessThan(text.indexOf("AWS_ENDPOINT_URL"));
      expect(text).toContain("CLI v2 >= 2.13.0, CLI v1 >= 1.29.0");
    }
  });

  it("warns about an installed client that ignores the variable (Debian's CLI v2 2.9)", () => {
    const text = all([V2_DEBIAN]);
    expect(text).toMatch(/aws \(aws-cli\/2\.9\.19\): IGNORES AWS_ENDPOINT_URL: always pass --endpoint-url/);
  });

  it("says a new client honours it", () => {
    expect(all([V1_PIP])).toMatch(/aws \(aws-cli\/1\.45\.11, botocore 1\.43\.11\): honours AWS_ENDPOINT_URL/);
    expect(all([V1_PIP])).not.toContain("IGNORES");
  });

  it("adds --no-verify-ssl to the examples over https", () => {
    expect(endpointAdvice("https://127.0.0.1:8787", [], " --no-verify-ssl").join("\n")).toContain(
      "aws --endpoint-url https://127.0.0.1:8787 --no-verify-ssl sts get-caller-identity",
    );
  });
});
