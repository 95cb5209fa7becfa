/**
 * GetFunction's Code.Location: AWS answers a presigned S3 URL valid for 10 minutes. iamlab's
 * stand-in is a URL on the sandbox itself, `GET /_iamlab/lambda-code?key=…&expires=…&signature=…`,
 * signed with HMAC-SHA256 under IAMLAB_TOKEN_KEY (the key that guards session tokens), so it works
 * with curl or a browser like AWS's and cannot be forged or used after it expires.
 */
import type { Env } from "../../env";
import { tokenKey } from "../../sessions/issue";

const VALID_MS = 10 * 60_000;

async function sign(env: Env, key: string, expires: number): Promise<string | undefined> {
  const secret = tokenKey(env);
  if (!secret) return undefined;
  const k = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(`lambda-code|${secret}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(`${key}\n${expires}`)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The URL at which the package under `key` can be downloaded for the next 10 minutes. */
export async function codeLocation(env: Env, origin: string, key: string, now: number): Promise<string> {
  const expires = now + VALID_MS;
  const signature = (await sign(env, key, expires)) ?? "";
  const q = new URLSearchParams({ key, expires: String(expires), signature });
  return `${origin}/_iamlab/lambda-code?${q}`;
}

/** `GET /_iamlab/lambda-code`: the package's bytes, for a URL codeLocation signed and that has not expired. */
export async function serveCode(env: Env, url: URL, now: number): Promise<Response> {
  const key = url.searchParams.get("key") ?? "";
  const expires = Number(url.searchParams.get("expires"));
  const given = url.searchParams.get("signature") ?? "";
  const expected = await sign(env, key, expires);
  const denied = (m: string) =>
    new Response(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${m}</Message></Error>`, {
      status: 403,
      headers: { "content-type": "application/xml" },
    });
  if (!expected || !key || given !== expected) return denied("Request signature does not match");
  if (!Number.isFinite(expires) || expires < now) return denied("Request has expired");
  const obj = await env.OBJECTS.get(key);
  if (!obj) return new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404, headers: { "content-type": "application/xml" } });
  return new Response(obj.body, { headers: { "content-type": "application/zip", "content-length": String(obj.size) } });
}
