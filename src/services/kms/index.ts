/**
 * KMS (JSON 1.1, `TrentService.*`): symmetric keys with their key policies (./keys.ts,
 * ./key-policy.ts), aliases (./aliases.ts), grants (./grants.ts), and the cryptographic operations
 * (./cryptography.ts).
 * How a key policy authorizes: ./common.ts (`kmsTarget`).
 */
import type { RegisteredAction } from "../action";
import { aliasActions } from "./aliases";
import { cryptographyActions } from "./cryptography";
import { grantActions } from "./grants";
import { keyPolicyActions } from "./key-policy";
import { keyActions } from "./keys";

export const kmsActions: RegisteredAction[] = [
  ...keyActions,
  ...keyPolicyActions,
  ...aliasActions,
  ...grantActions,
  ...cryptographyActions,
];
