-- Issue 19 (SAML half): the signing key and self-signed certificate of each account's built-in
-- SAML identity provider. One per account, created on first use; the private key (PKCS#8, base64)
-- never leaves the Worker: it is read only to sign the responses the admin API mints.
CREATE TABLE `saml_idp_keys` (
	`account_id` text PRIMARY KEY NOT NULL,
	`private_pkcs8` text NOT NULL,
	`certificate` text NOT NULL,
	`created_at` integer NOT NULL
);
