/**
 * D1 schema (drizzle). Every row of an account carries `account_id`; every query is scoped by it.
 * Names are stored twice: as given, and lower-cased for AWS's case-insensitive uniqueness.
 * `accounts.generation` is bumped in the same batch as every write that changes who can do what,
 * so isolate caches keyed by (account, generation) stay correct (src/store/write.ts adds the bump).
 */
import { sqliteTable, text, integer, blob, primaryKey, uniqueIndex, index } from "drizzle-orm/sqlite-core";

export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  alias: text("alias"),
  createDate: text("create_date").notNull(),
  generation: integer("generation").notNull().default(0),
  /**
   * Scratch for src/store/write.ts: SQLite's total_changes() when the running write batch started,
   * so the batch's last statement bumps `generation` only when the batch changed a row.
   */
  writeMark: integer("write_mark").notNull().default(0),
  /** eventual-consistency mode: off | fixed | random (JSON settings in consistency_config) */
  consistencyMode: text("consistency_mode").notNull().default("off"),
  consistencyConfig: text("consistency_config"),
  /**
   * Random id of this incarnation of the account (16 hex), set when the row is created: session
   * tokens carry it, so a token of a deleted account never works for an account re-created with
   * the same id. '' only transiently in migration 0004 (which fills existing rows).
   */
  incarnation: text("incarnation").notNull().default(""),
  /** lab setting: denial messages end with "(iamlab decision <id>: <reason>)" (src/admin/denial-explanations.ts) */
  explainDenials: integer("explain_denials", { mode: "boolean" }).notNull().default(false),
  // --- hosted (issue 22) ---
  /** the account's own rate limits, JSON (src/limits/config.ts AccountRateLimits); null = the sandbox's */
  rateLimits: text("rate_limits"),
  // --- end hosted ---
  /** console (issue 20): the root user's console password, PBKDF2 (src/lib/password.ts); NULL = root cannot sign in */
  rootPasswordHash: text("root_password_hash"),
});

export const accessKeys = sqliteTable(
  "access_keys",
  {
    accessKeyId: text("access_key_id").primaryKey(),
    accountId: text("account_id").notNull(),
    /** null for the account's root keys */
    userId: text("user_id"),
    userName: text("user_name"),
    secret: text("secret").notNull(),
    status: text("status").notNull().default("Active"),
    createDate: text("create_date").notNull(),
    lastUsedDate: text("last_used_date"),
    lastUsedService: text("last_used_service"),
    lastUsedRegion: text("last_used_region"),
  },
  (t) => [index("access_keys_account_user").on(t.accountId, t.userId)],
);

export const users = sqliteTable(
  "users",
  {
    userId: text("user_id").primaryKey(),
    accountId: text("account_id").notNull(),
    userName: text("user_name").notNull(),
    nameLower: text("name_lower").notNull(),
    path: text("path").notNull().default("/"),
    arn: text("arn").notNull(),
    createDate: text("create_date").notNull(),
    permissionsBoundary: text("permissions_boundary"),
    passwordLastUsed: text("password_last_used"),
  },
  (t) => [uniqueIndex("users_account_name").on(t.accountId, t.nameLower)],
);

export const groups = sqliteTable(
  "groups",
  {
    groupId: text("group_id").primaryKey(),
    accountId: text("account_id").notNull(),
    groupName: text("group_name").notNull(),
    nameLower: text("name_lower").notNull(),
    path: text("path").notNull().default("/"),
    arn: text("arn").notNull(),
    createDate: text("create_date").notNull(),
  },
  (t) => [uniqueIndex("groups_account_name").on(t.accountId, t.nameLower)],
);

export const groupMembers = sqliteTable(
  "group_members",
  {
    accountId: text("account_id").notNull(),
    groupId: text("group_id").notNull(),
    userId: text("user_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("group_members_user").on(t.userId)],
);

export const roles = sqliteTable(
  "roles",
  {
    roleId: text("role_id").primaryKey(),
    accountId: text("account_id").notNull(),
    roleName: text("role_name").notNull(),
    nameLower: text("name_lower").notNull(),
    path: text("path").notNull().default("/"),
    arn: text("arn").notNull(),
    createDate: text("create_date").notNull(),
    assumeRolePolicyDocument: text("assume_role_policy_document").notNull(),
    description: text("description"),
    maxSessionDuration: integer("max_session_duration").notNull().default(3600),
    permissionsBoundary: text("permissions_boundary"),
    lastUsedDate: text("last_used_date"),
    lastUsedRegion: text("last_used_region"),
  },
  (t) => [uniqueIndex("roles_account_name").on(t.accountId, t.nameLower)],
);

/** Customer-managed policies (AWS-managed ones live in aws_managed_policies, shared by all accounts). */
export const policies = sqliteTable(
  "policies",
  {
    policyId: text("policy_id").primaryKey(),
    accountId: text("account_id").notNull(),
    policyName: text("policy_name").notNull(),
    nameLower: text("name_lower").notNull(),
    path: text("path").notNull().default("/"),
    arn: text("arn").notNull(),
    defaultVersionId: text("default_version_id").notNull(),
    /** next numeric version; version ids are never reused */
    nextVersion: integer("next_version").notNull().default(2),
    description: text("description"),
    createDate: text("create_date").notNull(),
    updateDate: text("update_date").notNull(),
  },
  (t) => [uniqueIndex("policies_account_name").on(t.accountId, t.nameLower), uniqueIndex("policies_arn").on(t.arn)],
);

export const policyVersions = sqliteTable(
  "policy_versions",
  {
    accountId: text("account_id").notNull(),
    policyId: text("policy_id").notNull(),
    versionId: text("version_id").notNull(),
    document: text("document").notNull(),
    createDate: text("create_date").notNull(),
  },
  (t) => [primaryKey({ columns: [t.policyId, t.versionId] })],
);

export const awsManagedPolicies = sqliteTable("aws_managed_policies", {
  policyName: text("policy_name").primaryKey(),
  policyId: text("policy_id").notNull(),
  arn: text("arn").notNull().unique(),
  path: text("path").notNull(),
  defaultVersionId: text("default_version_id").notNull(),
  createDate: text("create_date").notNull(),
  updateDate: text("update_date").notNull(),
  description: text("description"),
  document: text("document").notNull(),
});

/** Managed-policy attachments of users, groups and roles (customer or AWS-managed, by ARN). */
export const policyAttachments = sqliteTable(
  "policy_attachments",
  {
    accountId: text("account_id").notNull(),
    /** user | group | role */
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id").notNull(),
    policyArn: text("policy_arn").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.entityType, t.entityId, t.policyArn] }),
    index("policy_attachments_policy").on(t.accountId, t.policyArn),
  ],
);

export const inlinePolicies = sqliteTable(
  "inline_policies",
  {
    accountId: text("account_id").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id").notNull(),
    policyName: text("policy_name").notNull(),
    document: text("document").notNull(),
  },
  (t) => [primaryKey({ columns: [t.entityType, t.entityId, t.policyName] })],
);

/** Tags of users, roles, policies, instance profiles, MFA devices … keyed by resource id. */
export const tags = sqliteTable(
  "tags",
  {
    accountId: text("account_id").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    key: text("key").notNull(),
    keyLower: text("key_lower").notNull(),
    value: text("value").notNull(),
    position: integer("position").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.resourceType, t.resourceId, t.keyLower] })],
);

export const instanceProfiles = sqliteTable(
  "instance_profiles",
  {
    instanceProfileId: text("instance_profile_id").primaryKey(),
    accountId: text("account_id").notNull(),
    instanceProfileName: text("instance_profile_name").notNull(),
    nameLower: text("name_lower").notNull(),
    path: text("path").notNull().default("/"),
    arn: text("arn").notNull(),
    createDate: text("create_date").notNull(),
    roleId: text("role_id"),
  },
  (t) => [uniqueIndex("instance_profiles_account_name").on(t.accountId, t.nameLower), index("instance_profiles_role").on(t.roleId)],
);

export const accountAliases = sqliteTable("account_aliases", {
  alias: text("alias").primaryKey(),
  accountId: text("account_id").notNull().unique(),
});

/** Asynchronous IAM tasks that clients poll (DeleteServiceLinkedRole → GetServiceLinkedRoleDeletionStatus). */
export const deletionTasks = sqliteTable("deletion_tasks", {
  taskId: text("task_id").primaryKey(),
  accountId: text("account_id").notNull(),
  roleArn: text("role_arn").notNull(),
  status: text("status").notNull(),
  reason: text("reason"),
  createDate: text("create_date").notNull(),
});

// ---- Account security (MFA, passwords, credential report, Access Advisor) ----

/** Virtual MFA devices (and the root user's, with user_id 'root'). */
export const mfaDevices = sqliteTable(
  "mfa_devices",
  {
    serialNumber: text("serial_number").primaryKey(),
    accountId: text("account_id").notNull(),
    deviceName: text("device_name").notNull(),
    path: text("path").notNull().default("/"),
    /** base32 TOTP seed (secret) */
    seed: text("seed").notNull(),
    /** null while unassigned; an IAM user id or 'root' */
    userId: text("user_id"),
    enableDate: text("enable_date"),
    createDate: text("create_date").notNull(),
    /** last TOTP time step accepted: a code cannot be replayed */
    lastTimeStep: integer("last_time_step"),
  },
  (t) => [index("mfa_devices_account_user").on(t.accountId, t.userId)],
);

export const loginProfiles = sqliteTable("login_profiles", {
  userId: text("user_id").primaryKey(),
  accountId: text("account_id").notNull(),
  /** pbkdf2-sha256$iterations$salt$hash */
  passwordHash: text("password_hash").notNull(),
  createDate: text("create_date").notNull(),
  passwordResetRequired: integer("password_reset_required", { mode: "boolean" }).notNull().default(false),
  passwordLastChanged: text("password_last_changed").notNull(),
});

/** Labs (migration 0034): the password hash a lab gave a user, which a reset restores. */
export const labPasswords = sqliteTable("lab_passwords", {
  userId: text("user_id").primaryKey(),
  accountId: text("account_id").notNull(),
  passwordHash: text("password_hash").notNull(),
});

/** Previous password hashes, for PasswordReusePrevention. */
export const passwordHistory = sqliteTable(
  "password_history",
  {
    accountId: text("account_id").notNull(),
    userId: text("user_id").notNull(),
    passwordHash: text("password_hash").notNull(),
    changedAt: text("changed_at").notNull(),
  },
  (t) => [index("password_history_user").on(t.userId, t.changedAt)],
);

export const passwordPolicies = sqliteTable("password_policies", {
  accountId: text("account_id").primaryKey(),
  /** the policy as AWS's PasswordPolicy fields, JSON */
  policy: text("policy").notNull(),
});

export const credentialReports = sqliteTable("credential_reports", {
  accountId: text("account_id").primaryKey(),
  state: text("state").notNull(),
  generatedTime: text("generated_time").notNull(),
  content: text("content"),
});

/** Last authenticated use per principal, service and (for tracked services) action — Access Advisor. */
export const accessActivity = sqliteTable(
  "access_activity",
  {
    accountId: text("account_id").notNull(),
    principalArn: text("principal_arn").notNull(),
    /** the IAM entity the activity counts for (user / role ARN); groups and policies aggregate their members */
    entityArn: text("entity_arn").notNull(),
    service: text("service").notNull(),
    /** "" for the service-level row */
    action: text("action").notNull().default(""),
    lastAuthenticated: text("last_authenticated").notNull(),
    region: text("region").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.entityArn, t.service, t.action] })],
);

export const accessAdvisorJobs = sqliteTable("access_advisor_jobs", {
  jobId: text("job_id").primaryKey(),
  accountId: text("account_id").notNull(),
  arn: text("arn").notNull(),
  granularity: text("granularity").notNull(),
  status: text("status").notNull(),
  creationDate: text("creation_date").notNull(),
  completionDate: text("completion_date"),
  /** the computed report, JSON */
  result: text("result"),
});

/**
 * Explanations of recent authorization decisions (denials, and allows the client asked to explain),
 * so a decision id resolves in any isolate of a deployed Worker, not only the one that decided.
 * Kept for a day; `record` is the DecisionRecord as JSON (src/authz/decisions.ts).
 */
export const decisions = sqliteTable(
  "decisions",
  {
    decisionId: text("decision_id").primaryKey(),
    accountId: text("account_id").notNull(),
    createdAt: integer("created_at").notNull(),
    record: text("record").notNull(),
  },
  (t) => [index("decisions_created").on(t.createdAt)],
);

/**
 * S3 buckets (migrations/0006_s3.sql). Names are global across the sandbox; `account_id` is the
 * owner. Tags and public-access blocks join in the next slices of issue 15.
 */
export const s3Buckets = sqliteTable(
  "s3_buckets",
  {
    name: text("name").primaryKey(),
    accountId: text("account_id").notNull(),
    /** the LocationConstraint it was created with (us-east-1 when none) */
    region: text("region").notNull(),
    createDate: text("create_date").notNull(),
    /** the bucket policy as PutBucketPolicy stored it (migrations/0007_s3_bucket_policy.sql); NULL when none */
    policy: text("policy"),
    /**
     * Block Public Access, bucket level (migrations/0008_s3_public_access_block.sql): 1/0 per setting,
     * all NULL when the bucket has no PublicAccessBlock configuration.
     */
    blockPublicAcls: integer("block_public_acls"),
    ignorePublicAcls: integer("ignore_public_acls"),
    blockPublicPolicy: integer("block_public_policy"),
    restrictPublicBuckets: integer("restrict_public_buckets"),
    /** JSON object of the bucket's tags (migrations/0010_s3_tags_ownership.sql); NULL when it has no tag set */
    tags: text("tags"),
    /** Object Ownership (BucketOwnerEnforced unless changed); NULL after DeleteBucketOwnershipControls */
    objectOwnership: text("object_ownership").default("BucketOwnerEnforced"),
    /**
     * Eventual consistency (migrations/0011_s3_bucket_policy_generation.sql): the owner account's
     * generation the policy (or its removal) was written at, when the account lagged; NULL when the
     * change was made in mode `off`. The data plane enforces it once that generation is visible.
     */
    policyGeneration: integer("policy_generation"),
  },
  (t) => [index("s3_buckets_account").on(t.accountId, t.name)],
);

/**
 * S3 object metadata; the body is the R2 object `r2_key` (`<owner account>/<bucket>/<uuid>`: a new
 * one per write, so an overwrite never mixes two bodies), or, for a small one, `body` itself (then
 * `r2_key` is ''; src/services/s3/body-storage.ts decides). `account_id` is the bucket owner's.
 */
export const s3Objects = sqliteTable(
  "s3_objects",
  {
    bucket: text("bucket").notNull(),
    objectKey: text("object_key").notNull(),
    accountId: text("account_id").notNull(),
    r2Key: text("r2_key").notNull(),
    size: integer("size").notNull(),
    /** quoted, as S3 sends it: `"<hex md5>"` */
    etag: text("etag").notNull(),
    lastModified: text("last_modified").notNull(),
    contentType: text("content_type").notNull(),
    /** JSON: the system metadata stored with the object (Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires) */
    headers: text("headers").notNull(),
    /** JSON: user metadata (x-amz-meta-*), names lower-cased */
    metadata: text("metadata").notNull(),
    /** JSON object of the object's tags (migrations/0010_s3_tags_ownership.sql); '{}' when none */
    tags: text("tags").notNull().default("{}"),
    /** the body when stored inline (migrations/0018_s3_inline_bodies.sql); NULL when it is in R2 */
    body: blob("body"),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.objectKey] }), index("s3_objects_account").on(t.accountId)],
);

/**
 * S3 multipart uploads in progress (migrations/0009_s3_multipart.sql). `account_id` is the bucket
 * owner's; `upload_id` starts with the creation time in fixed-width hex, so ordering by it is
 * ordering by initiation. The initiator is the caller who created the upload (ListParts and
 * ListMultipartUploads name it); `headers`/`metadata` are what the object gets on completion.
 */
export const s3MultipartUploads = sqliteTable(
  "s3_multipart_uploads",
  {
    uploadId: text("upload_id").primaryKey(),
    bucket: text("bucket").notNull(),
    objectKey: text("object_key").notNull(),
    accountId: text("account_id").notNull(),
    initiated: text("initiated").notNull(),
    initiatorArn: text("initiator_arn").notNull(),
    initiatorName: text("initiator_name").notNull(),
    contentType: text("content_type").notNull(),
    /** JSON, as s3_objects.headers */
    headers: text("headers").notNull(),
    /** JSON, as s3_objects.metadata */
    metadata: text("metadata").notNull(),
    /** x-amz-checksum-algorithm of CreateMultipartUpload (CRC32, CRC32C, SHA1, SHA256); NULL when none */
    checksumAlgorithm: text("checksum_algorithm"),
    /** JSON, the tags the object gets on completion (x-amz-tagging on CreateMultipartUpload) */
    tags: text("tags").notNull().default("{}"),
  },
  (t) => [index("s3_multipart_uploads_key").on(t.bucket, t.objectKey, t.uploadId), index("s3_multipart_uploads_account").on(t.accountId)],
);

/** The parts of an upload: the latest body of each part number (R2 `r2_key`), its MD5 ETag and checksum. */
export const s3MultipartParts = sqliteTable(
  "s3_multipart_parts",
  {
    uploadId: text("upload_id").notNull(),
    partNumber: integer("part_number").notNull(),
    accountId: text("account_id").notNull(),
    r2Key: text("r2_key").notNull(),
    size: integer("size").notNull(),
    /** quoted hex MD5 of the part */
    etag: text("etag").notNull(),
    lastModified: text("last_modified").notNull(),
    /** base64 checksum of the part with the upload's algorithm; NULL when the upload has none */
    checksum: text("checksum"),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.partNumber] }), index("s3_multipart_parts_account").on(t.accountId)],
);

// ---- Issue 13: SSH public keys, signing certificates, server certificates, service-specific credentials (migrations/0012) ----

/** SSH public keys of IAM users (for CodeCommit); the body as uploaded, the fingerprint as AWS shows it. */
export const sshPublicKeys = sqliteTable(
  "ssh_public_keys",
  {
    sshPublicKeyId: text("ssh_public_key_id").primaryKey(),
    accountId: text("account_id").notNull(),
    userId: text("user_id").notNull(),
    body: text("body").notNull(),
    /** MD5 of the OpenSSH key blob, colon hex: also how a duplicate is recognised */
    fingerprint: text("fingerprint").notNull(),
    status: text("status").notNull().default("Active"),
    uploadDate: text("upload_date").notNull(),
  },
  (t) => [index("ssh_public_keys_user").on(t.accountId, t.userId)],
);

/** X.509 signing certificates of IAM users and of the root user (user_id 'root'). */
export const signingCertificates = sqliteTable(
  "signing_certificates",
  {
    certificateId: text("certificate_id").primaryKey(),
    accountId: text("account_id").notNull(),
    userId: text("user_id").notNull(),
    body: text("body").notNull(),
    /** SHA-256 of the certificate's DER bytes (duplicates are the same certificate however it is wrapped) */
    fingerprint: text("fingerprint").notNull(),
    status: text("status").notNull().default("Active"),
    uploadDate: text("upload_date").notNull(),
  },
  (t) => [index("signing_certificates_user").on(t.accountId, t.userId)],
);

/** Server certificates (certificate, chain; the private key is checked on upload and never stored). */
export const serverCertificates = sqliteTable(
  "server_certificates",
  {
    serverCertificateId: text("server_certificate_id").primaryKey(),
    accountId: text("account_id").notNull(),
    name: text("name").notNull(),
    nameLower: text("name_lower").notNull(),
    path: text("path").notNull().default("/"),
    arn: text("arn").notNull(),
    body: text("body").notNull(),
    chain: text("chain"),
    uploadDate: text("upload_date").notNull(),
    /** the certificate's notAfter */
    expiration: text("expiration").notNull(),
  },
  (t) => [uniqueIndex("server_certificates_account_name").on(t.accountId, t.nameLower)],
);

/** Service-specific credentials (CodeCommit, Keyspaces, Bedrock, CloudWatch Logs); the secret is shown once and not kept. */
export const serviceSpecificCredentials = sqliteTable(
  "service_specific_credentials",
  {
    credentialId: text("credential_id").primaryKey(),
    accountId: text("account_id").notNull(),
    userId: text("user_id").notNull(),
    serviceName: text("service_name").notNull(),
    /** `<user>-at-<account>` style name of password credentials (CodeCommit, Keyspaces) */
    serviceUserName: text("service_user_name"),
    /** the public part of API-key credentials (Bedrock, CloudWatch Logs) */
    credentialAlias: text("credential_alias"),
    status: text("status").notNull().default("Active"),
    createDate: text("create_date").notNull(),
    expirationDate: text("expiration_date"),
  },
  (t) => [index("service_specific_credentials_user").on(t.accountId, t.userId)],
);

/** ECR repositories (migrations/0016_ecr.sql): regional, keyed by (account, region, name). */
export const ecrRepositories = sqliteTable(
  "ecr_repositories",
  {
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    name: text("name").notNull(),
    /** epoch ms */
    createdAt: integer("created_at").notNull(),
    imageTagMutability: text("image_tag_mutability").notNull(),
    scanOnPush: integer("scan_on_push").notNull(),
    encryptionType: text("encryption_type").notNull(),
    kmsKey: text("kms_key"),
    /** the repository policy as SetRepositoryPolicy stored it; NULL when none */
    policy: text("policy"),
    /** the owner account's generation of the last policy change made while it lagged (migrations/0020); NULL: in force */
    policyGeneration: integer("policy_generation"),
    /** JSON list of {Key, Value} */
    tags: text("tags").notNull().default("[]"),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.name] })],
);

/** ECR images: a manifest stored as data, keyed by its digest within its repository. */
export const ecrImages = sqliteTable(
  "ecr_images",
  {
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    repository: text("repository").notNull(),
    digest: text("digest").notNull(),
    manifest: text("manifest").notNull(),
    mediaType: text("media_type").notNull(),
    artifactMediaType: text("artifact_media_type"),
    /** bytes: the config and layers the manifest names */
    size: integer("size").notNull(),
    /** JSON list of {digest, size, mediaType}: the blobs the manifest names (BatchCheckLayerAvailability) */
    layers: text("layers").notNull(),
    /** epoch ms */
    pushedAt: integer("pushed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.repository, t.digest] })],
);

/** ECR image tags: each names one image (digest) of its repository. */
export const ecrImageTags = sqliteTable(
  "ecr_image_tags",
  {
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    repository: text("repository").notNull(),
    tag: text("tag").notNull(),
    digest: text("digest").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.repository, t.tag] })],
);

/** KMS keys (migrations/0015_kms.sql): symmetric keys, their key policy and their key material (base64). */
export const kmsKeys = sqliteTable(
  "kms_keys",
  {
    keyId: text("key_id").primaryKey(),
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    description: text("description").notNull().default(""),
    /** AWS's KeyState: Enabled, Disabled, PendingDeletion */
    keyState: text("key_state").notNull(),
    /** epoch ms */
    creationDate: integer("creation_date").notNull(),
    /** epoch ms; set while PendingDeletion */
    deletionDate: integer("deletion_date"),
    policy: text("policy").notNull(),
    /** the owner account's generation of the last policy change made while it lagged (migrations/0020); NULL: in force */
    policyGeneration: integer("policy_generation"),
    material: text("material").notNull(),
    /** JSON object of the key's tags */
    tags: text("tags").notNull().default("{}"),
    /** JSON array of the key's grants (src/store/kms-keys.ts Grant) */
    grants: text("grants").notNull().default("[]"),
  },
  (t) => [index("kms_keys_account").on(t.accountId, t.region, t.keyId)],
);

/** KMS aliases (`alias/…`), per account and region. */
export const kmsAliases = sqliteTable(
  "kms_aliases",
  {
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    aliasName: text("alias_name").notNull(),
    targetKeyId: text("target_key_id").notNull(),
    /** epoch ms */
    creationDate: integer("creation_date").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.aliasName] })],
);

/**
 * SQS queues (migrations/0014_sqs.sql): the metadata; messages live in the queue's Durable Object
 * (src/services/sqs/queue-do.ts) named by `queue_id`, fresh for each incarnation of the queue.
 */
export const sqsQueues = sqliteTable(
  "sqs_queues",
  {
    accountId: text("account_id").notNull(),
    name: text("name").notNull(),
    queueId: text("queue_id").notNull(),
    /** the region of the CreateQueue call's signature (the queue ARN's region) */
    region: text("region").notNull(),
    /** epoch seconds, as SQS reports CreatedTimestamp / LastModifiedTimestamp */
    createdAt: integer("created_at").notNull(),
    modifiedAt: integer("modified_at").notNull(),
    /** JSON object of the settable attributes but Policy, as strings (SQS's wire form) */
    attributes: text("attributes").notNull(),
    /** the queue policy as stored; NULL when none */
    policy: text("policy"),
    /** the owner account's generation of the last policy change made while it lagged (migrations/0020); NULL: in force */
    policyGeneration: integer("policy_generation"),
    /** JSON object of the queue's tags */
    tags: text("tags").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.name] })],
);

// ---- EC2 (issue 16, migrations/0022_ec2.sql) ----

/** EC2 instances: records with AWS's state machine, no VMs. `tags`: JSON array of {Key, Value}. */
export const ec2Instances = sqliteTable(
  "ec2_instances",
  {
    instanceId: text("instance_id").primaryKey(),
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    reservationId: text("reservation_id").notNull(),
    launchIndex: integer("launch_index").notNull(),
    imageId: text("image_id").notNull(),
    instanceType: text("instance_type").notNull(),
    keyName: text("key_name"),
    /** the state as last written (transient states settle on read: src/services/ec2/states.ts) */
    state: text("state").notNull(),
    /** epoch ms */
    stateChangedAt: integer("state_changed_at").notNull(),
    stateReason: text("state_reason").notNull().default(""),
    /** epoch ms */
    launchedAt: integer("launched_at").notNull(),
    privateIp: text("private_ip").notNull(),
    subnetId: text("subnet_id").notNull(),
    vpcId: text("vpc_id").notNull(),
    availabilityZone: text("availability_zone").notNull(),
    clientToken: text("client_token"),
    tags: text("tags").notNull().default("[]"),
  },
  (t) => [index("ec2_instances_account").on(t.accountId, t.region, t.launchedAt, t.instanceId)],
);

/** IAM instance profile associations of instances; at most one active per instance. */
export const ec2IipAssociations = sqliteTable(
  "ec2_iip_associations",
  {
    associationId: text("association_id").primaryKey(),
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    instanceId: text("instance_id").notNull(),
    instanceProfileId: text("instance_profile_id").notNull(),
    instanceProfileArn: text("instance_profile_arn").notNull(),
    /** 1 while associating / associated */
    active: integer("active").notNull(),
    /** epoch ms */
    createdAt: integer("created_at").notNull(),
    endedAt: integer("ended_at"),
  },
  (t) => [index("ec2_iip_associations_account").on(t.accountId, t.region, t.instanceId)],
);

// ---- Federation (issue 19, migrations/0024_federation.sql) ----

/** IAM OIDC identity providers. `url` is the issuer without `https://` (the ARN's resource after `oidc-provider/`). */
export const oidcProviders = sqliteTable(
  "oidc_providers",
  {
    accountId: text("account_id").notNull(),
    arn: text("arn").notNull(),
    url: text("url").notNull(),
    /** JSON array of strings, in the order they were added */
    clientIds: text("client_ids").notNull(),
    /** JSON array of 40-hex-digit strings */
    thumbprints: text("thumbprints").notNull(),
    createDate: text("create_date").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.arn] }), uniqueIndex("oidc_providers_arn").on(t.arn)],
);

/** IAM SAML identity providers: the metadata document as uploaded, and its validUntil (or IAM's default). */
export const samlProviders = sqliteTable(
  "saml_providers",
  {
    accountId: text("account_id").notNull(),
    arn: text("arn").notNull(),
    name: text("name").notNull(),
    metadata: text("metadata").notNull(),
    createDate: text("create_date").notNull(),
    validUntil: text("valid_until").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.arn] }), uniqueIndex("saml_providers_arn").on(t.arn)],
);

/** Signing keys of an account's built-in OIDC identity provider (JWKs as JSON; RS256). */
export const idpKeys = sqliteTable(
  "idp_keys",
  {
    accountId: text("account_id").notNull(),
    kid: text("kid").notNull(),
    alg: text("alg").notNull(),
    publicJwk: text("public_jwk").notNull(),
    privateJwk: text("private_jwk").notNull(),
    /** epoch ms */
    createdAt: integer("created_at").notNull(),
    /** 1 = signs new tokens; 0 = rotated out, still published in the JWKS so earlier tokens verify */
    active: integer("active").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.kid] })],
);

// --- SNS (issue 17, helper `sns`; migrations/0019_sns.sql) ---

/** SNS topics: regional, keyed by (account, region, name); the topic policy is always present (AWS writes a default one). */
export const snsTopics = sqliteTable(
  "sns_topics",
  {
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    name: text("name").notNull(),
    /** epoch ms */
    createdAt: integer("created_at").notNull(),
    /** JSON object of the settable attributes but Policy, as strings (SNS's wire form) */
    attributes: text("attributes").notNull(),
    policy: text("policy").notNull(),
    /** the owner account's generation of the last policy change made while it lagged (migrations/0025); NULL: in force */
    policyGeneration: integer("policy_generation"),
    /** JSON object of the topic's tags */
    tags: text("tags").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.name] })],
);

/** SNS subscriptions, kept with their topic's account; `owner` is the account that subscribed. */
export const snsSubscriptions = sqliteTable(
  "sns_subscriptions",
  {
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    topic: text("topic").notNull(),
    subscriptionId: text("subscription_id").notNull(),
    owner: text("owner").notNull(),
    /** ARN of the caller who subscribed (SubscriptionPrincipal) */
    principal: text("principal").notNull(),
    protocol: text("protocol").notNull(),
    endpoint: text("endpoint").notNull(),
    /** 1 while pending confirmation */
    pending: integer("pending").notNull(),
    /** the confirmation token (ConfirmSubscription) */
    token: text("token").notNull(),
    /** JSON object of the settable subscription attributes (RawMessageDelivery, FilterPolicy …) */
    attributes: text("attributes").notNull(),
    /** epoch ms */
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.topic, t.subscriptionId] })],
);

// --- lambda (issue 16, migration 0023) ---
/** Lambda functions: configuration as JSON, code in R2 (`code_key`), program and resource policy as text. */
export const lambdaFunctions = sqliteTable(
  "lambda_functions",
  {
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    name: text("name").notNull(),
    /** JSON: the mutable configuration (Runtime, Handler, Role, Description, Timeout, MemorySize, Environment) */
    config: text("config").notNull(),
    codeKey: text("code_key").notNull(),
    /** base64 SHA-256 of the zip, as Lambda reports it */
    codeSha256: text("code_sha256").notNull(),
    codeSize: integer("code_size").notNull(),
    /** JSON: the parsed iamlab.json program; NULL when the package has none */
    program: text("program"),
    /** the function's resource policy; NULL when no statement was added */
    policy: text("policy"),
    /** JSON object of tags */
    tags: text("tags").notNull().default("{}"),
    revisionId: text("revision_id").notNull(),
    /** epoch ms */
    lastModified: integer("last_modified").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.name] })],
);
// --- end lambda ---

// --- SAML federation (issue 19, helper `saml`; migrations/0026_saml_idp.sql) ---

/** The built-in SAML IdP's key of each account: PKCS#8 private key and self-signed certificate (base64 DER). */
export const samlIdpKeys = sqliteTable("saml_idp_keys", {
  accountId: text("account_id").primaryKey(),
  privatePkcs8: text("private_pkcs8").notNull(),
  certificate: text("certificate").notNull(),
  /** epoch ms */
  createdAt: integer("created_at").notNull(),
  /** key rotation (migration 0031): the certificate rotated out, still published until retired */
  previousCertificate: text("previous_certificate"),
});
// --- end saml ---
// --- cloudtrail (issue 21, migration 0029) ---
/**
 * CloudTrail events, one row per recipient account (a cross-account call is stored in both accounts
 * with one sharedEventID). `body` is the record JSON; the other columns serve LookupAttributes.
 */
/**
 * CloudTrail events (migration 0032): per account and flush, one segment — the events' LookupEvents
 * columns in `meta` (JSON, one array per event) and their records in `body` (NDJSON: a BLOB gzipped,
 * TEXT plain — small segments, and records from before 0032). See src/store/cloudtrail-events.ts.
 */
export const cloudtrailSegments = sqliteTable(
  "cloudtrail_segments",
  {
    seq: integer("seq").primaryKey(),
    accountId: text("account_id").notNull(),
    /** epoch ms of its oldest and newest events (sandbox clock) */
    firstTime: integer("first_time").notNull(),
    lastTime: integer("last_time").notNull(),
    meta: text("meta").notNull(),
    body: blob("body").notNull(),
  },
  (t) => [index("cloudtrail_segments_account_time").on(t.accountId, t.lastTime, t.seq), index("cloudtrail_segments_time").on(t.lastTime)],
);
/** CloudTrail trails (migration 0033): settings, logging state, delivery cursor and status. */
export const cloudtrailTrails = sqliteTable(
  "cloudtrail_trails",
  {
    accountId: text("account_id").notNull(),
    region: text("region").notNull(),
    name: text("name").notNull(),
    s3Bucket: text("s3_bucket").notNull(),
    s3KeyPrefix: text("s3_key_prefix"),
    snsTopicName: text("sns_topic_name"),
    includeGlobal: integer("include_global").notNull().default(1),
    multiRegion: integer("multi_region").notNull().default(0),
    logValidation: integer("log_validation").notNull().default(0),
    kmsKeyId: text("kms_key_id"),
    cwLogGroupArn: text("cw_log_group_arn"),
    cwRoleArn: text("cw_role_arn"),
    /** JSON: PutEventSelectors' EventSelectors, or null for the default (all management events) */
    eventSelectors: text("event_selectors"),
    advancedEventSelectors: text("advanced_event_selectors"),
    tags: text("tags").notNull().default("{}"),
    isLogging: integer("is_logging").notNull().default(0),
    startLoggingTime: integer("start_logging_time"),
    stopLoggingTime: integer("stop_logging_time"),
    /** the last cloudtrail_segments.seq delivery has looked at */
    deliveredSeq: integer("delivered_seq").notNull().default(0),
    latestDeliveryTime: integer("latest_delivery_time"),
    latestDeliveryError: text("latest_delivery_error"),
    latestDeliveryAttemptTime: integer("latest_delivery_attempt_time"),
    latestDeliveryAttemptOk: integer("latest_delivery_attempt_ok"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.name] }), index("cloudtrail_trails_logging").on(t.isLogging, t.accountId)],
);
// --- end cloudtrail ---
// --- labs (issue 21, migration 0028) ---
/** One apply of a lab template to new learner accounts (POST /_iamlab/labs): the template as sent, JSON. */
export const labs = sqliteTable("labs", {
  labId: text("lab_id").primaryKey(),
  template: text("template").notNull(),
  createDate: text("create_date").notNull(),
});

/** Per account: the template last applied (what the lab owns there), a saved snapshot, and its lab. */
export const labAccounts = sqliteTable(
  "lab_accounts",
  {
    accountId: text("account_id").primaryKey(),
    /** NULL when the template was applied to an existing account (PUT /_iamlab/accounts/:id/lab) */
    labId: text("lab_id"),
    /** the template, JSON (validated) */
    template: text("template").notNull(),
    /** POST …/lab/snapshot: the account's state exported as a template, JSON */
    snapshot: text("snapshot"),
    appliedDate: text("applied_date").notNull(),
  },
  (t) => [index("lab_accounts_lab").on(t.labId, t.accountId)],
);
// --- end labs ---
// --- console (issue 20, migration 0027) ---
/**
 * Console sessions, server-side: the cookie holds a random id (HMAC-signed), this row its SHA-256.
 * `stage`: mfa (password accepted, code pending) | password (a forced change pending) | active.
 * The principal's temporary credentials (an STS session of kind "console") and, after Switch Role,
 * the role session's are kept here only, never sent to the browser.
 */
export const consoleSessions = sqliteTable(
  "console_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    accountId: text("account_id").notNull(),
    principalKind: text("principal_kind").notNull(),
    userName: text("user_name"),
    userId: text("user_id"),
    stage: text("stage").notNull(),
    csrf: text("csrf").notNull(),
    mfaTime: integer("mfa_time"),
    stsAccessKeyId: text("sts_access_key_id"),
    stsToken: text("sts_token"),
    roleArn: text("role_arn"),
    roleDisplay: text("role_display"),
    roleAccessKeyId: text("role_access_key_id"),
    roleToken: text("role_token"),
    roleExpiresAt: integer("role_expires_at"),
    sourceIp: text("source_ip").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("console_sessions_account").on(t.accountId)],
);

/** Failed console sign-ins per account and user name (lower-cased; `root` for the root user). */
export const consoleSigninFailures = sqliteTable(
  "console_signin_failures",
  {
    accountId: text("account_id").notNull(),
    userKey: text("user_key").notNull(),
    failures: integer("failures").notNull(),
    firstFailure: integer("first_failure").notNull(),
    lockedUntil: integer("locked_until"),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.userKey] })],
);
// --- end console ---
// --- console SSO (issues 19/20, migration 0031) ---
/** The federation endpoint's sign-in tokens (getSigninToken → login), by SHA-256; single use. */
export const consoleSigninTokens = sqliteTable(
  "console_signin_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    accountId: text("account_id").notNull(),
    accessKeyId: text("access_key_id").notNull(),
    sessionToken: text("session_token").notNull(),
    /** the SessionDuration asked for; null = the credentials' own remaining lifetime */
    sessionSeconds: integer("session_seconds"),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("console_signin_tokens_expiry").on(t.expiresAt)],
);

/** SAML responses that opened a console session (SHA-256 of the document), kept until they expire. */
export const consoleSamlUsed = sqliteTable(
  "console_saml_used",
  {
    responseHash: text("response_hash").primaryKey(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("console_saml_used_expiry").on(t.expiresAt)],
);
// --- end console SSO ---
