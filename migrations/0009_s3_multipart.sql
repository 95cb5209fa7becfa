-- S3 multipart uploads (issue 15): an upload in progress and its parts. Part bodies are R2 objects
-- (`<owner account>/<bucket>/<uuid>`, one per UploadPart); CompleteMultipartUpload assembles the
-- listed parts into one R2 body and swaps in the object row (src/store/s3-multipart.ts).
-- `account_id` is the bucket owner's: deleting the account deletes these rows (store/accounts.ts
-- finds every table with that column) and the bodies under its R2 prefix.
-- Upload ids start with the creation time (fixed-width hex), so their byte order is the order of
-- initiation, the order ListMultipartUploads answers uploads of one key in.
CREATE TABLE `s3_multipart_uploads` (
	`upload_id` text PRIMARY KEY NOT NULL,
	`bucket` text NOT NULL,
	`object_key` text NOT NULL,
	`account_id` text NOT NULL,
	`initiated` text NOT NULL,
	`initiator_arn` text NOT NULL,
	`initiator_name` text NOT NULL,
	`content_type` text NOT NULL,
	`headers` text NOT NULL,
	`metadata` text NOT NULL,
	`checksum_algorithm` text,
	`tags` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `s3_multipart_uploads_key` ON `s3_multipart_uploads` (`bucket`,`object_key`,`upload_id`);
--> statement-breakpoint
CREATE INDEX `s3_multipart_uploads_account` ON `s3_multipart_uploads` (`account_id`);
--> statement-breakpoint
CREATE TABLE `s3_multipart_parts` (
	`upload_id` text NOT NULL,
	`part_number` integer NOT NULL,
	`account_id` text NOT NULL,
	`r2_key` text NOT NULL,
	`size` integer NOT NULL,
	`etag` text NOT NULL,
	`last_modified` text NOT NULL,
	`checksum` text,
	PRIMARY KEY(`upload_id`, `part_number`)
);
--> statement-breakpoint
CREATE INDEX `s3_multipart_parts_account` ON `s3_multipart_parts` (`account_id`);
