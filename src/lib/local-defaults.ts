/**
 * The documented local defaults `npm start` and the tests serve with (the AWS documentation's
 * example key). Never used on a deploy: the Worker refuses to serve with any of the secrets among
 * them unless it runs locally (src/limits/deploy-safety.ts), and `npm run deploy:check` fails.
 */
export const LOCAL_DEFAULTS = {
  IAMLAB_DEFAULT_ACCOUNT_ID: "123456789012",
  IAMLAB_ROOT_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  IAMLAB_ROOT_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  IAMLAB_ADMIN_TOKEN: "iamlab-local-admin-token",
  IAMLAB_TOKEN_KEY: "iamlab-local-session-token-key-change-me",
  IAMLAB_TEST_CLOCK: "true",
  // One isolate serves everything locally and every write invalidates its account at once, so the
  // TTL only bounds edits made behind the Worker's back (wrangler d1 execute --local). Deploys keep 1 s.
  IAMLAB_AUTH_CACHE_MS: "10000",
} as const;
