-- Issue 21: a lab reset gives a user back the console password the lab printed. The hash the lab
-- set when it made the login profile is kept here; a reset writes it back over one the learner
-- changed (src/labs/apply.ts). Deleted with the account (account_id column).
CREATE TABLE `lab_passwords` (
	`user_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`password_hash` text NOT NULL
);
