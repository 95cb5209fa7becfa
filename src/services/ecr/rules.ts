/**
 * ECR's pure rules: repository names, image tags, manifests (digest, media types, the blobs they
 * name), ARNs and URIs, and ECR's InvalidParameterException in AWS's words. No I/O.
 */
import { AwsError } from "../../protocol/errors";
import { sha256Hex } from "../../lib/crypto";

/** AWS's pattern of a repository name, as its InvalidParameterException quotes it. */
export const REPOSITORY_NAME_PATTERN = "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*";
const REPOSITORY_NAME = new RegExp(`^${REPOSITORY_NAME_PATTERN}$`);

/** The largest manifest PutImage takes (API reference: imageManifest, 1–4,194,304 characters). */
export const MAX_MANIFEST_LENGTH = 4 * 1024 * 1024;
/** The largest repository policy (API reference: policyText, 0–10,240 characters). */
export const MAX_POLICY_LENGTH = 10240;

/**
 * ECR's validation error: `Invalid parameter at '<member>' failed to satisfy constraint: '<rule>'`
 * (AWS's wording, quoted in many reports: e.g. localstack#8051, aws-dotnet-deploy#549).
 */
export function invalidParameter(member: string, constraint: string): AwsError {
  return new AwsError("InvalidParameterException", `Invalid parameter at '${member}' failed to satisfy constraint: '${constraint}'`, 400);
}

/** The fault of a repository name, or undefined when ECR accepts it (2–256 characters of AWS's pattern). */
export function repositoryNameFault(name: string): AwsError | undefined {
  if (name.length < 2) return invalidParameter("repositoryName", "must have length greater than or equal to 2");
  if (name.length > 256) return invalidParameter("repositoryName", "must have length less than or equal to 256");
  if (!REPOSITORY_NAME.test(name))
    return invalidParameter("repositoryName", `must satisfy regular expression '${REPOSITORY_NAME_PATTERN}'`);
  return undefined;
}

/** A registry id is an account id. */
export function registryIdFault(id: string): AwsError | undefined {
  return /^[0-9]{12}$/.test(id) ? undefined : invalidParameter("registryId", "must satisfy regular expression '[0-9]{12}'");
}

/** An image tag: 1–300 characters (API reference). */
export function imageTagFault(tag: string): AwsError | undefined {
  if (tag.length < 1) return invalidParameter("imageTag", "must have length greater than or equal to 1");
  if (tag.length > 300) return invalidParameter("imageTag", "must have length less than or equal to 300");
  return undefined;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** A content digest as OCI writes it (`sha256:<hex>`). */
export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

export const repositoryArn = (region: string, account: string, name: string): string =>
  `arn:aws:ecr:${region}:${account}:repository/${name}`;
export const registryHost = (region: string, account: string): string => `${account}.dkr.ecr.${region}.amazonaws.com`;
export const repositoryUri = (region: string, account: string, name: string): string => `${registryHost(region, account)}/${name}`;

/** The digest of a manifest: sha256 of its bytes as sent (UTF-8), as a registry computes it. */
export async function manifestDigest(manifest: string): Promise<string> {
  return `sha256:${await sha256Hex(manifest)}`;
}

/** A blob a manifest names (its config and layers, or the manifests an index lists). */
export interface Blob {
  digest: string;
  size: number;
  mediaType?: string;
}

/** What PutImage reads from a manifest: its media type, the config's media type, the blobs it names. */
export interface ManifestFacts {
  mediaType?: string;
  artifactMediaType?: string;
  blobs: Blob[];
}

const DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json";
export const DEFAULT_MANIFEST_MEDIA_TYPE = DOCKER_V2;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function blobOf(v: unknown): Blob | undefined {
  if (!isObj(v) || typeof v.digest !== "string" || !isDigest(v.digest)) return undefined;
  const b: Blob = { digest: v.digest, size: typeof v.size === "number" && Number.isSafeInteger(v.size) && v.size >= 0 ? v.size : 0 };
  if (typeof v.mediaType === "string") b.mediaType = v.mediaType;
  return b;
}

/**
 * Reads a manifest (Docker v2 schema 2, OCI image manifest or index): undefined when it is not a
 * JSON object — ECR refuses such a manifest (its wording is not confirmed; see images.ts).
 */
export function readManifest(manifest: string): ManifestFacts | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(manifest);
  } catch {
    return undefined;
  }
  if (!isObj(doc)) return undefined;
  const facts: ManifestFacts = { blobs: [] };
  if (typeof doc.mediaType === "string") facts.mediaType = doc.mediaType;
  const config = blobOf(doc.config);
  if (config) {
    facts.blobs.push(config);
    if (config.mediaType) facts.artifactMediaType = config.mediaType;
  }
  for (const list of [doc.layers, doc.fsLayers]) {
    if (!Array.isArray(list)) continue;
    for (const l of list) {
      // schema 1 names its layers `blobSum` without sizes
      const b = blobOf(isObj(l) && typeof l.blobSum === "string" ? { digest: l.blobSum } : l);
      if (b) facts.blobs.push(b);
    }
  }
  return facts;
}

/** Bytes of an image as ECR reports imageSizeInBytes: the blobs its manifest names. */
export const imageSize = (blobs: readonly Blob[]): number => blobs.reduce((n, b) => n + b.size, 0);
