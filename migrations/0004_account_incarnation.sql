ALTER TABLE `accounts` ADD `incarnation` text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Existing accounts get their incarnation now (SQLite's ADD COLUMN takes only a constant default);
-- new rows get theirs from src/store/accounts.ts.
UPDATE `accounts` SET `incarnation` = lower(hex(randomblob(8))) WHERE `incarnation` = '';
