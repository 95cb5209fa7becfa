import type { ActionDef } from "../action";
import { GetCallerIdentity } from "./caller-identity";
import { AssumeRole } from "./assume-role";
import { GetSessionToken } from "./session-token";
import { GetFederationToken } from "./federation-token";
import { GetAccessKeyInfo } from "./access-key-info";

export const stsActions: ActionDef[] = [GetCallerIdentity, AssumeRole, GetSessionToken, GetFederationToken, GetAccessKeyInfo] as ActionDef[];
