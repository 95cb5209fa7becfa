-- Issue 22: an account's own rate limits (JSON, src/limits/config.ts), set by the admin API's
-- PUT /_iamlab/accounts/:id/limits; null = the sandbox's (IAMLAB_RATE_LIMITS). Kept by a reset.
ALTER TABLE `accounts` ADD COLUMN `rate_limits` text;
