/**
 * The actions an access edge can carry, per resource type: every catalogued action of the service
 * that applies to the type (Service Authorization Reference, src/data/catalog). An S3 bucket's
 * vertex carries its bucket actions on the bucket ARN and its object actions on `<bucket>/*` (every
 * object: a policy granting only a prefix does not give an edge to the bucket).
 */
import { actionResourceTypes, listActions } from "../data/catalog";
import type { ResourceType } from "./types";

export interface CandidateAction {
  action: string;
  lower: string;
  /** Appended to the resource's ARN for the request (`/*` for S3 object actions). */
  suffix: string;
}

const TYPES: Record<ResourceType, { service: string; types: Array<{ name: string; suffix: string }> }> = {
  "s3:bucket": {
    service: "s3",
    types: [
      { name: "bucket", suffix: "" },
      { name: "object", suffix: "/*" },
    ],
  },
  "sqs:queue": { service: "sqs", types: [{ name: "queue", suffix: "" }] },
  "sns:topic": { service: "sns", types: [{ name: "topic", suffix: "" }] },
  "kms:key": { service: "kms", types: [{ name: "key", suffix: "" }] },
  "ecr:repository": { service: "ecr", types: [{ name: "repository", suffix: "" }] },
  "lambda:function": { service: "lambda", types: [{ name: "function", suffix: "" }] },
};

const cache = new Map<ResourceType, CandidateAction[]>();

export function actionsFor(type: ResourceType): CandidateAction[] {
  let list = cache.get(type);
  if (list) return list;
  const { service, types } = TYPES[type];
  list = [];
  for (const name of listActions(service)) {
    const rts = actionResourceTypes(service, name);
    for (const t of types) {
      if (rts.some((rt) => rt.name.toLowerCase() === t.name)) {
        const action = `${service}:${name}`;
        list.push({ action, lower: action.toLowerCase(), suffix: t.suffix });
        break;
      }
    }
  }
  cache.set(type, list);
  return list;
}

export function serviceOf(type: ResourceType): string {
  return TYPES[type].service;
}
