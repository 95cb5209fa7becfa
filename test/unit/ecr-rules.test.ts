/** ECR's rules as pure functions (issue 17): repository names, digests, manifests, repository policies. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  imageSize,
  imageTagFault,
  isDigest,
  manifestDigest,
  readManifest,
  registryIdFault,
  repositoryArn,
  repositoryNameFault,
  repositoryUri,
} from "../../src/services/ecr/rules";
import { enginePolicy } from "../../src/services/ecr/common";
import { validateRepositoryPolicy } from "../../src/services/ecr/repository-policy";
import { parsePolicy } from "../../src/policy/index";

const PATTERN = "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*";
const ARN = "arn:aws:ecr:us-east-1:111111111111:repository/shared/app";

describe("repository names", () => {
  it("accepts AWS's pattern: lower-case parts joined by . _ -, namespaces with /", () => {
    for (const ok of ["ab", "my-app", "team/app", "a/b/c", "app_1.2", "x".repeat(256), "org/team-a/svc.api"])
      expect(repositoryNameFault(ok), ok).toBeUndefined();
  });
  it("refuses the rest with AWS's message", () => {
    for (const bad of ["Upper", "my app", "-app", "app-", "a//b", "/app", "app/", "a..b", "a__b", "a/-b", "app:1"])
      expect(repositoryNameFault(bad)?.message, bad).toBe(
        `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '${PATTERN}''`,
      );
    expect(repositoryNameFault("a")?.message).toBe(
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'",
    );
    expect(repositoryNameFault("x".repeat(257))?.code).toBe("InvalidParameterException");
  });
  it("registry ids are account ids; tags are 1–300 characters", () => {
    expect(registryIdFault("123456789012")).toBeUndefined();
    expect(registryIdFault("12345")?.code).toBe("InvalidParameterException");
    expect(imageTagFault("v1")).toBeUndefined();
    expect(imageTagFault("")?.code).toBe("InvalidParameterException");
    expect(imageTagFault("t".repeat(301))?.code).toBe("InvalidParameterException");
  });
  it("ARNs and URIs", () => {
    expect(repositoryArn("eu-west-1", "123456789012", "a/b")).toBe("arn:aws:ecr:eu-west-1:123456789012:repository/a/b");
    expect(repositoryUri("eu-west-1", "123456789012", "a/b")).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com/a/b");
  });
});

describe("manifests", () => {
  const m = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", size: 7, digest: `sha256:${"c".repeat(64)}` },
    layers: [
      { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", size: 10, digest: `sha256:${"a".repeat(64)}` },
      { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", size: 20, digest: `sha256:${"b".repeat(64)}` },
    ],
  });
  it("the digest is sha256 of the manifest's UTF-8 bytes", async () => {
    expect(await manifestDigest(m)).toBe(`sha256:${createHash("sha256").update(m, "utf8").digest("hex")}`);
    const unicode = '{"note":"café ☕"}';
    expect(await manifestDigest(unicode)).toBe(`sha256:${createHash("sha256").update(Buffer.from(unicode, "utf8")).digest("hex")}`);
  });
  it("reads the media types and the blobs it names", () => {
    const f = readManifest(m)!;
    expect(f.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(f.artifactMediaType).toBe("application/vnd.oci.image.config.v1+json");
    expect(f.blobs.map((b) => b.digest)).toEqual([`sha256:${"c".repeat(64)}`, `sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`]);
    expect(imageSize(f.blobs)).toBe(37);
  });
  it("schema 1 layers (blobSum), and what is not a manifest", () => {
    expect(readManifest(JSON.stringify({ schemaVersion: 1, fsLayers: [{ blobSum: `sha256:${"d".repeat(64)}` }] }))!.blobs).toEqual([
      { digest: `sha256:${"d".repeat(64)}`, size: 0 },
    ]);
    expect(readManifest("not json")).toBeUndefined();
    expect(readManifest("[1,2]")).toBeUndefined();
    expect(readManifest("{}")).toEqual({ blobs: [] });
  });
  it("digests", () => {
    expect(isDigest(`sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isDigest("sha256")).toBe(false);
    expect(isDigest("sha256:")).toBe(false);
  });
});

describe("repository policies", () => {
  const pull = (extra: object = {}) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "pull", Effect: "Allow", Principal: { AWS: "arn:aws:iam::222222222222:root" }, Action: ["ecr:BatchGetImage"], ...extra },
      ],
    });
  it("the engine reads each statement bound to the repository; the text stays as written", () => {
    const text = pull();
    const doc = JSON.parse(enginePolicy(text, ARN)) as { Statement: { Resource: string }[] };
    expect(doc.Statement[0]!.Resource).toBe(ARN);
    expect(parsePolicy(enginePolicy(text, ARN), "resource").ok).toBe(true);
    // A single statement object (not a list) too.
    const single = JSON.stringify({ Version: "2012-10-17", Statement: { Effect: "Allow", Principal: "*", Action: "ecr:*" } });
    expect((JSON.parse(enginePolicy(single, ARN)) as { Statement: unknown[] }).Statement).toHaveLength(1);
  });
  it("accepts ECR's policies", () => {
    expect(() => validateRepositoryPolicy(pull(), ARN)).not.toThrow();
    expect(() => validateRepositoryPolicy(pull({ Action: "ecr:*" }), ARN)).not.toThrow();
    expect(() =>
      validateRepositoryPolicy(pull({ Principal: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } }), ARN),
    ).not.toThrow();
  });
  it("refuses with AWS's one message: Resource, other services' actions, bad JSON, no principal, bad effect", () => {
    const invalid = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'";
    for (const bad of [
      pull({ Resource: "*" }),
      pull({ NotResource: "*" }),
      pull({ Action: "s3:GetObject" }),
      pull({ Effect: "Maybe" }),
      pull({ Principal: { AWS: "not-an-arn" } }),
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecr:*" }] }),
      JSON.stringify({ Version: "2012-10-17", Statement: [] }),
      JSON.stringify({ Version: "2001-01-01", Statement: [{ Effect: "Allow", Principal: "*", Action: "ecr:*" }] }),
      "{",
      "[]",
    ]) {
      let err: unknown;
      try {
        validateRepositoryPolicy(bad, ARN);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toMatchObject({ code: "InvalidParameterException", message: invalid });
    }
  });
  it("refuses a policy over 10,240 characters", () => {
    expect(() => validateRepositoryPolicy(pull({ Sid: "s".repeat(10240) }), ARN)).toThrow(/10240/);
  });
});
