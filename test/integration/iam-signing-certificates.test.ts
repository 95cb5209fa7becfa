/**
 * Signing certificates with the real @aws-sdk/client-iam and the AWS CLI: X.509 PEM parsed and
 * validated (MalformedCertificate, InvalidCertificate for expired / not-yet-valid / non-RSA),
 * DuplicateCertificate across the account, 2 per user, the root user's own certificates, status
 * updates, DeleteUser's DeleteConflict, GetAccountSummary and the credential report's cert columns.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateUserCommand,
  DeleteSigningCertificateCommand,
  DeleteUserCommand,
  GenerateCredentialReportCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  ListSigningCertificatesCommand,
  UpdateSigningCertificateCommand,
  UploadSigningCertificateCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import type { Creds } from "../helpers/sandbox";
import { expectAwsError } from "../helpers/aws-errors";
import { withAccount } from "../helpers/fixtures";
import { awsCli, hasAwsCli } from "../helpers/aws-cli";
import { waitFor } from "../helpers/wait";
import { fixtureCert, hasOpenssl, rsaKey, selfSigned } from "../helpers/keys";
import { FIXTURE_CERT } from "../fixtures/certs";

let client: IAMClient;
let creds: Creds;

beforeAll(async () => {
  ({ iam: client, creds } = await withAccount());
});

const upload = (CertificateBody: string, UserName?: string) =>
  client.send(new UploadSigningCertificateCommand({ UserName, CertificateBody }));
/** A fresh RSA certificate (openssl), or the checked-in one when openssl is missing (usable once per account). */
const freshCert = () => (hasOpenssl ? selfSigned().cert : FIXTURE_CERT);

describe("UploadSigningCertificate", () => {
  it("takes an X.509 PEM certificate and answers AWS's members", async () => {
    await client.send(new CreateUserCommand({ UserName: "signer" }));
    const body = freshCert();
    const c = (await upload(body, "signer")).Certificate!;
    expect(c.UserName).toBe("signer");
    expect(c.CertificateId).toMatch(/^[A-Z2-7]{32}$/);
    expect(c.CertificateBody).toBe(body);
    expect(c.Status).toBe("Active");
    expect(c.UploadDate).toBeInstanceOf(Date);
    const list = await client.send(new ListSigningCertificatesCommand({ UserName: "signer" }));
    expect(list.Certificates).toEqual([c]);
    expect(list.IsTruncated).toBe(false);
  });

  it("refuses what is not a certificate, expired and not-yet-valid ones, and the same certificate twice in the account", async () => {
    await client.send(new CreateUserCommand({ UserName: "strict" }));
    const malformed = "Unable to parse certificate. Please ensure the certificate is in PEM format.";
    await expectAwsError(upload("hello", "strict"), "MalformedCertificate", 400, malformed);
    await expectAwsError(upload(rsaKey(2048).spki, "strict"), "MalformedCertificate", 400, malformed);
    await expectAwsError(upload("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "strict"), "MalformedCertificate", 400);
    await expectAwsError(upload(fixtureCert("expired-cert"), "strict"), "InvalidCertificate", 400, /expired/);
    await expectAwsError(upload(fixtureCert("not-yet-valid-cert"), "strict"), "InvalidCertificate", 400, /not valid before/);
    const body = freshCert();
    await upload(body, "strict");
    await client.send(new CreateUserCommand({ UserName: "copycat" }));
    await expectAwsError(upload(body, "copycat"), "DuplicateCertificate", 409);
    await expectAwsError(upload(freshCert(), "nobody"), "NoSuchEntity", 404, "The user with name nobody cannot be found.");
  });

  it.skipIf(!hasOpenssl)("refuses a non-RSA key, and a third certificate for a user (LimitExceeded)", async () => {
    await client.send(new CreateUserCommand({ UserName: "two" }));
    await expectAwsError(upload(selfSigned({ keyType: "ec" }).cert, "two"), "InvalidCertificate", 400);
    await upload(selfSigned().cert, "two");
    await upload(selfSigned().cert, "two");
    await expectAwsError(upload(selfSigned().cert, "two"), "LimitExceeded", 409, "Cannot exceed quota for SigningCertificatesPerUser: 2");
  });
});

describe("the root user's certificates, updates, deletes", () => {
  it.skipIf(!hasOpenssl)("root uploads and lists its own without UserName; GetAccountSummary shows them", async () => {
    const { iam: rootClient } = await withAccount();
    const before = (await rootClient.send(new GetAccountSummaryCommand({}))).SummaryMap!;
    expect(before.AccountSigningCertificatesPresent).toBe(0);
    const c = (await rootClient.send(new UploadSigningCertificateCommand({ CertificateBody: selfSigned().cert }))).Certificate!;
    expect(c.UserName).toBeUndefined();
    const list = await rootClient.send(new ListSigningCertificatesCommand({}));
    expect(list.Certificates!.map((x) => x.CertificateId)).toEqual([c.CertificateId]);
    const after = (await rootClient.send(new GetAccountSummaryCommand({}))).SummaryMap!;
    expect(after.AccountSigningCertificatesPresent).toBe(1);
    expect(after.SigningCertificatesPerUserQuota).toBe(2);
  });

  it("sets Inactive, deletes, and DeleteUser conflicts while a certificate remains", async () => {
    await client.send(new CreateUserCommand({ UserName: "gone" }));
    const id = (await upload(freshCert(), "gone")).Certificate!.CertificateId!;
    await client.send(new UpdateSigningCertificateCommand({ UserName: "gone", CertificateId: id, Status: "Inactive" }));
    expect((await client.send(new ListSigningCertificatesCommand({ UserName: "gone" }))).Certificates![0]!.Status).toBe("Inactive");
    await expectAwsError(client.send(new DeleteUserCommand({ UserName: "gone" })), "DeleteConflict", 409, /signing certificates/);
    await client.send(new DeleteSigningCertificateCommand({ UserName: "gone", CertificateId: id }));
    await expectAwsError(
      client.send(new DeleteSigningCertificateCommand({ UserName: "gone", CertificateId: id })),
      "NoSuchEntity",
      404,
      `The Certificate with id ${id} cannot be found.`,
    );
    await expectAwsError(
      client.send(new UpdateSigningCertificateCommand({ UserName: "gone", CertificateId: "SHORT", Status: "Active" })),
      "ValidationError",
      400,
    );
    await client.send(new DeleteUserCommand({ UserName: "gone" }));
  });
});

describe.skipIf(!hasOpenssl)("the credential report's certificate columns", () => {
  it("fills cert_1_active/last_rotated and cert_2_* from the user's certificates", async () => {
    const { iam: c } = await withAccount();
    await c.send(new CreateUserCommand({ UserName: "certy" }));
    const first = (await c.send(new UploadSigningCertificateCommand({ UserName: "certy", CertificateBody: selfSigned().cert })))
      .Certificate!;
    const second = (await c.send(new UploadSigningCertificateCommand({ UserName: "certy", CertificateBody: selfSigned().cert })))
      .Certificate!;
    await c.send(new UpdateSigningCertificateCommand({ UserName: "certy", CertificateId: second.CertificateId, Status: "Inactive" }));
    await waitFor(async () => (await c.send(new GenerateCredentialReportCommand({}))).State === "COMPLETE", {
      timeoutMs: 10_000,
      what: "credential report",
    });
    const csv = new TextDecoder().decode((await c.send(new GetCredentialReportCommand({}))).Content!);
    const [header, ...lines] = csv
      .trim()
      .split("\n")
      .map((l) => l.split(","));
    const row = lines.find((l) => l[0] === "certy")!;
    const col = (name: string) => row[header!.indexOf(name)];
    const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "+00:00");
    expect(col("cert_1_active")).toBe("true");
    expect(col("cert_1_last_rotated")).toBe(iso(first.UploadDate!));
    expect(col("cert_2_active")).toBe("false");
    expect(col("cert_2_last_rotated")).toBe(iso(second.UploadDate!));
    const root = lines.find((l) => l[0] === "<root_account>")!;
    expect(root[header!.indexOf("cert_1_active")]).toBe("false");
    expect(root[header!.indexOf("cert_1_last_rotated")]).toBe("N/A");
  });
});

describe.skipIf(!hasAwsCli || !hasOpenssl)("the AWS CLI", () => {
  it("uploads a certificate from a file and lists it", async () => {
    await client.send(new CreateUserCommand({ UserName: "cli-signer" }));
    const file = join(mkdtempSync(join(tmpdir(), "iamlab-cli-")), "cert.pem");
    writeFileSync(file, selfSigned().cert);
    const up = await awsCli<{ Certificate: { CertificateId: string; UserName: string } }>(
      creds,
      "iam",
      "upload-signing-certificate",
      "--user-name",
      "cli-signer",
      "--certificate-body",
      `file://${file}`,
    );
    expect(up.Certificate.UserName).toBe("cli-signer");
    const list = await awsCli<{ Certificates: { CertificateId: string }[] }>(
      creds,
      "iam",
      "list-signing-certificates",
      "--user-name",
      "cli-signer",
    );
    expect(list.Certificates.map((x) => x.CertificateId)).toEqual([up.Certificate.CertificateId]);
  });
});
