-- Eventual consistency for SNS topic policies (issue 17), as 0020 did for SQS, KMS and ECR: the owner
-- account's generation a topic-policy change was written at while the account lagged (NULL when
-- written in mode off, or by CreateTopic: in force at once).
ALTER TABLE `sns_topics` ADD `policy_generation` integer;
