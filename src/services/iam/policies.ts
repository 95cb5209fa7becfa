/**
 * Customer- and AWS-managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy,
 * TagPolicy/UntagPolicy/ListPolicyTags, ListEntitiesForPolicy — plus the helpers the other
 * policy families share (ARN checks, URL-encoded documents, the read-only AWS-managed rule).
 */
import { defineAction, type RegisteredAction, type ActionContext } from "../action";
import { common, s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { parseArn, iamArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { newUniqueId } from "../../lib/ids";
import { parsePolicy, policySizeWithoutWhitespace } from "../../policy/index";
import {
  createPolicy,
  deletePolicy,
  getPolicy,
  isAwsManagedArn,
  listEntitiesForPolicy,
  listPolicies,
  managedPolicyExists,
  type PolicyRow,
} from "../../store/iam-policies";
import { listTags } from "../../store/tags";
import { quotaMessage, SUMMARY_QUOTAS } from "../../store/iam-quotas";
import { DEFAULT_MAX_ITEMS, alreadyExists, decodeMarker, page, paging, pathPrefix, requestTagContext, validateTags } from "./common";
import { policyView } from "./views";
import { listEntityTags, tagEntity, tagKeysInput, tagPage, tagsInput, untagEntity, type TaggedEntity } from "./tags";

export const MANAGED_POLICY_SIZE_LIMIT = SUMMARY_QUOTAS.PolicySizeQuota;

// Required variants of the common shapes with a literal `required: true`, so the decoded input
// types them as present (common.name(max) types `required` as a plain boolean).
export const req = {
  name: (max: number) => s.string({ required: true, min: 1, max, pattern: /^[\w+=,.@-]+$/, patternText: "[\\w+=,.@-]+" }),
  arn: () => s.string({ required: true, min: 20, max: 2048 }),
  policyDocument: () =>
    s.string({
      required: true,
      min: 1,
      max: 131072,
      pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/su,
      patternText: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
    }),
};

/**
 * AWS's API model gives policyDescriptionType no pattern, but IAM rejects control characters
 * (even a newline) with this one (seen in AWS's answer quoted in aws-cloudformation/cfn-lint#345).
 */
export const policyDescription = () =>
  s.string({ max: 1000, pattern: /^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$/u, patternText: "[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*" });

/** AWS answers InvalidInput for a PolicyArn that is not an IAM policy ARN. */
export function checkPolicyArn(arn: string): void {
  const a = parseArn(arn);
  if (a?.service !== "iam" || !a.resource.startsWith("policy/") || a.resource.length <= "policy/".length)
    throw errors.invalidInput(`ARN ${arn} is not valid.`);
}

export const policyNotFound = (arn: string) => errors.noSuchEntity(`Policy ${arn} was not found.`);

/** AWS's answer for a PermissionsBoundary that names no managed policy this account can use. */
export const boundaryNotFound = (arn: string) => errors.noSuchEntity(`Scope ARN: ${arn} does not exist or is not attachable.`);

/**
 * The one rule for a PermissionsBoundary (CreateUser, CreateRole, PutUserPermissionsBoundary,
 * PutRolePermissionsBoundary): an ARN that is not an IAM policy ARN is InvalidInput
 * "ARN … is not valid." (checkPolicyArn, the rule of every PolicyArn); a well-formed one that names
 * no customer managed policy of this account nor an AWS-managed policy is NoSuchEntity
 * "Scope ARN: … does not exist or is not attachable." Both texts are AWS's (the second is quoted
 * from AWS answers in public issue threads). Not confirmed: how AWS treats a policy ARN with a
 * region or a malformed account field; they can name no policy, so they get NoSuchEntity here
 * (LocalStack's provider draws the same line, at ":policy/").
 */
export async function requireBoundaryPolicy(ctx: ActionContext, arn: string): Promise<void> {
  checkPolicyArn(arn);
  if (!(await managedPolicyExists(ctx.db, account(ctx), arn))) throw boundaryNotFound(arn);
}

/**
 * AWS-managed policies belong to the `aws` account: no caller, not even a root user, may change
 * them, and AWS denies the call as a cross-account request no resource-based policy allows.
 */
export function denyAwsManagedWrite(ctx: ActionContext, action: string, arn: string): void {
  if (!isAwsManagedArn(arn)) return;
  const a = `iam:${action}`;
  throw errors.accessDenied(
    `User: ${ctx.caller.principal.arn} is not authorized to perform: ${a} on resource: policy ${arn} because no resource-based policy allows the ${a} action`,
  );
}

export function validateDocument(doc: string, kind: "identity", managed: boolean): void {
  const r = parsePolicy(doc, kind, managed ? { requireVersion2012: true } : {});
  if (!r.ok) throw errors.malformedPolicy(r.message);
}

export function validateManagedDocument(doc: string): void {
  validateDocument(doc, "identity", true);
  if (policySizeWithoutWhitespace(doc) > MANAGED_POLICY_SIZE_LIMIT)
    throw errors.limitExceeded(`Cannot exceed quota for PolicySize: ${MANAGED_POLICY_SIZE_LIMIT}`);
}

export const account = (ctx: ActionContext) => ctx.caller.principal.account;

/** Loads a policy for an action on it: InvalidInput for a bad ARN, NoSuchEntity when absent. */
export async function requirePolicy(ctx: ActionContext, arn: string): Promise<PolicyRow> {
  checkPolicyArn(arn);
  const p = await getPolicy(ctx.db, account(ctx), arn);
  if (!p) throw policyNotFound(arn);
  return p;
}

const policyArnField = { PolicyArn: req.arn() };

export const createPolicyAction = defineAction({
  service: "iam",
  name: "CreatePolicy",
  effect: "permissions",
  input: {
    PolicyName: req.name(128),
    Path: common.path(),
    PolicyDocument: req.policyDocument(),
    Description: policyDescription(),
    Tags: common.tags(),
  },
  target: (i, ctx) => ({
    resource: iamArn(account(ctx), "policy", i.Path ?? "/", i.PolicyName),
    context: requestTagContext(i.Tags),
  }),
  async handler(i, ctx) {
    const tags = i.Tags ?? [];
    validateTags(tags);
    validateManagedDocument(i.PolicyDocument);
    const acct = account(ctx);
    const path = i.Path ?? "/";
    const now = isoSeconds(ctx.request.now);
    const p: PolicyRow = {
      policyId: newUniqueId("ANPA"),
      policyName: i.PolicyName,
      path,
      arn: iamArn(acct, "policy", path, i.PolicyName),
      defaultVersionId: "v1",
      description: i.Description ?? null,
      createDate: now,
      updateDate: now,
      attachmentCount: 0,
      boundaryCount: 0,
      awsManaged: false,
    };
    let created: Awaited<ReturnType<typeof createPolicy>>;
    try {
      created = await createPolicy(ctx.write, { ...p, description: i.Description, document: i.PolicyDocument, createDate: now, tags });
    } catch (e) {
      if (e instanceof Error && /UNIQUE constraint failed: policies\.arn/.test(e.message)) created = "exists";
      else throw e;
    }
    if (created === "exists") throw alreadyExists.policy(i.PolicyName);
    if (created === "limit") throw errors.limitExceeded(quotaMessage("PoliciesPerAccount"));
    // AWS's CreatePolicy answer has no Description (GetPolicy shows it).
    return { Policy: policyView(p, { tags }) };
  },
});

export const getPolicyAction = defineAction({
  service: "iam",
  name: "GetPolicy",
  effect: "read",
  input: policyArnField,
  target: (i) => ({ resource: i.PolicyArn }),
  async handler(i, ctx) {
    const p = await requirePolicy(ctx, i.PolicyArn);
    const tags = p.awsManaged ? [] : await listTags(ctx.db, account(ctx), "policy", p.policyId);
    return { Policy: policyView(p, { description: true, tags, emptyTags: true }) };
  },
});

export const listPoliciesAction = defineAction({
  service: "iam",
  name: "ListPolicies",
  effect: "read",
  input: {
    Scope: s.string({ enum: ["All", "AWS", "Local"] }),
    OnlyAttached: s.boolean(),
    PathPrefix: s.string({ min: 1, max: 512, pattern: /^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/, patternText: "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/" }),
    PolicyUsageFilter: s.string({ enum: ["PermissionsPolicy", "PermissionsBoundary"] }),
    ...paging,
  },
  target: () => ({ resource: "*" }),
  async handler(i, ctx) {
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const key = decodeMarker(i.Marker);
    let after: { name: string; arn: string } | undefined;
    if (key !== undefined) {
      const nl = key.indexOf("\n");
      if (nl < 0) throw errors.validation("Invalid Marker.");
      after = { name: key.slice(0, nl), arn: key.slice(nl + 1) };
    }
    const rows = await listPolicies(ctx.db, account(ctx), {
      scope: (i.Scope ?? "All") as "All" | "AWS" | "Local",
      onlyAttached: i.OnlyAttached ?? false,
      usage: i.PolicyUsageFilter as "PermissionsPolicy" | "PermissionsBoundary" | undefined,
      pathPrefix: i.PathPrefix ?? "/",
      after,
      limit: max + 1,
    });
    const pg = page(rows, max, (p) => `${p.policyName}\n${p.arn}`);
    return { Policies: pg.items.map((p) => policyView(p)), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
});

export const deletePolicyAction = defineAction({
  service: "iam",
  name: "DeletePolicy",
  effect: "permissions",
  input: policyArnField,
  target: (i, ctx) => {
    denyAwsManagedWrite(ctx, "DeletePolicy", i.PolicyArn);
    return { resource: i.PolicyArn };
  },
  async handler(i, ctx) {
    checkPolicyArn(i.PolicyArn);
    const r = await deletePolicy(ctx.write, i.PolicyArn);
    if (r === "notFound") throw policyNotFound(i.PolicyArn);
    if (r === "attached") throw errors.deleteConflict("Cannot delete a policy attached to entities.");
    if (r === "versions")
      throw errors.deleteConflict(
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
      );
    return undefined;
  },
});

const taggedPolicy = (ctx: ActionContext, p: PolicyRow): TaggedEntity => ({ kind: "policy", accountId: account(ctx), id: p.policyId });

export const tagPolicyAction = defineAction({
  service: "iam",
  name: "TagPolicy",
  effect: "write",
  input: { ...policyArnField, ...tagsInput() },
  target: (i, ctx) => {
    denyAwsManagedWrite(ctx, "TagPolicy", i.PolicyArn);
    return { resource: i.PolicyArn, context: requestTagContext(i.Tags) };
  },
  async handler(i, ctx) {
    const p = await requirePolicy(ctx, i.PolicyArn);
    return tagEntity(ctx, taggedPolicy(ctx, p), i.Tags, () => policyNotFound(i.PolicyArn));
  },
});

export const untagPolicyAction = defineAction({
  service: "iam",
  name: "UntagPolicy",
  effect: "write",
  input: { ...policyArnField, ...tagKeysInput() },
  target: (i, ctx) => {
    denyAwsManagedWrite(ctx, "UntagPolicy", i.PolicyArn);
    return { resource: i.PolicyArn, context: { "aws:TagKeys": i.TagKeys } };
  },
  async handler(i, ctx) {
    const p = await requirePolicy(ctx, i.PolicyArn);
    return untagEntity(ctx, taggedPolicy(ctx, p), i.TagKeys, () => policyNotFound(i.PolicyArn));
  },
});

export const listPolicyTagsAction = defineAction({
  service: "iam",
  name: "ListPolicyTags",
  effect: "read",
  input: { ...policyArnField, ...paging },
  target: (i) => ({ resource: i.PolicyArn }),
  async handler(i, ctx) {
    const p = await requirePolicy(ctx, i.PolicyArn);
    // AWS-managed policies carry no tags.
    if (p.awsManaged) return tagPage([], -1, i.MaxItems);
    return listEntityTags(ctx, taggedPolicy(ctx, p), i, () => policyNotFound(i.PolicyArn));
  },
});

export const listEntitiesForPolicyAction = defineAction({
  service: "iam",
  name: "ListEntitiesForPolicy",
  effect: "read",
  input: {
    ...policyArnField,
    EntityFilter: s.string({ enum: ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] }),
    PathPrefix: pathPrefix(),
    PolicyUsageFilter: s.string({ enum: ["PermissionsPolicy", "PermissionsBoundary"] }),
    ...paging,
  },
  target: (i) => ({ resource: i.PolicyArn }),
  async handler(i, ctx) {
    await requirePolicy(ctx, i.PolicyArn);
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const f = i.EntityFilter;
    const types: Array<"user" | "group" | "role"> =
      f === "User" ? ["user"] : f === "Group" ? ["group"] : f === "Role" ? ["role"] : f === undefined ? ["group", "user", "role"] : [];
    const rows = await listEntitiesForPolicy(ctx.db, account(ctx), i.PolicyArn, {
      types,
      usage: i.PolicyUsageFilter as "PermissionsPolicy" | "PermissionsBoundary" | undefined,
      pathPrefix: i.PathPrefix ?? "/",
      after: decodeMarker(i.Marker),
      limit: max + 1,
    });
    const pg = page(rows, max, (r) => r.sortKey);
    return {
      PolicyGroups: pg.items.filter((r) => r.type === "group").map((r) => ({ GroupName: r.name, GroupId: r.id })),
      PolicyUsers: pg.items.filter((r) => r.type === "user").map((r) => ({ UserName: r.name, UserId: r.id })),
      PolicyRoles: pg.items.filter((r) => r.type === "role").map((r) => ({ RoleName: r.name, RoleId: r.id })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },
});

export const policyActions: RegisteredAction[] = [
  createPolicyAction,
  getPolicyAction,
  listPoliciesAction,
  deletePolicyAction,
  tagPolicyAction,
  untagPolicyAction,
  listPolicyTagsAction,
  listEntitiesForPolicyAction,
];
