/**
 * What every model-driven codec shares (pure): the request/response parts a codec sees, value
 * conversions (timestamps, base64), and validation of a decoded input against its model shape with
 * AWS's "N validation error(s) detected" wording.
 */
import { fromBase64 as decodeBase64, toBase64 } from "../lib/encoding";
import { AwsError } from "./errors";
import { shapeOf, type ModelShape, type OperationModel, type ServiceModel, type TimestampFormat } from "./model";

/** A request as the codecs read it: raw path (still percent-encoded) and raw query string (no `?`). */
export interface WireRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** A stream only for S3 object bodies (from R2, of the length the Content-Length header says). */
  readonly body: string | Uint8Array | ReadableStream;
}

export interface DecodedRequest {
  readonly operation: OperationModel;
  /** Plain values: strings, numbers, booleans, Date, Uint8Array (blobs), arrays, objects (structures and maps). */
  readonly input: Record<string, unknown>;
}

export type Value = Record<string, unknown>;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();
export const textOf = (b: Uint8Array): string => utf8d.decode(b);
export const bytesOf = (s: string): Uint8Array => utf8.encode(s);

export { toBase64 };
/** Base64 as the wire carries it: only the base64 alphabet (atob alone would also take whitespace). */
export function fromBase64(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1) return undefined;
  return decodeBase64(s) ?? undefined;
}

export function formatTimestamp(d: Date, format: TimestampFormat): string | number {
  switch (format) {
    case "unixTimestamp":
      return d.getTime() / 1000;
    case "rfc822":
      return d.toUTCString();
    case "iso8601":
      // Seconds precision, as AWS's XML services write it; keep milliseconds when there are some.
      return d.getUTCMilliseconds() ? d.toISOString() : d.toISOString().replace(".000Z", "Z");
  }
}

/** Any of AWS's three timestamp forms (epoch seconds, ISO 8601, RFC 822). */
export function parseTimestamp(v: unknown): Date | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? new Date(v * 1000) : undefined;
  if (typeof v !== "string" || v === "") return undefined;
  const t = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** Member name as AWS prints it in validation messages (`QueueName` → `queueName`). */
export function memberPath(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

interface Problem {
  readonly message: string;
}

function checkValue(model: ServiceModel, shape: ModelShape, v: unknown, path: string, out: Problem[]): void {
  const at = `at '${path}' failed to satisfy constraint:`;
  switch (shape.type) {
    case "structure": {
      if (typeof v !== "object" || v === null) return;
      const obj = v as Value;
      for (const name of shape.required ?? []) {
        const m = shape.members[name];
        if (obj[name] === undefined || obj[name] === null) {
          // The URI and payload members are checked by their codec (a missing label is a routing error).
          if (m?.location === "uri") continue;
          out.push({ message: `Value null at '${join(path, memberPath(name))}' failed to satisfy constraint: Member must not be null` });
        }
      }
      for (const [name, m] of Object.entries(shape.members)) {
        const x = obj[name];
        if (x !== undefined && x !== null) checkValue(model, shapeOf(model, m), x, join(path, memberPath(name)), out);
      }
      return;
    }
    case "list": {
      if (!Array.isArray(v)) return;
      if (shape.min !== undefined && v.length < shape.min)
        out.push({ message: `Value '[${v.length} items]' ${at} Member must have length greater than or equal to ${shape.min}` });
      if (shape.max !== undefined && v.length > shape.max)
        out.push({ message: `Value '[${v.length} items]' ${at} Member must have length less than or equal to ${shape.max}` });
      for (const [i, x] of v.entries()) checkValue(model, shapeOf(model, shape.member), x, `${path}.${i + 1}.member`, out);
      return;
    }
    case "map": {
      if (typeof v !== "object" || v === null) return;
      const entries = Object.entries(v as Value);
      if (shape.max !== undefined && entries.length > shape.max)
        out.push({ message: `Value '{${entries.length} entries}' ${at} Member must have length less than or equal to ${shape.max}` });
      for (const [k, x] of entries) checkValue(model, shapeOf(model, shape.value), x, `${path}.${k}.member`, out);
      return;
    }
    case "string": {
      if (typeof v !== "string") return;
      if (shape.min !== undefined && v.length < shape.min)
        out.push({ message: `Value '${v}' ${at} Member must have length greater than or equal to ${shape.min}` });
      else if (shape.max !== undefined && v.length > shape.max)
        out.push({ message: `Value '${v}' ${at} Member must have length less than or equal to ${shape.max}` });
      else if (shape.pattern !== undefined && !new RegExp(`^(?:${shape.pattern})$`, "u").test(v))
        out.push({ message: `Value '${v}' ${at} Member must satisfy regular expression pattern: ${shape.pattern}` });
      else if (shape.enum && !shape.enum.includes(v))
        out.push({ message: `Value '${v}' ${at} Member must satisfy enum value set: [${shape.enum.join(", ")}]` });
      return;
    }
    case "integer":
    case "long":
    case "float":
    case "double":
      if (typeof v !== "number") return;
      if (shape.min !== undefined && v < shape.min)
        out.push({ message: `Value '${v}' ${at} Member must have value greater than or equal to ${shape.min}` });
      else if (shape.max !== undefined && v > shape.max)
        out.push({ message: `Value '${v}' ${at} Member must have value less than or equal to ${shape.max}` });
      return;
    default:
  }
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/**
 * Checks a decoded input against its structure (required members, and min/max/pattern/enum where
 * the model has them). Throws `code` (400) with AWS's wording:
 * `1 validation error detected: Value null at 'queueName' failed to satisfy constraint: Member must not be null`.
 */
export function validateInput(model: ServiceModel, structure: number | undefined, input: Value, code: string): void {
  if (structure === undefined) return;
  const problems: Problem[] = [];
  checkValue(model, shapeOf(model, structure), input, "", problems);
  if (problems.length === 0) return;
  const n = problems.length;
  throw new AwsError(code, `${n} validation error${n > 1 ? "s" : ""} detected: ${problems.map((p) => p.message).join("; ")}`, 400);
}

/** Any throw inside a decoder that is not already an AwsError becomes `fallback` (never a 500). */
export function asAwsError(e: unknown, fallback: () => AwsError): AwsError {
  return e instanceof AwsError ? e : fallback();
}
