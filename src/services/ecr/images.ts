/**
 * ECR images as data: PutImage stores a manifest (its digest the sha256 of its bytes), BatchGetImage
 * answers it back, ListImages / DescribeImages list them, BatchDeleteImage removes tags and images,
 * BatchCheckLayerAvailability answers the blobs the stored manifests name. No layer uploads and no
 * registry (Docker) protocol: a blob is "available" once a manifest of the repository names it.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import type { XmlValue } from "../../protocol/xml";
import { digestOfTag, hasImage, listImages, putImage, deleteImages, type ImageRow } from "../../store/ecr-repositories";
import { ecrErr, existing, loadRepository, repositoryTarget, type RepositoryInput, type RepositoryRef } from "./common";
import {
  DEFAULT_MANIFEST_MEDIA_TYPE,
  imageSize,
  imageTagFault,
  invalidParameter,
  isDigest,
  manifestDigest,
  MAX_MANIFEST_LENGTH,
  readManifest,
  type Blob,
} from "./rules";
import { fromBase64, toBase64, utf8 } from "../../lib/encoding";

type ImageId = {
  imageDigest?: string;
  imageTag?: string;
};

const load = (i: object, ctx: ActionContext) => loadRepository(ctx, i as RepositoryInput);
const target = (_i: object, _ctx: ActionContext, ref: RepositoryRef) => repositoryTarget(ref);

interface PutInput extends RepositoryInput {
  imageManifest: string;
  imageManifestMediaType?: string;
  imageTag?: string;
  imageDigest?: string;
}

export const PutImage = defineAction({
  service: "ecr",
  name: "PutImage",
  effect: "none",
  input: {},
  load,
  target,
  handler: async (i, ctx, ref: RepositoryRef) => {
    const input = i as PutInput;
    const repo = existing(ref);
    const manifest = input.imageManifest;
    if (manifest.length > MAX_MANIFEST_LENGTH)
      throw invalidParameter("imageManifest", `must have length less than or equal to ${MAX_MANIFEST_LENGTH}`);
    if (manifest.length < 1) throw invalidParameter("imageManifest", "must have length greater than or equal to 1");
    if (input.imageTag !== undefined) {
      const fault = imageTagFault(input.imageTag);
      if (fault) throw fault;
    }
    const facts = readManifest(manifest);
    // ECR parses the manifest; its wording for one that is not JSON is unconfirmed.
    if (!facts) throw invalidParameter("ImageManifest", "Invalid JSON syntax");
    const digest = await manifestDigest(manifest);
    if (input.imageDigest !== undefined && input.imageDigest !== digest)
      throw new AwsError(
        "ImageDigestDoesNotMatchException",
        "The specified image digest does not match the digest that Amazon ECR calculated for the image.",
        400,
      );
    const mediaType = input.imageManifestMediaType ?? facts.mediaType ?? DEFAULT_MANIFEST_MEDIA_TYPE;
    if (input.imageTag !== undefined) {
      const current = await digestOfTag(ctx.db, repo, input.imageTag);
      if (current === digest) throw ecrErr.imageAlreadyExists(digest, input.imageTag, ref.name, ref.registry);
      if (current !== undefined && repo.imageTagMutability === "IMMUTABLE") throw ecrErr.imageTagAlreadyExists(input.imageTag, ref.name);
    } else if (await hasImage(ctx.db, repo, digest)) throw ecrErr.imageAlreadyExists(digest, undefined, ref.name, ref.registry);
    await putImage(ctx.db, repo, {
      digest,
      manifest,
      mediaType,
      ...(facts.artifactMediaType !== undefined ? { artifactMediaType: facts.artifactMediaType } : {}),
      size: imageSize(facts.blobs),
      layers: JSON.stringify(facts.blobs),
      pushedAt: ctx.request.now,
      ...(input.imageTag !== undefined ? { tag: input.imageTag } : {}),
    });
    const imageId: ImageId = { imageDigest: digest };
    if (input.imageTag !== undefined) imageId.imageTag = input.imageTag;
    return {
      image: { registryId: ref.registry, repositoryName: ref.name, imageId, imageManifest: manifest, imageManifestMediaType: mediaType },
    };
  },
});

/** An imageIds list: 1–100 entries (API reference). */
function checkImageIds(ids: readonly ImageId[]): void {
  if (ids.length < 1) throw invalidParameter("imageIds", "must have length greater than or equal to 1");
  if (ids.length > 100) throw invalidParameter("imageIds", "must have length less than or equal to 100");
}

type Failure = {
  imageId: ImageId;
  failureCode: string;
  failureReason: string;
};

/**
 * The image an imageId names among `images`, or the failure ECR lists for it. Failure codes from
 * the API reference; the reasons but "Requested image not found" are unconfirmed.
 */
function resolve(images: readonly ImageRow[], id: ImageId): { image: ImageRow } | { failure: Failure } {
  const fail = (failureCode: string, failureReason: string) => ({ failure: { imageId: id, failureCode, failureReason } });
  if (id.imageDigest === undefined && id.imageTag === undefined)
    return fail("MissingDigestAndTag", "Image ID does not specify a digest or tag");
  if (id.imageDigest !== undefined && !isDigest(id.imageDigest))
    return fail("InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'");
  if (id.imageTag !== undefined && imageTagFault(id.imageTag))
    return fail("InvalidImageTag", "Invalid request parameters: image tag should have length between 1 and 300");
  const byTag = id.imageTag !== undefined ? images.find((x) => x.tags.includes(id.imageTag!)) : undefined;
  const byDigest = id.imageDigest !== undefined ? images.find((x) => x.digest === id.imageDigest) : undefined;
  if (id.imageTag !== undefined && id.imageDigest !== undefined && byTag && byDigest && byTag !== byDigest)
    return fail("ImageTagDoesNotMatchDigest", "Invalid image tag and digest combination");
  const image = id.imageTag !== undefined ? byTag : byDigest;
  if (!image || (id.imageDigest !== undefined && !byDigest)) return fail("ImageNotFound", "Requested image not found");
  return { image };
}

interface BatchInput extends RepositoryInput {
  imageIds: ImageId[];
  acceptedMediaTypes?: string[];
}

export const BatchGetImage = defineAction({
  service: "ecr",
  name: "BatchGetImage",
  effect: "read",
  input: {},
  load,
  target,
  handler: async (i, ctx, ref: RepositoryRef) => {
    const input = i as BatchInput;
    checkImageIds(input.imageIds);
    const images = await listImages(ctx.db, existing(ref));
    const out: Record<string, XmlValue>[] = [];
    const failures: Failure[] = [];
    for (const id of input.imageIds) {
      const r = resolve(images, id);
      if ("failure" in r) {
        failures.push(r.failure);
        continue;
      }
      const accepted = input.acceptedMediaTypes;
      if (accepted?.length && !accepted.includes(r.image.mediaType)) {
        failures.push({
          imageId: id,
          failureCode: "UnsupportedImageType",
          failureReason: `Image manifest media type ${r.image.mediaType} is not accepted`,
        });
        continue;
      }
      const imageId: ImageId = { imageDigest: r.image.digest };
      if (id.imageTag !== undefined) imageId.imageTag = id.imageTag;
      out.push({
        registryId: ref.registry,
        repositoryName: ref.name,
        imageId,
        imageManifest: r.image.manifest,
        imageManifestMediaType: r.image.mediaType,
      });
    }
    return { images: out, failures };
  },
});

interface ListInput extends RepositoryInput {
  nextToken?: string;
  maxResults?: number;
  filter?: { tagStatus?: string };
  imageIds?: ImageId[];
}

/** The page of `items` a token and maxResults (1–1000, default 100) select; the token is the offset. */
function page<T>(items: readonly T[], input: ListInput): { items: T[]; nextToken?: string } {
  const limit = input.maxResults ?? 100;
  if (limit < 1 || limit > 1000)
    throw invalidParameter("maxResults", limit < 1 ? "must be greater than or equal to 1" : "must be less than or equal to 1000");
  let start = 0;
  if (input.nextToken !== undefined) {
    const bytes = fromBase64(input.nextToken);
    const n = bytes ? Number(new TextDecoder().decode(bytes)) : Number.NaN;
    // unconfirmed wording
    if (!Number.isSafeInteger(n) || n < 0) throw invalidParameter("nextToken", "Invalid NextToken");
    start = n;
  }
  const slice = items.slice(start, start + limit);
  return start + limit < items.length ? { items: slice, nextToken: toBase64(utf8.encode(String(start + limit))) } : { items: slice };
}

/** Images of a tag status filter (TAGGED, UNTAGGED, ANY). */
function filtered(images: readonly ImageRow[], filter: ListInput["filter"]): ImageRow[] {
  const status = filter?.tagStatus ?? "ANY";
  if (status !== "TAGGED" && status !== "UNTAGGED" && status !== "ANY")
    throw new AwsError(
      "ValidationException",
      `1 validation error detected: Value '${status}' at 'filter.tagStatus' failed to satisfy constraint: Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]`,
      400,
    );
  return images.filter((x) => status === "ANY" || (status === "TAGGED") === x.tags.length > 0);
}

export const ListImages = defineAction({
  service: "ecr",
  name: "ListImages",
  effect: "read",
  input: {},
  load,
  target,
  handler: async (i, ctx, ref: RepositoryRef) => {
    const input = i as ListInput;
    const images = filtered(await listImages(ctx.db, existing(ref), false), input.filter);
    const ids: ImageId[] = images.flatMap((x) =>
      x.tags.length ? x.tags.map((t) => ({ imageDigest: x.digest, imageTag: t })) : [{ imageDigest: x.digest }],
    );
    const p = page(ids, input);
    return { imageIds: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
  },
});

export const DescribeImages = defineAction({
  service: "ecr",
  name: "DescribeImages",
  effect: "read",
  input: {},
  load,
  target,
  handler: async (i, ctx, ref: RepositoryRef) => {
    const input = i as ListInput;
    let images = await listImages(ctx.db, existing(ref), false);
    if (input.imageIds !== undefined) {
      checkImageIds(input.imageIds);
      const picked: ImageRow[] = [];
      for (const id of input.imageIds) {
        const r = resolve(images, id);
        // AWS's wording (moto reproduces it)
        if ("failure" in r)
          throw new AwsError(
            "ImageNotFoundException",
            `The image with imageId {imageDigest:'${id.imageDigest ?? "null"}', imageTag:'${id.imageTag ?? "null"}'} does not exist within the repository with name '${ref.name}' in the registry with id '${ref.registry}'`,
            400,
          );
        if (!picked.includes(r.image)) picked.push(r.image);
      }
      images = picked;
    } else images = filtered(images, input.filter);
    const p = page(images, input);
    return {
      imageDetails: p.items.map((x) => ({
        registryId: ref.registry,
        repositoryName: ref.name,
        imageDigest: x.digest,
        ...(x.tags.length ? { imageTags: x.tags } : {}),
        imageSizeInBytes: x.size,
        imagePushedAt: new Date(x.pushedAt),
        imageManifestMediaType: x.mediaType,
        ...(x.artifactMediaType !== undefined ? { artifactMediaType: x.artifactMediaType } : {}),
      })),
      ...(p.nextToken ? { nextToken: p.nextToken } : {}),
    };
  },
});

export const BatchDeleteImage = defineAction({
  service: "ecr",
  name: "BatchDeleteImage",
  effect: "none",
  input: {},
  load,
  target,
  handler: async (i, ctx, ref: RepositoryRef) => {
    const input = i as BatchInput;
    checkImageIds(input.imageIds);
    const repo = existing(ref);
    const images = await listImages(ctx.db, repo, false);
    const tags: string[] = [];
    const digests: string[] = [];
    const deleted: ImageId[] = [];
    const failures: Failure[] = [];
    for (const id of input.imageIds) {
      const r = resolve(images, id);
      if ("failure" in r) failures.push(r.failure);
      else if (id.imageTag !== undefined) {
        tags.push(id.imageTag);
        deleted.push({ imageDigest: r.image.digest, imageTag: id.imageTag });
      } else {
        digests.push(r.image.digest);
        if (r.image.tags.length) for (const t of r.image.tags) deleted.push({ imageDigest: r.image.digest, imageTag: t });
        else deleted.push({ imageDigest: r.image.digest });
      }
    }
    await deleteImages(ctx.db, repo, tags, digests);
    return { imageIds: deleted, failures };
  },
});

export const BatchCheckLayerAvailability = defineAction({
  service: "ecr",
  name: "BatchCheckLayerAvailability",
  effect: "read",
  input: {},
  load,
  target,
  handler: async (i, ctx, ref: RepositoryRef) => {
    const digests = (i as { layerDigests: string[] }).layerDigests;
    if (digests.length < 1) throw invalidParameter("layerDigests", "must have length greater than or equal to 1");
    if (digests.length > 100) throw invalidParameter("layerDigests", "must have length less than or equal to 100");
    const known = new Map<string, Blob>();
    for (const img of await listImages(ctx.db, existing(ref), false))
      for (const b of JSON.parse(img.layers) as Blob[]) if (!known.has(b.digest)) known.set(b.digest, b);
    const layers: Record<string, XmlValue>[] = [];
    const failures: Record<string, XmlValue>[] = [];
    for (const d of digests) {
      const b = known.get(d);
      // Failure codes from the API reference; the reasons are unconfirmed.
      if (!isDigest(d)) failures.push({ layerDigest: d, failureCode: "InvalidLayerDigest", failureReason: "Invalid layer digest" });
      else if (!b) failures.push({ layerDigest: d, failureCode: "MissingLayerDigest", failureReason: "Could not find layer" });
      else
        layers.push({
          layerDigest: d,
          layerAvailability: "AVAILABLE",
          layerSize: b.size,
          ...(b.mediaType ? { mediaType: b.mediaType } : {}),
        });
    }
    return { layers, failures };
  },
});

export const imageActions: RegisteredAction[] = [
  PutImage,
  BatchGetImage,
  ListImages,
  DescribeImages,
  BatchDeleteImage,
  BatchCheckLayerAvailability,
];
