/**
 * S3's request condition keys (src/services/s3/condition-keys.ts) as a pure function, and the
 * presigned-URL rules of src/auth/sigv4.ts that S3 needs (UNSIGNED-PAYLOAD, expiry, the 7-day limit).
 */
import { describe, expect, it } from "vitest";
import { s3RequestContext } from "../../src/services/s3/condition-keys";
import { checkTime, parseSignature, requestSignature, verifySignature, type RawRequest } from "../../src/auth/sigv4";
import { AwsError } from "../../src/protocol/errors";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const header = { presigned: false, signedAt: NOW - 250, contentSha256: "UNSIGNED-PAYLOAD" };

describe("s3RequestContext", () => {
  it("sets the signature keys every S3 action supports", () => {
    expect(s3RequestContext("s3:GetObject", { now: NOW, signature: header, tlsVersion: "1.3" })).toEqual({
      "s3:authType": "REST-HEADER",
      "s3:signatureversion": "AWS4-HMAC-SHA256",
      "s3:signatureAge": "250",
      "s3:x-amz-content-sha256": "UNSIGNED-PAYLOAD",
      "s3:TlsVersion": "1.3",
    });
  });

  it("a presigned request is REST-QUERY-STRING with UNSIGNED-PAYLOAD; an unsigned one has no signature keys", () => {
    const c = s3RequestContext("s3:GetObject", { now: NOW, signature: { presigned: true, signedAt: NOW - 60_000 } });
    expect(c["s3:authType"]).toBe("REST-QUERY-STRING");
    expect(c["s3:x-amz-content-sha256"]).toBe("UNSIGNED-PAYLOAD");
    expect(c["s3:signatureAge"]).toBe("60000");
    expect(s3RequestContext("s3:GetObject", { now: NOW })).toEqual({});
  });

  it("gives each action only the keys AWS lists for it", () => {
    const facts = {
      now: NOW,
      headers: { acl: "private", serverSideEncryption: "AES256", sseKmsKeyId: "k", copySource: "b/k", metadataDirective: "COPY" },
      existingObjectTags: { classification: "public" },
      requestObjectTags: { team: "blue", env: "dev" },
    };
    expect(s3RequestContext("s3:PutObject", facts)).toEqual({
      "s3:x-amz-acl": "private",
      "s3:x-amz-server-side-encryption": "AES256",
      "s3:x-amz-server-side-encryption-aws-kms-key-id": "k",
      "s3:x-amz-copy-source": "b/k",
      "s3:x-amz-metadata-directive": "COPY",
      "s3:RequestObjectTag/team": "blue",
      "s3:RequestObjectTag/env": "dev",
      "s3:RequestObjectTagKeys": ["team", "env"],
    });
    // GetObject: existing tags, none of the write headers.
    expect(s3RequestContext("s3:GetObject", facts)).toEqual({ "s3:ExistingObjectTag/classification": "public" });
    // PutObjectTagging: both the existing and the requested tags.
    expect(Object.keys(s3RequestContext("s3:PutObjectTagging", facts)).sort()).toEqual([
      "s3:ExistingObjectTag/classification",
      "s3:RequestObjectTag/env",
      "s3:RequestObjectTag/team",
      "s3:RequestObjectTagKeys",
    ]);
    // DeleteObject: S3 does not evaluate s3:ExistingObjectTag there.
    expect(s3RequestContext("s3:DeleteObject", facts)).toEqual({});
  });

  it("bucket tags are aws:ResourceTag/<k> and s3:BucketTag/<k>; listing keys pass for ListBucket only", () => {
    const facts = { now: NOW, bucketTags: { env: "dev" }, extra: { "s3:prefix": "home/" } };
    expect(s3RequestContext("s3:ListBucket", facts)).toEqual({
      "aws:ResourceTag/env": "dev",
      "s3:BucketTag/env": "dev",
      "s3:prefix": "home/",
    });
    expect(s3RequestContext("s3:GetBucketTagging", facts)).toEqual({ "aws:ResourceTag/env": "dev", "s3:BucketTag/env": "dev" });
  });

  it("CreateBucket takes its location constraint, ACL and Object Ownership", () => {
    expect(
      s3RequestContext("s3:CreateBucket", {
        now: NOW,
        headers: { locationConstraint: "eu-west-1", acl: "private", objectOwnership: "ObjectWriter" },
      }),
    ).toEqual({ "s3:locationconstraint": "eu-west-1", "s3:x-amz-acl": "private", "s3:x-amz-object-ownership": "ObjectWriter" });
  });
});

// AWS's S3 documentation, "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)":
// a presigned GET of examplebucket/test.txt, signed over UNSIGNED-PAYLOAD.
const DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DOC_URL =
  "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
const presigned = (u = DOC_URL): RawRequest => ({
  method: "GET",
  url: new URL(u),
  headers: new Headers({ host: "examplebucket.s3.amazonaws.com" }),
});

describe("S3 presigned URLs", () => {
  it("verifies AWS's documented example (payload UNSIGNED-PAYLOAD, not the empty body's hash)", async () => {
    const req = presigned();
    const info = parseSignature(req)!;
    await verifySignature(req, new Uint8Array(0), info, DOC_SECRET);
    expect(requestSignature(req.headers, req.url, info)).toEqual({
      presigned: true,
      signedAt: Date.UTC(2013, 4, 24),
      contentSha256: "UNSIGNED-PAYLOAD",
    });
    // A body does not change what was signed.
    await verifySignature(req, new TextEncoder().encode("anything"), info, DOC_SECRET);
  });

  it("expired: AccessDenied with S3's details", () => {
    const info = parseSignature(presigned())!;
    checkTime(info, Date.UTC(2013, 4, 24) + 86_400_000);
    let err: unknown;
    try {
      checkTime(info, Date.UTC(2013, 4, 24) + 86_401_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AwsError);
    expect((err as AwsError).code).toBe("AccessDenied");
    expect((err as AwsError).message).toBe("Request has expired");
    expect((err as AwsError).details).toEqual({
      "X-Amz-Expires": "86400",
      Expires: "2013-05-25T00:00:00Z",
      ServerTime: "2013-05-25T00:00:01Z",
    });
  });

  it("X-Amz-Expires: more than 7 days or negative is S3's AuthorizationQueryParametersError", () => {
    const code = (u: string) => {
      try {
        parseSignature(presigned(u));
        return "ok";
      } catch (e) {
        return `${(e as AwsError).code}: ${(e as AwsError).message}`;
      }
    };
    expect(code(DOC_URL.replace("X-Amz-Expires=86400", "X-Amz-Expires=604800"))).toBe("ok");
    expect(code(DOC_URL.replace("X-Amz-Expires=86400", "X-Amz-Expires=604801"))).toBe(
      "AuthorizationQueryParametersError: X-Amz-Expires must be less than a week (in seconds) that is 604800",
    );
    expect(code(DOC_URL.replace("X-Amz-Expires=86400", "X-Amz-Expires=-1"))).toBe(
      "AuthorizationQueryParametersError: X-Amz-Expires must be non-negative",
    );
  });

  it("an S3 SigV2 presigned URL is refused as S3 refuses it on new buckets", () => {
    expect(() => parseSignature(presigned("https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKID&Expires=1700000000&Signature=abc%3D"))).toThrow(
      "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    );
  });
});
