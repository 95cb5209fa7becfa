/**
 * Every action the sandbox serves, as one typed list per service; lookup by service and name (the
 * service comes from the SigV4 scope, else from the name). Tests iterate `ALL_ACTIONS`.
 */
import type { RegisteredAction, ServiceName } from "./action";
import { iamActions } from "./iam/index";
import { stsActions } from "./sts/index";

export const VERSIONS: Record<ServiceName, string> = { iam: "2010-05-08", sts: "2011-06-15" };

export const ALL_ACTIONS: readonly RegisteredAction[] = [...iamActions, ...stsActions];

const byService = new Map<ServiceName, Map<string, RegisteredAction>>([
  ["iam", new Map(iamActions.map((a) => [a.name, a]))],
  ["sts", new Map(stsActions.map((a) => [a.name, a]))],
]);

export function isService(s: string): s is ServiceName {
  return byService.has(s as ServiceName);
}

export function findAction(service: string | undefined, name: string): RegisteredAction | undefined {
  if (service && isService(service)) return byService.get(service)!.get(name);
  for (const actions of byService.values()) {
    const a = actions.get(name);
    if (a) return a;
  }
  return undefined;
}
