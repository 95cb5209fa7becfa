import type { ActionDef } from "../action";
import { GetCallerIdentity } from "./caller-identity";

export const stsActions: ActionDef[] = [GetCallerIdentity] as ActionDef[];
