-- Small S3 object bodies inline in their metadata row (issue 15's benchmark): a body of at most
-- src/services/s3/body-storage.ts INLINE_MAX_BYTES is stored here and r2_key is '' (the column is
-- NOT NULL; rebuilding the table to relax that is not worth it); larger bodies and every multipart
-- object stay in R2 and body is NULL.
ALTER TABLE `s3_objects` ADD `body` blob;
