/** S3's rules as pure functions: bucket names and byte ranges (issue 15). */
import { describe, expect, it } from "vitest";
import { isValidBucketName } from "../../src/services/s3/common";
import { parseRange } from "../../src/services/s3/objects";

describe("bucket names", () => {
  it("accepts S3's general purpose names", () => {
    for (const ok of ["abc", "my-bucket", "my.bucket.name", "a1b2", "1bucket", "b".repeat(63), "x-s3aliasy"])
      expect(isValidBucketName(ok), ok).toBe(true);
  });
  it("refuses what S3 refuses", () => {
    for (const bad of [
      "ab",
      "b".repeat(64),
      "MyBucket",
      "my_bucket",
      "-abc",
      "abc-",
      ".abc",
      "abc.",
      "a..b",
      "10.0.0.1",
      "xn--abc",
      "sthree-abc",
      "amzn-s3-demo-x",
      "abc-s3alias",
      "abc--ol-s3",
      "abc.mrap",
      "abc--x-s3",
      "abc--table-s3",
      "a b",
      "ünï",
    ])
      expect(isValidBucketName(bad), bad).toBe(false);
  });
});

describe("Range", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as { code: string; status: number }).code;
    }
    return "none";
  };
  it("single byte ranges: a-b, a-, -n, clamped to the object", () => {
    expect(parseRange("bytes=0-0", 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange("bytes=2-5", 10)).toEqual({ start: 2, end: 5 });
    expect(parseRange("bytes=7-", 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange("bytes=-3", 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange("bytes=-30", 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=5-999999999999", 10)).toEqual({ start: 5, end: 9 });
  });
  it("what S3 does not parse is ignored (the whole object); past the end is InvalidRange", () => {
    for (const ignored of ["bytes=5-2", "items=0-1", "bytes=0-1,3-4", "bytes=-", "garbage", "bytes=1e3-"])
      expect(parseRange(ignored, 10), ignored).toBeUndefined();
    expect(code(() => parseRange("bytes=10-", 10))).toBe("InvalidRange");
    expect(code(() => parseRange("bytes=0-", 0))).toBe("InvalidRange");
    expect(code(() => parseRange("bytes=-0", 10))).toBe("InvalidRange");
  });
});
