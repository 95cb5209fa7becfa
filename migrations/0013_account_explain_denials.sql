-- Issue 25: a lab setting per account (admin API PATCH /_iamlab/accounts/:id {"explainDenials": true}):
-- denial messages end with " (iamlab decision <id>: <one-line reason>)".
ALTER TABLE `accounts` ADD `explain_denials` integer DEFAULT 0 NOT NULL;
