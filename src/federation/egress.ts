/**
 * Which external OIDC issuers iamlab may fetch discovery documents and JWKS from (a learner
 * registers any URL as a provider, and a hosted deploy must not become a fetch proxy into private
 * networks). Configured by `IAMLAB_OIDC_EGRESS`:
 *   unset / ""          any https host except private, loopback, link-local and local names (default)
 *   "off"               no external issuer at all (the built-in issuer is always served in-process)
 *   "any"               any https host, private ranges too (a lab on a LAN)
 *   "host1,.suffix,…"   only these hosts (a leading dot: that domain and its subdomains), never private ones
 * A Worker cannot resolve names, so a public name that resolves to a private address is not caught
 * here (Cloudflare's own egress does not reach private networks; a self-hosted workerd does).
 * Pure.
 */

export type IssuerEgress =
  | { readonly kind: "public" }
  | { readonly kind: "none" }
  | { readonly kind: "any" }
  | { readonly kind: "allow"; readonly hosts: readonly string[] };

export function parseIssuerEgress(value: string | undefined): IssuerEgress {
  const v = (value ?? "").trim();
  if (v === "") return { kind: "public" };
  if (v === "off") return { kind: "none" };
  if (v === "any") return { kind: "any" };
  const hosts = v
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
  return { kind: "allow", hosts };
}

/** Whether `url` may be fetched under `policy`: https only, default port or an explicit one. */
export function egressAllowed(policy: IssuerEgress, url: URL): boolean {
  if (url.protocol !== "https:" || url.username !== "" || url.password !== "") return false;
  if (policy.kind === "none") return false;
  if (policy.kind === "any") return true;
  const host = url.hostname.toLowerCase();
  if (isPrivateHost(host)) return false;
  if (policy.kind === "public") return true;
  return policy.hosts.some((h) => (h.startsWith(".") ? host === h.slice(1) || host.endsWith(h) : host === h));
}

const LOCAL_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet", ".corp"];

/** Names and literal addresses that point into the deploy's own machine or network. */
export function isPrivateHost(host: string): boolean {
  if (host === "localhost" || (!host.includes(".") && !host.startsWith("["))) return true;
  if (LOCAL_SUFFIXES.some((s) => host.endsWith(s))) return true;
  const v4 = ipv4(host);
  if (v4) return privateV4(v4);
  if (host.startsWith("[")) return privateV6(host.slice(1, -1));
  return false;
}

/** WHATWG URL parsing has already normalised 0x7f.1, 2130706433 and the like to dotted decimal. */
function ipv4(host: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? [parts[0] ?? 0, parts[1] ?? 0] : undefined;
}

function privateV4([a, b]: [number, number]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata services
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224 // multicast, reserved, broadcast
  );
}

/** Only global unicast (2000::/3) that is not an IPv4-embedding or documentation prefix counts as public. */
function privateV6(addr: string): boolean {
  const first = Number.parseInt(addr.split(":")[0] || "0", 16);
  if (Number.isNaN(first) || (first & 0xe000) !== 0x2000) return true;
  const a = addr.toLowerCase();
  return a.startsWith("2001:db8:") || a.startsWith("2002:") || a.startsWith("2001:0:");
}
