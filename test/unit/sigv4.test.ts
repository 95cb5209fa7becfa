/**
 * SigV4 verification against AWS's published examples (the canonical request is ours since the
 * verifier stopped using aws4fetch's signer). End-to-end replays of captured client requests are
 * in test/integration/foundation.test.ts.
 */
import { describe, expect, it } from "vitest";
import { canonicalRequest, parseSignature, verifySignature, type RawRequest } from "../../src/auth/sigv4";
import { sha256Hex } from "../../src/lib/crypto";

const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

function raw(url: string, headers: Record<string, string>, method = "GET"): RawRequest {
  return { method, url: new URL(url), headers: new Headers(headers) };
}

// AWS General Reference, "Create a canonical request for Signature Version 4" / "Calculate the
// signature": GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08, 20150830T123600Z.
const DOC_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const docRequest = (signature: string): RawRequest =>
  raw("https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers", {
    host: "iam.amazonaws.com",
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    "x-amz-date": "20150830T123600Z",
    authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
  });
const DOC_SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

describe("SigV4 canonical request and signature", () => {
  it("builds AWS's documented canonical request (sorted query, signed headers, payload hash)", async () => {
    const req = docRequest(DOC_SIGNATURE);
    const info = parseSignature(req)!;
    const canonical = canonicalRequest(req, info, EMPTY);
    expect(canonical).toBe(
      [
        "GET",
        "/",
        "Action=ListUsers&Version=2010-05-08",
        "content-type:application/x-www-form-urlencoded; charset=utf-8",
        "host:iam.amazonaws.com",
        "x-amz-date:20150830T123600Z",
        "",
        "content-type;host;x-amz-date",
        EMPTY,
      ].join("\n"),
    );
    expect(await sha256Hex(canonical)).toBe("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  });

  it("accepts AWS's documented signature and rejects a changed one", async () => {
    const ok = docRequest(DOC_SIGNATURE);
    await expect(verifySignature(ok, new Uint8Array(), parseSignature(ok)!, DOC_SECRET)).resolves.toBeUndefined();
    const bad = docRequest(DOC_SIGNATURE.replace(/^5/, "6"));
    await expect(verifySignature(bad, new Uint8Array(), parseSignature(bad)!, DOC_SECRET)).rejects.toMatchObject({
      code: "SignatureDoesNotMatch",
    });
    // Same signature, other secret: the cached signing key is per secret.
    await expect(verifySignature(ok, new Uint8Array(), parseSignature(ok)!, DOC_SECRET.replace("K7", "K8"))).rejects.toMatchObject({
      code: "SignatureDoesNotMatch",
    });
  });

  it("double-encodes the path, collapses header whitespace, sorts an unsorted SignedHeaders list", () => {
    const req = raw("https://iam.amazonaws.com/a%20b//c?b=2&a=3&a=1&X-Amz-Signature=zz", {
      "x-amz-date": "20150830T123600Z",
      "x-custom": "  two   spaces  here ",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=x-custom;host;x-amz-date, Signature=00",
    });
    const lines = canonicalRequest(req, parseSignature(req)!, EMPTY).split("\n");
    expect(lines[1]).toBe("/a%2520b/c");
    // Header form signs every query parameter (X-Amz-Signature is only dropped for presigned URLs).
    expect(lines[2]).toBe("X-Amz-Signature=zz&a=1&a=3&b=2");
    expect(lines.slice(3, 6)).toEqual(["host:iam.amazonaws.com", "x-amz-date:20150830T123600Z", "x-custom:two spaces here"]);
    expect(lines[7]).toBe("host;x-amz-date;x-custom");
  });

  it("a signed accept-encoding is canonicalized with the client's own value when the runtime rewrote the header", () => {
    const req: RawRequest = {
      ...raw("https://sts.amazonaws.com/", {
        "accept-encoding": "br, gzip",
        "x-amz-date": "20150830T123600Z",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=accept-encoding;host;x-amz-date, Signature=00",
      }),
      clientAcceptEncoding: "identity",
    };
    const lines = canonicalRequest(req, parseSignature(req)!, EMPTY).split("\n");
    expect(lines[3]).toBe("accept-encoding:identity");
    const { clientAcceptEncoding: _, ...asSeen } = req;
    expect(canonicalRequest(asSeen, parseSignature(asSeen)!, EMPTY).split("\n")[3]).toBe("accept-encoding:br, gzip");
  });

  it("presigned URLs: the signature itself is not part of the canonical query", () => {
    const req = raw(
      "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
      { host: "sts.amazonaws.com" },
    );
    const info = parseSignature(req)!;
    expect(info.presigned).toBe(true);
    const query = canonicalRequest(req, info, EMPTY).split("\n")[2]!;
    expect(query).toBe(
      "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host",
    );
  });
});
