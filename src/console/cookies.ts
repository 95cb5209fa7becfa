/**
 * The console's cookies. The session cookie carries a random id and its HMAC (key derived from
 * IAMLAB_TOKEN_KEY, so a forged or altered cookie is refused before any D1 read); D1 keeps only the
 * id's SHA-256, so a copy of the table signs nobody in. HttpOnly, SameSite=Strict, Path=/console,
 * Secure over https. The sign-in form has its own short-lived cookie (double-submit CSRF token
 * for the forms shown before a session exists).
 */
import { sha256Hex, timingSafeEqual } from "../lib/crypto";
import { utf8 } from "../lib/encoding";

export const SESSION_COOKIE = "iamlab-console";
export const SIGNIN_COOKIE = "iamlab-console-signin";

/** Random bytes as base64url (ids, CSRF tokens). */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function mac(key: string, value: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", utf8.encode(`iamlab-console:${key}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8.encode(value))));
}

/** `<id>.<hmac>` */
export async function signValue(key: string, id: string): Promise<string> {
  return `${id}.${await mac(key, id)}`;
}

/** The id of a signed value, or undefined when the value is malformed or its MAC is wrong. */
export async function verifyValue(key: string, value: string | undefined): Promise<string | undefined> {
  if (!value) return undefined;
  const dot = value.indexOf(".");
  if (dot <= 0 || value.length > 200) return undefined;
  const id = value.slice(0, dot);
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return undefined;
  return timingSafeEqual(await mac(key, id), value.slice(dot + 1)) ? id : undefined;
}

/** What D1 stores of a session id. */
export function idHash(id: string): Promise<string> {
  return sha256Hex(`console-session:${id}`);
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function cookieHeader(name: string, value: string, o: { secure: boolean; maxAgeSeconds: number }): string {
  return `${name}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}${o.secure ? "; Secure" : ""}`;
}

export function clearCookieHeader(name: string, secure: boolean): string {
  return cookieHeader(name, "", { secure, maxAgeSeconds: 0 });
}
