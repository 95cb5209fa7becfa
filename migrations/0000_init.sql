CREATE TABLE `access_keys` (
	`access_key_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`user_id` text,
	`user_name` text,
	`secret` text NOT NULL,
	`status` text DEFAULT 'Active' NOT NULL,
	`create_date` text NOT NULL,
	`last_used_date` text,
	`last_used_service` text,
	`last_used_region` text
);
--> statement-breakpoint
CREATE INDEX `access_keys_account_user` ON `access_keys` (`account_id`,`user_id`);--> statement-breakpoint
CREATE TABLE `account_aliases` (
	`alias` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `account_aliases_account_id_unique` ON `account_aliases` (`account_id`);--> statement-breakpoint
CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`alias` text,
	`create_date` text NOT NULL,
	`generation` integer DEFAULT 0 NOT NULL,
	`consistency_mode` text DEFAULT 'off' NOT NULL,
	`consistency_config` text
);
--> statement-breakpoint
CREATE TABLE `aws_managed_policies` (
	`policy_name` text PRIMARY KEY NOT NULL,
	`policy_id` text NOT NULL,
	`arn` text NOT NULL,
	`path` text NOT NULL,
	`default_version_id` text NOT NULL,
	`create_date` text NOT NULL,
	`update_date` text NOT NULL,
	`description` text,
	`document` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `aws_managed_policies_arn_unique` ON `aws_managed_policies` (`arn`);--> statement-breakpoint
CREATE TABLE `deletion_tasks` (
	`task_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`role_arn` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`create_date` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `group_members` (
	`account_id` text NOT NULL,
	`group_id` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`group_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `group_members_user` ON `group_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `groups` (
	`group_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`group_name` text NOT NULL,
	`name_lower` text NOT NULL,
	`path` text DEFAULT '/' NOT NULL,
	`arn` text NOT NULL,
	`create_date` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `groups_account_name` ON `groups` (`account_id`,`name_lower`);--> statement-breakpoint
CREATE TABLE `inline_policies` (
	`account_id` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`policy_name` text NOT NULL,
	`document` text NOT NULL,
	PRIMARY KEY(`entity_type`, `entity_id`, `policy_name`)
);
--> statement-breakpoint
CREATE TABLE `instance_profiles` (
	`instance_profile_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`instance_profile_name` text NOT NULL,
	`name_lower` text NOT NULL,
	`path` text DEFAULT '/' NOT NULL,
	`arn` text NOT NULL,
	`create_date` text NOT NULL,
	`role_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `instance_profiles_account_name` ON `instance_profiles` (`account_id`,`name_lower`);--> statement-breakpoint
CREATE INDEX `instance_profiles_role` ON `instance_profiles` (`role_id`);--> statement-breakpoint
CREATE TABLE `policies` (
	`policy_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`policy_name` text NOT NULL,
	`name_lower` text NOT NULL,
	`path` text DEFAULT '/' NOT NULL,
	`arn` text NOT NULL,
	`default_version_id` text NOT NULL,
	`next_version` integer DEFAULT 2 NOT NULL,
	`description` text,
	`create_date` text NOT NULL,
	`update_date` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `policies_account_name` ON `policies` (`account_id`,`name_lower`);--> statement-breakpoint
CREATE UNIQUE INDEX `policies_arn` ON `policies` (`arn`);--> statement-breakpoint
CREATE TABLE `policy_attachments` (
	`account_id` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`policy_arn` text NOT NULL,
	PRIMARY KEY(`entity_type`, `entity_id`, `policy_arn`)
);
--> statement-breakpoint
CREATE INDEX `policy_attachments_policy` ON `policy_attachments` (`account_id`,`policy_arn`);--> statement-breakpoint
CREATE TABLE `policy_versions` (
	`account_id` text NOT NULL,
	`policy_id` text NOT NULL,
	`version_id` text NOT NULL,
	`document` text NOT NULL,
	`create_date` text NOT NULL,
	PRIMARY KEY(`policy_id`, `version_id`)
);
--> statement-breakpoint
CREATE TABLE `roles` (
	`role_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`role_name` text NOT NULL,
	`name_lower` text NOT NULL,
	`path` text DEFAULT '/' NOT NULL,
	`arn` text NOT NULL,
	`create_date` text NOT NULL,
	`assume_role_policy_document` text NOT NULL,
	`description` text,
	`max_session_duration` integer DEFAULT 3600 NOT NULL,
	`permissions_boundary` text,
	`last_used_date` text,
	`last_used_region` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `roles_account_name` ON `roles` (`account_id`,`name_lower`);--> statement-breakpoint
CREATE TABLE `tags` (
	`account_id` text NOT NULL,
	`resource_type` text NOT NULL,
	`resource_id` text NOT NULL,
	`key` text NOT NULL,
	`key_lower` text NOT NULL,
	`value` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`resource_type`, `resource_id`, `key_lower`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`user_name` text NOT NULL,
	`name_lower` text NOT NULL,
	`path` text DEFAULT '/' NOT NULL,
	`arn` text NOT NULL,
	`create_date` text NOT NULL,
	`permissions_boundary` text,
	`password_last_used` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_account_name` ON `users` (`account_id`,`name_lower`);