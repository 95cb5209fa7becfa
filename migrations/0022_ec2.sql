-- EC2 (issue 16): instances as records (no VMs) and their IAM instance profile associations.
-- Instances are regional: every query names (account, region). An instance holds at most one active
-- association (the partial unique index); ended associations stay as history until the instance goes.
CREATE TABLE `ec2_instances` (
	`instance_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`reservation_id` text NOT NULL,
	`launch_index` integer NOT NULL,
	`image_id` text NOT NULL,
	`instance_type` text NOT NULL,
	`key_name` text,
	`state` text NOT NULL,
	`state_changed_at` integer NOT NULL,
	`state_reason` text NOT NULL DEFAULT '',
	`launched_at` integer NOT NULL,
	`private_ip` text NOT NULL,
	`subnet_id` text NOT NULL,
	`vpc_id` text NOT NULL,
	`availability_zone` text NOT NULL,
	`client_token` text,
	`tags` text NOT NULL DEFAULT '[]'
);
--> statement-breakpoint
CREATE INDEX `ec2_instances_account` ON `ec2_instances` (`account_id`, `region`, `launched_at`, `instance_id`);
--> statement-breakpoint
CREATE TABLE `ec2_iip_associations` (
	`association_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`instance_id` text NOT NULL,
	`instance_profile_id` text NOT NULL,
	`instance_profile_arn` text NOT NULL,
	`active` integer NOT NULL,
	`created_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ec2_iip_associations_active` ON `ec2_iip_associations` (`instance_id`) WHERE `active` = 1;
--> statement-breakpoint
CREATE INDEX `ec2_iip_associations_account` ON `ec2_iip_associations` (`account_id`, `region`, `instance_id`);
