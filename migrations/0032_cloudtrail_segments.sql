-- Issue 21: the trail's cost on the request path. An event no longer costs a row: a flush writes, per
-- account, one segment — the events' LookupEvents columns as a small JSON array (`meta`, one entry
-- per event: [eventId, time, name, source, category, readOnly, username, accessKeyId, resources])
-- and their records as gzipped NDJSON (`body`, line i is event i). An event's position is
-- seq * 4096 + line. Events written before this migration move over one per segment, their record
-- as plain text (a TEXT body is read as is). Pruned by last_time (90-day retention).
CREATE TABLE `cloudtrail_segments` (
	`seq` integer PRIMARY KEY,
	`account_id` text NOT NULL,
	`first_time` integer NOT NULL,
	`last_time` integer NOT NULL,
	`meta` text NOT NULL,
	`body` blob NOT NULL
);
--> statement-breakpoint
CREATE INDEX `cloudtrail_segments_account_time` ON `cloudtrail_segments` (`account_id`, `last_time`, `seq`);
--> statement-breakpoint
CREATE INDEX `cloudtrail_segments_time` ON `cloudtrail_segments` (`last_time`);
--> statement-breakpoint
INSERT INTO `cloudtrail_segments` (`seq`, `account_id`, `first_time`, `last_time`, `meta`, `body`)
SELECT `seq`, `account_id`, `event_time`, `event_time`,
	json_array(json_array(`event_id`, `event_time`, `event_name`, `event_source`, `category`, `read_only`, `username`, `access_key_id`, json(`resources`))),
	`body`
FROM `cloudtrail_events` ORDER BY `seq`;
--> statement-breakpoint
DROP TABLE `cloudtrail_events`;
