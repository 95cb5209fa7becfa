/**
 * SSH public keys of IAM users (for CodeCommit): Upload/Get/List/Update/DeleteSSHPublicKey.
 * Keys are RSA of at least 2048 bits, in OpenSSH `ssh-rsa` or PEM form; GetSSHPublicKey converts
 * between the two. The Fingerprint is the MD5 of the OpenSSH key blob (colon hex), as AWS shows it.
 * Error messages AWS's documentation does not give are worded after its exception descriptions.
 */
import { defineAction, type RegisteredAction } from "../action";
import { common, s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { isoSeconds } from "../../lib/clock";
import { newSshPublicKeyId } from "../../lib/ids";
import { parsePublicKey, sshFingerprint, toPemEncoding, toSshEncoding } from "../../lib/public-keys";
import * as store from "../../store/iam-ssh-keys";
import { DEFAULT_MAX_ITEMS, bodyText, decodeMarker, notFound, page, paging } from "./common";
import { loadOwner } from "./credential-owner";

const userName = () => ({ ...common.name(128), required: true as const });
const optionalUserName = () => common.name(128, false);
const sshKeyId = () => s.string({ required: true, min: 20, max: 128, pattern: /^[\w]+$/, patternText: "[\\w]+" });
export const MIN_SSH_KEY_BITS = 2048;

export const sshErrors = {
  unrecognized: () => new AwsError("UnrecognizedPublicKeyEncoding", "The public key encoding format is unsupported or unrecognized.", 400),
  invalid: () => new AwsError("InvalidPublicKey", "The public key is malformed or otherwise invalid.", 400),
  tooShort: (bits: number) =>
    new AwsError("InvalidPublicKey", `The public key must be at least ${MIN_SSH_KEY_BITS} bits long; this key has ${bits} bits.`, 400),
  duplicate: () => new AwsError("DuplicateSSHPublicKey", "The SSH public key is already associated with the specified IAM user.", 400),
  limit: () => errors.limitExceeded(`Cannot exceed quota for SSHPublicKeysPerUser: ${store.SSH_KEYS_PER_USER}`),
  noKey: (id: string) => errors.noSuchEntity(`The Public Key with id ${id} cannot be found.`),
};

function keyView(k: store.SshKeyRow, body: string) {
  return {
    UserName: k.userName,
    SSHPublicKeyId: k.sshPublicKeyId,
    Fingerprint: k.fingerprint,
    SSHPublicKeyBody: body,
    Status: k.status,
    UploadDate: k.uploadDate,
  };
}

function writeError(r: store.SshKeyWriteResult, user: string, id: string): AwsError {
  return !r.ok && r.reason === "noUser" ? notFound.user(user) : sshErrors.noKey(id);
}

export const UploadSSHPublicKey = defineAction({
  service: "iam",
  name: "UploadSSHPublicKey",
  effect: "write",
  input: { UserName: userName(), SSHPublicKeyBody: bodyText(16384) },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx) => {
    const parsed = parsePublicKey(i.SSHPublicKeyBody);
    if (!parsed.ok) throw parsed.reason === "unrecognized" ? sshErrors.unrecognized() : sshErrors.invalid();
    if (parsed.bits < MIN_SSH_KEY_BITS) throw sshErrors.tooShort(parsed.bits);
    const r = await store.uploadSshKey(ctx.write, i.UserName, {
      sshPublicKeyId: newSshPublicKeyId(),
      body: i.SSHPublicKeyBody,
      fingerprint: await sshFingerprint(parsed.key),
      uploadDate: isoSeconds(ctx.request.now),
    });
    if (!r.ok) {
      if (r.reason === "noUser") throw notFound.user(i.UserName);
      throw r.reason === "duplicate" ? sshErrors.duplicate() : sshErrors.limit();
    }
    return { SSHPublicKey: keyView(r.key, r.key.body) };
  },
});

export const GetSSHPublicKey = defineAction({
  service: "iam",
  name: "GetSSHPublicKey",
  effect: "read",
  input: { UserName: userName(), SSHPublicKeyId: sshKeyId(), Encoding: s.string({ required: true, enum: ["SSH", "PEM"] }) },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx, o) => {
    const k = await store.getSshKey(ctx.db, ctx.caller.principal.account, i.UserName, i.SSHPublicKeyId);
    if (!k) throw o.exists ? sshErrors.noKey(i.SSHPublicKeyId) : notFound.user(i.UserName);
    const parsed = parsePublicKey(k.body);
    if (!parsed.ok) throw errors.serviceFailure(); // stored keys were parsed on upload
    // The body as uploaded when it is already in the asked encoding, else converted.
    const body = parsed.encoding === i.Encoding ? k.body : i.Encoding === "SSH" ? toSshEncoding(parsed.key) : toPemEncoding(parsed.key);
    return { SSHPublicKey: keyView(k, body) };
  },
});

export const ListSSHPublicKeys = defineAction({
  service: "iam",
  name: "ListSSHPublicKeys",
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
    const rows = await store.listSshKeys(ctx.db, ctx.caller.principal.account, owner, { after, limit: max + 1 });
    if (!rows) throw notFound.user(owner.kind === "user" ? owner.userName : "");
    const p = page(rows, max, (k) => `${k.uploadDate} ${k.sshPublicKeyId}`);
    return {
      SSHPublicKeys: p.items.map((k) => ({
        UserName: k.userName,
        SSHPublicKeyId: k.sshPublicKeyId,
        Status: k.status,
        UploadDate: k.uploadDate,
      })),
      IsTruncated: p.IsTruncated,
      Marker: p.Marker,
    };
  },
});

export const UpdateSSHPublicKey = defineAction({
  service: "iam",
  name: "UpdateSSHPublicKey",
  effect: "write",
  input: {
    UserName: userName(),
    SSHPublicKeyId: sshKeyId(),
    Status: s.string({ required: true, enum: ["Active", "Inactive", "Expired"] }),
  },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx) => {
    // "Expired" is a status AWS only reports; not confirmed what AWS answers when it is set.
    if (i.Status === "Expired") throw errors.invalidInput("SSH public keys can only be set to Active or Inactive.");
    const r = await store.updateSshKeyStatus(ctx.write, i.UserName, i.SSHPublicKeyId, i.Status);
    if (!r.ok) throw writeError(r, i.UserName, i.SSHPublicKeyId);
    return undefined;
  },
});

export const DeleteSSHPublicKey = defineAction({
  service: "iam",
  name: "DeleteSSHPublicKey",
  effect: "write",
  input: { UserName: userName(), SSHPublicKeyId: sshKeyId() },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (_i, _ctx, o) => ({ resource: o.resource }),
  handler: async (i, ctx) => {
    const r = await store.deleteSshKey(ctx.write, i.UserName, i.SSHPublicKeyId);
    if (!r.ok) throw writeError(r, i.UserName, i.SSHPublicKeyId);
    return undefined;
  },
});

export const sshKeyActions: RegisteredAction[] = [
  UploadSSHPublicKey,
  GetSSHPublicKey,
  ListSSHPublicKeys,
  UpdateSSHPublicKey,
  DeleteSSHPublicKey,
];
