/** The Permissions Graph: pure, over plain account state (src/store/graph-state.ts loads it from D1). */
export { PermissionsGraph } from "./graph";
export type { AccessFilter, AccessResult, Reacher } from "./graph";
export { graphDocument, toDot } from "./export";
export type { GraphDocument, GraphFilter } from "./export";
export type * from "./types";
