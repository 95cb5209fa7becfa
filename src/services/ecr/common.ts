/**
 * What every ECR action shares: ECR's errors in its own words, the repository a call names (the
 * caller's registry unless `registryId` names another account's), and the authorization target.
 *
 * Authorization: every repository call names the IAM action ECR checks (`ecr:BatchGetImage` …), the
 * repository ARN in the registry's account, and the repository policy, when there is one, as the
 * target's resource policy. The engine then applies AWS's rules — same account, identity policy OR
 * repository policy; across accounts, both; a policy naming `arn:aws:iam::B:root` delegates to B's
 * identity policies (seed 004's lab).
 */
import { AwsError } from "../../protocol/errors";
import type { ActionContext, AuthzTarget } from "../action";
import { enginePolicy, getRepository, type RepositoryRow } from "../../store/ecr-repositories";
import { registryIdFault, repositoryArn, repositoryNameFault } from "./rules";

export const ecrErr = {
  repositoryNotFound: (name: string, registry: string) =>
    new AwsError(
      "RepositoryNotFoundException",
      `The repository with name '${name}' does not exist in the registry with id '${registry}'`,
      400,
    ),
  repositoryAlreadyExists: (name: string, registry: string) =>
    new AwsError(
      "RepositoryAlreadyExistsException",
      `The repository with name '${name}' already exists in the registry with id '${registry}'`,
      400,
    ),
  /** AWS's answer (appmeshworkshop#31) */
  repositoryNotEmpty: (name: string, registry: string) =>
    new AwsError(
      "RepositoryNotEmptyException",
      `The repository with name '${name}' in registry with id '${registry}' cannot be deleted because it still contains images`,
      400,
    ),
  /** AWS's answer (driftctl#1549) */
  policyNotFound: (name: string, registry: string) =>
    new AwsError(
      "RepositoryPolicyNotFoundException",
      `Repository policy does not exist for the repository with name '${name}' in the registry with id '${registry}'`,
      400,
    ),
  /** AWS's answer (ecr-buildkite-plugin#111); without a tag the wording is ours */
  imageAlreadyExists: (digest: string, tag: string | undefined, name: string, registry: string) =>
    new AwsError(
      "ImageAlreadyExistsException",
      `Image with digest '${digest}'${tag !== undefined ? ` and tag '${tag}'` : ""} already exists in the repository with name '${name}' in registry with id '${registry}'`,
      400,
    ),
  /** the registry's wording of an immutable tag (buildkit#3776); the API's exact message is unconfirmed */
  imageTagAlreadyExists: (tag: string, name: string) =>
    new AwsError(
      "ImageTagAlreadyExistsException",
      `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`,
      400,
    ),
  invalidParameter: (message: string) => new AwsError("InvalidParameterException", message, 400),
};

/** The signing region stands for the endpoint's region (iamlab serves every region on one endpoint). */
export const regionOf = (ctx: ActionContext): string => ctx.request.region || "us-east-1";

/** The registry a call is about: `registryId` when given (checked), else the caller's account. */
export function registryOf(ctx: ActionContext, registryId: string | undefined): string {
  if (registryId === undefined) return ctx.caller.principal.account;
  const fault = registryIdFault(registryId);
  if (fault) throw fault;
  return registryId;
}

/** A call on one repository: where it is, and the row when it exists. */
export interface RepositoryRef {
  registry: string;
  region: string;
  name: string;
  arn: string;
  repo?: RepositoryRow;
}

export interface RepositoryInput {
  registryId?: string;
  repositoryName: string;
}

/** Checks the name and reads the repository (absent when there is none: the handler says so, after authorization). */
export async function loadRepository(ctx: ActionContext, i: RepositoryInput): Promise<RepositoryRef> {
  const fault = repositoryNameFault(i.repositoryName);
  if (fault) throw fault;
  const registry = registryOf(ctx, i.registryId);
  const region = regionOf(ctx);
  const ref: RepositoryRef = { registry, region, name: i.repositoryName, arn: repositoryArn(region, registry, i.repositoryName) };
  const repo = await getRepository(ctx.db, registry, region, i.repositoryName);
  if (repo) ref.repo = repo;
  return ref;
}

/** The repository, or RepositoryNotFoundException. */
export function existing(ref: RepositoryRef): RepositoryRow {
  if (!ref.repo) throw ecrErr.repositoryNotFound(ref.name, ref.registry);
  return ref.repo;
}

/** A repository policy as the engine reads it (statements bound to the repository's ARN). */
export { enginePolicy };

/** The authorization target of a call on a repository: its ARN in the registry's account, its policy. */
export function repositoryTarget(ref: RepositoryRef, context?: Record<string, string | string[]>): AuthzTarget {
  const t: AuthzTarget = { resource: ref.arn, resourceAccount: ref.registry };
  if (ref.repo?.policy !== undefined)
    t.resourcePolicies = [{ id: ref.arn, json: enginePolicy(ref.repo.policy, ref.arn), kind: "resource" }];
  // A policy change still propagating (the owner lagged): the engine applies the policy in force.
  if (ref.repo?.policyGeneration !== undefined)
    t.pendingResourcePolicy = { id: ref.arn, account: ref.registry, generation: ref.repo.policyGeneration };
  const tags = ref.repo?.tags ?? [];
  t.context = {
    "aws:ResourceAccount": ref.registry,
    ...Object.fromEntries(tags.map((x) => [`aws:ResourceTag/${x.Key}`, x.Value])),
    ...context,
  };
  return t;
}
