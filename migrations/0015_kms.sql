-- KMS (issue 17): symmetric keys with their key policy, key material and grants (a JSON array, read with
-- the key on every call: grants are the third authorization path), and aliases. Key ids are
-- UUIDs (globally unique: the primary key), each row naming its owner account and region. The key
-- material is 32 random bytes (base64) kept in D1 — a sandbox, not an HSM. key_state is AWS's
-- KeyState (Enabled, Disabled, PendingDeletion); deletion_date is set while PendingDeletion.
CREATE TABLE `kms_keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`key_state` text NOT NULL,
	`creation_date` integer NOT NULL,
	`deletion_date` integer,
	`policy` text NOT NULL,
	`material` text NOT NULL,
	`tags` text DEFAULT '{}' NOT NULL,
	`grants` text DEFAULT '[]' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `kms_keys_account` ON `kms_keys` (`account_id`, `region`, `key_id`);
--> statement-breakpoint
CREATE TABLE `kms_aliases` (
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`alias_name` text NOT NULL,
	`target_key_id` text NOT NULL,
	`creation_date` integer NOT NULL,
	PRIMARY KEY(`account_id`, `region`, `alias_name`)
);
