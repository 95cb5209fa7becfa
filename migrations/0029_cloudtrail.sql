-- Issue 21: CloudTrail. One row per event and recipient account (a cross-account call has a copy in
-- each account, sharing shared_event_id). `body` is the event's record JSON as LookupEvents returns
-- it (CloudTrailEvent); the other columns are what LookupAttributes filter on. Events older than 90
-- days are pruned on write (src/services/cloudtrail/recorder.ts).
CREATE TABLE `cloudtrail_events` (
	`seq` integer PRIMARY KEY,
	`account_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_time` integer NOT NULL,
	`event_name` text NOT NULL,
	`event_source` text NOT NULL,
	`category` text NOT NULL,
	`read_only` integer NOT NULL,
	`username` text,
	`access_key_id` text,
	`resources` text NOT NULL DEFAULT '[]',
	`body` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `cloudtrail_events_account_time` ON `cloudtrail_events` (`account_id`, `event_time`, `seq`);
--> statement-breakpoint
CREATE INDEX `cloudtrail_events_time` ON `cloudtrail_events` (`event_time`);
