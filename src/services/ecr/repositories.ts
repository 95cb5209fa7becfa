/**
 * ECR repositories: CreateRepository, DescribeRepositories, DeleteRepository, and the repository's
 * tags (TagResource, UntagResource, ListTagsForResource).
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import type { XmlValue } from "../../protocol/xml";
import { authorizeCall } from "../../authz/authorize";
import {
  createRepository,
  deleteRepository,
  listRepositories,
  setRepositoryTags,
  type RepositoryRow,
  type RepositoryTag,
} from "../../store/ecr-repositories";
import { ecrErr, existing, loadRepository, regionOf, registryOf, repositoryTarget, type RepositoryRef } from "./common";
import { invalidParameter, repositoryArn, repositoryUri } from "./rules";
import { fromBase64, toBase64, utf8 } from "../../lib/encoding";

const validation = (message: string) => new AwsError("ValidationException", message, 400);

/** A repository as ECR describes it. */
export function repositoryOut(r: RepositoryRow): Record<string, XmlValue> {
  return {
    repositoryArn: repositoryArn(r.region, r.accountId, r.name),
    registryId: r.accountId,
    repositoryName: r.name,
    repositoryUri: repositoryUri(r.region, r.accountId, r.name),
    createdAt: new Date(r.createdAt),
    imageTagMutability: r.imageTagMutability,
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    encryptionConfiguration: { encryptionType: r.encryptionType, ...(r.kmsKey !== undefined ? { kmsKey: r.kmsKey } : {}) },
  };
}

/** Tags as ECR takes them: at most 200, keys of 1–128 characters, values of at most 256, no key twice. */
function checkTags(tags: readonly RepositoryTag[]): void {
  const bad = (m: string) => new AwsError("InvalidTagParameterException", m, 400);
  if (tags.length > 200) throw new AwsError("TooManyTagsException", "The repository can have at most 200 tags.", 400);
  const keys = new Set<string>();
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128) throw bad(`Invalid tag key: '${t.Key}'`);
    if (t.Value.length > 256) throw bad(`Invalid tag value for key: '${t.Key}'`);
    if (t.Key.toLowerCase().startsWith("aws:")) throw bad("Tag keys beginning with 'aws:' are reserved for system use.");
    if (keys.has(t.Key)) throw bad(`Duplicate tag key: '${t.Key}'`);
    keys.add(t.Key);
  }
}

/** aws:RequestTag/… and aws:TagKeys of a call that sets tags. */
function requestTagContext(tags: readonly RepositoryTag[]): Record<string, string | string[]> {
  if (!tags.length) return {};
  return { ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])), "aws:TagKeys": tags.map((t) => t.Key) };
}

interface CreateInput {
  registryId?: string;
  repositoryName: string;
  tags?: RepositoryTag[];
  imageTagMutability?: string;
  imageScanningConfiguration?: { scanOnPush?: boolean };
  encryptionConfiguration?: { encryptionType: string; kmsKey?: string };
}

export const CreateRepository = defineAction({
  service: "ecr",
  name: "CreateRepository",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadRepository(ctx, i as CreateInput),
  target: (i, _ctx, ref: RepositoryRef) => repositoryTarget(ref, requestTagContext((i as CreateInput).tags ?? [])),
  handler: async (i, ctx, ref: RepositoryRef) => {
    const input = i as CreateInput;
    const mutability = input.imageTagMutability ?? "MUTABLE";
    if (mutability !== "MUTABLE" && mutability !== "IMMUTABLE")
      throw validation(
        `1 validation error detected: Value '${mutability}' at 'imageTagMutability' failed to satisfy constraint: Member must satisfy enum value set: [MUTABLE, IMMUTABLE]`,
      );
    const enc = input.encryptionConfiguration ?? { encryptionType: "AES256" };
    if (enc.encryptionType !== "AES256" && enc.encryptionType !== "KMS")
      throw validation(
        `1 validation error detected: Value '${enc.encryptionType}' at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: Member must satisfy enum value set: [AES256, KMS]`,
      );
    if (enc.encryptionType === "AES256" && enc.kmsKey !== undefined)
      throw ecrErr.invalidParameter("Invalid parameter: KMS key should not be specified for AES256 encryption type.");
    const tags = input.tags ?? [];
    checkTags(tags);
    const row: RepositoryRow = {
      accountId: ref.registry,
      region: ref.region,
      name: ref.name,
      createdAt: ctx.request.now,
      imageTagMutability: mutability,
      scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
      encryptionType: enc.encryptionType,
      tags,
    };
    if (enc.kmsKey !== undefined) row.kmsKey = enc.kmsKey;
    if ((await createRepository(ctx.db, row)) === "exists") throw ecrErr.repositoryAlreadyExists(ref.name, ref.registry);
    return { repository: repositoryOut(row) };
  },
});

interface DescribeInput {
  registryId?: string;
  repositoryNames?: string[];
  nextToken?: string;
  maxResults?: number;
}

/** DescribeRepositories' continuation token: the last name answered, base64 (opaque to clients). */
const tokenOf = (after: string): string => toBase64(utf8.encode(after));
function afterOf(token: string): string {
  const bytes = fromBase64(token);
  // unconfirmed wording
  if (!bytes) throw invalidParameter("nextToken", "Invalid NextToken");
  return new TextDecoder().decode(bytes);
}

export const DescribeRepositories = defineAction({
  service: "ecr",
  name: "DescribeRepositories",
  effect: "read",
  input: {},
  load: async (i, ctx: ActionContext): Promise<RepositoryRef[]> => {
    const input = i as DescribeInput;
    const names = input.repositoryNames ?? [];
    if (names.length > 100) throw invalidParameter("repositoryNames", "must have length less than or equal to 100");
    if (names.length && (input.maxResults !== undefined || input.nextToken !== undefined))
      throw ecrErr.invalidParameter("Invalid parameter: maxResults and nextToken cannot be specified with repositoryNames");
    if (input.maxResults !== undefined && (input.maxResults < 1 || input.maxResults > 1000))
      throw invalidParameter(
        "maxResults",
        input.maxResults < 1 ? "must be greater than or equal to 1" : "must be less than or equal to 1000",
      );
    return Promise.all(names.map((n) => loadRepository(ctx, { registryId: input.registryId, repositoryName: n })));
  },
  // Named repositories: each is authorized with its own policy (the first here, the rest in the
  // handler). A listing: the registry's repositories as `repository/*`.
  target: (i, ctx, refs: RepositoryRef[]) =>
    refs[0]
      ? repositoryTarget(refs[0])
      : repositoryTarget({
          registry: registryOf(ctx, (i as DescribeInput).registryId),
          region: regionOf(ctx),
          name: "*",
          arn: repositoryArn(regionOf(ctx), registryOf(ctx, (i as DescribeInput).registryId), "*"),
        }),
  handler: async (i, ctx, refs: RepositoryRef[]) => {
    const input = i as DescribeInput;
    if (refs.length) {
      for (const ref of refs.slice(1)) await authorizeCall(ctx, "ecr:DescribeRepositories", repositoryTarget(ref));
      return { repositories: refs.map((r) => repositoryOut(existing(r))) };
    }
    const limit = input.maxResults ?? 100;
    const rows = await listRepositories(
      ctx.db,
      registryOf(ctx, input.registryId),
      regionOf(ctx),
      input.nextToken !== undefined ? afterOf(input.nextToken) : "",
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const out: Record<string, XmlValue> = { repositories: page.map(repositoryOut) };
    if (rows.length > limit) out.nextToken = tokenOf(page[page.length - 1]!.name);
    return out;
  },
});

interface DeleteInput {
  registryId?: string;
  repositoryName: string;
  force?: boolean;
}

export const DeleteRepository = defineAction({
  service: "ecr",
  name: "DeleteRepository",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadRepository(ctx, i as DeleteInput),
  target: (_i, _ctx, ref: RepositoryRef) => repositoryTarget(ref),
  handler: async (i, ctx, ref: RepositoryRef) => {
    const repo = existing(ref);
    const outcome = await deleteRepository(ctx.db, repo, (i as DeleteInput).force === true);
    if (outcome === "notEmpty") throw ecrErr.repositoryNotEmpty(ref.name, ref.registry);
    if (outcome === "missing") throw ecrErr.repositoryNotFound(ref.name, ref.registry);
    return { repository: repositoryOut(repo) };
  },
});

// ——— tags ———

const ARN = /^arn:aws:ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/;

/** The repository a resourceArn names (InvalidParameterException when it names none; wording unconfirmed). */
async function loadByArn(ctx: ActionContext, arn: string): Promise<RepositoryRef> {
  const m = ARN.exec(arn);
  if (!m || m[1] !== regionOf(ctx))
    throw ecrErr.invalidParameter(`Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'`);
  return loadRepository(ctx, { registryId: m[2]!, repositoryName: m[3]! });
}

export const TagResource = defineAction({
  service: "ecr",
  name: "TagResource",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadByArn(ctx, (i as { resourceArn: string }).resourceArn),
  target: (i, _ctx, ref: RepositoryRef) => repositoryTarget(ref, requestTagContext((i as { tags: RepositoryTag[] }).tags)),
  handler: async (i, ctx, ref: RepositoryRef) => {
    const repo = existing(ref);
    const added = (i as { tags: RepositoryTag[] }).tags;
    const merged = new Map(repo.tags.map((t) => [t.Key, t.Value]));
    for (const t of added) merged.set(t.Key, t.Value);
    const tags = [...merged].map(([Key, Value]) => ({ Key, Value }));
    checkTags(added);
    checkTags(tags);
    if (!(await setRepositoryTags(ctx.db, repo, tags))) throw ecrErr.repositoryNotFound(ref.name, ref.registry);
    return {};
  },
});

export const UntagResource = defineAction({
  service: "ecr",
  name: "UntagResource",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadByArn(ctx, (i as { resourceArn: string }).resourceArn),
  target: (i, _ctx, ref: RepositoryRef) => repositoryTarget(ref, { "aws:TagKeys": (i as { tagKeys: string[] }).tagKeys }),
  handler: async (i, ctx, ref: RepositoryRef) => {
    const repo = existing(ref);
    const drop = new Set((i as { tagKeys: string[] }).tagKeys);
    if (
      !(await setRepositoryTags(
        ctx.db,
        repo,
        repo.tags.filter((t) => !drop.has(t.Key)),
      ))
    )
      throw ecrErr.repositoryNotFound(ref.name, ref.registry);
    return {};
  },
});

export const ListTagsForResource = defineAction({
  service: "ecr",
  name: "ListTagsForResource",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadByArn(ctx, (i as { resourceArn: string }).resourceArn),
  target: (_i, _ctx, ref: RepositoryRef) => repositoryTarget(ref),
  handler: (_i, _ctx, ref: RepositoryRef) => ({ tags: existing(ref).tags }),
});

export const repositoryActions: RegisteredAction[] = [
  CreateRepository,
  DescribeRepositories,
  DeleteRepository,
  TagResource,
  UntagResource,
  ListTagsForResource,
];
