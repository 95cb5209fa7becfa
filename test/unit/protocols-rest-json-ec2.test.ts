import { describe, expect, it } from "vitest";
import { GetFunctionCommand, LambdaClient, ListFunctionsCommand, ResourceNotFoundException } from "@aws-sdk/client-lambda";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { AwsError } from "../../src/protocol/errors";
import { decodeRestJson, encodeRestJsonError, encodeRestJsonResult } from "../../src/protocol/rest-json";
import { decodeEc2, encodeEc2Error, encodeEc2Result, unauthorizedOperation } from "../../src/protocol/ec2";
import { LAMBDA_MODEL } from "../../src/data/generated/models/lambda";
import { EC2_MODEL } from "../../src/data/generated/models/ec2";
import type { WireRequest } from "../../src/protocol/wire";
import { capture, clientConfig, rejection } from "../helpers/capture-client";

const RID = "9f1c7b0e-0000-4000-8000-000000000001";

function req(method: string, path: string, query = "", body = "", contentType?: string): WireRequest {
  const headers = new Headers();
  if (contentType) headers.set("content-type", contentType);
  return { method, host: "127.0.0.1:8787", path, query, headers, body: new TextEncoder().encode(body) };
}
function err(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AwsError);
    return e as AwsError;
  }
  throw new Error("did not throw");
}

describe("REST-JSON (Lambda) through @aws-sdk/client-lambda", () => {
  it("ListFunctions: URI + query members decode; the JSON result parses", async () => {
    const c = capture((r) => {
      const d = decodeRestJson(LAMBDA_MODEL, r);
      expect(d.operation.name).toBe("ListFunctions");
      expect(d.input).toEqual({ MaxItems: 5, Marker: "m1" });
      return encodeRestJsonResult(
        LAMBDA_MODEL,
        d.operation,
        { Functions: [{ FunctionName: "f1", Runtime: "nodejs20.x", MemorySize: 128 }], NextMarker: "m2" },
        RID,
      );
    });
    const out = await new LambdaClient(clientConfig(c)).send(new ListFunctionsCommand({ MaxItems: 5, Marker: "m1" }));
    expect(out.Functions).toEqual([{ FunctionName: "f1", Runtime: "nodejs20.x", MemorySize: 128 }]);
    expect(out.NextMarker).toBe("m2");
    expect(out.$metadata.requestId).toBe(RID);
    expect(c.last().headers.get("authorization")).toMatch(/\/lambda\/aws4_request/);
  });

  it("GetFunction: the {FunctionName} label (an ARN with colons) and ?Qualifier decode", async () => {
    const arn = "arn:aws:lambda:us-east-1:123456789012:function:f1";
    const c = capture((r) => {
      const d = decodeRestJson(LAMBDA_MODEL, r);
      expect(d.operation.name).toBe("GetFunction");
      expect(d.input).toEqual({ FunctionName: arn, Qualifier: "$LATEST" });
      return encodeRestJsonResult(
        LAMBDA_MODEL,
        d.operation,
        { Configuration: { FunctionName: "f1", FunctionArn: arn }, Tags: { team: "red" } },
        RID,
      );
    });
    const out = await new LambdaClient(clientConfig(c)).send(new GetFunctionCommand({ FunctionName: arn, Qualifier: "$LATEST" }));
    expect(out.Configuration?.FunctionArn).toBe(arn);
    expect(out.Tags).toEqual({ team: "red" });
  });

  it("errors: x-amzn-ErrorType + {Type, message} become the modeled exception; AccessDeniedException 403", async () => {
    const c = capture((r) =>
      decodeRestJson(LAMBDA_MODEL, r).operation.name === "GetFunction"
        ? encodeRestJsonError(
            new AwsError("ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope", 404),
            RID,
          )
        : encodeRestJsonError(
            new AwsError(
              LAMBDA_MODEL.metadata.errors.accessDenied,
              "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: lambda:ListFunctions",
              403,
            ),
            RID,
          ),
    );
    const e = await rejection(() => new LambdaClient(clientConfig(c)).send(new GetFunctionCommand({ FunctionName: "nope" })));
    expect(e).toBeInstanceOf(ResourceNotFoundException);
    expect(e.message).toBe("Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope");
    expect(e.$metadata?.httpStatusCode).toBe(404);
    expect(e.Type).toBe("User");
    const d = await rejection(() => new LambdaClient(clientConfig(c)).send(new ListFunctionsCommand({})));
    expect(d.name).toBe("AccessDeniedException");
    expect(d.$metadata?.httpStatusCode).toBe(403);
  });

  it("bad input: unknown route → UnknownOperationException 404; bad query value → ValidationException", () => {
    expect(err(() => decodeRestJson(LAMBDA_MODEL, req("GET", "/2015-03-31/nothing")))).toMatchObject({
      code: "UnknownOperationException",
      status: 404,
    });
    expect(err(() => decodeRestJson(LAMBDA_MODEL, req("DELETE", "/2015-03-31/functions/f1/nothing"))).code).toBe(
      "UnknownOperationException",
    );
    expect(err(() => decodeRestJson(LAMBDA_MODEL, req("GET", "/2015-03-31/functions/", "MaxItems=lots")))).toMatchObject({
      code: "ValidationException",
      status: 400,
    });
    expect(err(() => decodeRestJson(LAMBDA_MODEL, req("GET", "/2015-03-31/functions/%ZZ"))).code).toBe("UnknownOperationException");
  });
});

describe("EC2 Query through @aws-sdk/client-ec2", () => {
  it("DescribeInstances: Filter.N.Name / Filter.N.Value.N / InstanceId.N decode; <item> lists parse", async () => {
    const when = new Date("2026-05-06T07:08:09Z");
    const c = capture((r) => {
      const d = decodeEc2(EC2_MODEL, r);
      expect(d.operation.name).toBe("DescribeInstances");
      expect(d.input).toEqual({
        Filters: [
          { Name: "instance-state-name", Values: ["running", "stopped"] },
          { Name: "tag:team", Values: ["red"] },
        ],
        InstanceIds: ["i-0123456789abcdef0"],
        MaxResults: 10,
        DryRun: false,
      });
      const res = encodeEc2Result(
        EC2_MODEL,
        d.operation,
        {
          Reservations: [
            {
              ReservationId: "r-1",
              OwnerId: "123456789012",
              Instances: [
                {
                  InstanceId: "i-0123456789abcdef0",
                  InstanceType: "t3.micro",
                  LaunchTime: when,
                  State: { Code: 16, Name: "running" },
                  Tags: [{ Key: "team", Value: "red" }],
                },
              ],
            },
          ],
        },
        RID,
      );
      expect(String(res.body)).toContain('<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>');
      expect(String(res.body)).toMatch(
        /<reservationSet><item><instancesSet><item>.*<reservationId>r-1<\/reservationId><\/item><\/reservationSet>/,
      );
      return res;
    });
    const out = await new EC2Client(clientConfig(c)).send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: "instance-state-name", Values: ["running", "stopped"] },
          { Name: "tag:team", Values: ["red"] },
        ],
        InstanceIds: ["i-0123456789abcdef0"],
        MaxResults: 10,
        DryRun: false,
      }),
    );
    const i = out.Reservations?.[0]?.Instances?.[0];
    expect(out.Reservations?.[0]?.ReservationId).toBe("r-1");
    expect(i).toMatchObject({
      InstanceId: "i-0123456789abcdef0",
      InstanceType: "t3.micro",
      LaunchTime: when,
      State: { Code: 16, Name: "running" },
      Tags: [{ Key: "team", Value: "red" }],
    });
    const body = new TextDecoder().decode(c.last().body);
    expect(body).toMatch(/^Action=DescribeInstances&Version=2016-11-15&/);
  });

  it("UnauthorizedOperation 403 with the encoded message; the EC2 error envelope", async () => {
    const c = capture(() =>
      encodeEc2Error(
        unauthorizedOperation(
          "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action.",
          "dec-123",
        ),
        RID,
      ),
    );
    const e = await rejection(() => new EC2Client(clientConfig(c)).send(new DescribeInstancesCommand({})));
    expect(e.name).toBe("UnauthorizedOperation");
    expect(e.$metadata?.httpStatusCode).toBe(403);
    expect(e.message).toMatch(
      /^You are not authorized to perform this operation\. User: .* Encoded authorization failure message: dec-123$/,
    );
  });

  it("bad input: unknown action → InvalidAction; no Action → MissingParameter; bad value → InvalidParameterValue", async () => {
    const form = "application/x-www-form-urlencoded";
    expect(err(() => decodeEc2(EC2_MODEL, req("POST", "/", "", "Action=RunEverything&Version=2016-11-15", form)))).toMatchObject({
      code: "InvalidAction",
      status: 400,
    });
    expect(err(() => decodeEc2(EC2_MODEL, req("POST", "/", "", "Version=2016-11-15", form))).code).toBe("MissingParameter");
    expect(err(() => decodeEc2(EC2_MODEL, req("POST", "/", "", "Action=DescribeInstances&MaxResults=ten", form)))).toMatchObject({
      code: "InvalidParameterValue",
      status: 400,
    });
    expect(decodeEc2(EC2_MODEL, req("GET", "/", "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1")).input).toEqual({
      InstanceIds: ["i-1"],
    });
    const c = capture((r) => {
      try {
        decodeEc2(EC2_MODEL, { ...r, body: new TextEncoder().encode("Action=Nope&Version=2016-11-15") });
      } catch (x) {
        return encodeEc2Error(x as AwsError, RID);
      }
      throw new Error("decoded");
    });
    const e = await rejection(() => new EC2Client(clientConfig(c)).send(new DescribeInstancesCommand({})));
    expect(e.name).toBe("InvalidAction");
    expect(e.message).toBe("The action Nope is not valid for this web service.");
  });
});
