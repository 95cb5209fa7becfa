/**
 * S3 Block Public Access at bucket level — PutPublicAccessBlock, GetPublicAccessBlock,
 * DeletePublicAccessBlock — and GetBucketPolicyStatus (is the bucket policy public?).
 *
 * The settings are stored with the bucket (migrations/0008); a new bucket has all four on, as on AWS
 * since April 2023. What they do:
 * - BlockPublicPolicy: PutBucketPolicy refuses a public policy (./bucket-policy.ts);
 * - RestrictPublicBuckets: a public policy grants only service principals and principals of the
 *   owner's account (./public-policy.ts `effectiveBucketPolicy`, applied by `s3Target`);
 * - BlockPublicAcls / IgnorePublicAcls: stored and returned. ACLs are disabled (Object Ownership
 *   BucketOwnerEnforced), so a public ACL is already refused with AccessControlListNotSupported.
 * Account-level settings (s3control) are not served.
 *
 * Permissions (S3 user guide): DeletePublicAccessBlock needs s3:PutBucketPublicAccessBlock.
 * Unlike the bucket policy calls, AWS documents no owner-only rule (405) for these: another account
 * allowed by both sides may call them (unconfirmed against AWS).
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import { setPublicAccessBlock, type BucketRow, type PublicAccessBlock } from "../../store/s3-buckets";
import { bucketArn, s3err, s3Target } from "./common";
import { checkExpectedOwner, loadBucket } from "./buckets";
import { noSuchBucketPolicy } from "./bucket-policy";
import { isPublicPolicy } from "./public-policy";

interface BucketInput {
  Bucket: string;
  ExpectedBucketOwner?: string;
}

interface PublicAccessBlockConfiguration {
  BlockPublicAcls?: boolean;
  IgnorePublicAcls?: boolean;
  BlockPublicPolicy?: boolean;
  RestrictPublicBuckets?: boolean;
}

interface PutInput extends BucketInput {
  PublicAccessBlockConfiguration?: PublicAccessBlockConfiguration;
}

const noSuchConfiguration = (bucket: string): AwsError =>
  new AwsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404).withDetails({
    BucketName: bucket,
  });

/** The configuration as sent: an element left out is false (S3's answer then lists it as false). */
function settingsOf(c: PublicAccessBlockConfiguration): PublicAccessBlock {
  return {
    blockPublicAcls: c.BlockPublicAcls === true,
    ignorePublicAcls: c.IgnorePublicAcls === true,
    blockPublicPolicy: c.BlockPublicPolicy === true,
    restrictPublicBuckets: c.RestrictPublicBuckets === true,
  };
}

const bucketTarget = (_i: object, _ctx: ActionContext, b: BucketRow) => s3Target(b, bucketArn(b.name));
const load = (i: object, ctx: ActionContext) => loadBucket(ctx, i as BucketInput);

export const PutPublicAccessBlock = defineAction({
  service: "s3",
  name: "PutPublicAccessBlock",
  permission: "s3:PutBucketPublicAccessBlock",
  effect: "none",
  input: {},
  load,
  target: bucketTarget,
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    const input = i as PutInput;
    checkExpectedOwner(input, b);
    if (!input.PublicAccessBlockConfiguration) throw s3err.malformedXml();
    if (!(await setPublicAccessBlock(ctx.db, b.name, b.accountId, settingsOf(input.PublicAccessBlockConfiguration))))
      throw s3err.noSuchBucket(b.name);
    return {};
  },
});

export const GetPublicAccessBlock = defineAction({
  service: "s3",
  name: "GetPublicAccessBlock",
  permission: "s3:GetBucketPublicAccessBlock",
  effect: "read",
  input: {},
  load,
  target: bucketTarget,
  handler: (i, _ctx, b: BucketRow) => {
    checkExpectedOwner(i as BucketInput, b);
    const p = b.publicAccessBlock;
    if (!p) throw noSuchConfiguration(b.name);
    return {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: p.blockPublicAcls,
        IgnorePublicAcls: p.ignorePublicAcls,
        BlockPublicPolicy: p.blockPublicPolicy,
        RestrictPublicBuckets: p.restrictPublicBuckets,
      },
    };
  },
});

export const DeletePublicAccessBlock = defineAction({
  service: "s3",
  name: "DeletePublicAccessBlock",
  permission: "s3:PutBucketPublicAccessBlock",
  effect: "none",
  input: {},
  load,
  target: bucketTarget,
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    checkExpectedOwner(i as BucketInput, b);
    // 204 whether or not there was a configuration.
    if (!(await setPublicAccessBlock(ctx.db, b.name, b.accountId, null))) throw s3err.noSuchBucket(b.name);
    return {};
  },
});

export const GetBucketPolicyStatus = defineAction({
  service: "s3",
  name: "GetBucketPolicyStatus",
  effect: "read",
  input: {},
  load,
  target: bucketTarget,
  handler: (i, _ctx, b: BucketRow) => {
    checkExpectedOwner(i as BucketInput, b);
    if (b.policy === undefined) throw noSuchBucketPolicy(b.name);
    // The policy as written: RestrictPublicBuckets limits what it grants, not whether it is public.
    return { PolicyStatus: { IsPublic: isPublicPolicy(b.policy) } };
  },
});

export const publicAccessActions: RegisteredAction[] = [
  PutPublicAccessBlock,
  GetPublicAccessBlock,
  DeletePublicAccessBlock,
  GetBucketPolicyStatus,
];
