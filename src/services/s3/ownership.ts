/**
 * S3 Object Ownership: Get/Put/DeleteBucketOwnershipControls, and what the setting means for ACL
 * headers on object writes.
 *
 * Every new bucket is BucketOwnerEnforced (AWS's default since April 2023): ACLs are disabled, and a
 * write that carries an ACL other than `private` / `bucket-owner-full-control` or any x-amz-grant-*
 * header is refused with AccessControlListNotSupported. With ObjectWriter or BucketOwnerPreferred
 * (or no controls at all, after DeleteBucketOwnershipControls, which on AWS behaves as ObjectWriter)
 * ACLs are enabled: iamlab then accepts canned ACLs and grants but does not model them — access is
 * decided by identity and bucket policies alone (a documented simplification; s3:x-amz-acl still
 * reaches the policies). Delete is authorized as s3:PutBucketOwnershipControls, as AWS documents.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { setObjectOwnership, type BucketRow } from "../../store/s3-buckets";
import { AwsError } from "../../protocol/errors";
import { bucketArn, s3ActionTarget, s3err } from "./common";
import { checkExpectedOwner, loadBucket } from "./buckets";

export const OBJECT_OWNERSHIPS = ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"] as const;
export const DEFAULT_OBJECT_OWNERSHIP = "BucketOwnerEnforced";

/** True when the bucket's Object Ownership disables ACLs. */
export function aclsDisabled(bucket: BucketRow): boolean {
  return bucket.objectOwnership === DEFAULT_OBJECT_OWNERSHIP;
}

/** The ACL headers of a write (x-amz-acl and x-amz-grant-*), as decoded. */
export interface AclHeaders {
  ACL?: string;
  GrantFullControl?: string;
  GrantRead?: string;
  GrantReadACP?: string;
  GrantWrite?: string;
  GrantWriteACP?: string;
}

/** Refuses ACL headers on a bucket whose ACLs are disabled; only the canned ACLs that grant nothing extra pass. */
export function checkObjectAcl(bucket: BucketRow, h: AclHeaders): void {
  if (!aclsDisabled(bucket)) return;
  if (h.ACL !== undefined && h.ACL !== "private" && h.ACL !== "bucket-owner-full-control") throw s3err.aclNotSupported();
  if (h.GrantFullControl ?? h.GrantRead ?? h.GrantReadACP ?? h.GrantWrite ?? h.GrantWriteACP) throw s3err.aclNotSupported();
}

const notFound = (bucket: string) =>
  new AwsError("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", 404).withDetails({ BucketName: bucket });

interface OwnershipInput {
  Bucket: string;
  ExpectedBucketOwner?: string;
  OwnershipControls?: { Rules?: { ObjectOwnership?: string }[] };
}

export const GetBucketOwnershipControls = defineAction({
  service: "s3",
  name: "GetBucketOwnershipControls",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as OwnershipInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:GetBucketOwnershipControls", b, bucketArn(b.name)),
  handler: (i, _ctx, b: BucketRow) => {
    checkExpectedOwner(i as OwnershipInput, b);
    if (b.objectOwnership === undefined) throw notFound(b.name);
    return { OwnershipControls: { Rules: [{ ObjectOwnership: b.objectOwnership }] } };
  },
});

export const PutBucketOwnershipControls = defineAction({
  service: "s3",
  name: "PutBucketOwnershipControls",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as OwnershipInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:PutBucketOwnershipControls", b, bucketArn(b.name)),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as OwnershipInput;
    checkExpectedOwner(input, b);
    // Exactly one rule with one of the three settings; anything else fails S3's schema.
    const rules = input.OwnershipControls?.Rules ?? [];
    const value = rules[0]?.ObjectOwnership;
    if (rules.length !== 1 || !OBJECT_OWNERSHIPS.some((o) => o === value)) throw s3err.malformedXml();
    if (!(await setObjectOwnership(ctx.db, b.name, b.accountId, value!))) throw s3err.noSuchBucket(b.name);
    return {};
  },
});

export const DeleteBucketOwnershipControls = defineAction({
  service: "s3",
  name: "DeleteBucketOwnershipControls",
  permission: "s3:PutBucketOwnershipControls",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as OwnershipInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:PutBucketOwnershipControls", b, bucketArn(b.name)),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    checkExpectedOwner(i as OwnershipInput, b);
    if (!(await setObjectOwnership(ctx.db, b.name, b.accountId, null))) throw s3err.noSuchBucket(b.name);
    return {};
  },
});

export const ownershipActions: RegisteredAction[] = [GetBucketOwnershipControls, PutBucketOwnershipControls, DeleteBucketOwnershipControls];
