-- S3 tagging, Object Ownership and encryption (issue 15): bucket tags as a JSON object (NULL when the
-- bucket has no tag set: GetBucketTagging answers NoSuchTagSet), the bucket's Object Ownership
-- (BucketOwnerEnforced for every bucket, AWS's default since April 2023; NULL after
-- DeleteBucketOwnershipControls), and object tags as a JSON object ('{}' when none).
ALTER TABLE `s3_buckets` ADD `tags` text;
--> statement-breakpoint
ALTER TABLE `s3_buckets` ADD `object_ownership` text DEFAULT 'BucketOwnerEnforced';
--> statement-breakpoint
ALTER TABLE `s3_objects` ADD `tags` text DEFAULT '{}' NOT NULL;
