import { describe, expect, it } from "vitest";
import { CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, QueueDoesNotExist, SQSClient } from "@aws-sdk/client-sqs";
import { AWSOrganizationsNotInUseException, DescribeOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { AwsError } from "../../src/protocol/errors";
import { decodeJson, encodeJsonError, encodeJsonResult } from "../../src/protocol/json";
import { SQS_MODEL } from "../../src/data/generated/models/sqs";
import { ORGANIZATIONS_MODEL } from "../../src/data/generated/models/organizations";
import { KMS_MODEL } from "../../src/data/generated/models/kms";
import type { WireRequest } from "../../src/protocol/wire";
import { capture, clientConfig, rejection } from "../helpers/capture-client";

const RID = "11111111-2222-3333-4444-555555555555";

function jsonReq(target: string | null, body: string, contentType = "application/x-amz-json-1.0"): WireRequest {
  const headers = new Headers({ "content-type": contentType });
  if (target !== null) headers.set("x-amz-target", target);
  return { method: "POST", host: "127.0.0.1:8787", path: "/", query: "", headers, body: new TextEncoder().encode(body) };
}
function codeOf(fn: () => unknown): { code: string; status: number; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AwsError);
    const a = e as AwsError;
    return { code: a.code, status: a.status, message: a.message };
  }
  throw new Error("did not throw");
}

describe("JSON 1.0 (SQS) through @aws-sdk/client-sqs", () => {
  it("CreateQueue: the signed request decodes to the input; the encoded result parses", async () => {
    const c = capture((req) => {
      const { operation, input } = decodeJson(SQS_MODEL, req);
      expect(operation.name).toBe("CreateQueue");
      expect(input).toEqual({ QueueName: "q1", Attributes: { VisibilityTimeout: "40" }, tags: { team: "red" } });
      return encodeJsonResult(SQS_MODEL, operation, { QueueUrl: "http://127.0.0.1:8787/123456789012/q1" }, RID);
    });
    const sqs = new SQSClient(clientConfig(c));
    const out = await sqs.send(new CreateQueueCommand({ QueueName: "q1", Attributes: { VisibilityTimeout: "40" }, tags: { team: "red" } }));
    expect(out.QueueUrl).toBe("http://127.0.0.1:8787/123456789012/q1");
    expect(out.$metadata.requestId).toBe(RID);
    const req = c.last();
    expect(req.headers.get("x-amz-target")).toBe("AmazonSQS.CreateQueue");
    expect(req.headers.get("content-type")).toBe("application/x-amz-json-1.0");
    expect(req.headers.get("authorization")).toMatch(/Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/sqs\/aws4_request/);
  });

  it("ListQueues: an empty result and a list", async () => {
    const c = capture((req) => {
      const { operation, input } = decodeJson(SQS_MODEL, req);
      expect(input).toEqual({ QueueNamePrefix: "q", MaxResults: 5 });
      return encodeJsonResult(SQS_MODEL, operation, { QueueUrls: ["u1", "u2"] }, RID);
    });
    const out = await new SQSClient(clientConfig(c)).send(new ListQueuesCommand({ QueueNamePrefix: "q", MaxResults: 5 }));
    expect(out.QueueUrls).toEqual(["u1", "u2"]);
  });

  it("QueueDoesNotExist: the query-compatible error becomes the modeled exception", async () => {
    const c = capture((req) => {
      decodeJson(SQS_MODEL, req);
      return encodeJsonError(SQS_MODEL, new AwsError("QueueDoesNotExist", "The specified queue does not exist.", 400), RID);
    });
    const e = await rejection(() => new SQSClient(clientConfig(c)).send(new GetQueueUrlCommand({ QueueName: "nope" })));
    expect(e).toBeInstanceOf(QueueDoesNotExist);
    expect(e.name).toBe("QueueDoesNotExist");
    expect(e.message).toBe("The specified queue does not exist.");
    expect(e.$metadata?.httpStatusCode).toBe(400);
    expect(e.Code).toBe("AWS.SimpleQueueService.NonExistentQueue");
  });

  it("a missing required member is ValidationException in AWS's words, and the SDK surfaces it", async () => {
    const c = capture((req) => {
      try {
        decodeJson(SQS_MODEL, req);
      } catch (err) {
        return encodeJsonError(SQS_MODEL, err as AwsError, RID);
      }
      throw new Error("should not decode");
    });
    // The JS SDK does not validate required members itself, so the request reaches the server.
    const e = await rejection(() => new SQSClient(clientConfig(c)).send(new CreateQueueCommand({} as never)));
    expect(e.name).toBe("ValidationException");
    expect(e.message).toBe("1 validation error detected: Value null at 'queueName' failed to satisfy constraint: Member must not be null");
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });

  it("AccessDeniedException 403", async () => {
    const c = capture(() =>
      encodeJsonError(
        SQS_MODEL,
        new AwsError(
          SQS_MODEL.metadata.errors.accessDenied,
          "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sqs:listqueues",
          403,
        ),
        RID,
      ),
    );
    const e = await rejection(() => new SQSClient(clientConfig(c)).send(new ListQueuesCommand({})));
    // SQS is query-compatible: its denial carries `x-amzn-query-error: AccessDenied;Sender`, whose code the SDK reports.
    expect(e.name).toBe("AccessDenied");
    expect(e.$metadata?.httpStatusCode).toBe(403);
    expect(e.message).toMatch(/is not authorized to perform/);
  });
});

describe("JSON 1.1 (Organizations) through @aws-sdk/client-organizations", () => {
  it("DescribeOrganization answers AWSOrganizationsNotInUseException", async () => {
    const c = capture((req) => {
      const { operation, input } = decodeJson(ORGANIZATIONS_MODEL, req);
      expect(operation.name).toBe("DescribeOrganization");
      expect(input).toEqual({});
      return encodeJsonError(
        ORGANIZATIONS_MODEL,
        new AwsError("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", 400),
        RID,
      );
    });
    const e = await rejection(() => new OrganizationsClient(clientConfig(c)).send(new DescribeOrganizationCommand({})));
    expect(e).toBeInstanceOf(AWSOrganizationsNotInUseException);
    expect(e.message).toBe("Your account is not a member of an organization.");
    expect(e.$metadata?.httpStatusCode).toBe(400);
    expect(c.last().headers.get("x-amz-target")).toBe("AWSOrganizationsV20161128.DescribeOrganization");
    expect(c.last().headers.get("content-type")).toBe("application/x-amz-json-1.1");
  });

  it("DescribeOrganization result: timestamps as epoch seconds are parsed back to Dates", async () => {
    const c = capture((req) => {
      const { operation } = decodeJson(ORGANIZATIONS_MODEL, req);
      const body = encodeJsonResult(
        ORGANIZATIONS_MODEL,
        operation,
        {
          Organization: {
            Id: "o-abc1234567",
            FeatureSet: "ALL",
            MasterAccountId: "123456789012",
            AvailablePolicyTypes: [{ Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED" }],
          },
        },
        RID,
      );
      expect(JSON.parse(String(body.body))).toEqual({
        Organization: {
          Id: "o-abc1234567",
          FeatureSet: "ALL",
          MasterAccountId: "123456789012",
          AvailablePolicyTypes: [{ Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED" }],
        },
      });
      return body;
    });
    const out = await new OrganizationsClient(clientConfig(c)).send(new DescribeOrganizationCommand({}));
    expect(out.Organization?.Id).toBe("o-abc1234567");
    expect(out.Organization?.AvailablePolicyTypes?.[0]?.Status).toBe("ENABLED");
  });
});

describe("JSON bad input → the JSON protocol's errors, never a non-AwsError", () => {
  it("malformed JSON → SerializationException", () => {
    expect(codeOf(() => decodeJson(SQS_MODEL, jsonReq("AmazonSQS.CreateQueue", '{"QueueName":')))).toMatchObject({
      code: "SerializationException",
      status: 400,
    });
  });
  it("a JSON array or a wrong member type → SerializationException", () => {
    expect(codeOf(() => decodeJson(SQS_MODEL, jsonReq("AmazonSQS.CreateQueue", "[1]"))).code).toBe("SerializationException");
    expect(codeOf(() => decodeJson(SQS_MODEL, jsonReq("AmazonSQS.ListQueues", '{"MaxResults":"5"}')))).toMatchObject({
      code: "SerializationException",
      message: "STRING_VALUE can not be converted to an Integer",
    });
    expect(codeOf(() => decodeJson(SQS_MODEL, jsonReq("AmazonSQS.CreateQueue", '{"QueueName":{"a":1}}'))).code).toBe(
      "SerializationException",
    );
  });
  it("unknown or missing target, wrong content type, wrong method → UnknownOperationException", () => {
    expect(codeOf(() => decodeJson(SQS_MODEL, jsonReq("AmazonSQS.DeleteEverything", "{}"))).code).toBe("UnknownOperationException");
    expect(codeOf(() => decodeJson(SQS_MODEL, jsonReq("TrentService.ListKeys", "{}"))).code).toBe("UnknownOperationException");
    expect(codeOf(() => decodeJson(SQS_MODEL, jsonReq(null, "{}"))).code).toBe("UnknownOperationException");
    expect(codeOf(() => decodeJson(SQS_MODEL, jsonReq("AmazonSQS.ListQueues", "{}", "text/plain"))).code).toBe("UnknownOperationException");
    expect(codeOf(() => decodeJson(SQS_MODEL, { ...jsonReq("AmazonSQS.ListQueues", "{}"), method: "GET" })).code).toBe(
      "UnknownOperationException",
    );
  });
  it("an empty body is an empty input; unknown members are ignored; null reads as absent", () => {
    expect(decodeJson(KMS_MODEL, jsonReq("TrentService.ListKeys", "", "application/x-amz-json-1.1")).input).toEqual({});
    expect(
      decodeJson(KMS_MODEL, jsonReq("TrentService.ListKeys", '{"Limit":10,"Bogus":true,"Marker":null}', "application/x-amz-json-1.1"))
        .input,
    ).toEqual({ Limit: 10 });
  });
  it("errors carry __type, message, x-amzn-ErrorType; query-compatible services add x-amzn-query-error", () => {
    const r = encodeJsonError(KMS_MODEL, new AwsError("NotFoundException", "Key 'x' does not exist", 400), RID);
    expect(JSON.parse(String(r.body))).toEqual({ __type: "NotFoundException", message: "Key 'x' does not exist" });
    expect(r.headers).toMatchObject({
      "x-amzn-errortype": "NotFoundException",
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-requestid": RID,
    });
    expect(r.headers["x-amzn-query-error"]).toBeUndefined();
    const q = encodeJsonError(SQS_MODEL, new AwsError("QueueNameExists", "exists", 400), RID);
    expect(q.headers["x-amzn-query-error"]).toBe("QueueAlreadyExists;Sender");
  });
});

describe("SQS's legacy Query form, from the JSON model plus SQS's Query names", () => {
  it("decodes flattened attribute and tag maps, and answers Query XML with the Query element names", async () => {
    const { decodeQueryModel, encodeQueryModelResult, encodeQueryModelError } = await import("../../src/protocol/query-model");
    const { SQS_MODEL } = await import("../../src/data/generated/models/sqs");
    const { AwsError } = await import("../../src/protocol/errors");
    const body =
      "Action=CreateQueue&Version=2012-11-05&QueueName=q1&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=40&Tag.1.Key=team&Tag.1.Value=blue";
    const d = decodeQueryModel(SQS_MODEL, {
      method: "POST",
      host: "h",
      path: "/",
      query: "",
      headers: new Headers(),
      body: new TextEncoder().encode(body),
    });
    expect(d.operation.name).toBe("CreateQueue");
    expect(d.input).toEqual({ QueueName: "q1", Attributes: { VisibilityTimeout: "40" }, tags: { team: "blue" } });
    const list = encodeQueryModelResult(
      SQS_MODEL,
      SQS_MODEL.operations.ListQueues!,
      { QueueUrls: ["http://h/1/a", "http://h/1/b"] },
      "rid",
    );
    expect(list.body).toContain("<ListQueuesResult><QueueUrl>http://h/1/a</QueueUrl><QueueUrl>http://h/1/b</QueueUrl></ListQueuesResult>");
    const err = encodeQueryModelError(SQS_MODEL, new AwsError("QueueDoesNotExist", "The specified queue does not exist.", 400), "rid");
    expect(err.body).toContain("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>");
    expect(() =>
      decodeQueryModel(SQS_MODEL, {
        method: "POST",
        host: "h",
        path: "/",
        query: "",
        headers: new Headers(),
        body: new TextEncoder().encode("Action=CreateQueue&Version=2012-11-05"),
      }),
    ).toThrow(expect.objectContaining({ code: "MissingParameter" }));
  });
});
