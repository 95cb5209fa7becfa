import type { RegisteredAction } from "../action";
import { GetCallerIdentity } from "./caller-identity";
import { AssumeRole } from "./assume-role";
import { GetSessionToken } from "./session-token";
import { GetFederationToken } from "./federation-token";
import { GetAccessKeyInfo } from "./access-key-info";
import { DecodeAuthorizationMessage } from "./decode-authorization-message";

export const stsActions: RegisteredAction[] = [
  GetCallerIdentity,
  AssumeRole,
  GetSessionToken,
  GetFederationToken,
  GetAccessKeyInfo,
  DecodeAuthorizationMessage,
];
