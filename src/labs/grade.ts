/**
 * Grading a lab account (issue 21): the template's `checks` against the account's CURRENT state.
 * `can` / `cannot` run the real decision path (src/authz/authorize.ts `decide`: the principal's
 * identity policies, boundary, SCPs/RCPs, and the resource's own policy for S3 buckets and role trust
 * policies) as the named user or as a session of the named role, with the check's context keys; a
 * failed one carries the engine's explanation (the deciding statement, or what is missing) and the
 * decision id (GET /_iamlab/decisions/<id>). State assertions read the same state the export does.
 */
import type { Env } from "../env";
import type { Db } from "../store/db";
import type { ActionContext, AuthzTarget } from "../services/action";
import type { Caller } from "../auth/caller";
import type { DecisionValue } from "../policy/explain";
import { decide } from "../authz/authorize";
import { decisionForCaller, getDecision } from "../authz/decisions";
import { denialReason, policyLabel } from "../admin/denial-reason";
import { s3Target } from "../services/s3/common";
import { getBucket } from "../store/s3-buckets";
import { getQueue } from "../store/sqs-queues";
import { getTopic } from "../store/sns";
import { getRepository } from "../store/ecr-repositories";
import { queueTarget } from "../services/sqs/common";
import { topicTarget } from "../services/sns/common";
import { repositoryTarget } from "../services/ecr/common";
import { getAccount } from "../store/accounts";
import { readLabRows } from "../store/labs";
import { assumedRoleArn, iamArn, parseArn, rootArn } from "../lib/arn";
import { newRequestId } from "../lib/ids";
import { OFF } from "../consistency/delay";
import { currentState, type CurrentIds, type LabState } from "./state";
import { CHECK_KINDS, substituteAccount, type AccessQuery, type CheckKind, type CheckSpec, type LabTemplate } from "./template";
import type { TrailReader } from "./trail";
import { listMembers, orgOfAccount } from "../store/org-organizations"; // labsorg4 (issue 21)

export type CheckStatus = "pass" | "fail" | "unavailable";

export interface CheckResult {
  id: string;
  kind: CheckKind;
  description?: string;
  status: CheckStatus;
  passed: boolean;
  points: number;
  earned: number;
  /** what was found, in a sentence */
  detail: string;
  /** the author's hint, on a check that did not pass */
  hint?: string;
  /** can/cannot: the engine's decision and why */
  decision?: { value: DecisionValue; decisionId: string; reason: string; statements: DecidingStatement[]; missingConditions?: string[] };
}

export interface DecidingStatement {
  policy: string;
  type: string;
  effect: "Allow" | "Deny";
  index: number;
  sid?: string;
}

export interface AccountResults {
  accountId: string;
  score: number;
  maxScore: number;
  passed: number;
  failed: number;
  checks: CheckResult[];
}

const GRADER_SESSION = "iamlab-grader";

export async function gradeAccount(
  env: Env,
  db: Db,
  accountId: string,
  template: LabTemplate,
  trail: TrailReader,
  now: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<AccountResults> {
  const g = await graderFor(env, db, accountId, trail, now, waitUntil);
  const checks: CheckResult[] = [];
  for (const [i, c] of (template.checks ?? []).entries()) checks.push(await gradeCheck(g, c, i));
  const score = checks.reduce((s, c) => s + c.earned, 0);
  return {
    accountId,
    score,
    maxScore: checks.reduce((s, c) => s + c.points, 0),
    passed: checks.filter((c) => c.passed).length,
    failed: checks.filter((c) => !c.passed).length,
    checks,
  };
}

async function graderFor(
  env: Env,
  db: Db,
  accountId: string,
  trail: TrailReader,
  now: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Grader> {
  const [rows, account] = await Promise.all([readLabRows(db, accountId), getAccount(db, accountId)]);
  const { state, ids } = currentState(rows, OFF);
  return { env, db, accountId, state, ids, trail, now, waitUntil, generation: account?.generation ?? 0 };
}

/**
 * labsorg4 (issue 21): the grader of a member account of the organization `g`'s account manages, by the
 * member's name (a check with `account`), or why there is none.
 */
async function memberGrader(g: Grader, name: string): Promise<Grader | string> {
  const org = await orgOfAccount(g.db, g.accountId);
  if (!org || org.accountId !== g.accountId) return `Account ${g.accountId} manages no organization: no member account ${name}.`;
  const member = (await listMembers(g.db, org.orgId)).find((m) => m.name === name && m.accountId !== g.accountId);
  if (!member) return `The organization ${org.orgId} has no member account named ${name}.`;
  return graderFor(g.env, g.db, member.accountId, g.trail, g.now, g.waitUntil);
}

interface Grader {
  env: Env;
  db: Db;
  accountId: string;
  state: LabState;
  ids: CurrentIds;
  trail: TrailReader;
  now: number;
  waitUntil: (p: Promise<unknown>) => void;
  generation: number;
}

type Outcome = Pick<CheckResult, "status" | "detail" | "decision">;

async function gradeCheck(g: Grader, c: CheckSpec, index: number): Promise<CheckResult> {
  const kind = CHECK_KINDS.find((k) => c[k] !== undefined)!;
  // labsorg4 (issue 21): a check naming a member account runs there (`${account}`: the member's id) —
  // `account` on the check (any kind), or on a can/cannot's query.
  const memberName = c.account ?? (kind === "can" || kind === "cannot" ? c[kind]!.account : undefined);
  const where = memberName === undefined ? g : await memberGrader(g, memberName);
  const spec = substituteAccount(c, typeof where === "string" ? g.accountId : where.accountId);
  let o: Outcome;
  if (typeof where === "string") o = { status: "fail", detail: where };
  else
    switch (kind) {
      case "can":
      case "cannot":
        o = await accessCheck(where, spec[kind]!, kind === "can", memberName);
        break;
      case "exists":
      case "notExists":
        o = existsCheck(where, spec[kind]!, kind === "exists");
        break;
      case "trustRequiresMfa":
        o = trustRequiresMfa(where, spec.trustRequiresMfa!.role);
        break;
      case "noUserWithPolicy":
        o = noUserWithPolicy(where, spec.noUserWithPolicy!.policy);
        break;
      case "userInGroup":
        o = userInGroup(where, spec.userInGroup!.user, spec.userInGroup!.group);
        break;
      case "usedAction":
        o = await usedAction(where, spec.usedAction!);
        break;
    }
  const points = c.points ?? 1;
  const passed = o.status === "pass";
  const r: CheckResult = {
    id: c.id ?? `check-${index + 1}`,
    kind,
    status: o.status,
    passed,
    points,
    earned: passed ? points : 0,
    detail: o.detail,
  };
  if (c.description) r.description = c.description;
  if (!passed && c.hint) r.hint = c.hint;
  if (o.decision) r.decision = o.decision;
  return r;
}

// ---- can / cannot

type Who = { caller: Caller; label: string } | string;

/** The principal a check names: `alice`, `user/alice`, `role/Admin`, `root`, or an ARN of the account's user or role. */
function principalOf(g: Grader, ref: string): Who {
  let kind: "user" | "role" | undefined;
  let name = ref;
  if (ref === "root" || ref === rootArn(g.accountId)) {
    return {
      caller: {
        principal: { kind: "root", account: g.accountId, arn: rootArn(g.accountId), userId: g.accountId },
        accessKeyId: "",
        generation: g.generation,
      },
      label: "the root user",
    };
  }
  if (ref.startsWith("arn:")) {
    const arn = parseArn(ref);
    if (!arn || arn.account !== g.accountId || !/^(user|role)\//.test(arn.resource))
      return `${ref} is not a user or role ARN of account ${g.accountId}.`;
    kind = arn.resource.startsWith("user/") ? "user" : "role";
    name = arn.resource.slice(arn.resource.lastIndexOf("/") + 1);
  } else if (/^(user|role)\//.test(ref)) {
    kind = ref.startsWith("user/") ? "user" : "role";
    name = ref.slice(5);
  }
  const lower = name.toLowerCase();
  const user = kind !== "role" ? g.state.users.find((u) => u.name.toLowerCase() === lower) : undefined;
  if (user) {
    const userId = g.ids.users.get(lower)!.userId;
    const arn = iamArn(g.accountId, "user", user.path, user.name);
    return {
      caller: {
        principal: { kind: "user", account: g.accountId, arn, userId, username: user.name },
        accessKeyId: "",
        generation: g.generation,
        entityId: userId,
      },
      label: `user ${user.name}`,
    };
  }
  const role = kind !== "user" ? g.state.roles.find((r) => r.name.toLowerCase() === lower) : undefined;
  if (role) {
    const roleId = g.ids.roles.get(lower)!;
    return {
      caller: {
        principal: {
          kind: "assumedRole",
          account: g.accountId,
          arn: assumedRoleArn(g.accountId, role.name, GRADER_SESSION),
          userId: `${roleId}:${GRADER_SESSION}`,
          roleArn: iamArn(g.accountId, "role", role.path, role.name),
        },
        accessKeyId: "",
        generation: g.generation,
        entityId: roleId,
        session: { tokenIssueTime: g.now, expiration: g.now + 3600_000, mfaAuthenticated: false, kind: "assumedRole" },
      },
      label: `role ${role.name}`,
    };
  }
  return `No ${kind ?? "user or role"} named ${name} in account ${g.accountId}.`;
}

/** The resource-based policy a request on `resource` meets: a bucket's, queue's, topic's or repository's, or a role's trust policy (sts:*). */
async function targetOf(g: Grader, action: string, resource: string, context: Record<string, string | string[]>): Promise<AuthzTarget> {
  const arn = parseArn(resource);
  if (arn?.service === "s3") {
    const bucket = await getBucket(g.db, arn.resource.split("/")[0]!);
    if (bucket) return s3Target(bucket, resource, context);
  }
  // The other resource-based policies a lab template can set (src/labs/resources.ts): queue, topic, repository.
  if (arn?.service === "sqs") {
    const q = await getQueue(g.db, arn.account, arn.resource);
    if (q) return { ...queueTarget(q), context: { ...context, "aws:ResourceAccount": q.accountId } };
  }
  if (arn?.service === "sns") {
    const t = await getTopic(g.db, { accountId: arn.account, region: arn.region || "us-east-1", name: arn.resource });
    if (t) return topicTarget(t, context);
  }
  if (arn?.service === "ecr" && arn.resource.startsWith("repository/")) {
    const name = arn.resource.slice("repository/".length);
    const repo = await getRepository(g.db, arn.account, arn.region || "us-east-1", name);
    if (repo) return repositoryTarget({ registry: arn.account, region: arn.region || "us-east-1", name, arn: resource, repo }, context);
  }
  if (
    arn?.service === "iam" &&
    arn.account === g.accountId &&
    arn.resource.startsWith("role/") &&
    action.toLowerCase().startsWith("sts:")
  ) {
    const name = arn.resource.slice(arn.resource.lastIndexOf("/") + 1).toLowerCase();
    const role = g.state.roles.find((r) => r.name.toLowerCase() === name);
    if (role)
      return { resource, context, resourcePolicies: [{ id: resource, json: role.trustPolicy, kind: "trust" }], requireResourceAllow: true };
  }
  return { resource, context };
}

async function accessCheck(g: Grader, q: AccessQuery, expectAllow: boolean, member?: string): Promise<Outcome> {
  const who = principalOf(g, q.principal);
  if (typeof who === "string") return { status: "fail", detail: who };
  if (member !== undefined) who.label += ` of member account ${member} (${g.accountId})`;
  const context = q.context ?? {};
  const mfa = context["aws:MultiFactorAuthPresent"];
  if (who.caller.session && mfa !== undefined) who.caller.session.mfaAuthenticated = String(mfa) === "true";
  const sourceIp = typeof context["aws:SourceIp"] === "string" ? context["aws:SourceIp"] : "198.51.100.10";
  const ctx: ActionContext = {
    env: g.env,
    db: g.db,
    caller: who.caller,
    request: { requestId: newRequestId(), now: g.now, sourceIp, region: "us-east-1", userAgent: "iamlab-grader", secureTransport: true },
    waitUntil: g.waitUntil,
    explain: true,
  };
  const resource = q.resource ?? "*";
  const { decision, decisionId } = await decide(ctx, q.action, await targetOf(g, q.action, resource, context));
  const allowed = decision.decision === "allow";
  const on = `${q.action} on ${resource}`;
  const statements: DecidingStatement[] = [];
  const missing: string[] = [];
  for (const p of decision.explanation.policies)
    for (const s of p.statements) {
      const decides = allowed ? s.effect === "Allow" && s.matched : s.effect === "Deny" && s.matched;
      if (decides)
        statements.push({ policy: policyLabel(p), type: p.type, effect: s.effect, index: s.index, ...(s.sid ? { sid: s.sid } : {}) });
      // What is missing: Allow statements that matched the action and resource but not their conditions.
      if (!allowed && s.effect === "Allow" && !s.matched && s.action.matched && s.resource?.matched !== false)
        for (const cond of s.conditions ?? [])
          if (!cond.matched)
            missing.push(
              `${policyLabel(p)} statement ${s.sid ?? s.index}: ${cond.operator} ${cond.key} ${JSON.stringify(cond.values)}${cond.missing ? " (key absent)" : ""}`,
            );
    }
  let reason: string;
  if (allowed)
    reason = `allowed by ${statements.map((s) => `${s.policy} (statement ${s.sid ?? s.index})`).join(", ") || "the account's policies"}`;
  else {
    const rec = await getDecision(decisionId, g.db);
    reason = rec ? denialReason(decisionForCaller(rec)) : `${decision.reason}: ${on}`;
  }
  const pass = allowed === expectAllow;
  const detail = `${who.label} ${allowed ? "is allowed" : "is denied"} ${on}${pass ? "" : ` (expected ${expectAllow ? "allowed" : "denied"})`}: ${reason}.`;
  return {
    status: pass ? "pass" : "fail",
    detail,
    decision: { value: decision.decision, decisionId, reason, statements, ...(missing.length ? { missingConditions: missing } : {}) },
  };
}

// ---- state assertions

const KIND_WORDS = {
  user: "user",
  group: "group",
  role: "role",
  policy: "customer managed policy",
  instanceProfile: "instance profile",
} as const;

function existsCheck(g: Grader, ref: Partial<Record<keyof typeof KIND_WORDS, string>>, expect: boolean): Outcome {
  const kind = (Object.keys(KIND_WORDS) as (keyof typeof KIND_WORDS)[]).find((k) => ref[k] !== undefined)!;
  const name = ref[kind]!;
  const list = {
    user: g.state.users,
    group: g.state.groups,
    role: g.state.roles,
    policy: g.state.policies,
    instanceProfile: g.state.instanceProfiles,
  }[kind];
  const found = list.some((e) => e.name.toLowerCase() === name.toLowerCase());
  return {
    status: found === expect ? "pass" : "fail",
    detail: `The ${KIND_WORDS[kind]} ${name} ${found ? "exists" : "does not exist"}${found === expect ? "" : ` (expected it ${expect ? "to exist" : "not to exist"})`}.`,
  };
}

const MFA_KEYS = new Set(["aws:multifactorauthpresent", "aws:multifactorauthage"]);
/** Operators under which an absent MFA key fails the condition (…IfExists passes it: no MFA needed). */
const REQUIRING = new Set(["bool", "numericlessthan", "numericlessthanequals"]);

/** Does every Allow of sts:AssumeRole in the trust policy require MFA (a Bool aws:MultiFactorAuthPresent "true" or an MFA age limit)? */
function trustRequiresMfa(g: Grader, roleName: string): Outcome {
  const role = g.state.roles.find((r) => r.name.toLowerCase() === roleName.toLowerCase());
  if (!role) return { status: "fail", detail: `The role ${roleName} does not exist.` };
  const doc = JSON.parse(role.trustPolicy) as { Statement?: unknown };
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Array<Record<string, unknown>>;
  const grantsAssume = (s: Record<string, unknown>) => {
    const actions = ([] as unknown[]).concat(s.Action ?? []).map((a) => String(a).toLowerCase());
    return actions.some((a) => a === "*" || a === "sts:*" || a === "sts:assumerole" || a === "sts:assumerole*");
  };
  const requires = (s: Record<string, unknown>) => {
    const cond = (s.Condition ?? {}) as Record<string, Record<string, unknown>>;
    return Object.entries(cond).some(([op, keys]) =>
      Object.entries(keys ?? {}).some(
        ([k, v]) =>
          REQUIRING.has(op.toLowerCase()) &&
          MFA_KEYS.has(k.toLowerCase()) &&
          (k.toLowerCase() === "aws:multifactorauthage" || ([] as unknown[]).concat(v).every((x) => String(x).toLowerCase() === "true")),
      ),
    );
  };
  const allows = statements.map((s, i) => ({ s, i })).filter(({ s }) => s?.Effect === "Allow" && grantsAssume(s));
  const open = allows.filter(({ s }) => !requires(s));
  if (!allows.length) return { status: "fail", detail: `The trust policy of ${role.name} allows no sts:AssumeRole.` };
  if (open.length)
    return {
      status: "fail",
      detail: `The trust policy of ${role.name} allows sts:AssumeRole without MFA in statement ${open.map(({ s, i }) => (typeof s.Sid === "string" ? s.Sid : String(i))).join(", ")} (no Bool condition aws:MultiFactorAuthPresent "true").`,
    };
  return { status: "pass", detail: `Every statement of ${role.name}'s trust policy that allows sts:AssumeRole requires MFA.` };
}

function noUserWithPolicy(g: Grader, policy: string): Outcome {
  const matches = (arn: string) =>
    policy.startsWith("arn:") ? arn === policy : arn.slice(arn.lastIndexOf("/") + 1).toLowerCase() === policy.toLowerCase();
  const users = g.state.users.filter((u) => u.policies.some(matches)).map((u) => u.name);
  return users.length
    ? { status: "fail", detail: `${policy} is attached directly to user${users.length > 1 ? "s" : ""} ${users.join(", ")}.` }
    : { status: "pass", detail: `No user has ${policy} attached directly.` };
}

function userInGroup(g: Grader, user: string, group: string): Outcome {
  const u = g.state.users.find((x) => x.name.toLowerCase() === user.toLowerCase());
  if (!u) return { status: "fail", detail: `The user ${user} does not exist.` };
  const member = u.groups.includes(group.toLowerCase());
  return { status: member ? "pass" : "fail", detail: `The user ${u.name} is ${member ? "" : "not "}a member of ${group}.` };
}

async function usedAction(g: Grader, q: NonNullable<CheckSpec["usedAction"]>): Promise<Outcome> {
  let principalArn: string | undefined;
  if (q.principal) {
    const who = principalOf(g, q.principal);
    if (typeof who === "string") return { status: "fail", detail: who };
    principalArn = who.caller.principal.roleArn ?? who.caller.principal.arn;
  }
  const n = await g.trail.countEvents({
    accountId: g.accountId,
    action: q.action,
    successfulOnly: true,
    ...(principalArn ? { principalArn } : {}),
  });
  if (n === undefined)
    return { status: "unavailable", detail: "This sandbox records no CloudTrail events yet: the check cannot be graded." };
  const need = q.atLeast ?? 1;
  const by = q.principal ? ` by ${q.principal}` : "";
  return { status: n >= need ? "pass" : "fail", detail: `${q.action} was called${by} ${n} time${n === 1 ? "" : "s"} (needed ${need}).` };
}
