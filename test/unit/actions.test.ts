/**
 * The action registry agrees with AWS's catalogue (Service Authorization Reference): every action
 * exists there, and its declared effect matches AWS's access level — the effect drives the read
 * cache, invalidation and the consistency slot, so a wrong one is a caching bug.
 */
import { describe, expect, it } from "vitest";
import { ALL_ACTIONS } from "../../src/services/registry";
import { getAction } from "../../src/data/catalog";

/** The IAM action an operation is authorized as (S3's ListBuckets is s3:ListAllMyBuckets). */
const permissionOf = (a: (typeof ALL_ACTIONS)[number]) => {
  const [service, name] = (a.permission ?? `${a.service}:${a.name}`).split(":") as [string, string];
  return getAction(service, name);
};

describe("action registry", () => {
  it("holds every action once, each authorized as an action of AWS's catalogue", () => {
    const keys = ALL_ACTIONS.map((a) => `${a.service}:${a.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(ALL_ACTIONS.filter((a) => !permissionOf(a)).map((a) => a.name)).toEqual([]);
  });

  it("declares effects that match AWS's access levels", () => {
    const wrong: string[] = [];
    for (const a of ALL_ACTIONS) {
      const level = permissionOf(a)!.accessLevel;
      const awsRead = level === "Read" || level === "List";
      const ok =
        a.effect === "read"
          ? awsRead
          : // Changes nothing IAM holds: STS calls, reports that Generate* starts (AWS: Read), and the
            // data plane of the other services (S3 buckets and objects: never IAM state, never a cache).
            a.effect === "none"
            ? a.service === "sts" || a.name.startsWith("Generate") || (a.service !== "iam" && !awsRead)
            : !awsRead;
      if (!ok) wrong.push(`${a.service}:${a.name} is ${a.effect}, AWS says ${level}`);
    }
    expect(wrong).toEqual([]);
  });

  it("marks exactly the calls that can change root access keys", () => {
    expect(
      ALL_ACTIONS.filter((a) => a.effect === "rootKeys")
        .map((a) => a.name)
        .sort(),
    ).toEqual(["CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey"]);
  });
});
