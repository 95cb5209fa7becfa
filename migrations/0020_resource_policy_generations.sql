-- Eventual consistency for SQS queue policies, KMS key policies and ECR repository policies (issue 17),
-- as 0011 did for S3 bucket policies: the owner account's generation a policy change was written at
-- while the account lagged (NULL when written in mode off: in force at once).
ALTER TABLE `sqs_queues` ADD `policy_generation` integer;
ALTER TABLE `kms_keys` ADD `policy_generation` integer;
ALTER TABLE `ecr_repositories` ADD `policy_generation` integer;
