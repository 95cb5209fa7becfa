/**
 * The vocabulary every lab-template validator shares (template.ts, resources.ts, organization-spec.ts,
 * quotas.ts): JSON pointers, and a validator whose errors carry them — unknown fields, lists of at most
 * `max` items. Pure.
 */
import type { TemplateError } from "./template";

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A JSON pointer (RFC 6901) of a path in the template. */
export const pointer = (parts: readonly (string | number)[]): string =>
  parts.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");

export type Path = (string | number)[];

/** Error reporting into `errors`, every path under `base` (`["organization"]` for that section). */
export function validator(errors: TemplateError[], base: Path = []) {
  const err = (at: Path, message: string): false => {
    errors.push({ path: pointer([...base, ...at]), message });
    return false;
  };
  return {
    err,
    /** Every key of `o` must be one of `keys`. */
    known(o: Record<string, unknown>, at: Path, keys: readonly string[]): void {
      for (const k of Object.keys(o)) if (!keys.includes(k)) err([...at, k], `Unknown field "${k}"; expected one of ${keys.join(", ")}.`);
    },
    /** `v` as a list of at most `max` items (absent: empty). */
    list(v: unknown, at: Path, max: number): unknown[] {
      if (v === undefined) return [];
      if (!Array.isArray(v)) {
        err(at, "Must be an array.");
        return [];
      }
      if (v.length > max) err(at, `At most ${max} items.`);
      return v;
    },
  };
}
