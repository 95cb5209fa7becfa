-- S3 (issue 15): buckets and object metadata; object bodies live in R2 (binding OBJECTS).
-- Numbered 0006: 0005 is taken by a migration on another branch (0005_write_mark).
-- Bucket names are global across the sandbox, as on AWS. Keys compare in UTF-8 byte order
-- (SQLite's BINARY collation over UTF-8 text), the order S3 lists them in.
CREATE TABLE `s3_buckets` (
	`name` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`create_date` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `s3_buckets_account` ON `s3_buckets` (`account_id`,`name`);
--> statement-breakpoint
CREATE TABLE `s3_objects` (
	`bucket` text NOT NULL,
	`object_key` text NOT NULL,
	`account_id` text NOT NULL,
	`r2_key` text NOT NULL,
	`size` integer NOT NULL,
	`etag` text NOT NULL,
	`last_modified` text NOT NULL,
	`content_type` text NOT NULL,
	`headers` text NOT NULL,
	`metadata` text NOT NULL,
	PRIMARY KEY(`bucket`, `object_key`)
);
--> statement-breakpoint
CREATE INDEX `s3_objects_account` ON `s3_objects` (`account_id`);
