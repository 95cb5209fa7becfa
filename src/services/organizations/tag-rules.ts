/** Tags of Organizations resources: AWS's limits (50 per resource, keys 1–128, values 0–256 characters, unique keys). */
import { orgErrors } from "./common";

export interface TagInput {
  Key: string;
  Value: string;
}

export const MAX_TAGS = 50;

/** The tags, or InvalidInputException / ConstraintViolationException as AWS answers them. */
export function validateTags(tags: TagInput[]): TagInput[] {
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128 || (t.Value ?? "").length > 256)
      throw orgErrors.invalidInput("INVALID_INPUT", "You provided a value that doesn't match the required pattern.");
    if (t.Key.toLowerCase().startsWith("aws:"))
      throw orgErrors.invalidInput("TAGS_PARAMETER", "You specified a tag key that is a system tag.");
    if (seen.has(t.Key))
      throw orgErrors.invalidInput("DUPLICATE_TAG_KEY", "Tag keys must be unique among the tags attached to the same entity.");
    seen.add(t.Key);
  }
  if (tags.length > MAX_TAGS) throw tagLimit();
  return tags.map((t) => ({ Key: t.Key, Value: t.Value ?? "" }));
}

export const tagLimit = () => orgErrors.constraint("TAG_LIMIT_EXCEEDED", "You have exceeded the number of tags allowed on this resource.");
