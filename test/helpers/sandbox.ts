/** Helpers for integration tests: real SDK clients, the admin API, raw signed requests, the clock. */
import { inject } from "vitest";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";

export const url = (): string => inject("iamlabUrl");
export const vars = (): Record<string, string> => inject("iamlabVars");

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function rootCreds(): Creds {
  const v = vars();
  return { accessKeyId: v.IAMLAB_ROOT_ACCESS_KEY_ID!, secretAccessKey: v.IAMLAB_ROOT_SECRET_ACCESS_KEY! };
}

/** `endpoint`: another sandbox than the shared one (a test that starts its own server). */
export function sts(creds: Creds = rootCreds(), region = "us-east-1", endpoint = url()): STSClient {
  return new STSClient({ endpoint, region, credentials: creds, maxAttempts: 1 });
}

export function iam(creds: Creds = rootCreds(), region = "us-east-1", endpoint = url()): IAMClient {
  return new IAMClient({ endpoint, region, credentials: creds, maxAttempts: 1 });
}

export async function adminFetch(path: string, init: RequestInit = {}, token = vars().IAMLAB_ADMIN_TOKEN, base = url()): Promise<Response> {
  return fetch(`${base}/_iamlab${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers ?? {}) },
  });
}

export interface NewAccount {
  accountId: string;
  alias: string | null;
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
}

export async function createAccount(
  body: { accountId?: string; alias?: string } = {},
  server?: { url: string; vars: Record<string, string> },
): Promise<NewAccount> {
  const res = server
    ? await adminFetch("/accounts", { method: "POST", body: JSON.stringify(body) }, server.vars.IAMLAB_ADMIN_TOKEN, server.url)
    : await adminFetch("/accounts", { method: "POST", body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`createAccount: ${res.status} ${await res.text()}`);
  return (await res.json()) as NewAccount;
}

export function accountCreds(a: NewAccount): Creds {
  return { accessKeyId: a.rootAccessKeyId, secretAccessKey: a.rootSecretAccessKey };
}

export async function setClock(offsetMs: number): Promise<void> {
  const res = await adminFetch("/clock", { method: "POST", body: JSON.stringify({ offsetMs }) });
  if (res.status !== 200) throw new Error(`setClock: ${res.status} ${await res.text()}`);
}

export interface RawOptions {
  service?: string;
  region?: string;
  creds?: Creds;
  /** sign at this time (ms) */
  signTime?: number;
  headers?: Record<string, string>;
  body?: string;
  /** mutate the signed request before sending (tampering tests) */
  tamper?: (r: { headers: Record<string, string>; body: string }) => void;
  /** another sandbox than the shared one (tests that start their own server) */
  baseUrl?: string;
  /** headers the signer must leave out of SignedHeaders */
  unsignableHeaders?: Set<string>;
}

/** A request signed independently of the server's code (smithy's signer), for error-path tests. */
export async function rawSigned(
  params: Record<string, string>,
  o: RawOptions = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const u = new URL(o.baseUrl ?? url());
  const body = o.body ?? new URLSearchParams(params).toString();
  const signer = new SignatureV4({
    credentials: o.creds ?? rootCreds(),
    region: o.region ?? "us-east-1",
    service: o.service ?? "sts",
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: u.protocol,
      hostname: u.hostname,
      port: Number(u.port),
      path: "/",
      headers: { host: u.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8", ...(o.headers ?? {}) },
      body,
    },
    {
      ...(o.signTime !== undefined ? { signingDate: new Date(o.signTime) } : {}),
      ...(o.unsignableHeaders ? { unsignableHeaders: o.unsignableHeaders } : {}),
    },
  );
  const req = { headers: { ...(signed.headers as Record<string, string>) }, body: signed.body as string };
  o.tamper?.(req);
  delete req.headers.host;
  const res = await fetch(`${u.origin}/`, { method: "POST", headers: req.headers, body: req.body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** A SigV4-signed GET of an iamlab path (GET /_iamlab/my/decisions/<id> …, a query string too), signed like any AWS request. */
export async function signedGet(path: string, creds: Creds): Promise<Response> {
  const u = new URL(path, url());
  const query: Record<string, string> = {};
  u.searchParams.forEach((v, k) => {
    query[k] = v;
  });
  const signer = new SignatureV4({ credentials: creds, region: "us-east-1", service: "sts", sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign({
    method: "GET",
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: u.pathname,
    query,
    headers: { host: u.host },
  });
  const headers = { ...(signed.headers as Record<string, string>) };
  delete headers.host;
  return fetch(u, { headers });
}

/** Pulls `<Tag>value</Tag>` out of an XML body (tests only). */
export function xmlValue(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m?.[1];
}
