/**
 * X.509 signing certificates: Upload/List/Update/DeleteSigningCertificate. Without UserName the
 * caller's own are meant — an IAM user's, or the root user's (AWS lets root manage its own) —
 * and temporary credentials get AWS's ValidationError. The certificate is parsed (MalformedCertificate
 * when it is not one PEM certificate) and checked (InvalidCertificate when expired, not yet valid or
 * not an RSA key); the same certificate twice in an account is DuplicateCertificate.
 */
import { defineAction, type RegisteredAction } from "../action";
import { common, s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { isoSeconds } from "../../lib/clock";
import { newSigningCertificateId } from "../../lib/ids";
import { certificateFingerprint, parseCertificatePem, type Certificate } from "../../lib/x509";
import * as store from "../../store/iam-signing-certificates";
import type { CredentialOwner } from "../../store/iam-credential-owner";
import { DEFAULT_MAX_ITEMS, bodyText, decodeMarker, notFound, page, paging } from "./common";
import { loadOwner, ownerLabel } from "./credential-owner";

const certificateId = () => s.string({ required: true, min: 24, max: 128, pattern: /^[\w]+$/, patternText: "[\\w]+" });
const optionalUserName = () => common.name(128, false);

export const certificateErrors = {
  // AWS's message for an unparsable certificate, as its CLI users have quoted it.
  malformed: () =>
    new AwsError("MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format.", 400),
  // The next messages are not documented by AWS; worded after its exception descriptions.
  expired: (date: string) => new AwsError("InvalidCertificate", `The certificate expired on ${date}.`, 400),
  notYetValid: (date: string) => new AwsError("InvalidCertificate", `The certificate is not valid before ${date}.`, 400),
  unsupportedKey: () => new AwsError("InvalidCertificate", "The certificate's public key algorithm is not supported.", 400),
  duplicate: () => new AwsError("DuplicateCertificate", "The same certificate is already associated with an IAM user in the account.", 409),
  limit: () => errors.limitExceeded(`Cannot exceed quota for SigningCertificatesPerUser: ${store.SIGNING_CERTIFICATES_PER_USER}`),
  noCertificate: (id: string) => errors.noSuchEntity(`The Certificate with id ${id} cannot be found.`),
};

/** Parsed and within its validity at `now`, or AWS's error. */
export function validCertificate(body: string, now: number): Certificate {
  const cert = parseCertificatePem(body);
  if (!cert) throw certificateErrors.malformed();
  if (now < cert.notBefore) throw certificateErrors.notYetValid(isoSeconds(cert.notBefore));
  if (now > cert.notAfter) throw certificateErrors.expired(isoSeconds(cert.notAfter));
  return cert;
}

function writeError(r: store.CertificateWriteResult, owner: CredentialOwner, id: string): AwsError {
  return !r.ok && r.reason === "noUser" && owner.kind === "user" ? notFound.user(owner.userName) : certificateErrors.noCertificate(id);
}

function certificateView(c: store.SigningCertificateRow) {
  return {
    UserName: c.userName ?? undefined,
    CertificateId: c.certificateId,
    CertificateBody: c.body,
    Status: c.status,
    UploadDate: c.uploadDate,
  };
}

export const UploadSigningCertificate = defineAction({
  service: "iam",
  name: "UploadSigningCertificate",
  effect: "write",
  input: { UserName: optionalUserName(), CertificateBody: bodyText(16384) },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx, { owner }) => {
    const cert = validCertificate(i.CertificateBody, ctx.request.now);
    // Signing certificates sign SOAP requests with RSA; other key types are refused (AWS's exact rule is not documented).
    if (cert.publicKey.kind !== "rsa") throw certificateErrors.unsupportedKey();
    const r = await store.uploadSigningCertificate(ctx.write, owner, {
      certificateId: newSigningCertificateId(),
      body: i.CertificateBody,
      fingerprint: await certificateFingerprint(cert),
      uploadDate: isoSeconds(ctx.request.now),
    });
    if (!r.ok) {
      if (r.reason === "noUser") throw notFound.user(ownerLabel(ctx, owner));
      throw r.reason === "duplicate" ? certificateErrors.duplicate() : certificateErrors.limit();
    }
    return { Certificate: certificateView(r.certificate) };
  },
});

export const ListSigningCertificates = defineAction({
  service: "iam",
  name: "ListSigningCertificates",
  effect: "read",
  input: { UserName: optionalUserName(), ...paging },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx, { owner }) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const m = decodeMarker(i.Marker);
    let after: { uploadDate: string; id: string } | undefined;
    if (m !== undefined) {
      const [uploadDate, id] = m.split(" ");
      if (!uploadDate || !id) throw errors.validation("Invalid Marker.");
      after = { uploadDate, id };
    }
    const rows = await store.listSigningCertificates(ctx.db, ctx.caller.principal.account, owner, { after, limit: max + 1 });
    if (!rows) throw notFound.user(ownerLabel(ctx, owner));
    const p = page(rows, max, (c) => `${c.uploadDate} ${c.certificateId}`);
    return {
      Certificates: p.items.map(certificateView),
      IsTruncated: p.IsTruncated,
      Marker: p.Marker,
    };
  },
});

export const UpdateSigningCertificate = defineAction({
  service: "iam",
  name: "UpdateSigningCertificate",
  effect: "write",
  input: {
    UserName: optionalUserName(),
    CertificateId: certificateId(),
    Status: s.string({ required: true, enum: ["Active", "Inactive", "Expired"] }),
  },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx, { owner }) => {
    // "Expired" is a status AWS only reports; what AWS answers when it is set is not confirmed.
    if (i.Status === "Expired") throw errors.invalidInput("Signing certificates can only be set to Active or Inactive.");
    const r = await store.updateSigningCertificateStatus(ctx.write, owner, i.CertificateId, i.Status);
    if (!r.ok) throw writeError(r, owner, i.CertificateId);
    return undefined;
  },
});

export const DeleteSigningCertificate = defineAction({
  service: "iam",
  name: "DeleteSigningCertificate",
  effect: "write",
  input: { UserName: optionalUserName(), CertificateId: certificateId() },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx, { owner }) => {
    const r = await store.deleteSigningCertificate(ctx.write, owner, i.CertificateId);
    if (!r.ok) throw writeError(r, owner, i.CertificateId);
    return undefined;
  },
});

export const signingCertificateActions: RegisteredAction[] = [
  UploadSigningCertificate,
  ListSigningCertificates,
  UpdateSigningCertificate,
  DeleteSigningCertificate,
];
