/**
 * ECR repository policies: SetRepositoryPolicy, GetRepositoryPolicy, DeleteRepositoryPolicy, and
 * the validation ECR applies before it stores one. The document is stored with the repository and
 * read with it on every call, so `repositoryTarget()` (./common.ts) hands it to the engine.
 *
 * Set/DeleteRepositoryPolicy are `permissions` writes that follow the owner account's eventual
 * consistency exactly as S3's bucket policies do: in a lagging account the data plane keeps enforcing
 * the previous policy until the change propagates (repositoryTarget → src/consistency/resource-policies.ts),
 * while GetRepositoryPolicy — the control plane — answers the new one at once. A caller of another
 * account writes a policy in force at once (its change is not in the owner's log).
 */
import { defineAction, type ActionContext, type HandlerContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import { parsePolicy } from "../../policy/index";
import { setRepositoryPolicy, type RepositoryRow } from "../../store/ecr-repositories";
import { checkPrincipalsExist } from "../s3/bucket-policy";
import { ecrErr, enginePolicy, existing, loadRepository, repositoryTarget, type RepositoryRef } from "./common";
import { invalidParameter, MAX_POLICY_LENGTH } from "./rules";

/** AWS's answer to a policy it cannot take (terraform-aws-ecr#19, aws-cdk#3590: a statement with a Resource). */
export const INVALID_POLICY = "Invalid repository policy provided";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A string or a list of strings, as policy elements are written; undefined for anything else. */
function strings(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  return undefined;
}

/**
 * Validates a repository policy as ECR does (pure): at most 10,240 characters, a JSON object with a
 * Statement, each statement with Effect, Principal (or NotPrincipal) and Action (or NotAction) and
 * without Resource — ECR refuses one — naming only ECR actions (or `*`), and what the engine itself
 * accepts of a resource-based policy (principals, conditions). Any fault but the size is AWS's one
 * message, "Invalid repository policy provided".
 */
export function validateRepositoryPolicy(text: string, arn: string): void {
  // Size wording unconfirmed: ECR's other length faults say "must have length less than or equal to N".
  if (text.length > MAX_POLICY_LENGTH) throw invalidParameter("PolicyText", `must have length less than or equal to ${MAX_POLICY_LENGTH}`);
  const invalid = invalidParameter("PolicyText", INVALID_POLICY);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalid;
  }
  if (!isObj(doc) || !("Statement" in doc)) throw invalid;
  if ("Version" in doc && doc.Version !== "2012-10-17" && doc.Version !== "2008-10-17") throw invalid;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (!statements.length) throw invalid;
  for (const s of statements) {
    if (!isObj(s)) throw invalid;
    if (s.Effect !== "Allow" && s.Effect !== "Deny") throw invalid;
    if (!("Principal" in s) && !("NotPrincipal" in s)) throw invalid;
    if ("Resource" in s || "NotResource" in s) throw invalid;
    const actions = strings(s.Action ?? s.NotAction);
    // Actions of other services: ECR's answer here is our reading of its documentation (unconfirmed).
    if (!actions?.length || actions.some((a) => a !== "*" && !/^ecr:/i.test(a))) throw invalid;
  }
  if (!parsePolicy(enginePolicy(text, arn), "resource").ok) throw invalid;
}

async function writePolicy(ctx: HandlerContext, ref: RepositoryRef, repo: RepositoryRow, text: string | null): Promise<void> {
  const lagging = ctx.caller.consistency !== undefined && ctx.caller.principal.account === repo.accountId;
  if (!(await setRepositoryPolicy(ctx.write, repo, text, lagging))) throw ecrErr.repositoryNotFound(ref.name, ref.registry);
}

interface SetInput {
  registryId?: string;
  repositoryName: string;
  policyText: string;
  force?: boolean;
}

export const SetRepositoryPolicy = defineAction({
  service: "ecr",
  name: "SetRepositoryPolicy",
  effect: "permissions",
  input: {},
  load: (i, ctx: ActionContext) => loadRepository(ctx, i as SetInput),
  target: (_i, _ctx, ref: RepositoryRef) => repositoryTarget(ref),
  handler: async (i, ctx, ref: RepositoryRef) => {
    const input = i as SetInput;
    const repo = existing(ref);
    validateRepositoryPolicy(input.policyText, ref.arn);
    // Users and roles the policy names must exist (AWS: "Principal not found", terraform-provider-aws#39064).
    await checkPrincipalsExist(ctx.db, input.policyText).catch((e: unknown) => {
      throw e instanceof AwsError && e.code === "MalformedPolicy" ? invalidParameter("PolicyText", "Principal not found") : e;
    });
    // `force` skips AWS's check that the policy does not lock the caller out; iamlab does not run that check.
    await writePolicy(ctx, ref, repo, input.policyText);
    return { registryId: ref.registry, repositoryName: ref.name, policyText: input.policyText };
  },
});

export const GetRepositoryPolicy = defineAction({
  service: "ecr",
  name: "GetRepositoryPolicy",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadRepository(ctx, i as SetInput),
  target: (_i, _ctx, ref: RepositoryRef) => repositoryTarget(ref),
  handler: (_i, _ctx, ref: RepositoryRef) => {
    const repo = existing(ref);
    if (repo.policy === undefined) throw ecrErr.policyNotFound(ref.name, ref.registry);
    return { registryId: ref.registry, repositoryName: ref.name, policyText: repo.policy };
  },
});

export const DeleteRepositoryPolicy = defineAction({
  service: "ecr",
  name: "DeleteRepositoryPolicy",
  effect: "permissions",
  input: {},
  load: (i, ctx: ActionContext) => loadRepository(ctx, i as SetInput),
  target: (_i, _ctx, ref: RepositoryRef) => repositoryTarget(ref),
  handler: async (_i, ctx, ref: RepositoryRef) => {
    const repo = existing(ref);
    if (repo.policy === undefined) throw ecrErr.policyNotFound(ref.name, ref.registry);
    await writePolicy(ctx, ref, repo, null);
    return { registryId: ref.registry, repositoryName: ref.name, policyText: repo.policy };
  },
});

export const repositoryPolicyActions: RegisteredAction[] = [SetRepositoryPolicy, GetRepositoryPolicy, DeleteRepositoryPolicy];
