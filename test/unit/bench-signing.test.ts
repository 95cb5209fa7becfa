/** Smoke test of the bench's pre-signing helper: the server's own SigV4 verifier accepts what it signs. */
import { describe, expect, it } from "vitest";
import { signRequest, signBatch, queryBody } from "../../bench/lib/sign";
import { parseSignature, verifySignature, checkTime } from "../../src/auth/sigv4";

const creds = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const url = "http://127.0.0.1:8787";

async function verify(r: Awaited<ReturnType<typeof signRequest>>, secret = creds.secretAccessKey): Promise<void> {
  const raw = { method: r.method, url: new URL(r.path, url), headers: new Headers(r.headers) };
  const info = parseSignature(raw)!;
  checkTime(info, Date.now());
  await verifySignature(raw, new TextEncoder().encode(r.body), info, secret);
}

describe("bench signing helper", () => {
  it("signs Query requests the server verifies (iam, sts, session token)", async () => {
    const r = await signRequest({ url, creds, service: "iam", params: { Action: "ListUsers", MaxItems: "100" } });
    expect(r.body).toBe("Version=2010-05-08&Action=ListUsers&MaxItems=100");
    await verify(r);
    await verify(
      await signRequest({
        url,
        creds: { ...creds, sessionToken: "token/with+chars=" },
        service: "sts",
        params: { Action: "GetCallerIdentity" },
      }),
    );
    await expect(verify(r, "wrong-secret")).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("signs a batch of distinct requests", async () => {
    const batch = await signBatch(3, { url, creds, service: "iam" }, (i) => ({ Action: "CreateUser", UserName: `u-${i}` }));
    expect(new Set(batch.map((b) => b.headers.authorization)).size).toBe(3);
    for (const b of batch) await verify(b);
  });

  it("encodes like the SDKs (RFC 3986)", () => {
    expect(queryBody({ A: "a b*(!)'~/" })).toBe("A=a%20b%2A%28%21%29%27~%2F");
  });
});
