/**
 * PMapper's catalogue of privilege-escalation techniques, each one a set of engine decisions:
 *
 * - edges between principals (`from` can become or act as `to`): sts:AssumeRole (trust policy AND
 *   the caller's identity side; across accounts both sides, `B:root` delegating to B's identity
 *   policies — the engine's rule), iam:CreateAccessKey / CreateLoginProfile / UpdateLoginProfile on
 *   another user, iam:UpdateAssumeRolePolicy on a role, iam:PassRole of a role that EC2 / Lambda may
 *   assume together with ec2:RunInstances, or lambda:CreateFunction + lambda:InvokeFunction, and
 *   lambda:UpdateFunctionCode on an existing function (its code then runs as its execution role);
 * - admin-equivalence (a principal able to grant itself anything): `*` allowed on its own, or
 *   iam:Attach/PutUserPolicy (RolePolicy) on itself, Attach/PutGroupPolicy on one of its groups,
 *   CreatePolicyVersion (SetDefaultPolicyVersion, with another version to switch to) on a customer
 *   managed policy attached to it, AddUserToGroup into a group whose policies would make it admin.
 *   A principal with a permissions boundary must also be able to delete its boundary.
 *
 * Simplifications (PMapper's too, where noted): CreateLoginProfile and UpdateLoginProfile are both
 * offered whether or not the user has a password; PassRole + RunInstances does not require an
 * existing instance profile; the requests carry no MFA, source IP or tag keys, so statements that
 * need them do not match (explicit Denies conditioned on their absence with …IfExists do).
 */
import type { Check, PrincipalNode, ResourceNode } from "./evaluator";
import type { PermissionsGraph } from "./graph";
import type { EscalationStep, PrincipalEdge, Technique, UserState, Via } from "./types";

/** The region the sandbox's compute requests name (RunInstances, CreateFunction). */
const REGION = "us-east-1";

/** An MFA-authenticated session's keys: a decision denied without them and allowed with them needs MFA (PMapper's "MFA required"). */
const WITH_MFA = { "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "0" };

/** The decision, or the decision for an MFA-authenticated session when only that one allows. */
function decideMfa(g: PermissionsGraph, p: PrincipalNode, action: string, node: ResourceNode): { check: Check; mfa: boolean } | null {
  const c = g.evaluator.check(p, action, node);
  if (c.allowed) return { check: c, mfa: false };
  const m = g.evaluator.check(p, action, node, WITH_MFA);
  return m.allowed ? { check: m, mfa: true } : null;
}

export function escalationSelfSteps(g: PermissionsGraph, p: PrincipalNode): EscalationStep | undefined {
  const id = p.vertex.id;
  const self = (technique: Technique, via: Via[], target?: string): EscalationStep =>
    target ? { from: id, to: id, technique, target, via } : { from: id, to: id, technique, via };
  if (p.vertex.kind === "root") return self("*:*", []);
  const user = p.vertex.kind === "user";
  const account = p.account;
  const u = user ? account.users.find((x) => x.arn === id) : undefined;
  // A boundary caps whatever the principal grants itself, unless it can remove the boundary too.
  let boundaryVia: Via[] = [];
  if (p.boundary) {
    const c = g.can(p, user ? "iam:DeleteUserPermissionsBoundary" : "iam:DeleteRolePermissionsBoundary", id);
    if (!c.allowed) return undefined;
    boundaryVia = c.via;
  }
  const tries: Array<[Technique, string, string | undefined]> = user
    ? [
        ["iam:AttachUserPolicy", id, undefined],
        ["iam:PutUserPolicy", id, undefined],
      ]
    : [
        ["iam:AttachRolePolicy", id, undefined],
        ["iam:PutRolePolicy", id, undefined],
      ];
  const first = g.can(p, tries[0]![0], id);
  if (first.allowed && allowsEverything(p, first.via)) return self("*:*", first.via);
  if (user) {
    for (const name of u?.groups ?? []) {
      const grp = account.groups.find((x) => x.name === name);
      if (!grp) continue;
      tries.push(["iam:AttachGroupPolicy", grp.arn, grp.arn], ["iam:PutGroupPolicy", grp.arn, grp.arn]);
    }
  }
  for (const src of p.identity) {
    const pol = account.policies.find((x) => x.arn === src.id);
    if (!pol) continue;
    tries.push(["iam:CreatePolicyVersion", pol.arn, pol.arn]);
    if (pol.versions > 1) tries.push(["iam:SetDefaultPolicyVersion", pol.arn, pol.arn]);
  }
  for (const [technique, resource, target] of tries) {
    const c = g.can(p, technique, resource);
    if (c.allowed) return self(technique, [...c.via, ...boundaryVia], target);
  }
  if (user) {
    for (const grp of account.groups) {
      const c = g.can(p, "iam:AddUserToGroup", grp.arn);
      if (!c.allowed) continue;
      // Would the group's own policies let the user grant itself anything?
      const member = g.evaluator.principalNode({ ...p.vertex, id: `${id}#${grp.arn}` }, p.principal, account, {
        identity: grp.policies,
        boundary: u?.boundary,
        tags: u?.tags,
      });
      const after = g.evaluator.check(member, "iam:AttachUserPolicy", g.resourceNode(id));
      if (after.allowed) return self("iam:AddUserToGroup", [...c.via, ...after.via, ...boundaryVia], grp.arn);
    }
  }
  return undefined;
}

/** An identity statement with Action "*" allowed it: admin on its own, not by a technique. */
function allowsEverything(p: PrincipalNode, via: Via[]): boolean {
  return via.some((v) => {
    if (v.type !== "identity") return false;
    const st = p.identity.find((s) => s.id === v.policy)?.policy.statements[v.statement];
    return st !== undefined && !st.action.not && st.action.values.includes("*");
  });
}

/** Every edge between principals, computed per class of principals (members singled out by a trust policy on their own). */
export function principalEdges(g: PermissionsGraph): PrincipalEdge[] {
  const out: PrincipalEdge[] = [];
  const trust = new Map<string, ResourceNode>();
  const roles = g.principals.filter((p) => p.vertex.kind === "role");
  const users = g.principals.filter((p) => p.vertex.kind === "user");
  for (const r of roles) {
    const state = r.account.roles.find((x) => x.arn === r.vertex.id)!;
    trust.set(r.vertex.id, g.evaluator.resourceNode(r.vertex.id, r.account.accountId, state.trust, "trust"));
  }
  const ec2Roles = roles.filter((r) => g.evaluator.serviceMayAssume("ec2.amazonaws.com", trust.get(r.vertex.id)!));
  const lambdaRoles = roles.filter((r) => g.evaluator.serviceMayAssume("lambda.amazonaws.com", trust.get(r.vertex.id)!));
  // Per role, the principals its trust policy singles out: named by ARN, or everyone when it depends on who calls.
  const byName = new Map(g.principals.map((p) => [p.vertex.id.toLowerCase(), p]));
  const singled = new Map<string, Set<PrincipalNode> | "all">();
  for (const r of roles) {
    const node = trust.get(r.vertex.id)!;
    if (node.dependent) singled.set(r.vertex.id, "all");
    else if (node.named?.size) {
      const set = new Set<PrincipalNode>();
      for (const n of node.named) {
        const p = byName.get(n);
        if (p) set.add(p);
      }
      singled.set(r.vertex.id, set);
    }
  }
  // Lambda functions whose execution role is one of the graph's roles.
  const functions: Array<{ node: ResourceNode; role: string }> = [];
  for (const r of g.resources) {
    if (r.vertex.kind !== "lambda:function") continue;
    const state = g.evaluator.accounts.get(r.vertex.account)?.resources.find((x) => x.arn === r.vertex.id);
    if (state?.role && g.byId.get(state.role)?.vertex.kind === "role") functions.push({ node: r.node, role: state.role });
  }
  const userStates = new Map<string, UserState>();
  for (const a of g.evaluator.accounts.values()) for (const u of a.users) userStates.set(u.arn, u);
  const seenClass = new Set<string>();
  for (const rep of g.principals) {
    if (seenClass.has(rep.classId)) continue;
    seenClass.add(rep.classId);
    const members = g.classOf(rep);
    const emitTarget = (to: string, technique: Technique, via: Via[], target: string, m: PrincipalNode, mfa: boolean) => {
      if (m.vertex.id === to) return;
      const e: PrincipalEdge = { kind: "principal", from: m.vertex.id, to, technique, target, via };
      if (mfa) e.mfa = true;
      out.push(e);
    };
    const emit = (to: string, technique: Technique, via: Via[], only?: PrincipalNode, mfa = false) => {
      for (const m of only ? [only] : members) {
        if (m.vertex.id === to) continue;
        const e: PrincipalEdge = { kind: "principal", from: m.vertex.id, to, technique, via };
        if (mfa) e.mfa = true;
        out.push(e);
      }
    };
    // sts:AssumeRole: the trust policy may single out members (naming their ARN); the others share one decision.
    type Hit = { check: Check; mfa: boolean } | null;
    const sharedTrust = new Map<string, Hit>();
    for (const r of roles) {
      const node = trust.get(r.vertex.id)!;
      const alone = singled.get(r.vertex.id);
      let shared: Hit | undefined;
      for (const m of members) {
        if (m === r) continue;
        let hit: Hit;
        if (alone === "all" || alone?.has(m)) hit = decideMfa(g, m, "sts:AssumeRole", node);
        else {
          if (shared === undefined) {
            const key = g.evaluator.resourceKey(m, node);
            shared = sharedTrust.get(key);
            if (shared === undefined) sharedTrust.set(key, (shared = decideMfa(g, m, "sts:AssumeRole", node)));
          }
          hit = shared;
        }
        if (hit) emit(r.vertex.id, "sts:AssumeRole", hit.check.via, m, hit.mfa);
      }
    }
    const account = rep.vertex.account;
    // The root user already controls every principal of its account: only its assume-role edges say something.
    if (rep.vertex.kind === "root") continue;
    // IAM has no resource policies: a class decides alike for every member.
    // Targets the class's Resource elements match alike (and alike in what PMapper asks of them: a
    // password or not, two access keys or fewer) are decided once.
    const once = new Map<string, Array<[Technique, Check, boolean]>>();
    for (const u of users) {
      if (u.vertex.account !== account) continue;
      const state = userStates.get(u.vertex.id);
      const node = g.resourceNode(u.vertex.id);
      const full = (state?.accessKeys ?? 0) >= 2;
      const key = `${g.evaluator.resourceKey(rep, node)}|${state?.hasPassword}|${full}`;
      let hits = once.get(key);
      if (hits === undefined) {
        hits = [];
        // CreateAccessKey; at the quota of two keys, DeleteAccessKey first (PMapper's rule).
        const create = decideMfa(g, rep, "iam:CreateAccessKey", node);
        const del = full && create ? decideMfa(g, rep, "iam:DeleteAccessKey", node) : null;
        if (create && (!full || del))
          hits.push(["iam:CreateAccessKey", del ? merged(create.check, del.check) : create.check, create.mfa || Boolean(del?.mfa)]);
        // A password: UpdateLoginProfile when it has one, CreateLoginProfile when not (unknown: either).
        const pw: Technique[] =
          state?.hasPassword === true
            ? ["iam:UpdateLoginProfile"]
            : state?.hasPassword === false
              ? ["iam:CreateLoginProfile"]
              : ["iam:CreateLoginProfile", "iam:UpdateLoginProfile"];
        for (const t of pw) {
          const d = decideMfa(g, rep, t, node);
          if (d) {
            hits.push([t, d.check, d.mfa]);
            break;
          }
        }
        once.set(key, hits);
      }
      for (const [t, c, mfa] of hits) emit(u.vertex.id, t, c.via, undefined, mfa);
    }
    const onceRole = new Map<string, { check: Check; mfa: boolean } | null>();
    for (const r of roles) {
      if (r.vertex.account !== account) continue;
      const node = g.resourceNode(r.vertex.id);
      const key = g.evaluator.resourceKey(rep, node);
      let hit = onceRole.get(key);
      if (hit === undefined) onceRole.set(key, (hit = decideMfa(g, rep, "iam:UpdateAssumeRolePolicy", node)));
      if (hit) emit(r.vertex.id, "iam:UpdateAssumeRolePolicy", hit.check.via, undefined, hit.mfa);
    }
    // Changing an existing function's code runs that code as its execution role (PMapper's Lambda edge).
    for (const fn of functions) {
      if (fn.node.account !== account) continue;
      let shared: { check: Check; mfa: boolean } | null | undefined;
      for (const m of members) {
        let hit: { check: Check; mfa: boolean } | null;
        if (g.evaluator.singlesOut(m, fn.node)) hit = decideMfa(g, m, "lambda:UpdateFunctionCode", fn.node);
        else hit = shared === undefined ? (shared = decideMfa(g, m, "lambda:UpdateFunctionCode", fn.node)) : shared;
        if (hit) emitTarget(fn.role, "lambda:UpdateFunctionCode", hit.check.via, fn.node.arn, m, hit.mfa);
      }
    }
    const launches: Array<[PrincipalNode[], string, Technique, Array<[string, string]>]> = [
      [
        ec2Roles,
        "ec2.amazonaws.com",
        "iam:PassRole+ec2:RunInstances",
        [["ec2:RunInstances", `arn:aws:ec2:${REGION}:${account}:instance/*`]],
      ],
      [
        lambdaRoles,
        "lambda.amazonaws.com",
        "iam:PassRole+lambda:CreateFunction",
        [
          ["lambda:CreateFunction", `arn:aws:lambda:${REGION}:${account}:function:*`],
          ["lambda:InvokeFunction", `arn:aws:lambda:${REGION}:${account}:function:*`],
        ],
      ],
    ];
    for (const [candidates, service, technique, launch] of launches)
      for (const [to, via] of passRole(g, rep, candidates, service, launch)) emit(to, technique, via);
  }
  return out;
}

/** Two decisions as one (both needed): their statements together. */
function merged(a: Check, b: Check): Check {
  return {
    allowed: true,
    get via() {
      return [...a.via, ...b.via];
    },
  };
}

/** Roles of p's account the service may assume, that p may pass to it, when p may also launch the compute. */
function passRole(
  g: PermissionsGraph,
  p: PrincipalNode,
  roles: PrincipalNode[],
  service: string,
  launch: Array<[string, string]>,
): Array<[string, Via[]]> {
  const mine = roles.filter((r) => r.vertex.account === p.vertex.account);
  if (!mine.length) return [];
  const launchVia: Via[] = [];
  for (const [action, arn] of launch) {
    const c = g.can(p, action, arn);
    if (!c.allowed) return [];
    launchVia.push(...c.via);
  }
  const out: Array<[string, Via[]]> = [];
  for (const r of mine) {
    const c = g.can(p, "iam:PassRole", r.vertex.id, { "iam:PassedToService": service });
    if (c.allowed) out.push([r.vertex.id, [...c.via, ...launchVia]]);
  }
  return out;
}
