import type { ActionDef } from "../action";

// Each family file exports its actions; add the family's array here.
export const iamActions: ActionDef[] = [
] as ActionDef[];
