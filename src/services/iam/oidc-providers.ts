/**
 * IAM OpenID Connect providers: Create/Get/List/Delete, Add/RemoveClientIDToOpenIDConnectProvider,
 * UpdateOpenIDConnectProviderThumbprint and Tag/Untag/ListOpenIDConnectProviderTags.
 * A provider is named by its issuer URL: `arn:aws:iam::<account>:oidc-provider/<host/path>`
 * (the URL without `https://`, one provider per URL). Thumbprints are optional, as AWS made them
 * (it verifies the IdP's TLS certificate against trusted CAs instead); they are stored and shown,
 * not used (a Worker cannot see the certificate chain of a fetch).
 * Create/Delete and the client-id / thumbprint changes are `permissions` writes: they change who
 * may call AssumeRoleWithWebIdentity.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common, s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { isoSeconds } from "../../lib/clock";
import { parseArn } from "../../lib/arn";
import * as store from "../../store/iam-identity-providers";
import type { OidcProvider } from "../../store/iam-identity-providers";
import { listTags } from "../../store/tags";
import { createdOrThrow, requestTagContext, validateTags } from "./common";
import { listEntityTags, tagEntity, tagKeysInput, tagsInput, untagEntity, type TaggedEntity } from "./tags";

export const MAX_CLIENT_IDS = 100;
export const MAX_THUMBPRINTS = 5;

const providerArn = () => s.string({ required: true, min: 20, max: 2048 });
const clientId = () => s.string({ min: 1, max: 255 });
const thumbprints = () => s.list(s.string({ min: 40, max: 40 }));

// Messages as AWS SDK users report them (NoSuchEntity, EntityAlreadyExists); the URL and
// thumbprint-count wordings are third-party reimplementations' (not confirmed against AWS).
export const oidcErrors = {
  notFound: (arn: string) => errors.noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`),
  exists: (url: string) => errors.entityAlreadyExists(`Provider with url ${url} already exists.`),
  notHttps: () => errors.invalidInput("Invalid Open ID Connect Provider URL. The URL must begin with https://."),
  badUrl: () => errors.invalidInput("Invalid Open ID Connect Provider URL."),
  tooManyThumbprints: () => errors.invalidInput("Thumbprint list must contain fewer than 5 entries."),
  badThumbprint: () => errors.invalidInput("Thumbprint must be exactly 40 characters."),
  tooManyClientIds: () => errors.limitExceeded(`Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${MAX_CLIENT_IDS}`),
};

/**
 * The provider's name (ARN resource) of an issuer URL: `https://` removed, no trailing slash (AWS
 * treats `https://host/` and `https://host` as one provider). Query strings and fragments are
 * refused (OIDC issuers have none); ports are accepted (iamlab's own issuer may have one).
 */
export function providerUrl(url: string): string {
  if (!/^https:\/\//i.test(url)) throw oidcErrors.notHttps();
  const rest = url.slice(8).replace(/\/+$/, "");
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?(\/[\x21-\x7e]*)?$/.test(rest) || /[?#]/.test(rest)) throw oidcErrors.badUrl();
  return rest;
}

export const oidcProviderArn = (account: string, url: string) => `arn:aws:iam::${account}:oidc-provider/${url}`;

function checkThumbprints(list: string[]): void {
  if (list.length > MAX_THUMBPRINTS) throw oidcErrors.tooManyThumbprints();
  for (const t of list) if (!/^[0-9A-Fa-f]{40}$/.test(t)) throw oidcErrors.badThumbprint();
}

/** Client ids without repeats, in their first order. */
const unique = (list: string[]) => [...new Set(list)];

/** The provider an ARN names in the caller's account (an ARN of another account names nothing here). */
async function findProvider(ctx: ActionContext, arn: string): Promise<OidcProvider | undefined> {
  const a = parseArn(arn);
  const account = ctx.caller.principal.account;
  if (a?.service !== "iam" || a.account !== account || !a.resource.startsWith("oidc-provider/")) return undefined;
  return store.getOidcProvider(ctx.db, account, arn);
}

const tagged = (ctx: ActionContext, p: OidcProvider | undefined): TaggedEntity | undefined =>
  p ? { kind: "oidc-provider", accountId: ctx.caller.principal.account, id: p.arn } : undefined;

export const CreateOpenIDConnectProvider = defineAction({
  service: "iam",
  name: "CreateOpenIDConnectProvider",
  effect: "permissions",
  input: {
    Url: s.string({ required: true, min: 1, max: 255 }),
    ClientIDList: s.list(clientId()),
    ThumbprintList: thumbprints(),
    Tags: common.tags(),
  },
  target: (i, ctx) => ({
    resource: oidcProviderArn(ctx.caller.principal.account, i.Url.replace(/^https:\/\//i, "").replace(/\/+$/, "")),
    context: requestTagContext(i.Tags),
  }),
  handler: async (i, ctx) => {
    const url = providerUrl(i.Url);
    const clientIds = unique(i.ClientIDList ?? []);
    if (clientIds.length > MAX_CLIENT_IDS) throw oidcErrors.tooManyClientIds();
    const prints = i.ThumbprintList ?? [];
    checkThumbprints(prints);
    const tags = i.Tags ?? [];
    validateTags(tags);
    const arn = oidcProviderArn(ctx.caller.principal.account, url);
    createdOrThrow(
      await store.createOidcProvider(
        ctx.write,
        { arn, url, clientIds, thumbprints: prints.map((t) => t.toLowerCase()), createDate: isoSeconds(ctx.request.now) },
        tags,
      ),
      () => oidcErrors.exists(i.Url),
      "OpenIdConnectProvidersPerAccount",
    );
    return { OpenIDConnectProviderArn: arn, Tags: tags.length ? tags : undefined };
  },
});

export const GetOpenIDConnectProvider = defineAction({
  service: "iam",
  name: "GetOpenIDConnectProvider",
  effect: "read",
  input: { OpenIDConnectProviderArn: providerArn() },
  load: (i, ctx) => findProvider(ctx, i.OpenIDConnectProviderArn),
  target: (i) => ({ resource: i.OpenIDConnectProviderArn }),
  handler: async (i, ctx, p) => {
    if (!p) throw oidcErrors.notFound(i.OpenIDConnectProviderArn);
    const tags = await listTags(ctx.db, ctx.caller.principal.account, "oidc-provider", p.arn);
    return {
      Url: p.url,
      ClientIDList: p.clientIds,
      ThumbprintList: p.thumbprints,
      CreateDate: p.createDate,
      Tags: tags.length ? tags : undefined,
    };
  },
});

export const ListOpenIDConnectProviders = defineAction({
  service: "iam",
  name: "ListOpenIDConnectProviders",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (_i, ctx) => ({
    OpenIDConnectProviderList: (await store.listOidcProviders(ctx.db, ctx.caller.principal.account)).map((Arn) => ({ Arn })),
  }),
});

export const DeleteOpenIDConnectProvider = defineAction({
  service: "iam",
  name: "DeleteOpenIDConnectProvider",
  effect: "permissions",
  input: { OpenIDConnectProviderArn: providerArn() },
  load: (i, ctx) => findProvider(ctx, i.OpenIDConnectProviderArn),
  target: (i) => ({ resource: i.OpenIDConnectProviderArn }),
  handler: async (i, ctx, p) => {
    // AWS answers a delete of a provider that does not exist with NoSuchEntity (its API reference
    // lists it); moto treats it as a no-op. iamlab follows the API reference.
    if (!p || !(await store.deleteOidcProvider(ctx.write, p.arn))) throw oidcErrors.notFound(i.OpenIDConnectProviderArn);
    return undefined;
  },
});

export const AddClientIDToOpenIDConnectProvider = defineAction({
  service: "iam",
  name: "AddClientIDToOpenIDConnectProvider",
  effect: "permissions",
  input: { OpenIDConnectProviderArn: providerArn(), ClientID: { ...clientId(), required: true as const } },
  load: (i, ctx) => findProvider(ctx, i.OpenIDConnectProviderArn),
  target: (i) => ({ resource: i.OpenIDConnectProviderArn }),
  handler: async (i, ctx, p) => {
    if (!p) throw oidcErrors.notFound(i.OpenIDConnectProviderArn);
    // Adding a client id that is already registered changes nothing (AWS: no error).
    if (p.clientIds.includes(i.ClientID)) return undefined;
    if (p.clientIds.length >= MAX_CLIENT_IDS) throw oidcErrors.tooManyClientIds();
    if (!(await store.updateOidcProvider(ctx.write, p.arn, { clientIds: [...p.clientIds, i.ClientID] })))
      throw oidcErrors.notFound(i.OpenIDConnectProviderArn);
    return undefined;
  },
});

export const RemoveClientIDFromOpenIDConnectProvider = defineAction({
  service: "iam",
  name: "RemoveClientIDFromOpenIDConnectProvider",
  effect: "permissions",
  input: { OpenIDConnectProviderArn: providerArn(), ClientID: { ...clientId(), required: true as const } },
  load: (i, ctx) => findProvider(ctx, i.OpenIDConnectProviderArn),
  target: (i) => ({ resource: i.OpenIDConnectProviderArn }),
  handler: async (i, ctx, p) => {
    if (!p) throw oidcErrors.notFound(i.OpenIDConnectProviderArn);
    // A client id that is not registered: AWS documents "the action returns successfully".
    if (!p.clientIds.includes(i.ClientID)) return undefined;
    if (!(await store.updateOidcProvider(ctx.write, p.arn, { clientIds: p.clientIds.filter((c) => c !== i.ClientID) })))
      throw oidcErrors.notFound(i.OpenIDConnectProviderArn);
    return undefined;
  },
});

export const UpdateOpenIDConnectProviderThumbprint = defineAction({
  service: "iam",
  name: "UpdateOpenIDConnectProviderThumbprint",
  effect: "permissions",
  input: { OpenIDConnectProviderArn: providerArn(), ThumbprintList: { ...thumbprints(), required: true as const } },
  load: (i, ctx) => findProvider(ctx, i.OpenIDConnectProviderArn),
  target: (i) => ({ resource: i.OpenIDConnectProviderArn }),
  handler: async (i, ctx, p) => {
    checkThumbprints(i.ThumbprintList);
    if (!p || !(await store.updateOidcProvider(ctx.write, p.arn, { thumbprints: i.ThumbprintList.map((t) => t.toLowerCase()) })))
      throw oidcErrors.notFound(i.OpenIDConnectProviderArn);
    return undefined;
  },
});

export const TagOpenIDConnectProvider = defineAction({
  service: "iam",
  name: "TagOpenIDConnectProvider",
  effect: "write",
  input: { OpenIDConnectProviderArn: providerArn(), ...tagsInput() },
  load: (i, ctx) => findProvider(ctx, i.OpenIDConnectProviderArn),
  target: (i) => ({ resource: i.OpenIDConnectProviderArn, context: requestTagContext(i.Tags) }),
  handler: (i, ctx, p) => tagEntity(ctx, tagged(ctx, p), i.Tags, () => oidcErrors.notFound(i.OpenIDConnectProviderArn)),
});

export const UntagOpenIDConnectProvider = defineAction({
  service: "iam",
  name: "UntagOpenIDConnectProvider",
  effect: "write",
  input: { OpenIDConnectProviderArn: providerArn(), ...tagKeysInput() },
  load: (i, ctx) => findProvider(ctx, i.OpenIDConnectProviderArn),
  target: (i) => ({ resource: i.OpenIDConnectProviderArn, context: { "aws:TagKeys": i.TagKeys } }),
  handler: (i, ctx, p) => untagEntity(ctx, tagged(ctx, p), i.TagKeys, () => oidcErrors.notFound(i.OpenIDConnectProviderArn)),
});

export const ListOpenIDConnectProviderTags = defineAction({
  service: "iam",
  name: "ListOpenIDConnectProviderTags",
  effect: "read",
  input: { OpenIDConnectProviderArn: providerArn(), Marker: s.string({ min: 1, max: 320 }), MaxItems: s.integer({ min: 1, max: 1000 }) },
  load: (i, ctx) => findProvider(ctx, i.OpenIDConnectProviderArn),
  target: (i) => ({ resource: i.OpenIDConnectProviderArn }),
  handler: (i, ctx, p) => listEntityTags(ctx, tagged(ctx, p), i, () => oidcErrors.notFound(i.OpenIDConnectProviderArn)),
});

export const oidcProviderActions: RegisteredAction[] = [
  CreateOpenIDConnectProvider,
  GetOpenIDConnectProvider,
  ListOpenIDConnectProviders,
  DeleteOpenIDConnectProvider,
  AddClientIDToOpenIDConnectProvider,
  RemoveClientIDFromOpenIDConnectProvider,
  UpdateOpenIDConnectProviderThumbprint,
  TagOpenIDConnectProvider,
  UntagOpenIDConnectProvider,
  ListOpenIDConnectProviderTags,
];
