/** Asserting AWS errors from the real SDK: the wire's Error/Code, HTTP status and message. */
import { expect } from "vitest";

type SdkError = { name: string; message: string; Code?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };

export async function expectAwsError(p: Promise<unknown>, code: string, status: number, message?: string | RegExp): Promise<SdkError> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${code}, got success`);
    },
    (err: unknown) => err as SdkError,
  );
  // A service error the SDK parsed from the wire, not a local or network failure.
  expect(e.$fault === "client" || e.$fault === "server").toBe(true);
  // `Code` is the wire's Error/Code (the SDK's `name` is its class name, e.g. NoSuchEntityException).
  expect({ code: e.Code ?? e.name, status: e.$metadata?.httpStatusCode }).toEqual({ code, status });
  if (typeof message === "string") expect(e.message).toBe(message);
  else if (message) expect(e.message).toMatch(message);
  return e;
}

/** The wire error code of a rejected SDK call. */
export function codeOf(e: unknown): string | undefined {
  return (e as SdkError).Code ?? (e as SdkError).name;
}
