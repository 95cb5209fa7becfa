-- Issue 20: the web console. The root user's console password (a PBKDF2 hash like login profiles';
-- on the account row, so a lab reset keeps it as it keeps the root keys), console sessions
-- (server-side, revocable; the cookie carries only the session id, D1 only its SHA-256), and the
-- failed sign-ins counted per account and user name.
ALTER TABLE `accounts` ADD `root_password_hash` text;
--> statement-breakpoint
CREATE TABLE `console_sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`principal_kind` text NOT NULL,
	`user_name` text,
	`user_id` text,
	`stage` text NOT NULL,
	`csrf` text NOT NULL,
	`mfa_time` integer,
	`sts_access_key_id` text,
	`sts_token` text,
	`role_arn` text,
	`role_display` text,
	`role_access_key_id` text,
	`role_token` text,
	`role_expires_at` integer,
	`source_ip` text NOT NULL DEFAULT '',
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `console_sessions_account` ON `console_sessions` (`account_id`);
--> statement-breakpoint
CREATE TABLE `console_signin_failures` (
	`account_id` text NOT NULL,
	`user_key` text NOT NULL,
	`failures` integer NOT NULL,
	`first_failure` integer NOT NULL,
	`locked_until` integer,
	PRIMARY KEY(`account_id`, `user_key`)
);
