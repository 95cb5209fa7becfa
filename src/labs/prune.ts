/**
 * A reset's second half for service resources (issue 21): what the learner made that the template
 * does not have goes — buckets (emptied first, multipart uploads aborted), objects the learner added
 * to the template's buckets, queues (the template's are purged), topics (and other subscriptions of
 * the template's topics), customer-managed keys (scheduled for deletion: KMS
 * never deletes a key at once, AWS's minimum window is 7 days) and their aliases, repositories (with
 * their images), running instances, functions and CloudTrail trails. Each through the service's own
 * API as the account's root, like the rest of the labs code (./resources.ts), so every deletion is
 * in the account's CloudTrail. Best effort: a deletion that fails is reported, not fatal (the reset's
 * IAM part has already been applied).
 */
import type { Env } from "../env";
import type { Db } from "../store/db";
import { callAs, type CallResult } from "../services/dispatch";
import { substituteAccount } from "./substitute";
import { INSTANCE_TAG, rootContext, type ResourceSections } from "./resources";

export interface PruneReport {
  deleted: string[];
  /** deletions that failed: `kind/name: Code: message` */
  failed: string[];
}

type Out = Record<string, unknown>;
const out = (r: CallResult): Out => (r.ok ? ((r.output ?? {}) as Out) : {});
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export async function pruneResources(env: Env, db: Db, account: string, raw: ResourceSections, now: number): Promise<PruneReport> {
  const t = substituteAccount(raw, account);
  const waits: Promise<unknown>[] = [];
  const ctx = rootContext(env, db, account, now, waits);
  const run = (service: string, action: string, params: Record<string, unknown> = {}) => callAs(ctx, service, action, params);
  const report: PruneReport = { deleted: [], failed: [] };
  const done = (what: string, r: CallResult) => {
    if (r.ok) report.deleted.push(what);
    else report.failed.push(`${what}: ${r.error.code}: ${r.error.message}`);
  };
  try {
    // ---- S3: buckets the template lacks, and objects it lacks in the ones it has.
    const keep = new Map((t.buckets ?? []).map((b) => [b.name, new Set((b.objects ?? []).map((o) => o.key))]));
    for (const b of list<{ Name?: string }>(out(await run("s3", "ListBuckets")).Buckets)) {
      const name = b.Name ?? "";
      const kept = keep.get(name);
      for (const u of list<{ Key?: string; UploadId?: string }>(out(await run("s3", "ListMultipartUploads", { Bucket: name })).Uploads))
        await run("s3", "AbortMultipartUpload", { Bucket: name, Key: u.Key, UploadId: u.UploadId });
      let token: string | undefined;
      do {
        const page = out(await run("s3", "ListObjectsV2", { Bucket: name, ...(token ? { ContinuationToken: token } : {}) }));
        const extra = list<{ Key?: string }>(page.Contents)
          .map((o) => o.Key ?? "")
          .filter((k) => !kept?.has(k));
        if (extra.length) {
          const r = await run("s3", "DeleteObjects", { Bucket: name, Delete: { Objects: extra.map((Key) => ({ Key })), Quiet: true } });
          if (kept) for (const k of extra) done(`bucket/${name}/${k}`, r);
        }
        token = typeof page.NextContinuationToken === "string" ? page.NextContinuationToken : undefined;
      } while (token);
      if (!kept) done(`bucket/${name}`, await run("s3", "DeleteBucket", { Bucket: name }));
    }
    // ---- SQS
    const queues = new Set((t.queues ?? []).map((q) => q.name));
    for (const url of list<string>(out(await run("sqs", "ListQueues")).QueueUrls)) {
      const name = url.slice(url.lastIndexOf("/") + 1);
      if (!queues.has(name)) done(`queue/${name}`, await run("sqs", "DeleteQueue", { QueueUrl: url }));
      // The template's queues start empty again (SQS allows one purge a minute: a second reset within it keeps them).
      else await run("sqs", "PurgeQueue", { QueueUrl: url });
    }
    // ---- SNS
    const topics = new Map(
      (t.topics ?? []).map((x) => [x.name, new Set((x.subscriptions ?? []).map((q) => `arn:aws:sqs:us-east-1:${account}:${q.queue}`))]),
    );
    for (const x of list<{ TopicArn?: string }>(out(await run("sns", "ListTopics")).Topics)) {
      const arn = x.TopicArn ?? "";
      const name = arn.slice(arn.lastIndexOf(":") + 1);
      const subscribed = topics.get(name);
      if (!subscribed) {
        done(`topic/${name}`, await run("sns", "DeleteTopic", { TopicArn: arn }));
        continue;
      }
      // The template's topic keeps the template's subscriptions only.
      const subs = list<{ SubscriptionArn?: string; Protocol?: string; Endpoint?: string }>(
        out(await run("sns", "ListSubscriptionsByTopic", { TopicArn: arn })).Subscriptions,
      );
      for (const sub of subs)
        if (!(sub.Protocol === "sqs" && subscribed.has(sub.Endpoint ?? "")) && sub.SubscriptionArn?.startsWith("arn:"))
          done(`subscription/${name}/${sub.Endpoint ?? ""}`, await run("sns", "Unsubscribe", { SubscriptionArn: sub.SubscriptionArn }));
    }
    // ---- KMS: keys are the template's by alias; other customer keys are scheduled for deletion.
    const aliases = new Set((t.keys ?? []).map((k) => `alias/${k.alias}`));
    const keptKeys = new Set<string>();
    for (const a of list<{ AliasName?: string; TargetKeyId?: string }>(out(await run("kms", "ListAliases")).Aliases)) {
      const name = a.AliasName ?? "";
      if (name.startsWith("alias/aws/")) continue;
      if (aliases.has(name)) {
        if (a.TargetKeyId) keptKeys.add(a.TargetKeyId);
      } else done(`alias/${name.slice("alias/".length)}`, await run("kms", "DeleteAlias", { AliasName: name }));
    }
    for (const k of list<{ KeyId?: string }>(out(await run("kms", "ListKeys")).Keys)) {
      const id = k.KeyId ?? "";
      if (keptKeys.has(id)) continue;
      const meta = out(await run("kms", "DescribeKey", { KeyId: id })).KeyMetadata as
        | { KeyManager?: string; KeyState?: string }
        | undefined;
      if (meta?.KeyManager !== "CUSTOMER" || meta.KeyState === "PendingDeletion") continue;
      done(`key/${id}`, await run("kms", "ScheduleKeyDeletion", { KeyId: id, PendingWindowInDays: 7 }));
    }
    // ---- ECR
    const repos = new Set((t.repositories ?? []).map((r) => r.name));
    for (const r of list<{ repositoryName?: string }>(out(await run("ecr", "DescribeRepositories")).repositories)) {
      const name = r.repositoryName ?? "";
      if (!repos.has(name)) done(`repository/${name}`, await run("ecr", "DeleteRepository", { repositoryName: name, force: true }));
    }
    // ---- EC2: the template's instances are found by their lab tag (one each); the rest are terminated.
    const instances = new Set((t.instances ?? []).map((x) => x.name));
    const seen = new Set<string>();
    const described = out(
      await run("ec2", "DescribeInstances", {
        Filters: [{ Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] }],
      }),
    );
    const extra: string[] = [];
    for (const res of list<{ Instances?: unknown }>(described.Reservations))
      for (const i of list<{ InstanceId?: string; Tags?: { Key?: string; Value?: string }[] }>(res.Instances)) {
        const lab = (i.Tags ?? []).find((x) => x.Key === INSTANCE_TAG)?.Value;
        if (lab !== undefined && instances.has(lab) && !seen.has(lab)) seen.add(lab);
        else if (i.InstanceId) extra.push(i.InstanceId);
      }
    if (extra.length) {
      const r = await run("ec2", "TerminateInstances", { InstanceIds: extra });
      for (const id of extra) done(`instance/${id}`, r);
    }
    // ---- Lambda
    const functions = new Set((t.functions ?? []).map((f) => f.name));
    for (const f of list<{ FunctionName?: string }>(out(await run("lambda", "ListFunctions")).Functions)) {
      const name = f.FunctionName ?? "";
      if (!functions.has(name)) done(`function/${name}`, await run("lambda", "DeleteFunction", { FunctionName: name }));
    }
    // ---- CloudTrail: trails the template lacks go, each deleted in its home region (AWS).
    const trails = new Set((t.trails ?? []).map((x) => x.name));
    for (const x of list<{ TrailARN?: string; Name?: string; HomeRegion?: string }>(out(await run("cloudtrail", "ListTrails")).Trails)) {
      if (trails.has(x.Name ?? "") && (x.HomeRegion ?? "us-east-1") === "us-east-1") continue;
      const home = { ...ctx, request: { ...ctx.request, region: x.HomeRegion ?? ctx.request.region } };
      done(`trail/${x.Name ?? ""}`, await callAs(home, "cloudtrail", "DeleteTrail", { Name: x.TrailARN }));
    }
    return report;
  } finally {
    await Promise.all(waits);
  }
}
