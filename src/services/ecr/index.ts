/** ECR (JSON 1.1): repositories, repository policies, images as data, authorization tokens. */
import type { RegisteredAction } from "../action";
import { repositoryActions } from "./repositories";
import { repositoryPolicyActions } from "./repository-policy";
import { imageActions } from "./images";
import { authorizationTokenActions } from "./authorization-token";

export const ecrActions: RegisteredAction[] = [
  ...repositoryActions,
  ...repositoryPolicyActions,
  ...imageActions,
  ...authorizationTokenActions,
];
