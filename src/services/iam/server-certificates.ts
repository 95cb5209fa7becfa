/**
 * Server certificates: Upload/Get/List/Update/DeleteServerCertificate and Tag/Untag/ListServerCertificateTags.
 * Upload parses the certificate body, the private key (PKCS#1, PKCS#8 or SEC1 PEM, unencrypted) and
 * the optional chain, and checks that the key belongs to the certificate (KeyPairMismatch); the key
 * is never stored. ARN `arn:aws:iam::<account>:server-certificate<path><name>`, id ASCA….
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { iamArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import { keysMatch, parseCertificateChain, parseCertificatePem, parsePrivateKeyPem } from "../../lib/x509";
import * as store from "../../store/iam-server-certificates";
import type { ServerCertificateRow } from "../../store/iam-server-certificates";
import { listTags } from "../../store/tags";
import {
  DEFAULT_MAX_ITEMS,
  bodyText,
  createdOrThrow,
  decodeMarker,
  page,
  paging,
  pathPrefix,
  requestTagContext,
  validateTags,
} from "./common";
import { certificateErrors } from "./signing-certificates";
import { listEntityTags, tagEntity, tagKeysInput, tagsInput, untagEntity, type TaggedEntity } from "./tags";

const certificateName = () => ({ ...common.name(128), required: true as const });

// NoSuchEntity / EntityAlreadyExists worded as AWS words them for the other IAM entities; the
// private-key, chain and mismatch messages are not documented by AWS (after its exception descriptions).
export const serverCertificateErrors = {
  notFound: (name: string) => errors.noSuchEntity(`The Server Certificate with name ${name} cannot be found.`),
  exists: (name: string) => errors.entityAlreadyExists(`The Server Certificate with name ${name} already exists.`),
  badKey: () =>
    new AwsError("MalformedCertificate", "Unable to parse private key. Please ensure the private key is in unencrypted PEM format.", 400),
  badChain: () => new AwsError("MalformedCertificate", "Unable to parse certificate chain. Please ensure the chain is in PEM format.", 400),
  mismatch: () => new AwsError("KeyPairMismatch", "The public key certificate and the private key do not match.", 400),
};

const arnOf = (account: string, path: string, name: string) => iamArn(account, "server-certificate", path, name);

function metadataView(c: ServerCertificateRow) {
  return {
    Path: c.path,
    ServerCertificateName: c.name,
    ServerCertificateId: c.serverCertificateId,
    Arn: c.arn,
    UploadDate: c.uploadDate,
    Expiration: c.expiration,
  };
}

/** The load step of the actions on one certificate. */
const findCertificate = (ctx: ActionContext, name: string) => store.getServerCertificate(ctx.db, ctx.caller.principal.account, name);

/** The ARN to authorize: the certificate's, or the path-less one of a missing certificate. */
const certificateTarget = (ctx: ActionContext, name: string, c: ServerCertificateRow | undefined) => ({
  resource: c?.arn ?? arnOf(ctx.caller.principal.account, "/", name),
});

const tagged = (ctx: ActionContext, c: ServerCertificateRow | undefined): TaggedEntity | undefined =>
  c ? { kind: "server-certificate", accountId: ctx.caller.principal.account, id: c.serverCertificateId } : undefined;

export const UploadServerCertificate = defineAction({
  service: "iam",
  name: "UploadServerCertificate",
  effect: "write",
  input: {
    Path: common.path(),
    ServerCertificateName: certificateName(),
    CertificateBody: bodyText(16384),
    PrivateKey: bodyText(16384),
    CertificateChain: { ...bodyText(2097152), required: false as const },
    Tags: common.tags(),
  },
  target: (i, ctx) => ({
    resource: arnOf(ctx.caller.principal.account, i.Path ?? "/", i.ServerCertificateName),
    context: requestTagContext(i.Tags),
  }),
  handler: async (i, ctx) => {
    const tags = i.Tags ?? [];
    validateTags(tags);
    const cert = parseCertificatePem(i.CertificateBody);
    if (!cert || cert.publicKey.kind === "other") throw certificateErrors.malformed();
    const key = await parsePrivateKeyPem(i.PrivateKey);
    if (!key.ok) throw serverCertificateErrors.badKey();
    if (!keysMatch(cert.publicKey, key.publicKey)) throw serverCertificateErrors.mismatch();
    if (i.CertificateChain !== undefined && !parseCertificateChain(i.CertificateChain)) throw serverCertificateErrors.badChain();
    // IAM keeps expired certificates (its guide has you delete them), so validity is not checked here.
    const account = ctx.caller.principal.account;
    const path = i.Path ?? "/";
    const row: ServerCertificateRow = {
      serverCertificateId: newUniqueId("ASCA"),
      name: i.ServerCertificateName,
      path,
      arn: arnOf(account, path, i.ServerCertificateName),
      body: i.CertificateBody,
      chain: i.CertificateChain ?? null,
      uploadDate: isoSeconds(ctx.request.now),
      expiration: isoSeconds(cert.notAfter),
    };
    createdOrThrow(
      await store.uploadServerCertificate(ctx.write, row, tags),
      () => serverCertificateErrors.exists(i.ServerCertificateName),
      "ServerCertificatesPerAccount",
    );
    return { ServerCertificateMetadata: metadataView(row), Tags: tags.length ? tags : undefined };
  },
});

export const GetServerCertificate = defineAction({
  service: "iam",
  name: "GetServerCertificate",
  effect: "read",
  input: { ServerCertificateName: certificateName() },
  load: (i, ctx) => findCertificate(ctx, i.ServerCertificateName),
  target: (i, ctx, c) => certificateTarget(ctx, i.ServerCertificateName, c),
  handler: async (i, ctx, c) => {
    if (!c) throw serverCertificateErrors.notFound(i.ServerCertificateName);
    const tags = await listTags(ctx.db, ctx.caller.principal.account, "server-certificate", c.serverCertificateId);
    return {
      ServerCertificate: {
        ServerCertificateMetadata: metadataView(c),
        CertificateBody: c.body,
        CertificateChain: c.chain ?? undefined,
        Tags: tags.length ? tags : undefined,
      },
    };
  },
});

export const ListServerCertificates = defineAction({
  service: "iam",
  name: "ListServerCertificates",
  effect: "read",
  input: { PathPrefix: pathPrefix(), ...paging },
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const rows = await store.listServerCertificates(ctx.db, ctx.caller.principal.account, {
      pathPrefix: i.PathPrefix,
      afterNameLower: decodeMarker(i.Marker),
      limit: max + 1,
    });
    const p = page(rows, max, (r) => r.nameLower);
    return { ServerCertificateMetadataList: p.items.map(metadataView), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
});

export const UpdateServerCertificate = defineAction({
  service: "iam",
  name: "UpdateServerCertificate",
  effect: "write",
  input: { ServerCertificateName: certificateName(), NewPath: common.path(), NewServerCertificateName: common.name(128, false) },
  load: (i, ctx) => findCertificate(ctx, i.ServerCertificateName),
  target: (i, ctx, c) => certificateTarget(ctx, i.ServerCertificateName, c),
  handler: async (i, ctx, c) => {
    if (!c) throw serverCertificateErrors.notFound(i.ServerCertificateName);
    const newName = i.NewServerCertificateName ?? c.name;
    const newPath = i.NewPath ?? c.path;
    const r = await store.updateServerCertificate(ctx.write, i.ServerCertificateName, {
      newName,
      newPath,
      newArn: arnOf(ctx.caller.principal.account, newPath, newName),
    });
    if (r === "notFound") throw serverCertificateErrors.notFound(i.ServerCertificateName);
    if (r === "exists") throw serverCertificateErrors.exists(newName);
    return undefined;
  },
});

export const DeleteServerCertificate = defineAction({
  service: "iam",
  name: "DeleteServerCertificate",
  effect: "write",
  input: { ServerCertificateName: certificateName() },
  load: (i, ctx) => findCertificate(ctx, i.ServerCertificateName),
  target: (i, ctx, c) => certificateTarget(ctx, i.ServerCertificateName, c),
  handler: async (i, ctx) => {
    if (!(await store.deleteServerCertificate(ctx.write, i.ServerCertificateName)))
      throw serverCertificateErrors.notFound(i.ServerCertificateName);
    return undefined;
  },
});

export const TagServerCertificate = defineAction({
  service: "iam",
  name: "TagServerCertificate",
  effect: "write",
  input: { ServerCertificateName: certificateName(), ...tagsInput() },
  load: (i, ctx) => findCertificate(ctx, i.ServerCertificateName),
  target: (i, ctx, c) => ({ ...certificateTarget(ctx, i.ServerCertificateName, c), context: requestTagContext(i.Tags) }),
  handler: (i, ctx, c) => tagEntity(ctx, tagged(ctx, c), i.Tags, () => serverCertificateErrors.notFound(i.ServerCertificateName)),
});

export const UntagServerCertificate = defineAction({
  service: "iam",
  name: "UntagServerCertificate",
  effect: "write",
  input: { ServerCertificateName: certificateName(), ...tagKeysInput() },
  load: (i, ctx) => findCertificate(ctx, i.ServerCertificateName),
  target: (i, ctx, c) => ({ ...certificateTarget(ctx, i.ServerCertificateName, c), context: { "aws:TagKeys": i.TagKeys } }),
  handler: (i, ctx, c) => untagEntity(ctx, tagged(ctx, c), i.TagKeys, () => serverCertificateErrors.notFound(i.ServerCertificateName)),
});

export const ListServerCertificateTags = defineAction({
  service: "iam",
  name: "ListServerCertificateTags",
  effect: "read",
  input: { ServerCertificateName: certificateName(), ...paging },
  load: (i, ctx) => findCertificate(ctx, i.ServerCertificateName),
  target: (i, ctx, c) => certificateTarget(ctx, i.ServerCertificateName, c),
  handler: (i, ctx, c) => listEntityTags(ctx, tagged(ctx, c), i, () => serverCertificateErrors.notFound(i.ServerCertificateName)),
});

export const serverCertificateActions: RegisteredAction[] = [
  UploadServerCertificate,
  GetServerCertificate,
  ListServerCertificates,
  UpdateServerCertificate,
  DeleteServerCertificate,
  TagServerCertificate,
  UntagServerCertificate,
  ListServerCertificateTags,
];
