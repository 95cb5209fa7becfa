-- Issues 19/20: browser SSO into the console. Sign-in tokens of the federation endpoint
-- (getSigninToken → login; only their SHA-256 is kept, single use, 15 minutes), and the SAML
-- responses already used to open a console session (a replayed response is refused).
CREATE TABLE `console_signin_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`access_key_id` text NOT NULL,
	`session_token` text NOT NULL,
	`session_seconds` integer,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `console_signin_tokens_expiry` ON `console_signin_tokens` (`expires_at`);
--> statement-breakpoint
CREATE TABLE `console_saml_used` (
	`response_hash` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `console_saml_used_expiry` ON `console_saml_used` (`expires_at`);
--> statement-breakpoint
-- SAML IdP key rotation: the certificate being rotated out, published beside the new one until retired.
ALTER TABLE `saml_idp_keys` ADD `previous_certificate` text;
