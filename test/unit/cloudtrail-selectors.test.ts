/** Which events a trail delivers (src/services/cloudtrail/selectors.ts): cases as data, one line each. */
import { describe, expect, it } from "vitest";
import { selects, type TrailRecord } from "../../src/services/cloudtrail/selectors";
import { checkTrailName } from "../../src/services/cloudtrail/trails";

const trail = {
  region: "us-east-1",
  multiRegion: 0,
  includeGlobal: 1,
  eventSelectors: null as string | null,
  advancedEventSelectors: null as string | null,
  startLoggingTime: null as number | null,
  stopLoggingTime: null as number | null,
  isLogging: 1,
};
const mgmtRead: TrailRecord = {
  eventSource: "iam.amazonaws.com",
  eventName: "GetUser",
  awsRegion: "us-east-1",
  readOnly: true,
  eventCategory: "Management",
};
const mgmtWrite: TrailRecord = { ...mgmtRead, eventName: "CreateUser", readOnly: false };
const s3Put: TrailRecord = {
  eventSource: "s3.amazonaws.com",
  eventName: "PutObject",
  awsRegion: "us-east-1",
  readOnly: false,
  eventCategory: "Data",
  managementEvent: false,
  resources: [
    { type: "AWS::S3::Object", ARN: "arn:aws:s3:::data/reports/q1.csv" },
    { type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::data" },
  ],
};
const sqsOther: TrailRecord = {
  eventSource: "sqs.amazonaws.com",
  eventName: "CreateQueue",
  awsRegion: "eu-west-1",
  readOnly: false,
  eventCategory: "Management",
};

const basic = (s: unknown) => ({ ...trail, eventSelectors: JSON.stringify(s) });
const advanced = (s: unknown) => ({ ...trail, advancedEventSelectors: JSON.stringify(s) });

const cases: [string, Parameters<typeof selects>[0], TrailRecord, boolean][] = [
  ["default: management read", trail, mgmtRead, true],
  ["default: no data events", trail, s3Put, false],
  ["single-region trail: other region's event", trail, sqsOther, false],
  ["multi-region trail: other region's event", { ...trail, multiRegion: 1 }, sqsOther, true],
  ["IncludeGlobalServiceEvents off: IAM event", { ...trail, includeGlobal: 0 }, mgmtRead, false],
  [
    "before StartLogging",
    { ...trail, startLoggingTime: Date.parse("2026-01-02T00:00:00Z") },
    { ...mgmtRead, eventTime: "2026-01-01T00:00:00Z" },
    false,
  ],
  [
    "after StopLogging",
    { ...trail, isLogging: 0, stopLoggingTime: Date.parse("2026-01-02T00:00:00Z") },
    { ...mgmtRead, eventTime: "2026-01-02T00:00:01Z" },
    false,
  ],
  [
    "up to StopLogging",
    { ...trail, isLogging: 0, stopLoggingTime: Date.parse("2026-01-02T00:00:00Z") },
    { ...mgmtRead, eventTime: "2026-01-02T00:00:00Z" },
    true,
  ],
  ["WriteOnly: read refused", basic([{ ReadWriteType: "WriteOnly" }]), mgmtRead, false],
  ["WriteOnly: write taken", basic([{ ReadWriteType: "WriteOnly" }]), mgmtWrite, true],
  ["no management events", basic([{ IncludeManagementEvents: false }]), mgmtWrite, false],
  ["excluded source", basic([{ ExcludeManagementEventSources: ["iam.amazonaws.com"] }]), mgmtWrite, false],
  ["S3 data: bucket prefix", basic([{ DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3:::data/"] }] }]), s3Put, true],
  ["S3 data: key prefix", basic([{ DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3:::data/reports/"] }] }]), s3Put, true],
  ["S3 data: other bucket", basic([{ DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3:::other/"] }] }]), s3Put, false],
  ["S3 data: all buckets", basic([{ DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }] }]), s3Put, true],
  [
    "S3 data: ReadOnly selector, a write",
    basic([{ ReadWriteType: "ReadOnly", DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }] }]),
    s3Put,
    false,
  ],
  [
    "advanced: data of S3 objects",
    advanced([
      {
        FieldSelectors: [
          { Field: "eventCategory", Equals: ["Data"] },
          { Field: "resources.type", Equals: ["AWS::S3::Object"] },
        ],
      },
    ]),
    s3Put,
    true,
  ],
  [
    "advanced: data only, management refused",
    advanced([{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Data"] }] }]),
    mgmtWrite,
    false,
  ],
  [
    "advanced: management not readOnly",
    advanced([
      {
        FieldSelectors: [
          { Field: "eventCategory", Equals: ["Management"] },
          { Field: "readOnly", Equals: ["false"] },
        ],
      },
    ]),
    mgmtWrite,
    true,
  ],
  [
    "advanced: NotStartsWith on ARN",
    advanced([
      {
        FieldSelectors: [
          { Field: "eventCategory", Equals: ["Data"] },
          { Field: "resources.ARN", NotStartsWith: ["arn:aws:s3:::data/"] },
        ],
      },
    ]),
    s3Put,
    false,
  ],
  [
    "advanced: eventName Equals",
    advanced([
      {
        FieldSelectors: [
          { Field: "eventCategory", Equals: ["Management"] },
          { Field: "eventName", Equals: ["GetUser"] },
        ],
      },
    ]),
    mgmtRead,
    true,
  ],
];

describe("trail event selection", () => {
  it.each(cases)("%s", (_name, t, r, expected) => {
    expect(selects(t, r)).toBe(expected);
  });
});

describe("trail names (AWS's rules and words)", () => {
  const bad: [string, RegExp][] = [
    ["ab", /too short/],
    ["x".repeat(129), /too long/],
    ["-lab", /must starts with a letter or number/],
    ["lab-", /must ends with a letter or number/],
    ["la b", /can only contain/],
    ["a..b", /adjacent/],
    ["10.0.0.1", /IP address/],
  ];
  it.each(bad)("%s is refused", (name, message) => {
    expect(() => checkTrailName(name)).toThrow(message);
  });
  it.each(["lab", "My.Trail_1-x", "a".repeat(128)])("%s is accepted", (name) => {
    expect(() => checkTrailName(name)).not.toThrow();
  });
});
