/** Rate limits, throttling answers and deploy safety (issue 22): the pure parts. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fullBucket, hasToken, waitMs } from "../../src/limits/token-bucket";
import { DEFAULT_RATE_LIMITS, effectiveRule, parseAccountRateLimits, parseRateLimits, readStoredRateLimits } from "../../src/limits/config";
import { admitSigned, adminLockout, noteAdminFailure, resetBuckets, sourceIpAllowed, spendSourceIp } from "../../src/limits/rate-limiter";
import { throttlingErrorFor } from "../../src/limits/throttling-errors";
import { deployConfigProblems, deployProblems } from "../../src/limits/deploy-safety";
import { LOCAL_DEFAULTS } from "../../src/lib/local-defaults";
import { configErrors } from "../../src/tools/local-config";

describe("token bucket", () => {
  it("allows the burst at once, then refills at the sustained rate", () => {
    const rule = { perSecond: 2, burst: 3 };
    const b = fullBucket(rule, 0);
    for (let i = 0; i < 3; i++) {
      expect(hasToken(b, rule, 0)).toBe(true);
      b.tokens -= 1;
    }
    expect(hasToken(b, rule, 0)).toBe(false);
    expect(waitMs(b, rule)).toBe(500);
    expect(hasToken(b, rule, 499)).toBe(false);
    expect(hasToken(b, rule, 500)).toBe(true);
    // Never more than the burst, however long the quiet.
    expect(hasToken(b, rule, 1_000_000)).toBe(true);
    expect(b.tokens).toBe(3);
  });
});

describe("configuration", () => {
  it("IAMLAB_RATE_LIMITS: unset = defaults, off, partial JSON, and clear errors", () => {
    expect(parseRateLimits(undefined)).toEqual(DEFAULT_RATE_LIMITS);
    expect(parseRateLimits("off")).toEqual({ account: null, accessKey: null, sourceIp: null, adminFailures: null, consoleSignin: null });
    expect(parseRateLimits('{"account":{"perSecond":5,"burst":10},"sourceIp":"off"}')).toEqual({
      ...DEFAULT_RATE_LIMITS,
      account: { perSecond: 5, burst: 10 },
      sourceIp: null,
    });
    expect(parseRateLimits("fast")).toMatch(/JSON object/);
    expect(parseRateLimits('{"acount":{"perSecond":5,"burst":10}}')).toMatch(/unknown limit acount/);
    expect(parseRateLimits('{"account":{"perSecond":-1,"burst":10}}')).toMatch(/perSecond/);
    expect(parseRateLimits('{"account":{"perSecond":1,"burst":0.5}}')).toMatch(/burst/);
    expect(configErrors({ IAMLAB_RATE_LIMITS: "fast", IAMLAB_MAX_ACCOUNTS: "0" })).toHaveLength(2);
  });

  it("an account's own rules replace the sandbox's, 'off' lifts them", () => {
    expect(parseAccountRateLimits({ account: { perSecond: 1, burst: 2 }, accessKey: "off" })).toEqual({
      account: { perSecond: 1, burst: 2 },
      accessKey: "off",
    });
    expect(parseAccountRateLimits({ sourceIp: "off" })).toMatch(/Unknown limit/);
    expect(parseAccountRateLimits([])).toMatch(/JSON object/);
    expect(readStoredRateLimits("not json")).toBeUndefined();
    expect(effectiveRule({ perSecond: 1, burst: 1 }, "off")).toBeNull();
    expect(effectiveRule({ perSecond: 1, burst: 1 }, undefined)).toEqual({ perSecond: 1, burst: 1 });
    expect(effectiveRule(null, { perSecond: 3, burst: 3 })).toEqual({ perSecond: 3, burst: 3 });
  });
});

describe("the isolate's limiter", () => {
  it("counts per account and per key; a spent key takes nothing from its account", () => {
    resetBuckets();
    const limits = { ...DEFAULT_RATE_LIMITS, account: { perSecond: 0.001, burst: 3 }, accessKey: { perSecond: 0.001, burst: 2 } };
    expect(admitSigned(limits, undefined, "111111111111", "AKIA1", 0)).toBe(true);
    expect(admitSigned(limits, undefined, "111111111111", "AKIA1", 0)).toBe(true);
    expect(admitSigned(limits, undefined, "111111111111", "AKIA1", 0)).toBe(false); // key spent
    expect(admitSigned(limits, undefined, "111111111111", "AKIA2", 0)).toBe(true); // account's third
    expect(admitSigned(limits, undefined, "111111111111", "AKIA3", 0)).toBe(false); // account spent
    expect(admitSigned(limits, undefined, "222222222222", "AKIA4", 0)).toBe(true); // another account
    expect(admitSigned(limits, { account: "off", accessKey: "off" }, "111111111111", "AKIA1", 0)).toBe(true);
  });

  it("source IPs and admin failures have their own buckets", () => {
    resetBuckets();
    const limits = { ...DEFAULT_RATE_LIMITS, sourceIp: { perSecond: 0.001, burst: 2 }, adminFailures: { perSecond: 0.1, burst: 1 } };
    spendSourceIp(limits, "10.0.0.1", 0);
    expect(sourceIpAllowed(limits, "10.0.0.1", 0)).toBe(true);
    spendSourceIp(limits, "10.0.0.1", 0);
    expect(sourceIpAllowed(limits, "10.0.0.1", 0)).toBe(false);
    expect(sourceIpAllowed(limits, "10.0.0.2", 0)).toBe(true);
    // Behind one NAT: another claimed key from the same address has its own allowance…
    expect(sourceIpAllowed(limits, "10.0.0.1", 0, "AKIAOTHER")).toBe(true);
    // …up to the address's ceiling (10 × the rule) for all claimed keys together.
    for (let i = 0; i < 18; i++) spendSourceIp(limits, "10.0.0.1", 0, `AKIA${i}`);
    expect(sourceIpAllowed(limits, "10.0.0.1", 0, "AKIAOTHER")).toBe(false);
    expect(adminLockout(limits, "10.0.0.1", 0)).toBeUndefined();
    noteAdminFailure(limits, "10.0.0.1", 0);
    expect(adminLockout(limits, "10.0.0.1", 0)).toBe(10);
    expect(adminLockout(limits, "10.0.0.1", 10_000)).toBeUndefined();
  });

  it("a check costs about a microsecond (no allocation once the buckets exist)", () => {
    resetBuckets();
    const limits = { ...DEFAULT_RATE_LIMITS, account: { perSecond: 1e6, burst: 1e6 }, accessKey: { perSecond: 1e6, burst: 1e6 } };
    const n = 200_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) admitSigned(limits, undefined, `1234567890${i % 100}`, `AKIA${i % 1000}`, i);
    const perCheckUs = ((performance.now() - t0) * 1000) / n;
    // Generous for a loaded CI machine; measured ≈ 0.2–0.5 µs (README "Hosting a class").
    expect(perCheckUs).toBeLessThan(20);
  });
});

describe("throttling answers per service", () => {
  it.each([
    ["iam", "Throttling", 400],
    ["sts", "Throttling", 400],
    ["sns", "Throttling", 400],
    ["s3", "SlowDown", 503],
    ["ec2", "RequestLimitExceeded", 503],
    ["lambda", "TooManyRequestsException", 429],
    ["sqs", "RequestThrottled", 403],
    ["organizations", "TooManyRequestsException", 429],
    ["cloudtrail", "ThrottlingException", 429],
    ["kms", "ThrottlingException", 400],
    ["ecr", "ThrottlingException", 400],
  ] as const)("%s: %s %d", (service, code, status) => {
    const e = throttlingErrorFor(service);
    expect({ code: e.code, status: e.status }).toEqual({ code, status });
  });
});

describe("deploy safety", () => {
  const documented = {
    IAMLAB_ADMIN_TOKEN: LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN,
    IAMLAB_TOKEN_KEY: LOCAL_DEFAULTS.IAMLAB_TOKEN_KEY,
    IAMLAB_ROOT_SECRET_ACCESS_KEY: LOCAL_DEFAULTS.IAMLAB_ROOT_SECRET_ACCESS_KEY,
  };

  it("a Worker without the local marker refuses each documented secret and the test clock", () => {
    expect(deployProblems({ ...documented, IAMLAB_LOCAL: "true", IAMLAB_TEST_CLOCK: "true" })).toEqual([]);
    const problems = deployProblems({ ...documented, IAMLAB_TEST_CLOCK: "true" });
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toContain("wrangler secret put IAMLAB_TOKEN_KEY");
    expect(deployProblems({ IAMLAB_ADMIN_TOKEN: "a-real-secret", IAMLAB_TOKEN_KEY: "another" })).toEqual([]);
    expect(deployProblems({})).toEqual([]); // nothing set: admin API off, no STS, no default account — safe
  });

  it("deploy:check refuses secrets, the local marker and the test clock in [vars]", () => {
    expect(deployConfigProblems({ IAMLAB_DEFAULT_ACCOUNT_ID: "123456789012" }).errors).toEqual([]);
    const { errors } = deployConfigProblems({ IAMLAB_ADMIN_TOKEN: "x", IAMLAB_LOCAL: "true", IAMLAB_TEST_CLOCK: "true" });
    expect(errors).toHaveLength(3);
  });

  it("npm run deploy:check's first step fails on such a wrangler.toml, passes on the project's", { timeout: 60_000 }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), "iamlab-deploy-check-"));
    const bad = path.join(dir, "wrangler.toml");
    writeFileSync(
      bad,
      `name = "x"\nmain = "${path.resolve("src/index.ts")}"\ncompatibility_date = "2026-04-20"\n[vars]\nIAMLAB_ADMIN_TOKEN = "${LOCAL_DEFAULTS.IAMLAB_ADMIN_TOKEN}"\n`,
    );
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/tools/deploy-check.ts", ...args], {
        encoding: "utf8",
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      });
    const failed = run(["--config", bad]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/IAMLAB_ADMIN_TOKEN is in \[vars\] \(and it is the documented local default\)/);
    expect(run([]).status).toBe(0);
  });
});
