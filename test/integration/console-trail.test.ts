/**
 * Console sign-ins in CloudTrail (issue 21): ConsoleLogin events as AWS documents them — eventSource
 * signin.amazonaws.com, eventType AwsConsoleSignIn, responseElements ConsoleLogin Success/Failure,
 * additionalEventData (LoginTo, MobileVersion, MFAUsed), errorMessage "Failed authentication", a
 * user name that does not exist hidden as HIDDEN_DUE_TO_SECURITY_REASONS — read back with the real
 * @aws-sdk/client-cloudtrail's LookupEvents.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { CreateLoginProfileCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { adminFetch, url } from "../helpers/sandbox";
import { ConsoleClient } from "../helpers/console-browser";

const ROOT_PW = "Root-Passw0rd!";
const PW = "Trail-Passw0rd!";
let a: AccountFixture;

interface Record {
  eventSource: string;
  eventName: string;
  eventType: string;
  userIdentity: { type: string; userName?: string; arn?: string; accountId: string; accessKeyId?: string };
  responseElements: { ConsoleLogin: string };
  additionalEventData: { LoginTo: string; MobileVersion: string; MFAUsed: string };
  errorMessage?: string;
  recipientAccountId: string;
}

async function logins(): Promise<Record[]> {
  const ct = new CloudTrailClient({ endpoint: url(), region: "us-east-1", credentials: a.creds, maxAttempts: 1 });
  for (let i = 0; i < 20; i++) {
    const r = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "ConsoleLogin" }] }));
    const out = (r.Events ?? []).map((e) => JSON.parse(e.CloudTrailEvent!) as Record);
    if (out.length >= 4) return out;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error("ConsoleLogin events did not arrive");
}

beforeAll(async () => {
  a = await withAccount();
  expect((await adminFetch(`/accounts/${a.id}/root-password`, { method: "PUT", body: JSON.stringify({ password: ROOT_PW }) })).status).toBe(
    200,
  );
  await a.iam.send(new CreateUserCommand({ UserName: "alice" }));
  await a.iam.send(new CreateLoginProfileCommand({ UserName: "alice", Password: PW }));
});

describe("ConsoleLogin events", () => {
  it("records successes and failures as AWS's sign-in events", async () => {
    expect((await new ConsoleClient().signIn(a.id, "root", ROOT_PW)).status).toBe(303);
    expect((await new ConsoleClient().signIn(a.id, "alice", PW)).status).toBe(303);
    expect((await new ConsoleClient().signIn(a.id, "alice", "Wrong-Passw0rd!")).status).toBe(401);
    expect((await new ConsoleClient().signIn(a.id, "nobody", "Wrong-Passw0rd!")).status).toBe(401);
    const events = await logins();
    for (const e of events) {
      expect(e.eventSource).toBe("signin.amazonaws.com");
      expect(e.eventType).toBe("AwsConsoleSignIn");
      expect(e.recipientAccountId).toBe(a.id);
      expect(e.additionalEventData).toMatchObject({ MobileVersion: "No", MFAUsed: "No" });
      expect(e.additionalEventData.LoginTo).toBe(`${url()}/console/home`);
    }
    const ok = events.filter((e) => e.responseElements.ConsoleLogin === "Success");
    expect(ok.map((e) => e.userIdentity.type).sort()).toEqual(["IAMUser", "Root"]);
    expect(ok.find((e) => e.userIdentity.type === "IAMUser")?.userIdentity).toMatchObject({
      userName: "alice",
      arn: `arn:aws:iam::${a.id}:user/alice`,
      accessKeyId: "",
    });
    const failed = events.filter((e) => e.responseElements.ConsoleLogin === "Failure");
    expect(failed.map((e) => e.errorMessage)).toEqual(["Failed authentication", "Failed authentication"]);
    expect(failed.map((e) => e.userIdentity.userName).sort()).toEqual(["HIDDEN_DUE_TO_SECURITY_REASONS", "alice"]);
  });
});
