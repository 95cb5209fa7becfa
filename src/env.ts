/** Bindings and configuration of the Worker (wrangler.toml vars + secrets). */
import type { SessionsDO } from "./sessions/sessions-do";
import type { ConsistencyDO } from "./consistency/consistency-do";
import type { SqsQueueDO } from "./services/sqs/queue-do";
import type { RateLimitDO } from "./limits/limiter-do";
import type { TrailDeliveryDO } from "./services/cloudtrail/delivery-do";

export interface Env {
  DB: D1Database;
  /** S3 object bodies, keyed `<bucket owner account>/<bucket>/<upload id>` (metadata in D1). */
  OBJECTS: R2Bucket;
  SESSIONS: DurableObjectNamespace<SessionsDO>;
  CONSISTENCY: DurableObjectNamespace<ConsistencyDO>;
  /** SQS: one object per queue incarnation holding its messages (metadata in D1). */
  SQS_QUEUES: DurableObjectNamespace<SqsQueueDO>;
  /** issue 22: the accounts' authoritative rate-limit buckets (exact across isolates); absent = per-isolate limits */
  RATE_LIMITS?: DurableObjectNamespace<RateLimitDO>;
  /** CloudTrail trails' delivery to S3, one object per account (src/services/cloudtrail/delivery-do.ts) */
  TRAIL_DELIVERY?: DurableObjectNamespace<TrailDeliveryDO>;
  /** The account that exists on first start (default 123456789012). */
  IAMLAB_DEFAULT_ACCOUNT_ID?: string;
  /** Root access key of the default account; both must be set for it to be created. */
  IAMLAB_ROOT_ACCESS_KEY_ID?: string;
  IAMLAB_ROOT_SECRET_ACCESS_KEY?: string;
  /** Bearer token of the admin API under /_iamlab/; the admin API is off when unset. */
  IAMLAB_ADMIN_TOKEN?: string;
  /** Secret that makes STS session tokens unforgeable. */
  IAMLAB_TOKEN_KEY?: string;
  /** How long (ms) an isolate may serve access-key rows and session liveness from memory; writes in the same isolate invalidate at once. Default 1000, 0 = off. */
  IAMLAB_AUTH_CACHE_MS?: string;
  /** Memory budget (MiB) shared by all the isolate's caches (src/lib/bounded.ts). Default 48: a Worker isolate has 128 MB in all. */
  IAMLAB_CACHE_MB?: string;
  /** Default eventual-consistency mode of new accounts, JSON: {"mode":"fixed","delayMs":5000} | {"mode":"random","minMs":1000,"maxMs":8000,"seed":7} | {"mode":"off"} (default). */
  IAMLAB_CONSISTENCY?: string;
  /** "true" enables POST /_iamlab/clock (tests and labs shift the sandbox's clock). Never on a shared deploy. */
  IAMLAB_TEST_CLOCK?: string;
  /** Set (by `npm start -- --verbose`): the Worker writes one request-log line per AWS request (src/lib/request-log.ts). */
  IAMLAB_REQUEST_LOG?: string;
  // --- hosted (issue 22) ---
  /** Rate limits (src/limits/config.ts): unset = the documented defaults, "off", or JSON {"account":{"perSecond":20,"burst":100},"accessKey":…,"sourceIp":…,"adminFailures":…}. */
  IAMLAB_RATE_LIMITS?: string;
  /** seconds between a logging trail's deliveries to S3 (default 300, AWS's ~5 minutes) */
  IAMLAB_TRAIL_DELIVERY_SECONDS?: string;
  /** "true" when served locally (startSandbox sets it): a Worker without it is a deploy and refuses the documented local secrets. */
  IAMLAB_LOCAL?: string;
  /** Sandbox-wide cap on the number of accounts (admin API creates); default 10,000. */
  IAMLAB_MAX_ACCOUNTS?: string;
  /** Cap on the S3 object bytes one account stores (all its buckets); default 1 GiB. */
  IAMLAB_MAX_ACCOUNT_STORAGE_BYTES?: string;
  /** Cap on the messages one SQS queue holds; default 100,000. */
  IAMLAB_MAX_QUEUE_MESSAGES?: string;
  // --- end hosted ---
  /** "off": no CloudTrail events are recorded (benchmarks); default on (src/services/cloudtrail/recorder.ts). */
  IAMLAB_TRAIL?: string;
  // --- sso (issue 19): external OIDC issuer egress ---
  /** Which external OIDC issuers' discovery/JWKS may be fetched (src/federation/egress.ts): unset = public https hosts only, "off", "any", or "host,.domain,…". */
  IAMLAB_OIDC_EGRESS?: string;
  // --- end sso ---
}
