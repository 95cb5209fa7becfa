-- Issue 21: CloudTrail trails delivering log files to S3 (src/services/cloudtrail/trails.ts,
-- delivery.ts). One row per trail (unique per account and home region). `delivered_seq` is the
-- delivery cursor: the last cloudtrail_segments.seq whose events this trail has looked at.
CREATE TABLE `cloudtrail_trails` (
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`name` text NOT NULL,
	`s3_bucket` text NOT NULL,
	`s3_key_prefix` text,
	`sns_topic_name` text,
	`include_global` integer NOT NULL DEFAULT 1,
	`multi_region` integer NOT NULL DEFAULT 0,
	`log_validation` integer NOT NULL DEFAULT 0,
	`kms_key_id` text,
	`cw_log_group_arn` text,
	`cw_role_arn` text,
	`event_selectors` text,
	`advanced_event_selectors` text,
	`tags` text NOT NULL DEFAULT '{}',
	`is_logging` integer NOT NULL DEFAULT 0,
	`start_logging_time` integer,
	`stop_logging_time` integer,
	`delivered_seq` integer NOT NULL DEFAULT 0,
	`latest_delivery_time` integer,
	`latest_delivery_error` text,
	`latest_delivery_attempt_time` integer,
	`latest_delivery_attempt_ok` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY (`account_id`, `region`, `name`)
);
--> statement-breakpoint
CREATE INDEX `cloudtrail_trails_logging` ON `cloudtrail_trails` (`is_logging`, `account_id`);
