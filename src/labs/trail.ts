/**
 * What grading reads from an account's CloudTrail (the `usedAction` check: "the learner used
 * sts:AssumeRole at least once"). The trail itself is another slice of issue 21; until it is wired
 * here, `NO_TRAIL` answers that nothing is recorded and such checks report `unavailable` (never a
 * pass). To wire it: implement `countEvents` over the recorded events (eventSource/eventName from
 * the action, userIdentity.arn or sessionContext.sessionIssuer.arn for the principal, errorCode
 * absent for successful calls only) and pass it to the results routes (src/labs/routes.ts `trailFor`).
 */
import type { Env } from "../env";

export interface TrailQuery {
  accountId: string;
  /** `sts:AssumeRole`: eventSource sts.amazonaws.com, eventName AssumeRole */
  action: string;
  /** an IAM user or role ARN of the account: the caller (a role: any of its sessions); undefined = anyone */
  principalArn?: string;
  /** only successful calls (no errorCode) */
  successfulOnly: boolean;
}

export interface TrailReader {
  /** How many recorded events match; undefined when the sandbox records no trail. */
  countEvents(q: TrailQuery): Promise<number | undefined>;
}

export const NO_TRAIL: TrailReader = {
  countEvents: async () => undefined,
};

/** The reader for this deployment (the trail slice replaces this factory when it is merged). */
export function trailFor(_env: Env): TrailReader {
  return NO_TRAIL;
}
