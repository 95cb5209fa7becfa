/**
 * Service-specific credentials: Create/List/Reset/Update/DeleteServiceSpecificCredential.
 * CodeCommit and Amazon Keyspaces get a user name (`<user>-at-<account>`) and a password; Amazon
 * Bedrock and CloudWatch Logs an API key (an alias and a secret) that may expire after
 * CredentialAgeDays. The secret is in the Create / Reset answer only and is not kept. At most 2
 * per user per service. The condition keys iam:ServiceSpecificCredentialServiceName and
 * iam:ServiceSpecificCredentialAgeDays reach the policy engine.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common, s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import { toBase64 } from "../../lib/encoding";
import { iamArn } from "../../lib/arn";
import * as store from "../../store/iam-service-credentials";
import type { ServiceCredentialRow } from "../../store/iam-service-credentials";
import type { CredentialOwner } from "../../store/iam-credential-owner";
import { DEFAULT_MAX_ITEMS, decodeMarker, notFound, page, paging } from "./common";
import { loadOwner, ownerLabel, type LoadedOwner } from "./credential-owner";

/** The services AWS issues these credentials for (IAM API reference), and the kind each gets. */
export const CREDENTIAL_SERVICES: Record<string, "password" | "apiKey"> = {
  "codecommit.amazonaws.com": "password",
  "cassandra.amazonaws.com": "password",
  "bedrock.amazonaws.com": "apiKey",
  "logs.amazonaws.com": "apiKey",
};

const credentialId = () => s.string({ required: true, min: 20, max: 128, pattern: /^[\w]+$/, patternText: "[\\w]+" });
const optionalUserName = () => common.name(128, false);
const DAY_MS = 86_400_000;

// Messages AWS does not document are worded after its exception descriptions.
export const credentialErrors = {
  notSupported: () => new AwsError("NotSupportedService", "The specified service does not support service-specific credentials.", 404),
  limit: () =>
    errors.limitExceeded(`Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: ${store.CREDENTIALS_PER_USER_PER_SERVICE}`),
  noCredential: (id: string) => errors.noSuchEntity(`No such credential ${id} exists`),
  ageNotAllowed: () => errors.invalidInput("CredentialAgeDays is only valid for Bedrock and CloudWatch Logs API keys."),
};

const randomBase64 = (bytes: number) => toBase64(crypto.getRandomValues(new Uint8Array(bytes)));

/** The secret of a new or reset credential: a password, or an API key (`ABSK` + base64 of `<alias>:<random>`, the form of Bedrock's long-term keys). */
function secretFor(c: Pick<ServiceCredentialRow, "serviceName" | "credentialAlias">): {
  ServicePassword?: string;
  ServiceCredentialSecret?: string;
} {
  if (CREDENTIAL_SERVICES[c.serviceName] === "apiKey")
    return { ServiceCredentialSecret: `ABSK${btoa(`${c.credentialAlias ?? ""}:${randomBase64(30)}`)}` };
  return { ServicePassword: randomBase64(33) };
}

/** What AWS reports as the status: Expired once an API key's expiration date has passed. */
const statusAt = (c: ServiceCredentialRow, now: number) => (c.expirationDate && Date.parse(c.expirationDate) <= now ? "Expired" : c.status);

function metadataView(c: ServiceCredentialRow, now: number) {
  return {
    UserName: c.userName,
    Status: statusAt(c, now),
    ServiceUserName: c.serviceUserName ?? undefined,
    ServiceCredentialAlias: c.credentialAlias ?? undefined,
    CreateDate: c.createDate,
    ExpirationDate: c.expirationDate ?? undefined,
    ServiceSpecificCredentialId: c.credentialId,
    ServiceName: c.serviceName,
  };
}

/** The ServiceSpecificCredential element of Create / Reset, with the secret. */
function credentialView(c: ServiceCredentialRow, now: number) {
  const secret = secretFor(c);
  return {
    CreateDate: c.createDate,
    ExpirationDate: c.expirationDate ?? undefined,
    ServiceName: c.serviceName,
    ServiceUserName: c.serviceUserName ?? undefined,
    ServicePassword: secret.ServicePassword,
    ServiceCredentialAlias: c.credentialAlias ?? undefined,
    ServiceCredentialSecret: secret.ServiceCredentialSecret,
    ServiceSpecificCredentialId: c.credentialId,
    UserName: c.userName,
    Status: statusAt(c, now),
  };
}

/** The load step of the actions on one credential: its owner and, when it exists, the credential (for the service-name condition key). */
async function loadCredential(
  ctx: ActionContext,
  userName: string | undefined,
  id: string,
): Promise<LoadedOwner & { credential?: ServiceCredentialRow }> {
  const o = await loadOwner(ctx, userName);
  const credential = o.exists ? await store.getServiceCredential(ctx.db, ctx.caller.principal.account, o.owner, id) : undefined;
  return { ...o, credential };
}

const serviceContext = (c: ServiceCredentialRow | undefined) =>
  c ? { "iam:ServiceSpecificCredentialServiceName": c.serviceName } : undefined;

function missing(o: { owner: CredentialOwner; exists: boolean }, ctx: ActionContext, id: string): AwsError {
  return o.exists ? credentialErrors.noCredential(id) : notFound.user(ownerLabel(ctx, o.owner));
}

export const CreateServiceSpecificCredential = defineAction({
  service: "iam",
  name: "CreateServiceSpecificCredential",
  effect: "write",
  input: {
    UserName: { ...common.name(128), required: true as const },
    ServiceName: s.string({ required: true }),
    CredentialAgeDays: s.integer({ min: 1, max: 36600 }),
  },
  load: (i, ctx) => loadOwner(ctx, i.UserName),
  target: (i, _ctx, o) => ({
    resource: o.resource,
    context: {
      "iam:ServiceSpecificCredentialServiceName": i.ServiceName,
      ...(i.CredentialAgeDays !== undefined ? { "iam:ServiceSpecificCredentialAgeDays": String(i.CredentialAgeDays) } : {}),
    },
  }),
  handler: async (i, ctx, o) => {
    const kind = CREDENTIAL_SERVICES[i.ServiceName];
    if (!kind) throw credentialErrors.notSupported();
    if (i.CredentialAgeDays !== undefined && kind !== "apiKey") throw credentialErrors.ageNotAllowed();
    const account = ctx.caller.principal.account;
    const now = ctx.request.now;
    // The generated name and alias carry the user's name as stored (the request may use another case).
    const generated = `${o.userName ?? i.UserName}-at-${account}`;
    const r = await store.createServiceCredential(ctx.write, i.UserName, {
      credentialId: newUniqueId("ACCA"),
      serviceName: i.ServiceName,
      createDate: isoSeconds(now),
      serviceUserName: kind === "password" ? generated : null,
      credentialAlias: kind === "apiKey" ? generated : null,
      expirationDate: i.CredentialAgeDays !== undefined ? isoSeconds(now + i.CredentialAgeDays * DAY_MS) : null,
    });
    if (!r.ok) throw r.reason === "noUser" ? notFound.user(i.UserName) : credentialErrors.limit();
    return { ServiceSpecificCredential: credentialView(r.credential, now) };
  },
});

export const ListServiceSpecificCredentials = defineAction({
  service: "iam",
  name: "ListServiceSpecificCredentials",
  effect: "read",
  input: { UserName: optionalUserName(), ServiceName: s.string(), AllUsers: s.boolean(), ...paging },
  load: async (i, ctx) => {
    if (i.AllUsers && i.UserName === undefined) return undefined;
    return loadOwner(ctx, i.UserName);
  },
  // AllUsers lists every user's credentials: authorized against all users of the account (AWS's resource for it is not documented).
  target: (_i, ctx, o) => ({ resource: o?.resource ?? iamArn(ctx.caller.principal.account, "user", "/", "*") }),
  handler: async (i, ctx, o) => {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const m = decodeMarker(i.Marker);
    let after: { createDate: string; id: string } | undefined;
    if (m !== undefined) {
      const [createDate, id] = m.split(" ");
      if (!createDate || !id) throw errors.validation("Invalid Marker.");
      after = { createDate, id };
    }
    const rows = await store.listServiceCredentials(ctx.db, ctx.caller.principal.account, {
      owner: o?.owner,
      serviceName: i.ServiceName,
      after,
      limit: max + 1,
    });
    if (!rows) throw notFound.user(o ? ownerLabel(ctx, o.owner) : "");
    const p = page(rows, max, (c) => `${c.createDate} ${c.credentialId}`);
    return {
      ServiceSpecificCredentials: p.items.map((c) => metadataView(c, ctx.request.now)),
      Marker: p.Marker,
      IsTruncated: p.IsTruncated,
    };
  },
});

export const ResetServiceSpecificCredential = defineAction({
  service: "iam",
  name: "ResetServiceSpecificCredential",
  effect: "write",
  input: { UserName: optionalUserName(), ServiceSpecificCredentialId: credentialId() },
  load: (i, ctx) => loadCredential(ctx, i.UserName, i.ServiceSpecificCredentialId),
  target: (_i, _ctx, o) => ({ resource: o.resource, context: serviceContext(o.credential) }),
  handler: (i, ctx, o) => {
    // Nothing is stored of the secret: a reset only hands out a new one.
    if (!o.credential) throw missing(o, ctx, i.ServiceSpecificCredentialId);
    return { ServiceSpecificCredential: credentialView(o.credential, ctx.request.now) };
  },
});

export const UpdateServiceSpecificCredential = defineAction({
  service: "iam",
  name: "UpdateServiceSpecificCredential",
  effect: "write",
  input: {
    UserName: optionalUserName(),
    ServiceSpecificCredentialId: credentialId(),
    Status: s.string({ required: true, enum: ["Active", "Inactive", "Expired"] }),
  },
  load: (i, ctx) => loadCredential(ctx, i.UserName, i.ServiceSpecificCredentialId),
  target: (_i, _ctx, o) => ({ resource: o.resource, context: serviceContext(o.credential) }),
  handler: async (i, ctx, o) => {
    // "Expired" is only reported (an API key past its expiration date); what AWS answers when it is set is not confirmed.
    if (i.Status === "Expired") throw errors.invalidInput("Service-specific credentials can only be set to Active or Inactive.");
    const r = await store.updateServiceCredentialStatus(ctx.write, o.owner, i.ServiceSpecificCredentialId, i.Status);
    if (!r.ok) throw missing({ owner: o.owner, exists: r.reason !== "noUser" }, ctx, i.ServiceSpecificCredentialId);
    return undefined;
  },
});

export const DeleteServiceSpecificCredential = defineAction({
  service: "iam",
  name: "DeleteServiceSpecificCredential",
  effect: "write",
  input: { UserName: optionalUserName(), ServiceSpecificCredentialId: credentialId() },
  load: (i, ctx) => loadCredential(ctx, i.UserName, i.ServiceSpecificCredentialId),
  target: (_i, _ctx, o) => ({ resource: o.resource, context: serviceContext(o.credential) }),
  handler: async (i, ctx, o) => {
    const r = await store.deleteServiceCredential(ctx.write, o.owner, i.ServiceSpecificCredentialId);
    if (!r.ok) throw missing({ owner: o.owner, exists: r.reason !== "noUser" }, ctx, i.ServiceSpecificCredentialId);
    return undefined;
  },
});

export const serviceCredentialActions: RegisteredAction[] = [
  CreateServiceSpecificCredential,
  ListServiceSpecificCredentials,
  ResetServiceSpecificCredential,
  UpdateServiceSpecificCredential,
  DeleteServiceSpecificCredential,
];
