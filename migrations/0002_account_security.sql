CREATE TABLE `access_activity` (
	`account_id` text NOT NULL,
	`principal_arn` text NOT NULL,
	`entity_arn` text NOT NULL,
	`service` text NOT NULL,
	`action` text DEFAULT '' NOT NULL,
	`last_authenticated` text NOT NULL,
	`region` text NOT NULL,
	PRIMARY KEY(`account_id`, `entity_arn`, `service`, `action`)
);
--> statement-breakpoint
CREATE TABLE `access_advisor_jobs` (
	`job_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`arn` text NOT NULL,
	`granularity` text NOT NULL,
	`status` text NOT NULL,
	`creation_date` text NOT NULL,
	`completion_date` text,
	`result` text
);
--> statement-breakpoint
CREATE TABLE `credential_reports` (
	`account_id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`generated_time` text NOT NULL,
	`content` text
);
--> statement-breakpoint
CREATE TABLE `login_profiles` (
	`user_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`password_hash` text NOT NULL,
	`create_date` text NOT NULL,
	`password_reset_required` integer DEFAULT false NOT NULL,
	`password_last_changed` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `mfa_devices` (
	`serial_number` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`device_name` text NOT NULL,
	`path` text DEFAULT '/' NOT NULL,
	`seed` text NOT NULL,
	`user_id` text,
	`enable_date` text,
	`create_date` text NOT NULL,
	`last_time_step` integer
);
--> statement-breakpoint
CREATE INDEX `mfa_devices_account_user` ON `mfa_devices` (`account_id`,`user_id`);--> statement-breakpoint
CREATE TABLE `password_history` (
	`account_id` text NOT NULL,
	`user_id` text NOT NULL,
	`password_hash` text NOT NULL,
	`changed_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `password_history_user` ON `password_history` (`user_id`,`changed_at`);--> statement-breakpoint
CREATE TABLE `password_policies` (
	`account_id` text PRIMARY KEY NOT NULL,
	`policy` text NOT NULL
);
