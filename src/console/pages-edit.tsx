/**
 * Editing and deleting in the console (issue 20): a role's trust policy (UpdateAssumeRolePolicy),
 * inline policies of users, groups and roles (Put/Get/Delete*Policy) in the validated JSON editor,
 * and deleting users, groups, roles and customer managed policies the way AWS's console does —
 * it removes what holds the entity first (a user's access keys, login profile, MFA devices, SSH keys,
 * signing certificates, service credentials, group memberships, attached and inline policies; a
 * role's instance profiles and policies; a group's members and policies; a policy's attachments and
 * old versions), each step a real call authorized by the engine, stopping at the first refusal with
 * its explanation (what is already removed stays removed, as in AWS's console).
 */
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { Env } from "../env";
import { call, type CallFailure } from "./call";
import { Cli, Csrf, Failure, Notice, Page, sh } from "./views/layout";
import { PolicyEditor } from "./views/editor";
import type { ConsoleState } from "./pages";

type C = Context<{ Bindings: Env }>;
type Guard = (c: C) => Promise<{ state: ConsoleState; form: Record<string, string> } | Response>;
type Render = (c: C, node: unknown, status?: number) => Promise<Response>;

const q = (s: string) => encodeURIComponent(s);
const seeOther = (location: string) => new Response(null, { status: 303, headers: { location } });
const page = (state: ConsoleState, title: string, children: Child) => <Page frame={{ ...state.frame, title }}>{children}</Page>;

/** The entities with inline policies: the path segment, IAM's parameter and action names. */
const INLINE = {
  users: { param: "UserName", noun: "User", cli: "user" },
  groups: { param: "GroupName", noun: "Group", cli: "group" },
  roles: { param: "RoleName", noun: "Role", cli: "role" },
} as const;
type InlineKind = keyof typeof INLINE;
const isInlineKind = (k: string): k is InlineKind => k in INLINE;

const EMPTY_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "", Resource: "*" }] }, null, 2);

function prettyDoc(doc: string | undefined): string {
  if (!doc) return "";
  let text = doc;
  try {
    text = decodeURIComponent(doc);
  } catch {
    /* already plain */
  }
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------- deletion plans

type Step = { service: "iam"; action: string; params: Record<string, unknown>; label: string; ignore?: string[] };

async function list<T>(
  state: ConsoleState,
  action: string,
  params: Record<string, unknown>,
  pick: (o: never) => T[],
): Promise<T[] | CallFailure> {
  const r = await call<never>(state.ctx, "iam", action, params);
  return r.ok ? pick(r.output) : r;
}

/** Every read's list, or the first read's failure. */
function allLists<T>(reads: (T[] | CallFailure)[]): T[][] | CallFailure {
  const failed = reads.find((r): r is CallFailure => !Array.isArray(r));
  return failed ?? (reads as T[][]);
}

/** What AWS's console removes before deleting a user, then DeleteUser. */
async function userPlan(state: ConsoleState, name: string): Promise<Step[] | CallFailure> {
  const U = { UserName: name };
  // The console password only when there is one (AWS's console reads it first, too): read beside the lists.
  const [profile, ...reads] = await Promise.all([
    call(state.ctx, "iam", "GetLoginProfile", U),
    list(state, "ListAccessKeys", U, (o: { AccessKeyMetadata: { AccessKeyId: string }[] }) =>
      o.AccessKeyMetadata.map((k) => k.AccessKeyId),
    ),
    list(state, "ListMFADevices", U, (o: { MFADevices: { SerialNumber: string }[] }) => o.MFADevices.map((d) => d.SerialNumber)),
    list(state, "ListSSHPublicKeys", U, (o: { SSHPublicKeys?: { SSHPublicKeyId: string }[] }) =>
      (o.SSHPublicKeys ?? []).map((k) => k.SSHPublicKeyId),
    ),
    list(state, "ListSigningCertificates", U, (o: { Certificates: { CertificateId: string }[] }) =>
      o.Certificates.map((x) => x.CertificateId),
    ),
    list(state, "ListServiceSpecificCredentials", U, (o: { ServiceSpecificCredentials?: { ServiceSpecificCredentialId: string }[] }) =>
      (o.ServiceSpecificCredentials ?? []).map((x) => x.ServiceSpecificCredentialId),
    ),
    list(state, "ListGroupsForUser", U, (o: { Groups: { GroupName: string }[] }) => o.Groups.map((g) => g.GroupName)),
    list(state, "ListAttachedUserPolicies", U, (o: { AttachedPolicies: { PolicyArn: string }[] }) =>
      o.AttachedPolicies.map((p) => p.PolicyArn),
    ),
    list(state, "ListUserPolicies", U, (o: { PolicyNames: string[] }) => o.PolicyNames),
  ]);
  const lists = allLists(reads);
  if (!Array.isArray(lists)) return lists;
  if (!profile.ok && profile.code !== "NoSuchEntity") return profile;
  const [keys, mfa, ssh, certs, creds, groups, attached, inline] = lists;
  const s = (action: string, params: Record<string, unknown>, label: string) => step(action, { ...U, ...params }, label);
  return [
    ...keys!.map((k) => s("DeleteAccessKey", { AccessKeyId: k }, `access key ${k}`)),
    ...(profile.ok ? [s("DeleteLoginProfile", {}, "console password")] : []),
    ...mfa!.flatMap((m) => [
      s("DeactivateMFADevice", { SerialNumber: m }, `MFA device ${m}`),
      ...(m.includes(":mfa/") ? [step("DeleteVirtualMFADevice", { SerialNumber: m }, `virtual MFA device ${m}`, ["NoSuchEntity"])] : []),
    ]),
    ...ssh!.map((k) => s("DeleteSSHPublicKey", { SSHPublicKeyId: k }, `SSH public key ${k}`)),
    ...certs!.map((k) => s("DeleteSigningCertificate", { CertificateId: k }, `signing certificate ${k}`)),
    ...creds!.map((k) => s("DeleteServiceSpecificCredential", { ServiceSpecificCredentialId: k }, `service credential ${k}`)),
    ...groups!.map((g) => s("RemoveUserFromGroup", { GroupName: g }, `membership of group ${g}`)),
    ...attached!.map((p) => s("DetachUserPolicy", { PolicyArn: p }, `attached policy ${p}`)),
    ...inline!.map((p) => s("DeleteUserPolicy", { PolicyName: p }, `inline policy ${p}`)),
    s("DeleteUser", {}, `user ${name}`),
  ];
}

async function rolePlan(state: ConsoleState, name: string): Promise<Step[] | CallFailure> {
  const R = { RoleName: name };
  const reads = await Promise.all([
    list(state, "ListInstanceProfilesForRole", R, (o: { InstanceProfiles: { InstanceProfileName: string }[] }) =>
      o.InstanceProfiles.map((p) => p.InstanceProfileName),
    ),
    list(state, "ListAttachedRolePolicies", R, (o: { AttachedPolicies: { PolicyArn: string }[] }) =>
      o.AttachedPolicies.map((p) => p.PolicyArn),
    ),
    list(state, "ListRolePolicies", R, (o: { PolicyNames: string[] }) => o.PolicyNames),
  ]);
  const lists = allLists(reads);
  if (!Array.isArray(lists)) return lists;
  const [profiles, attached, inline] = lists;
  return [
    ...profiles!.map((p) => step("RemoveRoleFromInstanceProfile", { ...R, InstanceProfileName: p }, `instance profile ${p}`)),
    ...attached!.map((p) => step("DetachRolePolicy", { ...R, PolicyArn: p }, `attached policy ${p}`)),
    ...inline!.map((p) => step("DeleteRolePolicy", { ...R, PolicyName: p }, `inline policy ${p}`)),
    step("DeleteRole", R, `role ${name}`),
  ];
}

async function groupPlan(state: ConsoleState, name: string): Promise<Step[] | CallFailure> {
  const G = { GroupName: name };
  const reads = await Promise.all([
    list(state, "GetGroup", G, (o: { Users: { UserName: string }[] }) => o.Users.map((u) => u.UserName)),
    list(state, "ListAttachedGroupPolicies", G, (o: { AttachedPolicies: { PolicyArn: string }[] }) =>
      o.AttachedPolicies.map((p) => p.PolicyArn),
    ),
    list(state, "ListGroupPolicies", G, (o: { PolicyNames: string[] }) => o.PolicyNames),
  ]);
  const lists = allLists(reads);
  if (!Array.isArray(lists)) return lists;
  const [users, attached, inline] = lists;
  return [
    ...users!.map((u) => step("RemoveUserFromGroup", { ...G, UserName: u }, `member ${u}`)),
    ...attached!.map((p) => step("DetachGroupPolicy", { ...G, PolicyArn: p }, `attached policy ${p}`)),
    ...inline!.map((p) => step("DeleteGroupPolicy", { ...G, PolicyName: p }, `inline policy ${p}`)),
    step("DeleteGroup", G, `group ${name}`),
  ];
}

async function policyPlan(state: ConsoleState, arn: string): Promise<Step[] | CallFailure> {
  const P = { PolicyArn: arn };
  const reads = await Promise.all([
    list(
      state,
      "ListEntitiesForPolicy",
      P,
      (o: { PolicyUsers: { UserName: string }[]; PolicyGroups: { GroupName: string }[]; PolicyRoles: { RoleName: string }[] }) => [
        ...o.PolicyUsers.map((u) => step("DetachUserPolicy", { ...P, UserName: u.UserName }, `attachment to user ${u.UserName}`)),
        ...o.PolicyGroups.map((g) => step("DetachGroupPolicy", { ...P, GroupName: g.GroupName }, `attachment to group ${g.GroupName}`)),
        ...o.PolicyRoles.map((r) => step("DetachRolePolicy", { ...P, RoleName: r.RoleName }, `attachment to role ${r.RoleName}`)),
      ],
    ),
    list(state, "ListPolicyVersions", P, (o: { Versions: { VersionId: string; IsDefaultVersion: boolean }[] }) =>
      o.Versions.filter((v) => !v.IsDefaultVersion).map((v) =>
        step("DeletePolicyVersion", { ...P, VersionId: v.VersionId }, `version ${v.VersionId}`),
      ),
    ),
  ]);
  const lists = allLists(reads);
  if (!Array.isArray(lists)) return lists;
  const [detach, versions] = lists;
  return [...detach!, ...versions!, step("DeletePolicy", P, `policy ${arn}`)];
}

const step = (action: string, params: Record<string, unknown>, label: string, ignore?: string[]): Step => ({
  service: "iam",
  action,
  params,
  label,
  ...(ignore ? { ignore } : {}),
});

const PLANS = { users: userPlan, roles: rolePlan, groups: groupPlan, policies: policyPlan } as const;
type DeleteKind = keyof typeof PLANS;
const NOUN: Record<DeleteKind, string> = { users: "user", roles: "role", groups: "group", policies: "policy" };

export function registerEditPages(app: Hono<{ Bindings: Env }>, guard: Guard, render: Render): void {
  // ---------------------------------------------------------------- trust policy
  const trustPage = async (state: ConsoleState, name: string, o: { failure?: CallFailure; doc?: string } = {}) => {
    let doc = o.doc;
    if (doc === undefined) {
      const r = await call<{ Role: { AssumeRolePolicyDocument?: string } }>(state.ctx, "iam", "GetRole", { RoleName: name });
      if (!r.ok) return page(state, `Trust policy of ${name}`, <Failure f={r} />);
      doc = prettyDoc(r.output.Role.AssumeRolePolicyDocument);
    }
    return page(
      state,
      `Trust policy of ${name}`,
      <>
        {o.failure ? <Failure f={o.failure} /> : null}
        <form method="post" action={`/console/roles/${q(name)}/trust`} class="card">
          <Csrf token={state.csrf} />
          <PolicyEditor csrf={state.csrf} doc={doc} type="TRUST_POLICY" />
          <button type="submit">Update policy</button>
        </form>
        <Cli cmd={`aws iam update-assume-role-policy --role-name ${sh(name)} --policy-document file://trust.json`} />
      </>,
    );
  };
  app.get("/roles/:name/trust", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    return render(c, await trustPage(g.state, c.req.param("name") ?? ""));
  });
  app.post("/roles/:name/trust", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    const name = c.req.param("name") ?? "";
    const doc = g.form.document ?? "";
    const r = await call(g.state.ctx, "iam", "UpdateAssumeRolePolicy", { RoleName: name, PolicyDocument: doc });
    if (!r.ok) return render(c, await trustPage(g.state, name, { failure: r, doc }), r.code === "AccessDenied" ? 403 : 400);
    return seeOther(`/console/roles/${q(name)}`);
  });

  // ---------------------------------------------------------------- inline policies
  const inlinePage = async (
    state: ConsoleState,
    kind: InlineKind,
    entity: string,
    policy: string | undefined,
    o: { failure?: CallFailure; doc?: string; name?: string } = {},
  ) => {
    const k = INLINE[kind];
    let doc = o.doc;
    if (doc === undefined && policy) {
      const r = await call<{ PolicyDocument: string }>(state.ctx, "iam", `Get${k.noun}Policy`, { [k.param]: entity, PolicyName: policy });
      if (!r.ok) return page(state, `Inline policy ${policy}`, <Failure f={r} />);
      doc = prettyDoc(r.output.PolicyDocument);
    }
    const back = `/console/${kind}/${q(entity)}`;
    return page(
      state,
      policy ? `Inline policy ${policy} of ${entity}` : `Add an inline policy to ${entity}`,
      <>
        {o.failure ? <Failure f={o.failure} /> : null}
        <form method="post" action={`/console/inline/${kind}/${q(entity)}`} class="card">
          <Csrf token={state.csrf} />
          <label for="policy-name">Policy name</label>
          <input id="policy-name" name="name" value={o.name ?? policy ?? ""} required readonly={policy !== undefined} />
          <PolicyEditor csrf={state.csrf} doc={doc ?? EMPTY_POLICY} type="IDENTITY_POLICY" />
          <button type="submit">Save policy</button>
        </form>
        {policy ? (
          <form method="post" action={`/console/inline/${kind}/${q(entity)}/delete`} class="card">
            <Csrf token={state.csrf} />
            <input type="hidden" name="name" value={policy} />
            <button type="submit" class="danger">
              Delete inline policy {policy}
            </button>
          </form>
        ) : null}
        <p>
          <a href={back}>Back to {entity}</a>
        </p>
        <Cli
          cmd={`aws iam put-${k.cli}-policy --${k.cli}-name ${sh(entity)} --policy-name ${sh(o.name ?? policy ?? "<name>")} --policy-document file://policy.json`}
        />
      </>,
    );
  };
  app.get("/inline/:kind/:entity", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    const kind = c.req.param("kind") ?? "";
    if (!isInlineKind(kind)) return c.notFound();
    return render(c, await inlinePage(g.state, kind, c.req.param("entity") ?? "", c.req.query("policy")));
  });
  app.post("/inline/:kind/:entity", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    const kind = c.req.param("kind") ?? "";
    if (!isInlineKind(kind)) return c.notFound();
    const entity = c.req.param("entity") ?? "";
    const k = INLINE[kind];
    const name = (g.form.name ?? "").trim();
    const doc = g.form.document ?? "";
    const r = await call(g.state.ctx, "iam", `Put${k.noun}Policy`, { [k.param]: entity, PolicyName: name, PolicyDocument: doc });
    if (!r.ok)
      return render(
        c,
        await inlinePage(g.state, kind, entity, undefined, { failure: r, doc, name }),
        r.code === "AccessDenied" ? 403 : 400,
      );
    return seeOther(`/console/${kind}/${q(entity)}`);
  });
  app.post("/inline/:kind/:entity/delete", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    const kind = c.req.param("kind") ?? "";
    if (!isInlineKind(kind)) return c.notFound();
    const entity = c.req.param("entity") ?? "";
    const k = INLINE[kind];
    const name = g.form.name ?? "";
    const r = await call(g.state.ctx, "iam", `Delete${k.noun}Policy`, { [k.param]: entity, PolicyName: name });
    if (!r.ok) return render(c, await inlinePage(g.state, kind, entity, name, { failure: r }), r.code === "AccessDenied" ? 403 : 400);
    return seeOther(`/console/${kind}/${q(entity)}`);
  });

  // ---------------------------------------------------------------- deleting entities
  const target = (c: C, kind: DeleteKind) => (kind === "policies" ? (c.req.query("arn") ?? "") : (c.req.param("name") ?? ""));
  for (const kind of Object.keys(PLANS) as DeleteKind[]) {
    const path = kind === "policies" ? "/delete/policies" : `/delete/${kind}/:name`;
    app.get(path, async (c) => {
      const g = await guard(c);
      if (g instanceof Response) return g;
      const name = target(c, kind);
      const plan = await PLANS[kind](g.state, name);
      return render(
        c,
        page(
          g.state,
          `Delete ${NOUN[kind]} ${name}`,
          Array.isArray(plan) ? (
            <>
              <Notice kind="info">
                Deleting the {NOUN[kind]} first removes what holds it, as AWS's console does ({plan.length - 1} step
                {plan.length === 2 ? "" : "s"}):
              </Notice>
              <ol data-testid="delete-plan">
                {plan.map((s) => (
                  <li>
                    {s.action}: {s.label}
                  </li>
                ))}
              </ol>
              <form
                method="post"
                action={kind === "policies" ? `/console/delete/policies?arn=${q(name)}` : `/console/delete/${kind}/${q(name)}`}
                class="card"
              >
                <Csrf token={g.state.csrf} />
                <label for="confirm">Type the name to confirm</label>
                <input id="confirm" name="confirm" required />
                <button type="submit" class="danger">
                  Delete
                </button>
              </form>
            </>
          ) : (
            <Failure f={plan} />
          ),
        ),
      );
    });
    app.post(path, async (c) => {
      const g = await guard(c);
      if (g instanceof Response) return g;
      const name = target(c, kind);
      const expected = kind === "policies" ? (name.split("/").pop() ?? name) : name;
      if ((g.form.confirm ?? "").trim() !== expected)
        return render(
          c,
          page(g.state, `Delete ${NOUN[kind]} ${name}`, <Notice kind="error">Type {expected} to confirm the deletion.</Notice>),
          400,
        );
      const plan = await PLANS[kind](g.state, name);
      if (!Array.isArray(plan)) return render(c, page(g.state, `Delete ${NOUN[kind]} ${name}`, <Failure f={plan} />), 403);
      const done: string[] = [];
      for (const s of plan) {
        const r = await call(g.state.ctx, s.service, s.action, s.params);
        if (!r.ok && !s.ignore?.includes(r.code)) {
          return render(
            c,
            page(
              g.state,
              `Delete ${NOUN[kind]} ${name}`,
              <>
                <Notice kind="error">
                  Stopped at {s.action} ({s.label}); {done.length} step{done.length === 1 ? "" : "s"} done before it stay done.
                </Notice>
                <Failure f={r} />
              </>,
            ),
            r.code === "AccessDenied" ? 403 : 409,
          );
        }
        done.push(s.label);
      }
      return seeOther(`/console/${kind}?deleted=${q(expected)}`);
    });
  }
}
