/**
 * S3 (REST-XML). Until the S3 issue lands no account owns a bucket: ListBuckets answers the empty
 * list with its owner, and PutObject — after its body's streaming signature was verified — the
 * missing bucket, as S3 does.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";

/** S3's canonical user id of an account (64 hex characters; AWS's are opaque, this one is stable per account). */
export function canonicalUserId(account: string): string {
  let h = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < 64; round++) {
    for (const c of `${account}:${round}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
    out += (h >>> 0).toString(16).padStart(8, "0");
  }
  return out.slice(0, 64);
}

const noSuchBucket = (_bucket: string) => new AwsError("NoSuchBucket", "The specified bucket does not exist", 404);

export const ListBuckets = defineAction({
  service: "s3",
  name: "ListBuckets",
  permission: "s3:ListAllMyBuckets",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: (_i, ctx: ActionContext) => ({
    Buckets: [],
    Owner: { DisplayName: ctx.caller.principal.account, ID: canonicalUserId(ctx.caller.principal.account) },
  }),
});

export const PutObject = defineAction({
  service: "s3",
  name: "PutObject",
  effect: "write",
  input: {},
  target: (i) => {
    const { Bucket, Key } = i as { Bucket?: string; Key?: string };
    return { resource: `arn:aws:s3:::${Bucket ?? ""}/${Key ?? ""}` };
  },
  handler: (i) => {
    throw noSuchBucket((i as { Bucket?: string }).Bucket ?? "");
  },
});

export const s3Actions: RegisteredAction[] = [ListBuckets, PutObject];
