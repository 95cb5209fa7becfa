-- Issue 13: SSH public keys, signing certificates, server certificates and service-specific credentials.
CREATE TABLE `ssh_public_keys` (
	`ssh_public_key_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`user_id` text NOT NULL,
	`body` text NOT NULL,
	`fingerprint` text NOT NULL,
	`status` text DEFAULT 'Active' NOT NULL,
	`upload_date` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ssh_public_keys_user` ON `ssh_public_keys` (`account_id`,`user_id`);
--> statement-breakpoint
CREATE TABLE `signing_certificates` (
	`certificate_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`user_id` text NOT NULL,
	`body` text NOT NULL,
	`fingerprint` text NOT NULL,
	`status` text DEFAULT 'Active' NOT NULL,
	`upload_date` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `signing_certificates_user` ON `signing_certificates` (`account_id`,`user_id`);
--> statement-breakpoint
CREATE TABLE `server_certificates` (
	`server_certificate_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`name` text NOT NULL,
	`name_lower` text NOT NULL,
	`path` text DEFAULT '/' NOT NULL,
	`arn` text NOT NULL,
	`body` text NOT NULL,
	`chain` text,
	`upload_date` text NOT NULL,
	`expiration` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `server_certificates_account_name` ON `server_certificates` (`account_id`,`name_lower`);
--> statement-breakpoint
CREATE TABLE `service_specific_credentials` (
	`credential_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`user_id` text NOT NULL,
	`service_name` text NOT NULL,
	`service_user_name` text,
	`credential_alias` text,
	`status` text DEFAULT 'Active' NOT NULL,
	`create_date` text NOT NULL,
	`expiration_date` text
);
--> statement-breakpoint
CREATE INDEX `service_specific_credentials_user` ON `service_specific_credentials` (`account_id`,`user_id`);
