/** Policy and trust documents that several test files build the same way (JSON text, as the APIs take it). */

export const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
export const READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/** A policy document holding these statements. */
export const policyDoc = (...Statement: object[]): string => JSON.stringify({ Version: "2012-10-17", Statement });

/** An Allow statement; `extra` adds Condition, Sid, … */
export const allow = (Action: string | string[], Resource: string | string[] = "*", extra: object = {}) => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});

/** A Deny statement; `extra` adds Condition, Sid, … */
export const deny = (Action: string | string[], Resource: string | string[] = "*", extra: object = {}) => ({
  Effect: "Deny",
  Action,
  Resource,
  ...extra,
});

/** A one-statement document allowing `action` on `resource` (s3:GetObject on everything by default). */
export const allowDoc = (action = "s3:GetObject", resource = "*"): string =>
  policyDoc({ Effect: "Allow", Action: action, Resource: resource });

/** A trust policy letting `service` assume the role. */
export const serviceTrust = (service: string): string =>
  policyDoc({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });

/** The trust policy most role tests use: EC2 may assume the role. */
export const TRUST = serviceTrust("ec2.amazonaws.com");
