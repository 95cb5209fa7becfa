/**
 * Runs a real @aws-sdk v3 client without a server: a custom requestHandler captures the signed
 * HttpRequest and answers with a canned response our encoder produced. The captured request is
 * turned into the WireRequest the codecs read.
 */
import { Readable } from "node:stream";
import type { WireRequest, WireResponse } from "../../src/protocol/wire";

export const CREDENTIALS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

interface SdkHttpRequest {
  method: string;
  protocol?: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

async function bodyBytes(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof Readable || (typeof body === "object" && Symbol.asyncIterator in (body as object))) {
    const chunks: Buffer[] = [];
    for await (const c of body as AsyncIterable<Buffer | string>) chunks.push(typeof c === "string" ? Buffer.from(c) : Buffer.from(c));
    return new Uint8Array(Buffer.concat(chunks));
  }
  throw new Error(`unsupported body ${typeof body}`);
}

function rawQuery(q: SdkHttpRequest["query"]): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q ?? {})) {
    const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    if (v === null) parts.push(enc(k));
    else for (const x of Array.isArray(v) ? v : [v]) parts.push(`${enc(k)}=${enc(x)}`);
  }
  return parts.join("&");
}

export interface Capture {
  requests: WireRequest[];
  raw: SdkHttpRequest[];
  /** The handler to pass as `requestHandler`. */
  handler: { handle(req: SdkHttpRequest): Promise<{ response: unknown }>; updateHttpClientConfig(): void; httpHandlerConfigs(): object };
  last(): WireRequest;
}

/** `respond` sees the decoded-ready WireRequest and returns what the server would send. */
export function capture(respond: (req: WireRequest) => WireResponse | Promise<WireResponse>): Capture {
  const requests: WireRequest[] = [];
  const raw: SdkHttpRequest[] = [];
  return {
    requests,
    raw,
    last() {
      const r = requests.at(-1);
      if (!r) throw new Error("no request captured");
      return r;
    },
    handler: {
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
      async handle(req: SdkHttpRequest) {
        raw.push(req);
        const host = req.port ? `${req.hostname}:${req.port}` : req.hostname;
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) headers.set(k, v);
        const wire: WireRequest = {
          method: req.method,
          host,
          path: req.path,
          query: rawQuery(req.query),
          headers,
          body: await bodyBytes(req.body),
        };
        requests.push(wire);
        const res = await respond(wire);
        const bytes =
          typeof res.body === "string"
            ? Buffer.from(res.body)
            : res.body instanceof Uint8Array
              ? Buffer.from(res.body)
              : Buffer.from(await new Response(res.body).arrayBuffer());
        return { response: { statusCode: res.status, headers: { ...res.headers }, body: Readable.from([bytes]) } };
      },
    },
  };
}

/** Runs `fn` and returns what it threw (fails when it did not throw). */
export type SdkError = Error & { $metadata?: { httpStatusCode?: number; requestId?: string }; [k: string]: unknown };
export async function rejection(fn: () => Promise<unknown>): Promise<SdkError> {
  try {
    await fn();
  } catch (e) {
    return e as SdkError;
  }
  throw new Error("expected a rejection");
}

export const clientConfig = (c: Capture, endpoint = "http://127.0.0.1:8787") => ({
  endpoint,
  region: "us-east-1",
  credentials: CREDENTIALS,
  requestHandler: c.handler,
  maxAttempts: 1,
});
