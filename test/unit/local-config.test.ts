/** `npm start`'s configuration: .dev.vars parsing, env > .dev.vars > defaults, the loopback check. */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  checkExposure,
  configErrors,
  isLoopbackHost,
  LOCAL_DEFAULTS,
  parseDevVars,
  resolveLocalConfig,
  TEST_VARS,
} from "../../src/tools/local-config";

describe(".dev.vars (wrangler's dotenv format)", () => {
  it("reads KEY=value lines, quotes, comments and export prefixes", () => {
    const text = [
      "# a comment",
      "",
      "IAMLAB_ADMIN_TOKEN=plain-token",
      'IAMLAB_TOKEN_KEY="double # not a comment"',
      "IAMLAB_ROOT_SECRET_ACCESS_KEY='single=quoted'",
      "export IAMLAB_TEST_CLOCK=false   # trailing comment",
      "  IAMLAB_AUTH_CACHE_MS = 250  ",
      'IAMLAB_CONSISTENCY={"mode":"fixed","delayMs":5}',
      'MULTI="line one\\nline two"',
      "EMPTY=",
      "not a line at all",
    ].join("\r\n");
    expect(parseDevVars(text)).toEqual({
      IAMLAB_ADMIN_TOKEN: "plain-token",
      IAMLAB_TOKEN_KEY: "double # not a comment",
      IAMLAB_ROOT_SECRET_ACCESS_KEY: "single=quoted",
      IAMLAB_TEST_CLOCK: "false",
      IAMLAB_AUTH_CACHE_MS: "250",
      IAMLAB_CONSISTENCY: '{"mode":"fixed","delayMs":5}',
      MULTI: "line one\nline two",
      EMPTY: "",
    });
  });

  it("keeps a value whose quotes span lines", () => {
    expect(parseDevVars('A="x\ny"\nB=2\n')).toEqual({ A: "x\ny", B: "2" });
  });
});

describe("env > .dev.vars > local defaults", () => {
  it("layers every IAMLAB_* variable and records where each came from", () => {
    const { vars, sources } = resolveLocalConfig(
      { IAMLAB_ADMIN_TOKEN: "from-env", IAMLAB_TEST_CLOCK: "false", PATH: "/bin", HOME: "/root" },
      { IAMLAB_ADMIN_TOKEN: "from-file", IAMLAB_TOKEN_KEY: "file-key", IAMLAB_CONSISTENCY: '{"mode":"off"}', OTHER: "x" },
    );
    expect(vars).toEqual({
      ...LOCAL_DEFAULTS,
      IAMLAB_ADMIN_TOKEN: "from-env",
      IAMLAB_TEST_CLOCK: "false",
      IAMLAB_TOKEN_KEY: "file-key",
      IAMLAB_CONSISTENCY: '{"mode":"off"}',
    });
    expect(sources.IAMLAB_ADMIN_TOKEN).toBe("env");
    expect(sources.IAMLAB_TOKEN_KEY).toBe(".dev.vars");
    expect(sources.IAMLAB_ROOT_SECRET_ACCESS_KEY).toBe("default");
    expect(vars).not.toHaveProperty("PATH");
    expect(vars).not.toHaveProperty("OTHER");
  });

  it("treats an empty variable as set (no default account, admin API off)", () => {
    const { vars } = resolveLocalConfig({ IAMLAB_ROOT_SECRET_ACCESS_KEY: "", IAMLAB_ADMIN_TOKEN: "" }, {});
    expect(vars.IAMLAB_ROOT_SECRET_ACCESS_KEY).toBe("");
    expect(vars.IAMLAB_ADMIN_TOKEN).toBe("");
  });

  it("rejects values the Worker would misread", () => {
    expect(configErrors({ ...LOCAL_DEFAULTS })).toEqual([]);
    expect(configErrors({ ...LOCAL_DEFAULTS, IAMLAB_TEST_CLOCK: "false" })).toEqual([]);
    expect(configErrors({ IAMLAB_TEST_CLOCK: "0" })[0]).toMatch(/IAMLAB_TEST_CLOCK must be "true" or "false"/);
    expect(configErrors({ IAMLAB_AUTH_CACHE_MS: "1s" })[0]).toMatch(/IAMLAB_AUTH_CACHE_MS/);
    expect(configErrors({ IAMLAB_DEFAULT_ACCOUNT_ID: "1234" })[0]).toMatch(/12 digits/);
  });
});

describe("listening beyond loopback", () => {
  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "128.0.0.1", "127.0.0.256", "example.com", "localhost.example.com", ""])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it("refuses the documented admin token, warns about the other documented secrets", () => {
    expect(checkExposure("127.0.0.1", { ...LOCAL_DEFAULTS })).toEqual({ refuse: [], warn: [] });
    const open = checkExposure("0.0.0.0", { ...LOCAL_DEFAULTS });
    expect(open.refuse).toHaveLength(1);
    expect(open.refuse[0]).toMatch(/Refusing to listen on 0\.0\.0\.0 with the documented admin token.*Set IAMLAB_ADMIN_TOKEN/);
    expect(open.warn.join("\n")).toMatch(/documented root secret/);
    expect(open.warn.join("\n")).toMatch(/documented session-token key/);

    const own = checkExposure("0.0.0.0", {
      ...LOCAL_DEFAULTS,
      IAMLAB_ADMIN_TOKEN: "s3cret",
      IAMLAB_ROOT_SECRET_ACCESS_KEY: "",
      IAMLAB_TOKEN_KEY: "k",
      IAMLAB_TEST_CLOCK: "false",
    });
    expect(own).toEqual({ refuse: [], warn: [] });
    // No admin API at all is safe too.
    expect(checkExposure("10.1.2.3", { ...LOCAL_DEFAULTS, IAMLAB_ADMIN_TOKEN: "" }).refuse).toEqual([]);
  });
});

describe("the test suites' configuration", () => {
  it("pins every IAMLAB_* variable the Worker reads", () => {
    const env = readFileSync(path.resolve(__dirname, "../../src/env.ts"), "utf8");
    const declared = [...env.matchAll(/\b(IAMLAB_[A-Z0-9_]+)\?:/g)].map((m) => m[1]!);
    expect(declared.length).toBeGreaterThan(5);
    expect(Object.keys(TEST_VARS).sort()).toEqual([...new Set(declared)].sort());
  });
});
