/**
 * S3 buckets: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.
 * Names are global across the sandbox (BucketAlreadyExists / BucketAlreadyOwnedByYou); each bucket
 * belongs to one account. The signing region plays the role of the regional endpoint a request was
 * sent to: CreateBucket checks its LocationConstraint against it as S3's regional endpoints do.
 */
import { checkBucketQuota } from "../../limits/quotas"; // hosted (issue 22)
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { createBucket, deleteBucket, getBucket, listBuckets, type BucketRow } from "../../store/s3-buckets";
import { dropBucketUploads } from "../../store/s3-multipart";
import {
  bucketArn,
  deleteBodiesLater,
  decodeToken,
  encodeToken,
  isValidBucketName,
  isoNowSeconds,
  ownerOf,
  requestRegion,
  s3ActionTarget,
  s3err,
} from "./common";
import { s3RequestContext, type S3RequestFacts } from "./condition-keys";
import { DEFAULT_OBJECT_OWNERSHIP, OBJECT_OWNERSHIPS } from "./ownership";
import { AwsError } from "../../protocol/errors";
import type { XmlValue } from "../../protocol/xml";

interface BucketInput {
  Bucket: string;
  ExpectedBucketOwner?: string;
}

/** The bucket of a call (NoSuchBucket before any authorization: bucket names are public), checked against x-amz-expected-bucket-owner. */
export async function loadBucket(ctx: ActionContext, input: BucketInput): Promise<BucketRow> {
  const b = await getBucket(ctx.db, input.Bucket);
  if (!b) throw s3err.noSuchBucket(input.Bucket);
  return b;
}

/** x-amz-expected-bucket-owner: a bucket of another account answers 403 (after authorization, as S3 does). */
export function checkExpectedOwner(input: { ExpectedBucketOwner?: string }, bucket: BucketRow): void {
  if (input.ExpectedBucketOwner !== undefined && input.ExpectedBucketOwner !== bucket.accountId) throw s3err.accessDenied();
}

/** `EU` is the legacy name of eu-west-1. */
export function regionOf(bucket: BucketRow): string {
  return bucket.region === "EU" ? "eu-west-1" : bucket.region;
}

const MAX_BUCKETS_PAGE = 10_000;

/** The request's own facts for S3's condition keys (no bucket yet). */
function requestFacts(ctx: ActionContext, headers?: S3RequestFacts["headers"]): S3RequestFacts {
  const f: S3RequestFacts = { now: ctx.request.now };
  if (ctx.request.signature) f.signature = ctx.request.signature;
  if (ctx.request.tlsVersion) f.tlsVersion = ctx.request.tlsVersion;
  if (headers) f.headers = headers;
  return f;
}

export const ListBuckets = defineAction({
  service: "s3",
  name: "ListBuckets",
  permission: "s3:ListAllMyBuckets",
  effect: "read",
  input: {},
  target: (_i, ctx: ActionContext) => ({
    resource: "*",
    deniedMessage: "s3",
    context: s3RequestContext("s3:ListAllMyBuckets", requestFacts(ctx)),
  }),
  handler: async (i, ctx: ActionContext) => {
    const input = i as { MaxBuckets?: number; ContinuationToken?: string; Prefix?: string; BucketRegion?: string };
    const account = ctx.caller.principal.account;
    if (input.MaxBuckets !== undefined && (input.MaxBuckets < 1 || input.MaxBuckets > MAX_BUCKETS_PAGE))
      throw s3err.invalidArgument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", String(input.MaxBuckets));
    let after = "";
    if (input.ContinuationToken !== undefined) {
      const t = decodeToken(input.ContinuationToken);
      if (t === undefined || !t.startsWith("b:"))
        throw s3err.invalidArgument("The continuation token provided is incorrect", "continuation-token", input.ContinuationToken);
      after = t.slice(2);
    }
    const limit = input.MaxBuckets ?? MAX_BUCKETS_PAGE;
    const regions =
      input.BucketRegion === undefined ? undefined : input.BucketRegion === "eu-west-1" ? ["eu-west-1", "EU"] : [input.BucketRegion];
    const rows = await listBuckets(ctx.db, account, {
      ...(input.Prefix !== undefined ? { prefix: input.Prefix } : {}),
      ...(regions ? { regions } : {}),
      after,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const out: Record<string, XmlValue> = {
      Buckets: page.map((b) => ({ Name: b.name, CreationDate: new Date(b.createDate), BucketRegion: regionOf(b) })),
      Owner: ownerOf(account),
    };
    if (rows.length > limit && page.length) out.ContinuationToken = encodeToken(`b:${page[page.length - 1]!.name}`);
    if (input.Prefix !== undefined) out.Prefix = input.Prefix;
    return out;
  },
});

/** A region name as S3's LocationConstraint takes it (`eu-west-1`, `ap-southeast-2`, `us-gov-west-1` …), or the legacy `EU`. */
const REGION = /^(?:[a-z]{2}(?:-[a-z]+)+-\d{1,2}|EU)$/;

interface CreateBucketInput extends BucketInput {
  ACL?: string;
  ObjectOwnership?: string;
  GrantFullControl?: string;
  GrantRead?: string;
  GrantReadACP?: string;
  GrantWrite?: string;
  GrantWriteACP?: string;
  CreateBucketConfiguration?: { LocationConstraint?: string };
}

export const CreateBucket = defineAction({
  service: "s3",
  name: "CreateBucket",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => {
    const input = i as CreateBucketInput;
    if (!isValidBucketName(input.Bucket)) throw s3err.invalidBucketName(input.Bucket);
    const endpoint = requestRegion(ctx);
    const lc = input.CreateBucketConfiguration?.LocationConstraint;
    // The us-east-1 endpoint takes any region's constraint; a regional endpoint only its own.
    if (lc === undefined || lc === "") {
      if (endpoint !== "us-east-1")
        throw new AwsError(
          "IllegalLocationConstraintException",
          "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
          400,
        );
      return { region: "us-east-1" };
    }
    if (!REGION.test(lc) || lc === "us-east-1")
      throw new AwsError("InvalidLocationConstraint", "The specified location-constraint is not valid", 400).withDetails({
        LocationConstraint: lc,
      });
    const target = lc === "EU" ? "eu-west-1" : lc;
    if (endpoint !== "us-east-1" && endpoint !== target)
      throw new AwsError(
        "IllegalLocationConstraintException",
        `The ${lc} location constraint is incompatible for the region specific endpoint this request was sent to.`,
        400,
      );
    return { region: lc };
  },
  target: (i, ctx: ActionContext) => {
    const input = i as CreateBucketInput;
    const headers: S3RequestFacts["headers"] = {};
    if (input.ACL !== undefined) headers.acl = input.ACL;
    if (input.ObjectOwnership !== undefined) headers.objectOwnership = input.ObjectOwnership;
    const lc = input.CreateBucketConfiguration?.LocationConstraint;
    if (lc) headers.locationConstraint = lc;
    return {
      resource: bucketArn(input.Bucket),
      resourceAccount: ctx.caller.principal.account,
      deniedMessage: "s3",
      context: s3RequestContext("s3:CreateBucket", requestFacts(ctx, headers)),
    };
  },
  handler: async (i, ctx: ActionContext, loaded: { region: string }) => {
    const input = i as CreateBucketInput;
    const ownership = input.ObjectOwnership ?? DEFAULT_OBJECT_OWNERSHIP;
    // Not confirmed against AWS: the wording of S3's answer to an unknown x-amz-object-ownership.
    if (!OBJECT_OWNERSHIPS.some((o) => o === ownership))
      throw s3err.invalidArgument(`Invalid x-amz-object-ownership header: ${ownership}`, "x-amz-object-ownership", ownership);
    // ACLs are disabled by BucketOwnerEnforced (AWS's default since April 2023); the other settings take them (not modelled).
    const grants = input.GrantFullControl ?? input.GrantRead ?? input.GrantReadACP ?? input.GrantWrite ?? input.GrantWriteACP;
    if (ownership === DEFAULT_OBJECT_OWNERSHIP && ((input.ACL !== undefined && input.ACL !== "private") || grants !== undefined))
      throw new AwsError(
        "InvalidBucketAclWithObjectOwnership",
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        400,
      );
    const account = ctx.caller.principal.account;
    await checkBucketQuota(ctx.db, account); // hosted (issue 22)
    const r = await createBucket(ctx.db, {
      name: input.Bucket,
      accountId: account,
      region: loaded.region,
      createDate: isoNowSeconds(ctx.request.now),
      objectOwnership: ownership,
    });
    if (!r.created) throw r.owner === account ? s3err.bucketAlreadyOwnedByYou(input.Bucket) : s3err.bucketAlreadyExists(input.Bucket);
    return { Location: `/${input.Bucket}` };
  },
});

export const HeadBucket = defineAction({
  service: "s3",
  name: "HeadBucket",
  permission: "s3:ListBucket",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as BucketInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:ListBucket", b, bucketArn(b.name)),
  handler: (i, _ctx, b: BucketRow) => {
    checkExpectedOwner(i as BucketInput, b);
    return { BucketRegion: regionOf(b), AccessPointAlias: false };
  },
});

export const DeleteBucket = defineAction({
  service: "s3",
  name: "DeleteBucket",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as BucketInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:DeleteBucket", b, bucketArn(b.name)),
  handler: async (i, ctx: ActionContext, b: BucketRow) => {
    checkExpectedOwner(i as BucketInput, b);
    const r = await deleteBucket(ctx.db, b.name, b.accountId);
    if (r === "notEmpty") throw s3err.bucketNotEmpty(b.name);
    if (r === "missing") throw s3err.noSuchBucket(b.name);
    // S3 deletes a bucket with multipart uploads in progress (only objects make it BucketNotEmpty); they go with it.
    deleteBodiesLater(ctx, await dropBucketUploads(ctx.db, b.name));
    return {};
  },
});

export const GetBucketLocation = defineAction({
  service: "s3",
  name: "GetBucketLocation",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadBucket(ctx, i as BucketInput),
  target: (_i, ctx: ActionContext, b: BucketRow) => s3ActionTarget(ctx, "s3:GetBucketLocation", b, bucketArn(b.name)),
  handler: (i, _ctx, b: BucketRow) => {
    checkExpectedOwner(i as BucketInput, b);
    // us-east-1 answers an empty LocationConstraint.
    return b.region === "us-east-1" ? {} : { LocationConstraint: b.region };
  },
});

export const bucketActions: RegisteredAction[] = [ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation];
