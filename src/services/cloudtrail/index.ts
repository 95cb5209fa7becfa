/**
 * CloudTrail (JSON 1.1, `CloudTrail_20131101.*`): every served call becomes an event
 * (./event.ts builds the record, ./recorder.ts writes it behind the response), and LookupEvents
 * reads them (./lookup-events.ts; `lookupEvents` for other modules).
 */
export { cloudtrailActions } from "./lookup-events";
export { lookupEvents, type TrailEvent, type TrailFilter } from "./lookup-events";
