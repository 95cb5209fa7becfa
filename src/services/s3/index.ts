/** S3 (REST-XML): every action, by family (buckets, objects, listings). */
import type { RegisteredAction } from "../action";
import { bucketActions } from "./buckets";
import { objectActions } from "./objects";
import { listActions } from "./list";

export const s3Actions: RegisteredAction[] = [...bucketActions, ...objectActions, ...listActions];
