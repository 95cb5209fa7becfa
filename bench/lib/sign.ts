/**
 * Pre-signing for the server benchmark: SigV4 (header form) with @smithy/signature-v4, the same
 * signer the AWS SDKs use, done before the load starts so the load generator only replays bytes.
 * A signature stays valid for 15 minutes (the server's clock-skew window), far longer than a run.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A ready-to-replay HTTP request (autocannon's request shape). */
export interface SignedRequest {
  method: "POST" | "GET" | "PUT";
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface SignOptions {
  /** base URL of the server, e.g. http://127.0.0.1:8787 */
  url: string;
  creds: Creds;
  service: "iam" | "sts";
  region?: string;
  /** Query protocol parameters, Action and Version included */
  params: Record<string, string>;
  /** signing time; default now */
  date?: Date;
}

export const VERSIONS = { iam: "2010-05-08", sts: "2011-06-15" } as const;

/** Query-protocol form body, encoded as the AWS SDKs do (RFC 3986; no '+' for spaces). */
export function queryBody(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .join("&");
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export async function signRequest(o: SignOptions): Promise<SignedRequest> {
  const u = new URL(o.url);
  const signer = new SignatureV4({
    credentials: o.creds,
    region: o.region ?? "us-east-1",
    service: o.service,
    sha256: Hash.bind(null, "sha256"),
  });
  const body = queryBody({ Version: VERSIONS[o.service], ...o.params });
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      path: "/",
      headers: { host: u.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      body,
    },
    o.date ? { signingDate: o.date } : {},
  );
  return { method: "POST", path: "/", headers: { ...(signed.headers as Record<string, string>) }, body };
}

/** n distinct signed requests (e.g. CreateUser with unique names); params(i) gives request i. */
export async function signBatch(
  n: number,
  base: Omit<SignOptions, "params">,
  params: (i: number) => Record<string, string>,
): Promise<SignedRequest[]> {
  const out: SignedRequest[] = new Array(n);
  const date = base.date ?? new Date();
  for (let i = 0; i < n; i++) out[i] = await signRequest({ ...base, date, params: params(i) });
  return out;
}

/** Sends one signed request with fetch (seeding, checks, D1 counting). */
export async function send(url: string, r: SignedRequest): Promise<{ status: number; text: string; headers: Headers }> {
  const headers = { ...r.headers };
  delete headers.host;
  const res = await fetch(new URL(r.path, url), { method: r.method, headers, body: r.method === "GET" ? undefined : r.body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}
