/** S3 (REST-XML): every action, by family (buckets, bucket policies, public access, objects, listings, tagging, ownership controls, multipart uploads). */
import type { RegisteredAction } from "../action";
import { bucketActions } from "./buckets";
import { objectActions } from "./objects";
import { listActions } from "./list";
import { bucketPolicyActions } from "./bucket-policy";
import { publicAccessActions } from "./public-access";
import { taggingActions } from "./tagging";
import { ownershipActions } from "./ownership";
import { multipartActions } from "./multipart";

export const s3Actions: RegisteredAction[] = [
  ...bucketActions,
  ...bucketPolicyActions,
  ...publicAccessActions,
  ...objectActions,
  ...listActions,
  ...taggingActions,
  ...ownershipActions,
  ...multipartActions,
];
