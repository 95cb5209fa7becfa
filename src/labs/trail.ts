/**
 * What grading reads from an account's CloudTrail (the `usedAction` check: "the learner used
 * sts:AssumeRole at least once"): the recorded events of the account (src/services/cloudtrail),
 * data events included, matched on eventSource/eventName, the caller (userIdentity.arn, or for a
 * role's sessions sessionContext.sessionIssuer.arn) and, for successful calls only, no errorCode.
 * With `IAMLAB_TRAIL=off` nothing is recorded and such checks report `unavailable` (never a pass).
 * Events are written up to a second behind their response; the grader first writes what its own
 * isolate holds (`flushTrail`), so a check right after a call in the same isolate sees it.
 */
import type { Env } from "../env";
import { getDb } from "../store/db";
import { now } from "../lib/time";
import { lookupEvents } from "../services/cloudtrail";
import { flushTrail, trailEnabled } from "../services/cloudtrail/recorder";

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

/** How many events grading looks at per check (newest first): enough for any lab's history. */
const MAX_EVENTS = 5000;

interface Identity {
  arn?: string;
  sessionContext?: { sessionIssuer?: { arn?: string } };
}

/** The reader for this deployment: the account's recorded events, or nothing when the trail is off. */
export function trailFor(env: Env): TrailReader {
  if (!trailEnabled(env)) return NO_TRAIL;
  return {
    async countEvents(q) {
      const [service, eventName] = q.action.split(":");
      if (!service || !eventName) return 0;
      await flushTrail(env);
      const events = await lookupEvents(
        getDb(env.DB),
        q.accountId,
        { attribute: { key: "EventName", value: eventName }, includeData: true, limit: MAX_EVENTS },
        now(),
      );
      return events.filter(({ record }) => {
        if (record.eventSource !== `${service.toLowerCase()}.amazonaws.com`) return false;
        if (q.successfulOnly && record.errorCode !== undefined) return false;
        if (!q.principalArn) return true;
        const who = record.userIdentity as Identity | undefined;
        return who?.arn === q.principalArn || who?.sessionContext?.sessionIssuer?.arn === q.principalArn;
      }).length;
    },
  };
}
