/** S3 (REST-XML): every action, by family (buckets, bucket policies, objects, listings, multipart uploads). */
import type { RegisteredAction } from "../action";
import { bucketActions } from "./buckets";
import { objectActions } from "./objects";
import { listActions } from "./list";
import { bucketPolicyActions } from "./bucket-policy";
import { multipartActions } from "./multipart";

export const s3Actions: RegisteredAction[] = [
  ...bucketActions,
  ...bucketPolicyActions,
  ...objectActions,
  ...listActions,
  ...multipartActions,
];
