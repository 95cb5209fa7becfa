/**
 * CloudTrail (JSON 1.1, `CloudTrail_20131101.*`): every served call becomes an event
 * (./event.ts builds the record, ./recorder.ts writes it behind the response), and LookupEvents
 * reads them (./lookup-events.ts; `lookupEvents` for other modules); trails deliver them to S3
 * (./trails.ts, ./delivery.ts, ./delivery-do.ts).
 */
import { cloudtrailActions as lookupActions } from "./lookup-events";
import { trailActions } from "./trails";
import type { RegisteredAction } from "../action";

export const cloudtrailActions: RegisteredAction[] = [...lookupActions, ...trailActions];
export { lookupEvents, type TrailEvent, type TrailFilter } from "./lookup-events";
