-- SQS (issue 17): queue metadata; each queue's messages live in its own Durable Object (QueueDO),
-- named by `queue_id` — a fresh id per queue incarnation, so a queue deleted and created again
-- starts with an empty message store.
CREATE TABLE `sqs_queues` (
	`account_id` text NOT NULL,
	`name` text NOT NULL,
	`queue_id` text NOT NULL,
	`region` text NOT NULL,
	`created_at` integer NOT NULL,
	`modified_at` integer NOT NULL,
	`attributes` text NOT NULL,
	`policy` text,
	`tags` text NOT NULL,
	PRIMARY KEY(`account_id`, `name`)
);
