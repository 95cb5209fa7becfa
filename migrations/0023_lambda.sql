-- Lambda (issue 16): functions, regional, keyed (account, region, name). The configuration the API
-- echoes is one JSON document (Runtime, Handler, Role, Environment …); the code's bytes live in R2
-- under `code_key` (`<account>/.lambda/…`, removed with the account's other R2 bodies); the parsed
-- iamlab.json program (if the package has one) and the function's resource policy are kept here.
CREATE TABLE `lambda_functions` (
	`account_id` text NOT NULL,
	`region` text NOT NULL,
	`name` text NOT NULL,
	`config` text NOT NULL,
	`code_key` text NOT NULL,
	`code_sha256` text NOT NULL,
	`code_size` integer NOT NULL,
	`program` text,
	`policy` text,
	`tags` text NOT NULL DEFAULT '{}',
	`revision_id` text NOT NULL,
	`last_modified` integer NOT NULL,
	PRIMARY KEY(`account_id`, `region`, `name`)
);
