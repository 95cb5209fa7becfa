-- Issue 19: federation. IAM's identity providers (OIDC and SAML, with their tags in `tags`), and
-- the signing keys of each account's built-in OIDC identity provider (private keys never leave the
-- Worker: they are read only to sign tokens the admin API mints).
CREATE TABLE `oidc_providers` (
	`account_id` text NOT NULL,
	`arn` text NOT NULL,
	`url` text NOT NULL,
	`client_ids` text NOT NULL DEFAULT '[]',
	`thumbprints` text NOT NULL DEFAULT '[]',
	`create_date` text NOT NULL,
	PRIMARY KEY(`account_id`, `arn`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oidc_providers_arn` ON `oidc_providers` (`arn`);
--> statement-breakpoint
CREATE TABLE `saml_providers` (
	`account_id` text NOT NULL,
	`arn` text NOT NULL,
	`name` text NOT NULL,
	`metadata` text NOT NULL,
	`create_date` text NOT NULL,
	`valid_until` text NOT NULL,
	PRIMARY KEY(`account_id`, `arn`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `saml_providers_arn` ON `saml_providers` (`arn`);
--> statement-breakpoint
-- IAM names SAML providers without regard to case (a second "OKTA" beside "Okta" already exists).
CREATE UNIQUE INDEX `saml_providers_name` ON `saml_providers` (`account_id`, lower(`name`));
--> statement-breakpoint
CREATE TABLE `idp_keys` (
	`account_id` text NOT NULL,
	`kid` text NOT NULL,
	`alg` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_jwk` text NOT NULL,
	`created_at` integer NOT NULL,
	`active` integer NOT NULL DEFAULT 1,
	PRIMARY KEY(`account_id`, `kid`)
);
