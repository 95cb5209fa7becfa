import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/store/db";
import { createAccount } from "../../src/store/accounts";
import { activityOf, jobSubject, recordActivity } from "../../src/store/access-activity";
import { computeReport } from "../../src/services/iam/access-advisor";

const A = "710000000001";
const USER = `arn:aws:iam::${A}:user/w`;

describe("recordActivity → Access Advisor report", () => {
  it("records per entity and service (and action for tracked services), keeping the latest use", async () => {
    const db = getDb(env.DB);
    await createAccount(db, A, null, Date.now());
    await db.$client
      .prepare(
        `INSERT INTO users (user_id, account_id, user_name, name_lower, path, arn, create_date) VALUES ('AIDAW', ?, 'w', 'w', '/', ?, '2026-11-23T00:00:00Z')`,
      )
      .bind(A, USER)
      .run();
    await db.$client
      .prepare(
        `INSERT INTO inline_policies (account_id, entity_type, entity_id, policy_name, document) VALUES (?, 'user', 'AIDAW', 'p', ?)`,
      )
      .bind(
        A,
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["iam:List*", "sts:GetCallerIdentity"], Resource: "*" }],
        }),
      )
      .run();

    const t1 = Date.UTC(2026, 10, 23, 10, 0, 0);
    const t2 = Date.UTC(2026, 10, 23, 11, 0, 0);
    await recordActivity(db, {
      accountId: A,
      principalArn: USER,
      entityArn: USER,
      service: "iam",
      action: "ListUsers",
      region: "us-east-1",
      now: t2,
    });
    await recordActivity(db, {
      accountId: A,
      principalArn: USER,
      entityArn: USER,
      service: "iam",
      action: "ListRoles",
      region: "eu-west-1",
      now: t1,
    }); // older: service row keeps t2
    await recordActivity(db, {
      accountId: A,
      principalArn: USER,
      entityArn: USER,
      service: "sts",
      action: "GetCallerIdentity",
      region: "us-east-1",
      now: t1,
    });

    const rows = await activityOf(db, A, [USER]);
    expect(rows.filter((r) => r.service === "sts").map((r) => r.action)).toEqual([""]); // sts actions are not tracked
    const subject = (await jobSubject(db, A, "user", USER))!;
    const rep = computeReport(subject, rows, "ACTION_LEVEL");
    expect(rep.services).toEqual([
      {
        ServiceName: "AWS Identity and Access Management",
        LastAuthenticated: "2026-11-23T11:00:00Z",
        ServiceNamespace: "iam",
        LastAuthenticatedEntity: USER,
        LastAuthenticatedRegion: "us-east-1",
        TotalAuthenticatedEntities: 1,
        TrackedActionsLastAccessed: [
          { ActionName: "ListRoles", LastAccessedEntity: USER, LastAccessedTime: "2026-11-23T10:00:00Z", LastAccessedRegion: "eu-west-1" },
          { ActionName: "ListUsers", LastAccessedEntity: USER, LastAccessedTime: "2026-11-23T11:00:00Z", LastAccessedRegion: "us-east-1" },
        ],
      },
      {
        ServiceName: "AWS Security Token Service",
        LastAuthenticated: "2026-11-23T10:00:00Z",
        ServiceNamespace: "sts",
        LastAuthenticatedEntity: USER,
        LastAuthenticatedRegion: "us-east-1",
        TotalAuthenticatedEntities: 1,
      },
    ]);
    expect(rep.entities.iam![0]).toMatchObject({
      EntityInfo: { Arn: USER, Name: "w", Type: "USER", Id: "AIDAW", Path: "/" },
      LastAuthenticated: "2026-11-23T11:00:00Z",
    });
    expect(computeReport(subject, rows, "SERVICE_LEVEL").services[0]!.TrackedActionsLastAccessed).toBeUndefined();
  });
});
