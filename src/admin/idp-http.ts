/**
 * What the built-in identity providers' HTTP sides share (OIDC in ./idp.ts, SAML in ./saml-idp.ts):
 * JSON answers, the account check, the small JSON body of a mint request, its `expiresIn`.
 */
import type { Context } from "hono";
import type { Env } from "../env";
import { getDb } from "../store/db";
import { getAccount } from "../store/accounts";

export type IdpContext = Context<{ Bindings: Env }>;

const ACCOUNT_ID = /^\d{12}$/;
const MAX_BODY = 64 * 1024;
/** Minted tokens and responses live at most a day (federated sessions last at most 12 hours anyway). */
export const MAX_EXPIRES_IN = 86_400;

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}
export const noSuchAccount = (id: string): Response => json(404, { error: "NoSuchAccount", message: `Account ${id} does not exist.` });
export const invalid = (message: string): Response => json(400, { error: "InvalidRequest", message });

export async function accountExists(c: IdpContext, id: string): Promise<boolean> {
  return ACCOUNT_ID.test(id) && (await getAccount(getDb(c.env.DB), id)) !== undefined;
}

/** The request's JSON body (at most 64 KiB), or the error answer. */
export async function jsonBody(c: IdpContext): Promise<{ body: unknown } | Response> {
  const tooLarge = () => json(413, { error: "RequestEntityTooLarge", message: `The body must be at most ${MAX_BODY} bytes.` });
  if (Number(c.req.header("content-length") ?? 0) > MAX_BODY) return tooLarge();
  const text = await c.req.text();
  if (text.length > MAX_BODY) return tooLarge();
  try {
    return { body: JSON.parse(text) as unknown };
  } catch {
    return invalid("Body must be JSON.");
  }
}

/** True for an acceptable `expiresIn` (whole seconds, 1 to a day). */
export const validExpiresIn = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_EXPIRES_IN;
export const EXPIRES_IN_MESSAGE = `expiresIn must be an integer number of seconds from 1 to ${MAX_EXPIRES_IN}.`;
