/**
 * EC2's Describe filters (pure): `Filter.N.Name` / `Filter.N.Value.M`, values OR-ed within a filter,
 * filters AND-ed, `*` and `?` wildcards in values. iamlab serves the filters its records can answer;
 * any other name is AWS's `InvalidParameterValue` "The filter 'x' is invalid".
 */
import { ec2err } from "./common";
import { settledState, STATE_CODES } from "./common";
import type { InstanceView, AssociationRow } from "../../store/ec2-instances";

export interface Filter {
  Name?: string;
  Values?: string[];
}

interface Compiled {
  name: string;
  values: RegExp[];
}

function glob(value: string): RegExp {
  const body = value
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

const INSTANCE_FILTERS = new Set([
  "instance-id",
  "instance-state-name",
  "instance-state-code",
  "instance-type",
  "image-id",
  "reservation-id",
  "tag-key",
  "tag-value",
  "iam-instance-profile.arn",
  "iam-instance-profile.id",
  "vpc-id",
  "subnet-id",
  "availability-zone",
  "private-ip-address",
  "owner-id",
]);
const ASSOCIATION_FILTERS = new Set(["instance-id", "state"]);

export function parseFilters(filters: readonly Filter[] | undefined, of: "instances" | "associations"): Compiled[] {
  const known = of === "instances" ? INSTANCE_FILTERS : ASSOCIATION_FILTERS;
  return (filters ?? []).map((f) => {
    const name = f.Name ?? "";
    if (!known.has(name) && !(of === "instances" && name.startsWith("tag:") && name.length > 4))
      throw ec2err("InvalidParameterValue", `The filter '${name}' is invalid`);
    return { name, values: (f.Values ?? []).map(glob) };
  });
}

function anyMatch(values: readonly RegExp[], candidates: readonly (string | undefined)[]): boolean {
  return candidates.some((c) => c !== undefined && values.some((v) => v.test(c)));
}

function instanceValues(name: string, v: InstanceView): (string | undefined)[] {
  const state = settledState(v.state);
  switch (name) {
    case "instance-id":
      return [v.instanceId];
    case "instance-state-name":
      return [state];
    case "instance-state-code":
      return [String(STATE_CODES[state])];
    case "instance-type":
      return [v.instanceType];
    case "image-id":
      return [v.imageId];
    case "reservation-id":
      return [v.reservationId];
    case "tag-key":
      return v.tags.map((t) => t.Key);
    case "tag-value":
      return v.tags.map((t) => t.Value);
    case "iam-instance-profile.arn":
      return [v.association?.instanceProfileArn];
    case "iam-instance-profile.id":
      return [v.association?.instanceProfileId];
    case "vpc-id":
      return [v.vpcId];
    case "subnet-id":
      return [v.subnetId];
    case "availability-zone":
      return [v.availabilityZone];
    case "private-ip-address":
      return [v.privateIp];
    case "owner-id":
      return [v.accountId];
    default: {
      const key = name.slice(4); // tag:<key>
      return v.tags.filter((t) => t.Key === key).map((t) => t.Value);
    }
  }
}

export function matchesFilters(filters: readonly Compiled[], v: InstanceView): boolean {
  return filters.every((f) => anyMatch(f.values, instanceValues(f.name, v)));
}

export function associationMatches(filters: readonly Compiled[], a: AssociationRow, state: string): boolean {
  return filters.every((f) => anyMatch(f.values, [f.name === "state" ? state : a.instanceId]));
}

/** Whether any filter asks for ended associations by state (they are listed only then). */
export function asksForEnded(filters: readonly Compiled[]): boolean {
  return filters.some((f) => f.name === "state" && f.values.some((v) => v.test("disassociated") || v.test("disassociating")));
}
