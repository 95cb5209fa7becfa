-- Eventual consistency for bucket policies (issue 15): the owner account's generation a policy change
-- was written at while the account lagged (NULL when written in mode off: in force at once).
ALTER TABLE `s3_buckets` ADD `policy_generation` integer;
