-- ECR (issue 17, first slice): repositories with their repository policies and tags, and images
-- stored as data (the manifest text; no layer blobs). Repositories are regional: the key is
-- (account, region, name). An image is its manifest, keyed by digest; tags point at digests.
CREATE TABLE `ecr_repositories` (
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`image_tag_mutability` text NOT NULL,
	`scan_on_push` integer NOT NULL,
	`encryption_type` text NOT NULL,
	`kms_key` text,
	`policy` text,
	`tags` text NOT NULL DEFAULT '[]',
	PRIMARY KEY(`account_id`, `region`, `name`)
);
--> statement-breakpoint
CREATE TABLE `ecr_images` (
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`manifest` text NOT NULL,
	`media_type` text NOT NULL,
	`artifact_media_type` text,
	`size` integer NOT NULL,
	`layers` text NOT NULL,
	`pushed_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `region`, `repository`, `digest`)
);
--> statement-breakpoint
CREATE TABLE `ecr_image_tags` (
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`repository` text NOT NULL,
	`tag` text NOT NULL,
	`digest` text NOT NULL,
	PRIMARY KEY(`account_id`, `region`, `repository`, `tag`)
);
