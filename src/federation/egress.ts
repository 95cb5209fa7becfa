/**
 * Where an OIDC issuer's keys may be fetched from (pure). A learner registers any provider URL, and
 * on a hosted deploy the Worker would then fetch it: the sandbox must not become a way to reach
 * addresses that are not the public internet. Refused: anything but https, `localhost` and the
 * `.localhost` / `.local` / `.internal` names, and IP literals in loopback, private, link-local,
 * carrier-grade NAT, unspecified, multicast or reserved ranges (IPv4 and IPv6, IPv4-mapped too).
 * iamlab's own issuers are resolved in process and never fetched (src/federation/jwks.ts).
 */
export function egressRefusal(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (u.protocol !== "https:") return "not https";
  const host = u.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || /\.(localhost|local|internal)$/.test(host)) return "a local name";
  if (host.startsWith("[")) return privateIpv6(host.slice(1, -1)) ? "a non-public IPv6 address" : undefined;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return privateIpv4(host) ? "a non-public IPv4 address" : undefined;
  // Numeric forms other than dotted quads (0x7f.1, 2130706433) name IPv4 addresses too.
  if (/^[\d.x]+$/i.test(host)) return "a numeric host";
  return undefined;
}

function privateIpv4(ip: string): boolean {
  const [a, b] = ip.split(".").map(Number) as [number, number, number, number];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function privateIpv6(ip: string): boolean {
  const v = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  if (mapped) return privateIpv4(mapped[1]!);
  if (/^::ffff:/.test(v)) return true; // hex-written mapped IPv4: refuse rather than decode
  return v === "::" || v === "::1" || /^f[cd]/.test(v) || /^fe[89ab]/.test(v) || /^ff/.test(v);
}
