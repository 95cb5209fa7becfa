/** Where OIDC issuer keys may be fetched from (src/federation/egress.ts): the public internet over https only. */
import { describe, expect, it } from "vitest";
import { egressRefusal } from "../../src/federation/egress";

describe("OIDC issuer egress", () => {
  it.each([
    "https://token.actions.githubusercontent.com/.well-known/openid-configuration",
    "https://accounts.google.com/.well-known/openid-configuration",
    "https://8.8.8.8/jwks",
    "https://[2001:4860:4860::8888]/jwks",
  ])("allows %s", (u) => expect(egressRefusal(u)).toBeUndefined());

  it.each([
    ["http://example.com/jwks", "not https"],
    ["https://localhost/jwks", "a local name"],
    ["https://idp.localhost/jwks", "a local name"],
    ["https://metadata.google.internal/x", "a local name"],
    ["https://127.0.0.1:8787/jwks", "a non-public IPv4 address"],
    ["https://10.1.2.3/jwks", "a non-public IPv4 address"],
    ["https://169.254.169.254/latest/meta-data", "a non-public IPv4 address"],
    ["https://172.20.0.1/", "a non-public IPv4 address"],
    ["https://192.168.1.1/", "a non-public IPv4 address"],
    ["https://100.64.0.1/", "a non-public IPv4 address"],
    ["https://0.0.0.0/", "a non-public IPv4 address"],
    ["https://[::1]/jwks", "a non-public IPv6 address"],
    ["https://[fd00::1]/jwks", "a non-public IPv6 address"],
    ["https://[fe80::1]/jwks", "a non-public IPv6 address"],
    ["https://[::ffff:127.0.0.1]/jwks", "a non-public IPv6 address"],
    ["https://2130706433/jwks", "a non-public IPv4 address"],
    ["https://0x7f.1/jwks", "a non-public IPv4 address"],
    ["not a url", "not a URL"],
  ])("refuses %s (%s)", (u, why) => expect(egressRefusal(u)).toBe(why));
});
