-- Organizations, second slice (issue 18): resource control policies, tags, handshakes.
-- RCPs enabled in the root beside SCPs.
ALTER TABLE `org_organizations` ADD COLUMN `rcp_enabled` integer NOT NULL DEFAULT 0;
-- Each attachment knows its policy's type (the per-type limits, DisablePolicyType, the chain query);
-- every attachment made before this migration was an SCP's.
ALTER TABLE `org_attachments` ADD COLUMN `policy_type` text NOT NULL DEFAULT 'SERVICE_CONTROL_POLICY';
-- Tags of accounts, OUs, the root and customer policies (kept by the management account).
CREATE TABLE `org_tags` (
  `account_id` text NOT NULL,
  `org_id` text NOT NULL,
  `resource_id` text NOT NULL,
  `key` text NOT NULL,
  `value` text NOT NULL,
  PRIMARY KEY (`org_id`, `resource_id`, `key`)
);
-- Invitations (InviteAccountToOrganization). account_id: the management account that sent it;
-- target: the invited account id (type ACCOUNT) or e-mail address (type EMAIL).
CREATE TABLE `org_handshakes` (
  `handshake_id` text PRIMARY KEY NOT NULL,
  `account_id` text NOT NULL,
  `org_id` text NOT NULL,
  `target_type` text NOT NULL,
  `target` text NOT NULL,
  `state` text NOT NULL,
  `requested` text NOT NULL,
  `expiration` text NOT NULL,
  `notes` text
);
CREATE INDEX `org_handshakes_target` ON `org_handshakes` (`target`);
CREATE INDEX `org_handshakes_org` ON `org_handshakes` (`org_id`);
