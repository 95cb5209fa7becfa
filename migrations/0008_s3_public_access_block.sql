-- S3 Block Public Access, bucket level (issue 15): the bucket's PublicAccessBlock configuration, one
-- column per setting (1/0), all NULL when the bucket has none (GetPublicAccessBlock answers
-- NoSuchPublicAccessBlockConfiguration). New buckets get all four set (AWS's default since April 2023);
-- buckets created before this migration have none, like buckets created on AWS before that date.
ALTER TABLE `s3_buckets` ADD `block_public_acls` integer;
--> statement-breakpoint
ALTER TABLE `s3_buckets` ADD `ignore_public_acls` integer;
--> statement-breakpoint
ALTER TABLE `s3_buckets` ADD `block_public_policy` integer;
--> statement-breakpoint
ALTER TABLE `s3_buckets` ADD `restrict_public_buckets` integer;
