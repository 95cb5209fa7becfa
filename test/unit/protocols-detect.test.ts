import { describe, expect, it } from "vitest";
import { detectService, scopeServiceOf, type RouteRequest } from "../../src/protocol/detect";
import { SERVICE_MODELS } from "../../src/data/generated/models/index";
import { buildServiceModel, MODEL_CONFIG, renderServiceModelModule } from "../../src/data/build/service-models";
import { readFileSync } from "node:fs";

const RID = "rid-1";
function r(headers: Record<string, string>, over: Partial<RouteRequest> = {}): RouteRequest {
  return { method: "POST", headers: new Headers(headers), host: "127.0.0.1:8787", path: "/", query: "", ...over };
}
const auth = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;
const kind = (x: ReturnType<typeof detectService>) =>
  x.kind === "model" ? `${x.model.metadata.service}/${x.protocol}` : x.kind === "query" ? `query/${x.service}` : `unknown/${x.protocol}`;

describe("detectService", () => {
  it("routes by the SigV4 credential scope first", () => {
    expect(kind(detectService(r({ authorization: auth("iam") }), SERVICE_MODELS, RID))).toBe("query/iam");
    expect(kind(detectService(r({ authorization: auth("sts") }), SERVICE_MODELS, RID))).toBe("query/sts");
    expect(
      kind(
        detectService(
          r({ authorization: auth("sqs"), "x-amz-target": "AmazonSQS.ListQueues", "content-type": "application/x-amz-json-1.0" }),
          SERVICE_MODELS,
          RID,
        ),
      ),
    ).toBe("sqs/json");
    expect(
      kind(detectService(r({ authorization: auth("sqs"), "content-type": "application/x-www-form-urlencoded" }), SERVICE_MODELS, RID)),
    ).toBe("query/sqs");
    expect(kind(detectService(r({ authorization: auth("ecr") }), SERVICE_MODELS, RID))).toBe("ecr/json");
    expect(kind(detectService(r({ authorization: auth("s3") }, { method: "GET" }), SERVICE_MODELS, RID))).toBe("s3/rest-xml");
    expect(
      kind(detectService(r({ authorization: auth("lambda") }, { method: "GET", path: "/2015-03-31/functions/" }), SERVICE_MODELS, RID)),
    ).toBe("lambda/rest-json");
    expect(
      kind(detectService(r({ authorization: auth("ec2"), "content-type": "application/x-www-form-urlencoded" }), SERVICE_MODELS, RID)),
    ).toBe("ec2/ec2");
  });
  it("presigned URLs carry the scope in X-Amz-Credential", () => {
    expect(
      scopeServiceOf(new Headers(), "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"),
    ).toBe("s3");
  });
  it("unsigned requests: target prefix, EC2 Version, Lambda path, else S3 (anonymous reads)", () => {
    expect(kind(detectService(r({ "x-amz-target": "TrentService.ListKeys" }), SERVICE_MODELS, RID))).toBe("kms/json");
    expect(
      kind(
        detectService(
          r(
            { "content-type": "application/x-www-form-urlencoded" },
            {
              form: new Map([
                ["Action", "DescribeInstances"],
                ["Version", "2016-11-15"],
              ]),
            },
          ),
          SERVICE_MODELS,
          RID,
        ),
      ),
    ).toBe("ec2/ec2");
    expect(
      kind(
        detectService(
          r(
            { "content-type": "application/x-www-form-urlencoded" },
            {
              form: new Map([
                ["Action", "ListUsers"],
                ["Version", "2010-05-08"],
              ]),
            },
          ),
          SERVICE_MODELS,
          RID,
        ),
      ),
    ).toBe("query/");
    expect(kind(detectService(r({}, { method: "GET", path: "/public-bucket/key" }), SERVICE_MODELS, RID))).toBe("s3/rest-xml");
  });
  it("a service iamlab does not serve is answered in the request's own protocol", () => {
    const json = detectService(
      r({ authorization: auth("dynamodb"), "x-amz-target": "DynamoDB_20120810.ListTables", "content-type": "application/x-amz-json-1.0" }),
      SERVICE_MODELS,
      RID,
    );
    expect(json.kind).toBe("unknown");
    if (json.kind !== "unknown") return;
    expect(json.protocol).toBe("json");
    expect(JSON.parse(String(json.response.body)).__type).toBe("UnknownOperationException");
    // The message names what is served, so a learner sees the service (not their request) is missing.
    expect(JSON.parse(String(json.response.body)).message).toMatch(/iamlab serves: .*\biam\b.*\bs3\b.*\bsts\b/);
    const rest = detectService(
      r({ authorization: auth("glacier"), "content-type": "application/json" }, { method: "GET", path: "/-/vaults" }),
      SERVICE_MODELS,
      RID,
    );
    expect(rest.kind === "unknown" && rest.response.headers["x-amzn-errortype"]).toBe("UnknownOperationException");
    const xml = detectService(r({ authorization: auth("s3-outposts") }, { method: "GET" }), SERVICE_MODELS, RID);
    expect(xml.kind === "unknown" && String(xml.response.body)).toContain("<Error><Code>NotImplemented</Code>");
    const unknownTarget = detectService(r({ "x-amz-target": "Nobody_20200101.Do" }), SERVICE_MODELS, RID);
    expect(unknownTarget.kind === "unknown" && unknownTarget.protocol).toBe("json");
  });
});

describe("generated models", () => {
  it("are current and deterministic: rebuilding from aws-sdk's min.json gives the committed files", () => {
    const version = JSON.parse(readFileSync("node_modules/aws-sdk/package.json", "utf8")).version as string;
    for (const config of MODEL_CONFIG) {
      const json = JSON.parse(readFileSync(`node_modules/aws-sdk/apis/${config.model}.min.json`, "utf8"));
      const a = renderServiceModelModule(buildServiceModel(json, config, `aws-sdk@${version} apis/${config.model}.min.json`));
      const b = renderServiceModelModule(buildServiceModel(json, config, `aws-sdk@${version} apis/${config.model}.min.json`));
      expect(a).toBe(b);
      expect(readFileSync(`src/data/generated/models/${config.service}.ts`, "utf8")).toBe(a);
    }
  });
  it("hold only the listed operations, with the metadata the router needs", () => {
    for (const config of MODEL_CONFIG) expect(Object.keys(SERVICE_MODELS[config.service]!.operations)).toEqual(config.operations);
    expect(SERVICE_MODELS.sqs!.metadata).toMatchObject({
      protocol: "json",
      jsonVersion: "1.0",
      targetPrefix: "AmazonSQS",
      awsQueryCompatible: true,
    });
    expect(SERVICE_MODELS.ecr!.metadata).toMatchObject({ endpointPrefix: "api.ecr", signingName: "ecr" });
    expect(SERVICE_MODELS.organizations!.metadata).toMatchObject({ global: true, jsonVersion: "1.1" });
    expect(SERVICE_MODELS.ec2!.metadata.xmlNamespace).toBe("http://ec2.amazonaws.com/doc/2016-11-15/");
  });
});
