/** Organizations' actions, one file per family. */
import type { RegisteredAction } from "../action";
import { organizationActions } from "./organization";
import { accountActions } from "./accounts";
import { unitActions } from "./units";
import { policyActions } from "./policies";
import { tagActions } from "./tags";
import { handshakeActions } from "./handshakes";

export const organizationsActions: RegisteredAction[] = [
  ...organizationActions,
  ...accountActions,
  ...unitActions,
  ...policyActions,
  ...tagActions,
  ...handshakeActions,
];
