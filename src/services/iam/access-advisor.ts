/**
 * Access Advisor: GenerateServiceLastAccessedDetails (user, group, role or policy; SERVICE_LEVEL or
 * ACTION_LEVEL) → JobId; GetServiceLastAccessedDetails lists every service the entity's policies
 * allow with its last authenticated use (fed by recordActivity on the request path);
 * GetServiceLastAccessedDetailsWithEntities lists who used one service. Jobs are computed at once.
 */
import { defineAction, type RegisteredAction } from "../action";
import { s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { parseArn } from "../../lib/arn";
import { isoSeconds } from "../../lib/clock";
import { parsePolicy } from "../../policy/index";
import { expandActionPattern, listActions, serviceNames, serviceTitle } from "../../data/catalog";
import * as store from "../../store/access-activity";
import { DEFAULT_MAX_ITEMS, decodeMarker, encodeMarker, notFound } from "./common";

type Granularity = "SERVICE_LEVEL" | "ACTION_LEVEL";

interface TrackedAction {
  ActionName: string;
  LastAccessedEntity?: string;
  LastAccessedTime?: string;
  LastAccessedRegion?: string;
}
interface ServiceLastAccessed {
  ServiceName: string;
  LastAuthenticated?: string;
  ServiceNamespace: string;
  LastAuthenticatedEntity?: string;
  LastAuthenticatedRegion?: string;
  TotalAuthenticatedEntities: number;
  TrackedActionsLastAccessed?: TrackedAction[];
}
interface EntityDetails {
  EntityInfo: { Arn: string; Name: string; Type: string; Id: string; Path: string };
  LastAuthenticated?: string;
}
interface JobResult {
  services: ServiceLastAccessed[];
  entities: Record<string, EntityDetails[]>;
}

/** Access Advisor's service names: the catalogue's title without the trailing acronym. */
function serviceName(ns: string): string {
  return (serviceTitle(ns) ?? ns).replace(/\s+\([^)]*\)$/, "");
}

/** Catalogued actions (lower-cased `service:action`) that some Allow statement of the documents reaches. */
export function allowedActions(documents: string[]): Set<string> {
  const out = new Set<string>();
  let all: string[] | undefined;
  for (const doc of documents) {
    const parsed = parsePolicy(doc, "identity");
    if (!parsed.ok) continue;
    for (const st of parsed.policy.statements) {
      if (st.effect !== "Allow") continue;
      if (!st.action.not) {
        for (const v of st.action.values) for (const a of expandActionPattern(v)) out.add(a.toLowerCase());
        continue;
      }
      const excluded = new Set<string>();
      for (const v of st.action.values) for (const a of expandActionPattern(v)) excluded.add(a.toLowerCase());
      all ??= serviceNames().flatMap((svc) => listActions(svc).map((n) => `${svc}:${n}`.toLowerCase()));
      for (const a of all) if (!excluded.has(a)) out.add(a);
    }
  }
  return out;
}

/** The report of a job, from the subject's policies and its entities' recorded activity. */
export function computeReport(subject: store.JobSubject, activity: store.ActivityRow[], granularity: Granularity): JobResult {
  const allowed = allowedActions(subject.documents);
  const namespaces = new Set([...allowed].map((a) => a.slice(0, a.indexOf(":"))));
  const services: ServiceLastAccessed[] = [];
  const entities: Record<string, EntityDetails[]> = {};
  for (const ns of namespaces) {
    const rows = activity.filter((r) => r.service === ns && r.action === "");
    const latest = rows.reduce<store.ActivityRow | undefined>(
      (m, r) => (!m || r.lastAuthenticated > m.lastAuthenticated ? r : m),
      undefined,
    );
    const svc: ServiceLastAccessed = {
      ServiceName: serviceName(ns),
      LastAuthenticated: latest?.lastAuthenticated,
      ServiceNamespace: ns,
      LastAuthenticatedEntity: latest?.entityArn,
      LastAuthenticatedRegion: latest?.region,
      TotalAuthenticatedEntities: new Set(rows.map((r) => r.entityArn)).size,
    };
    if (granularity === "ACTION_LEVEL" && store.TRACKED_SERVICES.has(ns)) {
      const byAction = new Map<string, store.ActivityRow>();
      for (const r of activity) {
        if (r.service !== ns || r.action === "" || !allowed.has(`${ns}:${r.action}`.toLowerCase())) continue;
        const cur = byAction.get(r.action);
        if (!cur || r.lastAuthenticated > cur.lastAuthenticated) byAction.set(r.action, r);
      }
      const tracked = [...byAction.values()]
        .sort((a, b) => a.action.localeCompare(b.action))
        .map((r) => ({
          ActionName: r.action,
          LastAccessedEntity: r.entityArn,
          LastAccessedTime: r.lastAuthenticated,
          LastAccessedRegion: r.region,
        }));
      if (tracked.length) svc.TrackedActionsLastAccessed = tracked;
    }
    services.push(svc);
    entities[ns] = subject.entities.map((e) => {
      const mine = rows
        .filter((r) => r.entityArn === e.arn)
        .map((r) => r.lastAuthenticated)
        .sort()
        .pop();
      return { EntityInfo: { Arn: e.arn, Name: e.name, Type: e.type, Id: e.id, Path: e.path }, LastAuthenticated: mine };
    });
  }
  services.sort((a, b) => (a.ServiceName < b.ServiceName ? -1 : a.ServiceName > b.ServiceName ? 1 : 0));
  return { services, entities };
}

const KINDS = { user: "user", group: "group", role: "role", policy: "policy" } as const;

function subjectKind(arn: string, account: string): "user" | "group" | "role" | "policy" {
  const a = parseArn(arn);
  const kind = a?.resource.slice(0, a.resource.indexOf("/")) as keyof typeof KINDS | undefined;
  const ok = a && a.service === "iam" && kind && kind in KINDS && (a.account === account || (kind === "policy" && a.account === "aws"));
  if (!ok) throw errors.invalidInput(`ARN ${arn} is not valid.`);
  return KINDS[kind!];
}

function notFoundFor(kind: string, arn: string) {
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  if (kind === "user") return notFound.user(name);
  if (kind === "group") return notFound.group(name);
  if (kind === "role") return notFound.role(name);
  return notFound.policy(arn);
}

const jobId = () => s.string({ required: true, min: 36, max: 36 });
const noSuchJob = (id: string) => errors.noSuchEntity(`No job with the specified ID ${id} was found.`);

function pageOf<T>(items: T[], maxItems: number | undefined, marker: string | undefined) {
  const start = marker === undefined ? 0 : Number(decodeMarker(marker));
  if (!Number.isInteger(start) || start < 0) throw errors.validation("Invalid Marker.");
  const max = maxItems ?? DEFAULT_MAX_ITEMS;
  const slice = items.slice(start, start + max);
  const more = start + max < items.length;
  return { items: slice, IsTruncated: more, Marker: more ? encodeMarker(String(start + max)) : undefined };
}

export const GenerateServiceLastAccessedDetails = defineAction({
  service: "iam",
  name: "GenerateServiceLastAccessedDetails",
  effect: "none",
  input: {
    Arn: s.string({ required: true, min: 20, max: 2048 }),
    Granularity: s.string({ enum: ["SERVICE_LEVEL", "ACTION_LEVEL"] as const }),
  },
  target: (i) => ({ resource: i.Arn }),
  handler: async (i, ctx) => {
    const account = ctx.caller.principal.account;
    const kind = subjectKind(i.Arn, account);
    const subject = await store.jobSubject(ctx.db, account, kind, i.Arn);
    if (!subject) throw notFoundFor(kind, i.Arn);
    const granularity = (i.Granularity ?? "SERVICE_LEVEL") as Granularity;
    const activity = await store.activityOf(
      ctx.db,
      account,
      subject.entities.map((e) => e.arn),
    );
    const now = isoSeconds(ctx.request.now);
    const id = crypto.randomUUID();
    await store.insertJob(ctx.db, account, {
      jobId: id,
      arn: i.Arn,
      granularity,
      status: "COMPLETED",
      creationDate: now,
      completionDate: now,
      result: JSON.stringify(computeReport(subject, activity, granularity)),
    });
    return { JobId: id };
  },
});

export const GetServiceLastAccessedDetails = defineAction({
  service: "iam",
  name: "GetServiceLastAccessedDetails",
  effect: "read",
  input: { JobId: jobId(), MaxItems: s.integer({ min: 1, max: 1000 }), Marker: s.string({ min: 1, max: 320 }) },
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const job = await store.getJob(ctx.db, ctx.caller.principal.account, i.JobId);
    if (!job) throw noSuchJob(i.JobId);
    const result = JSON.parse(job.result ?? '{"services":[],"entities":{}}') as JobResult;
    const pg = pageOf(result.services, i.MaxItems, i.Marker);
    return {
      JobStatus: job.status,
      JobType: job.granularity,
      JobCreationDate: job.creationDate,
      ServicesLastAccessed: pg.items.map((svc) => ({
        ...svc,
        TrackedActionsLastAccessed: svc.TrackedActionsLastAccessed?.map((t) => ({ ...t })),
      })),
      JobCompletionDate: job.completionDate ?? undefined,
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },
});

export const GetServiceLastAccessedDetailsWithEntities = defineAction({
  service: "iam",
  name: "GetServiceLastAccessedDetailsWithEntities",
  effect: "read",
  input: {
    JobId: jobId(),
    ServiceNamespace: s.string({ required: true, min: 1, max: 64, pattern: /^[\w-]*$/, patternText: "[\\w-]*" }),
    MaxItems: s.integer({ min: 1, max: 1000 }),
    Marker: s.string({ min: 1, max: 320 }),
  },
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const job = await store.getJob(ctx.db, ctx.caller.principal.account, i.JobId);
    if (!job) throw noSuchJob(i.JobId);
    const result = JSON.parse(job.result ?? '{"services":[],"entities":{}}') as JobResult;
    const pg = pageOf(result.entities[i.ServiceNamespace.toLowerCase()] ?? [], i.MaxItems, i.Marker);
    return {
      JobStatus: job.status,
      JobCreationDate: job.creationDate,
      JobCompletionDate: job.completionDate ?? undefined,
      EntityDetailsList: pg.items.map((e) => ({ EntityInfo: { ...e.EntityInfo }, LastAuthenticated: e.LastAuthenticated })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },
});

export const accessAdvisorActions: RegisteredAction[] = [
  GenerateServiceLastAccessedDetails,
  GetServiceLastAccessedDetails,
  GetServiceLastAccessedDetailsWithEntities,
];
