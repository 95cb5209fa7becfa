/**
 * Egress of external OIDC issuer fetches (IAMLAB_OIDC_EGRESS): which hosts a learner-registered
 * provider may make the Worker fetch, redirects checked at every hop, and the size cap.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { egressAllowed, isPrivateHost, parseIssuerEgress } from "../../src/federation/egress";
import { issuerKeys } from "../../src/federation/jwks";
import type { Db } from "../../src/store/db";
import { AwsError } from "../../src/protocol/errors";

const allowed = (policy: string | undefined, url: string) => egressAllowed(parseIssuerEgress(policy), new URL(url));

describe("egress policy", () => {
  it("default: public https hosts only", () => {
    expect(allowed(undefined, "https://token.actions.githubusercontent.com/.well-known/openid-configuration")).toBe(true);
    expect(allowed("", "https://accounts.google.com/x")).toBe(true);
    expect(allowed("", "http://accounts.google.com/x")).toBe(false);
    expect(allowed("", "https://user:pw@accounts.google.com/x")).toBe(false);
    for (const u of [
      "https://127.0.0.1:9/x",
      "https://localhost/x",
      "https://metadata/x",
      "https://169.254.169.254/latest",
      "https://10.1.2.3/",
      "https://172.20.0.1/",
      "https://192.168.1.1/",
      "https://100.100.1.1/",
      "https://0.0.0.0/",
      "https://2130706433/", // WHATWG URL: 127.0.0.1
      "https://0x7f.1/",
      "https://[::1]/",
      "https://[fd00::1]/",
      "https://[fe80::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://idp.corp/",
      "https://keycloak.internal/",
      "https://x.localhost/",
    ])
      expect(allowed("", u), u).toBe(false);
    expect(allowed("", "https://8.8.8.8/")).toBe(true);
    expect(allowed("", "https://[2606:4700::1111]/")).toBe(true);
  });

  it("off: nothing external; any: private ranges too (https only)", () => {
    expect(allowed("off", "https://accounts.google.com/x")).toBe(false);
    expect(allowed("any", "https://10.0.0.5/x")).toBe(true);
    expect(allowed("any", "http://10.0.0.5/x")).toBe(false);
  });

  it("an allowlist: exact hosts and dotted domains, never private names", () => {
    const p = "token.actions.githubusercontent.com, .okta.com";
    expect(allowed(p, "https://token.actions.githubusercontent.com/x")).toBe(true);
    expect(allowed(p, "https://dev-1.okta.com/x")).toBe(true);
    expect(allowed(p, "https://okta.com/x")).toBe(true);
    expect(allowed(p, "https://evilokta.com/x")).toBe(false);
    expect(allowed(p, "https://accounts.google.com/x")).toBe(false);
    expect(allowed("localhost", "https://localhost/x")).toBe(false);
    expect(isPrivateHost("example.com")).toBe(false);
  });
});

describe("fetching an external issuer's keys", () => {
  afterEach(() => vi.unstubAllGlobals());
  const db = {} as Db; // external issuers never touch the store
  const idpError = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e) => e instanceof AwsError && e.code === "IDPCommunicationError");

  it("follows a redirect only to an allowed host, checking every hop", async () => {
    const seen: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      seen.push(url);
      return new Response(null, { status: 302, headers: { location: "https://169.254.169.254/latest/meta-data" } });
    });
    await idpError(issuerKeys(db, "redirecting.example.com", 0, 0, parseIssuerEgress("")));
    expect(seen).toEqual(["https://redirecting.example.com/.well-known/openid-configuration"]);
  });

  it("never fetches a refused host", async () => {
    const fetchSpy = vi.fn();
    vi.stubGlobal("fetch", fetchSpy);
    await idpError(issuerKeys(db, "10.0.0.1/tenant", 0, 0, parseIssuerEgress("")));
    await idpError(issuerKeys(db, "accounts.google.com", 0, 0, parseIssuerEgress("off")));
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("stops reading a document over the size cap", async () => {
    let pulled = 0;
    vi.stubGlobal("fetch", async () => {
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          pulled++;
          c.enqueue(new Uint8Array(64 * 1024).fill(32));
        },
      });
      return new Response(body, { status: 200 });
    });
    await idpError(issuerKeys(db, "huge.example.com", 0, 0, parseIssuerEgress("")));
    expect(pulled).toBeLessThan(10);
  });

  it("serves keys through an allowed redirect", async () => {
    vi.stubGlobal("fetch", async (url: string) => {
      if (url === "https://ok.example.com/.well-known/openid-configuration")
        return new Response(null, { status: 301, headers: { location: "/moved/config" } });
      if (url === "https://ok.example.com/moved/config") return Response.json({ jwks_uri: "https://keys.example.com/jwks" });
      if (url === "https://keys.example.com/jwks") return Response.json({ keys: [{ kty: "RSA", kid: "a", n: "x", e: "AQAB" }] });
      return new Response("no", { status: 404 });
    });
    const keys = await issuerKeys(db, "ok.example.com", 0, 0, parseIssuerEgress(""));
    expect(keys.map((k) => k.kid)).toEqual(["a"]);
  });
});
