/**
 * Server certificates with the real @aws-sdk/client-iam and the AWS CLI: upload with RSA (PKCS#8
 * and PKCS#1) and EC (PKCS#8 and SEC1) keys, the key/certificate match (KeyPairMismatch), malformed
 * bodies, keys and chains, names and paths (EntityAlreadyExists, PathPrefix, pagination, renames),
 * tags, GetAccountSummary's counter and the 20-per-account quota.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteServerCertificateCommand,
  GetAccountSummaryCommand,
  GetServerCertificateCommand,
  ListServerCertificateTagsCommand,
  ListServerCertificatesCommand,
  TagServerCertificateCommand,
  UntagServerCertificateCommand,
  UpdateServerCertificateCommand,
  UploadServerCertificateCommand,
  type IAMClient,
  type UploadServerCertificateCommandInput,
} from "@aws-sdk/client-iam";
import type { Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { withAccount } from "../helpers/fixtures";
import { awsCli, hasAwsCli } from "../helpers/aws-cli";
import { hasOpenssl, selfSigned } from "../helpers/keys";
import { FIXTURE_CERT, FIXTURE_CERT_2, FIXTURE_KEY } from "../fixtures/certs";

let client: IAMClient;
let creds: Creds;
let A: string;

beforeAll(async () => {
  ({ iam: client, creds, id: A } = await withAccount());
});

const upload = (input: Partial<UploadServerCertificateCommandInput> & { ServerCertificateName: string }) =>
  client.send(new UploadServerCertificateCommand({ CertificateBody: FIXTURE_CERT, PrivateKey: FIXTURE_KEY, ...input }));

describe("UploadServerCertificate", () => {
  it("stores certificate and chain, answers the metadata (ARN with path, ASCA id, Expiration) and tags", async () => {
    const up = await upload({
      ServerCertificateName: "web",
      Path: "/cloudfront/",
      CertificateChain: FIXTURE_CERT_2,
      Tags: [{ Key: "env", Value: "prod" }],
    });
    const m = up.ServerCertificateMetadata!;
    expect(m.Path).toBe("/cloudfront/");
    expect(m.ServerCertificateName).toBe("web");
    expect(m.ServerCertificateId).toMatch(/^ASCA[A-Z2-7]{17}$/);
    expect(m.Arn).toBe(`arn:aws:iam::${A}:server-certificate/cloudfront/web`);
    expect(m.UploadDate).toBeInstanceOf(Date);
    expect(m.Expiration!.getUTCFullYear()).toBeGreaterThan(2100);
    expect(up.Tags).toEqual([{ Key: "env", Value: "prod" }]);

    const got = (await client.send(new GetServerCertificateCommand({ ServerCertificateName: "web" }))).ServerCertificate!;
    expect(got.ServerCertificateMetadata).toEqual(m);
    expect(got.CertificateBody).toBe(FIXTURE_CERT);
    expect(got.CertificateChain).toBe(FIXTURE_CERT_2);
    expect(got.Tags).toEqual([{ Key: "env", Value: "prod" }]);
    expect(JSON.stringify(got)).not.toContain("PRIVATE");

    await expectAwsError(
      upload({ ServerCertificateName: "WEB" }),
      "EntityAlreadyExists",
      409,
      "The Server Certificate with name WEB already exists.",
    );
  });

  it("refuses a key of another certificate, bad bodies, keys and chains with AWS's codes", async () => {
    await expectAwsError(
      upload({ ServerCertificateName: "bad1", CertificateBody: "nope" }),
      "MalformedCertificate",
      400,
      /Unable to parse certificate/,
    );
    await expectAwsError(
      upload({ ServerCertificateName: "bad2", PrivateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" }),
      "MalformedCertificate",
      400,
    );
    await expectAwsError(upload({ ServerCertificateName: "bad3", CertificateChain: "garbage" }), "MalformedCertificate", 400);
    await expectAwsError(upload({ ServerCertificateName: "bad4", CertificateBody: FIXTURE_CERT_2 }), "KeyPairMismatch", 400);
    await expectAwsError(upload({ ServerCertificateName: "bad/5" }), "ValidationError", 400);
    await expectAwsError(upload({ ServerCertificateName: "bad6", Path: "nopath" }), "ValidationError", 400);
    const names = (await client.send(new ListServerCertificatesCommand({}))).ServerCertificateMetadataList!.map(
      (x) => x.ServerCertificateName,
    );
    expect(names.filter((n) => n!.startsWith("bad"))).toEqual([]);
  });

  it.skipIf(!hasOpenssl)("matches RSA keys in PKCS#1 and EC keys in PKCS#8 and SEC1 form", async () => {
    const rsa = selfSigned({ keyFormat: "traditional" });
    expect(rsa.key).toContain("BEGIN RSA PRIVATE KEY");
    await upload({ ServerCertificateName: "rsa-pkcs1", CertificateBody: rsa.cert, PrivateKey: rsa.key });
    const ec = selfSigned({ keyType: "ec" });
    await upload({ ServerCertificateName: "ec-pkcs8", CertificateBody: ec.cert, PrivateKey: ec.key });
    const sec1 = selfSigned({ keyType: "ec", keyFormat: "traditional" });
    expect(sec1.key).toContain("BEGIN EC PRIVATE KEY");
    await upload({ ServerCertificateName: "ec-sec1", CertificateBody: sec1.cert, PrivateKey: sec1.key });
    await expectAwsError(
      upload({ ServerCertificateName: "ec-wrong", CertificateBody: ec.cert, PrivateKey: sec1.key }),
      "KeyPairMismatch",
      400,
    );
    await expectAwsError(
      upload({ ServerCertificateName: "ec-rsa", CertificateBody: ec.cert, PrivateKey: rsa.key }),
      "KeyPairMismatch",
      400,
    );
    for (const n of ["rsa-pkcs1", "ec-pkcs8", "ec-sec1"])
      await client.send(new DeleteServerCertificateCommand({ ServerCertificateName: n }));
  });
});

describe("List / Update / Delete / tags", () => {
  it("lists by PathPrefix in pages, renames and moves, deletes", async () => {
    const { iam: c } = await withAccount();
    const put = (ServerCertificateName: string, Path: string) =>
      c.send(new UploadServerCertificateCommand({ ServerCertificateName, Path, CertificateBody: FIXTURE_CERT, PrivateKey: FIXTURE_KEY }));
    await put("a", "/x/");
    await put("b", "/x/y/");
    await put("c", "/z/");
    const p1 = await c.send(new ListServerCertificatesCommand({ PathPrefix: "/x/", MaxItems: 1 }));
    expect(p1.ServerCertificateMetadataList!.map((m) => m.ServerCertificateName)).toEqual(["a"]);
    expect(p1.IsTruncated).toBe(true);
    const p2 = await c.send(new ListServerCertificatesCommand({ PathPrefix: "/x/", Marker: p1.Marker }));
    expect(p2.ServerCertificateMetadataList!.map((m) => m.ServerCertificateName)).toEqual(["b"]);
    expect(p2.IsTruncated).toBe(false);

    await c.send(new UpdateServerCertificateCommand({ ServerCertificateName: "c", NewServerCertificateName: "c2", NewPath: "/moved/" }));
    const moved = (await c.send(new GetServerCertificateCommand({ ServerCertificateName: "c2" }))).ServerCertificate!
      .ServerCertificateMetadata!;
    expect(moved.Arn).toMatch(/:server-certificate\/moved\/c2$/);
    await expectAwsError(
      c.send(new GetServerCertificateCommand({ ServerCertificateName: "c" })),
      "NoSuchEntity",
      404,
      "The Server Certificate with name c cannot be found.",
    );
    await expectAwsError(
      c.send(new UpdateServerCertificateCommand({ ServerCertificateName: "a", NewServerCertificateName: "B" })),
      "EntityAlreadyExists",
      409,
    );

    expect((await c.send(new GetAccountSummaryCommand({}))).SummaryMap!.ServerCertificates).toBe(3);
    await c.send(new DeleteServerCertificateCommand({ ServerCertificateName: "c2" }));
    await expectAwsError(c.send(new DeleteServerCertificateCommand({ ServerCertificateName: "c2" })), "NoSuchEntity", 404);
    expect((await c.send(new GetAccountSummaryCommand({}))).SummaryMap!.ServerCertificates).toBe(2);
  });

  it("tags and untags; tags go with the certificate", async () => {
    await upload({ ServerCertificateName: "tagged" });
    await client.send(
      new TagServerCertificateCommand({
        ServerCertificateName: "tagged",
        Tags: [
          { Key: "a", Value: "1" },
          { Key: "b", Value: "2" },
        ],
      }),
    );
    await client.send(new UntagServerCertificateCommand({ ServerCertificateName: "tagged", TagKeys: ["a"] }));
    const tags = await client.send(new ListServerCertificateTagsCommand({ ServerCertificateName: "tagged" }));
    expect(tags.Tags).toEqual([{ Key: "b", Value: "2" }]);
    await expectAwsError(client.send(new ListServerCertificateTagsCommand({ ServerCertificateName: "ghost" })), "NoSuchEntity", 404);
    await client.send(new DeleteServerCertificateCommand({ ServerCertificateName: "tagged" }));
    await upload({ ServerCertificateName: "tagged" });
    expect((await client.send(new ListServerCertificateTagsCommand({ ServerCertificateName: "tagged" }))).Tags).toEqual([]);
  });

  it("holds at most 20 per account, also under parallel uploads", async () => {
    const { iam: c } = await withAccount();
    const outs = await Promise.allSettled(
      Array.from({ length: 23 }, (_, n) =>
        c.send(
          new UploadServerCertificateCommand({ ServerCertificateName: `s${n}`, CertificateBody: FIXTURE_CERT, PrivateKey: FIXTURE_KEY }),
        ),
      ),
    );
    expect(outs.filter((o) => o.status === "fulfilled")).toHaveLength(20);
    await expectAwsError(
      c.send(
        new UploadServerCertificateCommand({ ServerCertificateName: "one-more", CertificateBody: FIXTURE_CERT, PrivateKey: FIXTURE_KEY }),
      ),
      "LimitExceeded",
      409,
      "Cannot exceed quota for ServerCertificatesPerAccount: 20",
    );
  });
});

describe.skipIf(!hasAwsCli)("the AWS CLI", () => {
  it("uploads from files and reads the certificate back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iamlab-cli-"));
    writeFileSync(join(dir, "cert.pem"), FIXTURE_CERT);
    writeFileSync(join(dir, "key.pem"), FIXTURE_KEY);
    const up = await awsCli<{ ServerCertificateMetadata: { Arn: string } }>(
      creds,
      "iam",
      "upload-server-certificate",
      "--server-certificate-name",
      "cli-cert",
      "--certificate-body",
      `file://${join(dir, "cert.pem")}`,
      "--private-key",
      `file://${join(dir, "key.pem")}`,
    );
    expect(up.ServerCertificateMetadata.Arn).toBe(`arn:aws:iam::${A}:server-certificate/cli-cert`);
    const got = await awsCli<{ ServerCertificate: { CertificateBody: string } }>(
      creds,
      "iam",
      "get-server-certificate",
      "--server-certificate-name",
      "cli-cert",
    );
    expect(got.ServerCertificate.CertificateBody).toBe(FIXTURE_CERT);
  });
});
