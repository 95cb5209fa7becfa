/** SQS RedrivePolicy, pure (src/services/sqs/redrive.ts): what SQS accepts, what a stored policy means. */
import { describe, expect, it } from "vitest";
import { checkRedrivePolicy, redriveOf } from "../../src/services/sqs/redrive";
import { AwsError } from "../../src/protocol/errors";

const ARN = "arn:aws:sqs:us-east-1:111111111111:dead";
const policy = (v: object) => JSON.stringify(v);

describe("RedrivePolicy", () => {
  it("maxReceiveCount as a number or a string of digits, 1–1000; the target's region, account and name", () => {
    expect(redriveOf({ RedrivePolicy: policy({ deadLetterTargetArn: ARN, maxReceiveCount: 5 }) })).toEqual({
      maxReceiveCount: 5,
      target: { region: "us-east-1", account: "111111111111", name: "dead" },
    });
    expect(redriveOf({ RedrivePolicy: policy({ deadLetterTargetArn: `${ARN}.fifo`, maxReceiveCount: "1000" }) })?.maxReceiveCount).toBe(
      1000,
    );
    expect(redriveOf({})).toBeUndefined();
    expect(redriveOf({ RedrivePolicy: "" })).toBeUndefined();
  });

  it.each([
    [{ deadLetterTargetArn: ARN, maxReceiveCount: 0 }, /maxReceiveCount: 0, valid values are from 1 to 1000/],
    [{ deadLetterTargetArn: ARN, maxReceiveCount: 1001 }, /maxReceiveCount: 1001/],
    [{ deadLetterTargetArn: ARN, maxReceiveCount: 2.5 }, /maxReceiveCount/],
    [{ deadLetterTargetArn: ARN }, /maxReceiveCount: undefined/],
    [{ deadLetterTargetArn: "arn:aws:sns:us-east-1:111111111111:topic", maxReceiveCount: 3 }, /deadLetterTargetArn/],
    [{ maxReceiveCount: 3 }, /deadLetterTargetArn/],
  ])("refuses %j with InvalidParameterValue", (v, reason) => {
    let e: unknown;
    try {
      checkRedrivePolicy(policy(v));
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(AwsError);
    expect((e as AwsError).code).toBe("InvalidParameterValue");
    expect((e as AwsError).message).toMatch(/^Value .* for parameter RedrivePolicy is invalid\. Reason: /);
    expect((e as AwsError).message).toMatch(reason);
    expect(redriveOf({ RedrivePolicy: policy(v) })).toBeUndefined();
  });

  it("an empty policy removes it", () => {
    expect(() => checkRedrivePolicy("")).not.toThrow();
  });
});
