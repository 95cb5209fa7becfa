/** EC2 (EC2 Query): instances as records, their tags and IAM instance profile associations, console output. */
import type { RegisteredAction } from "../action";
import { instanceActions } from "./instances";
import { tagActions } from "./tags";
import { profileAssociationActions } from "./profile-associations";
import { consoleActions } from "./console-output";

export const ec2Actions: RegisteredAction[] = [...instanceActions, ...tagActions, ...profileAssociationActions, ...consoleActions];
