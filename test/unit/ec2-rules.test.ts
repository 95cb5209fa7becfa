/** EC2's pure parts (issue 16): ids, the state machine, filters, the console's exports, workload tokens, the RunInstances form. */
import { describe, expect, it } from "vitest";
import { checkInstanceIds, newEc2Id, settledState, STATE_CODES, userInitiated } from "../../src/services/ec2/common";
import { matchesFilters, parseFilters } from "../../src/services/ec2/filters";
import { consoleText } from "../../src/services/ec2/console-output";
import { signWorkloadToken, verifyWorkloadToken } from "../../src/workloads/token";
import { decodeEc2 } from "../../src/protocol/ec2";
import { EC2_MODEL } from "../../src/data/generated/models/ec2";
import type { InstanceView } from "../../src/store/ec2-instances";
import { AwsError } from "../../src/protocol/errors";

const view = (over: Partial<InstanceView> = {}): InstanceView => ({
  instanceId: "i-0123456789abcdef0",
  accountId: "111111111111",
  region: "us-east-1",
  reservationId: "r-0123456789abcdef0",
  launchIndex: 0,
  imageId: "ami-12345678",
  instanceType: "t3.micro",
  keyName: null,
  state: "running",
  stateChangedAt: 0,
  stateReason: "",
  launchedAt: 0,
  privateIp: "172.31.0.10",
  subnetId: "subnet-1",
  vpcId: "vpc-1",
  availabilityZone: "us-east-1a",
  clientToken: null,
  tags: [{ Key: "Name", Value: "web-1" }],
  association: null,
  ...over,
});

describe("ids and states", () => {
  it("ids are the prefix and 17 hex digits", () => {
    expect(newEc2Id("i")).toMatch(/^i-[0-9a-f]{17}$/);
    expect(newEc2Id("iip-assoc")).toMatch(/^iip-assoc-[0-9a-f]{17}$/);
    expect(() => checkInstanceIds(["i-12345678", "i-0123456789abcdef0"])).not.toThrow();
    expect(() => checkInstanceIds(["i-xyz"])).toThrow(AwsError);
  });

  it("transient states settle by the next read; AWS's codes", () => {
    expect(["pending", "stopping", "shutting-down", "running"].map(settledState)).toEqual(["running", "stopped", "terminated", "running"]);
    expect(STATE_CODES).toEqual({ pending: 0, running: 16, "shutting-down": 32, terminated: 48, stopping: 64, stopped: 80 });
    expect(userInitiated(Date.UTC(2026, 11, 4, 14, 5, 9))).toBe("User initiated (2026-12-04 14:05:09 GMT)");
  });
});

describe("filters", () => {
  it("values are OR-ed with wildcards, filters AND-ed; unknown names are refused", () => {
    const f = parseFilters(
      [
        { Name: "tag:Name", Values: ["web-*", "db"] },
        { Name: "instance-state-name", Values: ["running"] },
      ],
      "instances",
    );
    expect(matchesFilters(f, view())).toBe(true);
    expect(matchesFilters(f, view({ state: "stopping" }))).toBe(false);
    expect(matchesFilters(parseFilters([{ Name: "tag-key", Values: ["Env"] }], "instances"), view())).toBe(false);
    expect(() => parseFilters([{ Name: "nope", Values: [] }], "instances")).toThrow("The filter 'nope' is invalid");
  });
});

describe("getting on the instance", () => {
  it("the console prints the two exports", () => {
    const text = consoleText("i-1", "ami-1", "http://127.0.0.1:8787/_iamlab/workloads/credentials", "iwl1.x.y");
    expect(text).toContain("\nexport AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:8787/_iamlab/workloads/credentials\n");
    expect(text).toContain("\nexport AWS_CONTAINER_AUTHORIZATION_TOKEN=iwl1.x.y\n");
  });

  it("workload tokens verify with their key only, and not once altered", async () => {
    const ref = { kind: "ec2", account: "111111111111", id: "i-0123456789abcdef0" };
    const t = await signWorkloadToken("k1", ref);
    expect(t).toMatch(/^iwl1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await verifyWorkloadToken("k1", t)).toEqual(ref);
    expect(await verifyWorkloadToken("k2", t)).toBeNull();
    const other = await signWorkloadToken("k1", { ...ref, id: "i-11111111" });
    const spliced = `${other.split(".").slice(0, 2).join(".")}.${t.split(".")[2]}`;
    expect(await verifyWorkloadToken("k1", spliced)).toBeNull();
    expect(await verifyWorkloadToken("k1", "garbage")).toBeNull();
  });
});

describe("the RunInstances form", () => {
  it("decodes the profile, counts and tag specifications as the SDKs send them", () => {
    const body = [
      "Action=RunInstances",
      "Version=2016-11-15",
      "ImageId=ami-12345678",
      "MinCount=1",
      "MaxCount=2",
      "IamInstanceProfile.Name=app",
      "TagSpecification.1.ResourceType=instance",
      "TagSpecification.1.Tag.1.Key=Name",
      "TagSpecification.1.Tag.1.Value=web",
    ].join("&");
    const headers = new Headers({ "content-type": "application/x-www-form-urlencoded" });
    const { operation, input } = decodeEc2(EC2_MODEL, {
      method: "POST",
      host: "h",
      path: "/",
      query: "",
      headers,
      body: new TextEncoder().encode(body),
    });
    expect(operation.name).toBe("RunInstances");
    expect(input).toEqual({
      ImageId: "ami-12345678",
      MinCount: 1,
      MaxCount: 2,
      IamInstanceProfile: { Name: "app" },
      TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "web" }] }],
    });
  });
});
