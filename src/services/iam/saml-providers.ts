/**
 * IAM SAML providers: Create/Get/List/Update/DeleteSAMLProvider and Tag/Untag/ListSAMLProviderTags.
 * ARN `arn:aws:iam::<account>:saml-provider/<Name>` (names compared without case). The metadata
 * document is validated (src/federation/saml-metadata.ts: an IdP EntityDescriptor with a signing
 * certificate); ValidUntil is the document's `validUntil`, else 100 years after it was uploaded
 * (what IAM shows for metadata without one, as third-party reimplementations report). The newer
 * assertion-encryption parameters (AssertionEncryptionMode, Add/RemovePrivateKey) are not served.
 * Create/Update/Delete are `permissions` writes: they change who may call AssumeRoleWithSAML.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { common, s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { isoSeconds } from "../../lib/clock";
import { parseArn } from "../../lib/arn";
import * as store from "../../store/iam-identity-providers";
import type { SamlProvider } from "../../store/iam-identity-providers";
import { listTags } from "../../store/tags";
import { parseSamlMetadata } from "../../federation/saml-metadata";
import { createdOrThrow, requestTagContext, validateTags } from "./common";
import { listEntityTags, tagEntity, tagKeysInput, tagsInput, untagEntity, type TaggedEntity } from "./tags";

const providerArn = () => s.string({ required: true, min: 20, max: 2048 });
const metadataDocument = () => s.string({ required: true, min: 1000, max: 10_000_000 });

export const samlErrors = {
  // "Manifest not found for arn …" is AWS's own (odd) wording, as SDK users report it.
  notFound: (arn: string) => errors.noSuchEntity(`Manifest not found for arn ${arn}`),
  exists: (name: string) => errors.entityAlreadyExists(`SAMLProvider ${name} already exists.`),
};

export const samlProviderArn = (account: string, name: string) => `arn:aws:iam::${account}:saml-provider/${name}`;

/** ValidUntil of a metadata document uploaded at `now`. */
function validUntilOf(validUntil: number | undefined, now: number): string {
  if (validUntil !== undefined) return isoSeconds(validUntil);
  const d = new Date(now);
  d.setUTCFullYear(d.getUTCFullYear() + 100);
  return isoSeconds(d.getTime());
}

async function findProvider(ctx: ActionContext, arn: string): Promise<SamlProvider | undefined> {
  const a = parseArn(arn);
  const account = ctx.caller.principal.account;
  if (a?.service !== "iam" || a.account !== account || !a.resource.startsWith("saml-provider/")) return undefined;
  return store.getSamlProvider(ctx.db, account, arn);
}

const tagged = (ctx: ActionContext, p: SamlProvider | undefined): TaggedEntity | undefined =>
  p ? { kind: "saml-provider", accountId: ctx.caller.principal.account, id: p.arn } : undefined;

export const CreateSAMLProvider = defineAction({
  service: "iam",
  name: "CreateSAMLProvider",
  effect: "permissions",
  input: {
    SAMLMetadataDocument: metadataDocument(),
    Name: s.string({ required: true, min: 1, max: 128, pattern: /^[\w._-]+$/, patternText: "[\\w._-]+" }),
    Tags: common.tags(),
  },
  target: (i, ctx) => ({ resource: samlProviderArn(ctx.caller.principal.account, i.Name), context: requestTagContext(i.Tags) }),
  handler: async (i, ctx) => {
    const tags = i.Tags ?? [];
    validateTags(tags);
    const metadata = parseSamlMetadata(i.SAMLMetadataDocument);
    const now = ctx.request.now;
    const arn = samlProviderArn(ctx.caller.principal.account, i.Name);
    createdOrThrow(
      await store.createSamlProvider(
        ctx.write,
        {
          arn,
          name: i.Name,
          metadata: i.SAMLMetadataDocument,
          createDate: isoSeconds(now),
          validUntil: validUntilOf(metadata.validUntil, now),
        },
        tags,
      ),
      () => samlErrors.exists(i.Name),
      "SAMLProvidersPerAccount",
    );
    return { SAMLProviderArn: arn, Tags: tags.length ? tags : undefined };
  },
});

export const GetSAMLProvider = defineAction({
  service: "iam",
  name: "GetSAMLProvider",
  effect: "read",
  input: { SAMLProviderArn: providerArn() },
  load: (i, ctx) => findProvider(ctx, i.SAMLProviderArn),
  target: (i, _ctx, p) => ({ resource: p?.arn ?? i.SAMLProviderArn }),
  handler: async (i, ctx, p) => {
    if (!p) throw samlErrors.notFound(i.SAMLProviderArn);
    const tags = await listTags(ctx.db, ctx.caller.principal.account, "saml-provider", p.arn);
    return { SAMLMetadataDocument: p.metadata, CreateDate: p.createDate, ValidUntil: p.validUntil, Tags: tags.length ? tags : undefined };
  },
});

export const ListSAMLProviders = defineAction({
  service: "iam",
  name: "ListSAMLProviders",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (_i, ctx) => ({
    SAMLProviderList: (await store.listSamlProviders(ctx.db, ctx.caller.principal.account)).map((p) => ({
      Arn: p.arn,
      ValidUntil: p.validUntil,
      CreateDate: p.createDate,
    })),
  }),
});

export const UpdateSAMLProvider = defineAction({
  service: "iam",
  name: "UpdateSAMLProvider",
  effect: "permissions",
  input: { SAMLMetadataDocument: metadataDocument(), SAMLProviderArn: providerArn() },
  load: (i, ctx) => findProvider(ctx, i.SAMLProviderArn),
  target: (i, _ctx, p) => ({ resource: p?.arn ?? i.SAMLProviderArn }),
  handler: async (i, ctx, p) => {
    if (!p) throw samlErrors.notFound(i.SAMLProviderArn);
    const metadata = parseSamlMetadata(i.SAMLMetadataDocument);
    if (!(await store.updateSamlProvider(ctx.write, p.arn, i.SAMLMetadataDocument, validUntilOf(metadata.validUntil, ctx.request.now))))
      throw samlErrors.notFound(i.SAMLProviderArn);
    return { SAMLProviderArn: p.arn };
  },
});

export const DeleteSAMLProvider = defineAction({
  service: "iam",
  name: "DeleteSAMLProvider",
  effect: "permissions",
  input: { SAMLProviderArn: providerArn() },
  load: (i, ctx) => findProvider(ctx, i.SAMLProviderArn),
  target: (i, _ctx, p) => ({ resource: p?.arn ?? i.SAMLProviderArn }),
  handler: async (i, ctx, p) => {
    if (!p || !(await store.deleteSamlProvider(ctx.write, p.arn))) throw samlErrors.notFound(i.SAMLProviderArn);
    return undefined;
  },
});

export const TagSAMLProvider = defineAction({
  service: "iam",
  name: "TagSAMLProvider",
  effect: "write",
  input: { SAMLProviderArn: providerArn(), ...tagsInput() },
  load: (i, ctx) => findProvider(ctx, i.SAMLProviderArn),
  target: (i, _ctx, p) => ({ resource: p?.arn ?? i.SAMLProviderArn, context: requestTagContext(i.Tags) }),
  handler: (i, ctx, p) => tagEntity(ctx, tagged(ctx, p), i.Tags, () => samlErrors.notFound(i.SAMLProviderArn)),
});

export const UntagSAMLProvider = defineAction({
  service: "iam",
  name: "UntagSAMLProvider",
  effect: "write",
  input: { SAMLProviderArn: providerArn(), ...tagKeysInput() },
  load: (i, ctx) => findProvider(ctx, i.SAMLProviderArn),
  target: (i, _ctx, p) => ({ resource: p?.arn ?? i.SAMLProviderArn, context: { "aws:TagKeys": i.TagKeys } }),
  handler: (i, ctx, p) => untagEntity(ctx, tagged(ctx, p), i.TagKeys, () => samlErrors.notFound(i.SAMLProviderArn)),
});

export const ListSAMLProviderTags = defineAction({
  service: "iam",
  name: "ListSAMLProviderTags",
  effect: "read",
  input: { SAMLProviderArn: providerArn(), Marker: s.string({ min: 1, max: 320 }), MaxItems: s.integer({ min: 1, max: 1000 }) },
  load: (i, ctx) => findProvider(ctx, i.SAMLProviderArn),
  target: (i, _ctx, p) => ({ resource: p?.arn ?? i.SAMLProviderArn }),
  handler: (i, ctx, p) => listEntityTags(ctx, tagged(ctx, p), i, () => samlErrors.notFound(i.SAMLProviderArn)),
});

export const samlProviderActions: RegisteredAction[] = [
  CreateSAMLProvider,
  GetSAMLProvider,
  ListSAMLProviders,
  UpdateSAMLProvider,
  DeleteSAMLProvider,
  TagSAMLProvider,
  UntagSAMLProvider,
  ListSAMLProviderTags,
];
