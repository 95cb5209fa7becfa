CREATE TABLE `decisions` (
	`decision_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`record` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `decisions_created` ON `decisions` (`created_at`);