/**
 * Every service iamlab serves: its actions (one typed list per service, each action in its family
 * file under src/services/<service>/) and, for the model-driven protocols, AWS's service model
 * (generated from AWS's own models into src/data/generated/models). Tests iterate `ALL_ACTIONS`.
 */
import type { RegisteredAction, ServiceName } from "./action";
import { iamActions } from "./iam/index";
import { stsActions } from "./sts/index";
import { s3Actions } from "./s3/index";
import { sqsActions } from "./sqs/index";
import { organizationsActions } from "./organizations/index";
import { lambdaActions } from "./lambda/functions";
import { ec2Actions } from "./ec2/index";
import { ecrActions } from "./ecr/index";
import { kmsActions } from "./kms/index";
import { snsActions } from "./sns/index";
import { cloudtrailActions } from "./cloudtrail/index";
import { SERVICE_MODELS } from "../data/generated/models/index";
import type { ServiceModel } from "../protocol/model";

/** The Query-protocol services and their API versions (the `Version` parameter). */
export const QUERY_VERSIONS = { iam: "2010-05-08", sts: "2011-06-15" } as const;
export type QueryService = keyof typeof QUERY_VERSIONS;

const ACTIONS: Readonly<Record<ServiceName, readonly RegisteredAction[]>> = {
  iam: iamActions,
  sts: stsActions,
  s3: s3Actions,
  sqs: sqsActions,
  organizations: organizationsActions,
  lambda: lambdaActions,
  ec2: ec2Actions,
  kms: kmsActions,
  ecr: ecrActions,
  sns: snsActions,
  cloudtrail: cloudtrailActions,
};

export const ALL_ACTIONS: readonly RegisteredAction[] = Object.values(ACTIONS).flat();

const byService = new Map<string, Map<string, RegisteredAction>>(
  Object.entries(ACTIONS).map(([service, actions]) => [service, new Map(actions.map((a) => [a.name, a]))]),
);

export function isQueryService(s: string): s is QueryService {
  return s === "iam" || s === "sts";
}

/** An action by service and operation name; without a service (unsigned Query requests), IAM's then STS's. */
export function findAction(service: string | undefined, name: string): RegisteredAction | undefined {
  if (service) return byService.get(service)?.get(name);
  return byService.get("iam")!.get(name) ?? byService.get("sts")!.get(name);
}

/** AWS's models of the services spoken in the model-driven protocols, by service name. */
export const MODELS: Readonly<Record<string, ServiceModel>> = SERVICE_MODELS;
