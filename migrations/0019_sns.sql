-- SNS (issue 17): topics with their topic policies, attributes and tags, and their subscriptions.
-- Topics are regional: the key is (account, region, name). A subscription belongs to its topic's
-- account (`account_id`, so the topic owner's deletion takes it along); `owner` is the account that
-- subscribed (the queue owner of a cross-account sqs subscription).
CREATE TABLE `sns_topics` (
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`attributes` text NOT NULL,
	`policy` text NOT NULL,
	`tags` text NOT NULL,
	PRIMARY KEY(`account_id`, `region`, `name`)
);
--> statement-breakpoint
CREATE TABLE `sns_subscriptions` (
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`topic` text NOT NULL,
	`subscription_id` text NOT NULL,
	`owner` text NOT NULL,
	`principal` text NOT NULL,
	`protocol` text NOT NULL,
	`endpoint` text NOT NULL,
	`pending` integer NOT NULL,
	`token` text NOT NULL,
	`attributes` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `region`, `topic`, `subscription_id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sns_subscriptions_endpoint` ON `sns_subscriptions` (`account_id`, `region`, `topic`, `protocol`, `endpoint`);
--> statement-breakpoint
CREATE INDEX `sns_subscriptions_owner` ON `sns_subscriptions` (`owner`, `subscription_id`);
