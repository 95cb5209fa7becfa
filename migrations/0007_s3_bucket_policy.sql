-- S3 bucket policies (issue 15, second slice): the document as PutBucketPolicy stored it, NULL when none.
ALTER TABLE `s3_buckets` ADD `policy` text;
