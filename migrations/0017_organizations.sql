-- Organizations (issue 18). Every table carries an account_id so deleting an account clears it:
-- the management account's for the organization, its OUs, policies and attachments; the member's own
-- for its membership row (src/store/accounts.ts finds tables by that column).
CREATE TABLE `org_organizations` (
  `org_id` text PRIMARY KEY NOT NULL,
  `account_id` text NOT NULL,
  `root_id` text NOT NULL,
  `create_date` text NOT NULL,
  `scp_enabled` integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX `org_organizations_account` ON `org_organizations` (`account_id`);
-- Members, the management account included. create_request_id: CreateAccount's `car-` id.
CREATE TABLE `org_accounts` (
  `account_id` text PRIMARY KEY NOT NULL,
  `org_id` text NOT NULL,
  `parent_id` text NOT NULL,
  `name` text NOT NULL,
  `email` text NOT NULL,
  `joined_method` text NOT NULL,
  `joined_date` text NOT NULL,
  `create_request_id` text,
  `create_request_date` text
);
CREATE INDEX `org_accounts_org` ON `org_accounts` (`org_id`, `parent_id`);
CREATE TABLE `org_units` (
  `ou_id` text PRIMARY KEY NOT NULL,
  `account_id` text NOT NULL,
  `org_id` text NOT NULL,
  `parent_id` text NOT NULL,
  `name` text NOT NULL
);
CREATE UNIQUE INDEX `org_units_parent_name` ON `org_units` (`org_id`, `parent_id`, `name`);
-- Customer-managed policies; the AWS-managed FullAWSAccess is not stored (src/services/organizations/common.ts).
CREATE TABLE `org_policies` (
  `policy_id` text PRIMARY KEY NOT NULL,
  `account_id` text NOT NULL,
  `org_id` text NOT NULL,
  `name` text NOT NULL,
  `description` text NOT NULL,
  `type` text NOT NULL,
  `content` text NOT NULL
);
CREATE UNIQUE INDEX `org_policies_name` ON `org_policies` (`org_id`, `type`, `name`);
CREATE TABLE `org_attachments` (
  `account_id` text NOT NULL,
  `org_id` text NOT NULL,
  `target_id` text NOT NULL,
  `policy_id` text NOT NULL,
  PRIMARY KEY (`org_id`, `target_id`, `policy_id`)
);
CREATE INDEX `org_attachments_policy` ON `org_attachments` (`org_id`, `policy_id`);
