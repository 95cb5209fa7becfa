-- Issue 21: labs as code. A lab is one apply of a template to N new learner accounts (`labs`, kept
-- when its accounts go); `lab_accounts` records per account the template last applied to it (what
-- the lab owns there: converge deletes only entities of that template), the saved snapshot it can
-- be reset to, and the lab it belongs to (NULL when the template was applied to an existing account).
CREATE TABLE `labs` (
	`lab_id` text PRIMARY KEY NOT NULL,
	`template` text NOT NULL,
	`create_date` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `lab_accounts` (
	`account_id` text PRIMARY KEY NOT NULL,
	`lab_id` text,
	`template` text NOT NULL,
	`snapshot` text,
	`applied_date` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `lab_accounts_lab` ON `lab_accounts` (`lab_id`, `account_id`);
