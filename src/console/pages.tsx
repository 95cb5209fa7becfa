/**
 * The IAM pages of the console. Each page reads and writes through real IAM / STS actions called
 * as the signed-in principal (./call.ts), so a page the principal may not read shows AWS's "You
 * don't have permission" panel with the decision's explanation, and each shows the equivalent CLI.
 */
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { Env } from "../env";
import type { ActionContext } from "../services/action";
import type { ConsoleSessionRow } from "../store/console";
import { call, tagMembers, type CallFailure, type ConsoleResult } from "./call";
import { Cli, Csrf, decodeURIComponentSafe, Failure, Notice, Page, PolicyJson, sh, Table, type Frame } from "./views/layout";
import { ExplanationTree } from "./views/explanation";
import { PolicyEditor } from "./views/editor";
import { validatePolicy, type PolicyType } from "./validate-policy";
import { decisionForCaller, getDecision, recentDecisions, type DecisionRecord } from "../authz/decisions";
import { denialReason } from "../admin/denial-reason";

type C = Context<{ Bindings: Env }>;

export interface ConsoleState {
  ctx: ActionContext;
  frame: Omit<Frame, "title">;
  row: ConsoleSessionRow;
  csrf: string;
  now: number;
}

type Guard = (c: C) => Promise<{ state: ConsoleState; form: Record<string, string> } | Response>;
type Render = (c: C, node: unknown, status?: number) => Promise<Response>;

// ---- IAM outputs as the pages read them (plain JSON of the actions' results) ----
interface UserOut {
  UserName: string;
  UserId: string;
  Arn: string;
  Path: string;
  CreateDate: string;
  PasswordLastUsed?: string;
  Tags?: { Key: string; Value: string }[];
  PermissionsBoundary?: { PermissionsBoundaryArn: string };
}
interface RoleOut {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: string;
  Description?: string;
  AssumeRolePolicyDocument?: string;
  MaxSessionDuration?: number;
  Tags?: { Key: string; Value: string }[];
  PermissionsBoundary?: { PermissionsBoundaryArn: string };
}
interface GroupOut {
  GroupName: string;
  GroupId: string;
  Arn: string;
  Path: string;
  CreateDate: string;
}
interface PolicyOut {
  PolicyName: string;
  Arn: string;
  DefaultVersionId: string;
  AttachmentCount: number;
  Description?: string;
  CreateDate: string;
  UpdateDate: string;
}
interface Attached {
  AttachedPolicies: { PolicyName: string; PolicyArn: string }[];
}
type Maybe<T> = ConsoleResult<T>;

const page = (state: ConsoleState, title: string, children: Child) => <Page frame={{ ...state.frame, title }}>{children}</Page>;
const q = (s: string) => encodeURIComponent(s);
/** An output or the failure panel. */
function show<T>(r: Maybe<T>, ok: (v: T) => Child): Child {
  return r.ok ? ok(r.output) : <Failure f={r} />;
}
const seeOther = (location: string) => new Response(null, { status: 303, headers: { location } });
const tagsText = (tags?: { Key: string; Value: string }[]) => (tags ?? []).map((t) => `${t.Key}=${t.Value}`).join(", ");

export function registerPages(app: Hono<{ Bindings: Env }>, guard: Guard, render: Render): void {
  const get = (path: string, h: (c: C, state: ConsoleState) => Promise<Child> | Child) =>
    app.get(path, async (c) => {
      const g = await guard(c);
      if (g instanceof Response) return g;
      return render(c, await h(c, g.state));
    });
  const post = (path: string, h: (c: C, state: ConsoleState, form: Record<string, string>) => Promise<Response>) =>
    app.post(path, async (c) => {
      const g = await guard(c);
      if (g instanceof Response) return g;
      return h(c, g.state, g.form);
    });

  // ---------------------------------------------------------------- dashboard
  get("/home", async (_c, state) => {
    const { ctx } = state;
    const [summary, aliases, identity] = await Promise.all([
      // SummaryMap is an XML map: its entries as [key, value] pairs.
      call<{ SummaryMap: { entries: [string, number][] } }>(ctx, "iam", "GetAccountSummary"),
      call<{ AccountAliases: string[] }>(ctx, "iam", "ListAccountAliases"),
      call<{ Arn: string; UserId: string; Account: string }>(ctx, "sts", "GetCallerIdentity"),
    ]);
    const counts = ["Users", "Groups", "Roles", "Policies", "MFADevices", "AccessKeysPerUserQuota"];
    return page(
      state,
      "IAM dashboard",
      <>
        <div class="card">
          <p>
            Account <strong data-testid="account-id">{state.row.accountId}</strong>
            {aliases.ok && aliases.output.AccountAliases[0] ? (
              <>
                {" "}
                (alias <strong>{aliases.output.AccountAliases[0]}</strong>)
              </>
            ) : null}
          </p>
          <p>
            Signed in as <code data-testid="caller-arn">{identity.ok ? identity.output.Arn : ""}</code>
            {state.ctx.caller.session?.mfaAuthenticated ? " with MFA" : ""}
          </p>
        </div>
        <h2>IAM resources</h2>
        {show(summary, (s) => {
          const map = new Map(s.SummaryMap.entries);
          return <Table head={["Resource", "Count"]} rows={counts.filter((k) => map.has(k)).map((k) => [k, String(map.get(k))])} />;
        })}
        <Cli cmd={["aws iam get-account-summary", "aws sts get-caller-identity"]} />
      </>,
    );
  });

  // ---------------------------------------------------------------- users
  get("/users", async (c, state) => {
    const r = await call<Paged<{ Users: UserOut[] }>>(state.ctx, "iam", "ListUsers", pageParams(c));
    return page(
      state,
      "Users",
      <>
        <p>
          <a href="/console/users/new">Create user</a>
        </p>
        {show(r, (o) => (
          <Table
            head={["User name", "Path", "ARN", "Created", "Password last used"]}
            rows={o.Users.map((u) => [
              <a href={`/console/users/${q(u.UserName)}`}>{u.UserName}</a>,
              u.Path,
              u.Arn,
              u.CreateDate,
              u.PasswordLastUsed ?? "Never",
            ])}
            empty="No users."
          />
        ))}
        <Pager r={r} path="/console/users" c={c} />
        <Cli cmd="aws iam list-users" />
      </>,
    );
  });

  get("/users/new", async (_c, state) => newUserPage(state, {}));
  post("/users", async (c, state, f) => {
    const name = f.name ?? "";
    const tags = (f.tags ?? "")
      .split(/\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const eq = l.indexOf("=");
        return eq < 0 ? { Key: l, Value: "" } : { Key: l.slice(0, eq).trim(), Value: l.slice(eq + 1).trim() };
      });
    const r = await call<{ User: UserOut }>(state.ctx, "iam", "CreateUser", {
      UserName: name,
      ...(f.path ? { Path: f.path } : {}),
      ...tagMembers(tags),
    });
    if (!r.ok) return render(c, newUserPage(state, { failure: r, name }), r.code.startsWith("AccessDenied") ? 403 : 400);
    return seeOther(`/console/users/${q(r.output.User.UserName)}`);
  });

  get("/users/:name", async (c, state) => userPage(state, c.req.param("name") ?? ""));

  post("/users/:name/access-keys", async (c, state) => {
    const name = c.req.param("name") ?? "";
    const r = await call<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>(state.ctx, "iam", "CreateAccessKey", {
      UserName: name,
    });
    return render(c, await userPage(state, name, r), r.ok ? 200 : r.code.startsWith("AccessDenied") ? 403 : 400);
  });

  // ---------------------------------------------------------------- groups
  get("/groups", async (c, state) => {
    const r = await call<Paged<{ Groups: GroupOut[] }>>(state.ctx, "iam", "ListGroups", pageParams(c));
    return page(
      state,
      "User groups",
      <>
        {show(r, (o) => (
          <Table
            head={["Group name", "Path", "ARN", "Created"]}
            rows={o.Groups.map((g) => [<a href={`/console/groups/${q(g.GroupName)}`}>{g.GroupName}</a>, g.Path, g.Arn, g.CreateDate])}
            empty="No groups."
          />
        ))}
        <Pager r={r} path="/console/groups" c={c} />
        <Cli cmd="aws iam list-groups" />
      </>,
    );
  });

  get("/groups/:name", async (c, state) => {
    const name = c.req.param("name") ?? "";
    const [g, attached, inline] = await Promise.all([
      call<{ Group: GroupOut; Users: UserOut[] }>(state.ctx, "iam", "GetGroup", { GroupName: name }),
      call<Attached>(state.ctx, "iam", "ListAttachedGroupPolicies", { GroupName: name }),
      call<{ PolicyNames: string[] }>(state.ctx, "iam", "ListGroupPolicies", { GroupName: name }),
    ]);
    return page(
      state,
      `Group ${name}`,
      <>
        {show(g, (o) => (
          <>
            <p>{o.Group.Arn}</p>
            <h2>Users</h2>
            <Table
              head={["User"]}
              rows={o.Users.map((u) => [<a href={`/console/users/${q(u.UserName)}`}>{u.UserName}</a>])}
              empty="No users in this group."
            />
          </>
        ))}
        <h2>Attached policies</h2>
        {show(attached, (o) => (
          <PolicyLinks list={o.AttachedPolicies} manage={{ path: `/console/groups/${q(name)}`, csrf: state.csrf }} />
        ))}
        <h2>Inline policies</h2>
        {show(inline, (o) => (
          <InlineList kind="groups" entity={name} names={o.PolicyNames} />
        ))}
        <DeleteLink href={`/console/delete/groups/${q(name)}`} what="group" />
        <Cli cmd={[`aws iam get-group --group-name ${sh(name)}`, `aws iam list-attached-group-policies --group-name ${sh(name)}`]} />
      </>,
    );
  });

  // ---------------------------------------------------------------- roles
  get("/roles", async (c, state) => {
    const r = await call<Paged<{ Roles: RoleOut[] }>>(state.ctx, "iam", "ListRoles", pageParams(c));
    return page(
      state,
      "Roles",
      <>
        {show(r, (o) => (
          <Table
            head={["Role name", "Trusted entities", "ARN", "Created"]}
            rows={o.Roles.map((x) => [
              <a href={`/console/roles/${q(x.RoleName)}`}>{x.RoleName}</a>,
              trusted(x.AssumeRolePolicyDocument).join(", "),
              x.Arn,
              x.CreateDate,
            ])}
            empty="No roles."
          />
        ))}
        <Pager r={r} path="/console/roles" c={c} />
        <Cli cmd="aws iam list-roles" />
      </>,
    );
  });

  get("/roles/:name", async (c, state) => {
    const name = c.req.param("name") ?? "";
    const [r, attached, inline] = await Promise.all([
      call<{ Role: RoleOut }>(state.ctx, "iam", "GetRole", { RoleName: name }),
      call<Attached>(state.ctx, "iam", "ListAttachedRolePolicies", { RoleName: name }),
      call<{ PolicyNames: string[] }>(state.ctx, "iam", "ListRolePolicies", { RoleName: name }),
    ]);
    return page(
      state,
      `Role ${name}`,
      <>
        {show(r, (o) => (
          <>
            <dl class="request">
              <dt>ARN</dt>
              <dd>{o.Role.Arn}</dd>
              <dt>Description</dt>
              <dd>{o.Role.Description ?? ""}</dd>
              <dt>Max session</dt>
              <dd>{String(o.Role.MaxSessionDuration ?? 3600)} s</dd>
              <dt>Boundary</dt>
              <dd>{o.Role.PermissionsBoundary?.PermissionsBoundaryArn ?? "None"}</dd>
              <dt>Tags</dt>
              <dd>{tagsText(o.Role.Tags)}</dd>
            </dl>
            <h2>Who may assume it (trust policy)</h2>
            <ul data-testid="trusted">
              {trusted(o.Role.AssumeRolePolicyDocument).map((t) => (
                <li>{t}</li>
              ))}
            </ul>
            <p class="note">
              A principal of this account also needs sts:AssumeRole in its own policies unless the trust policy names it directly; another
              account's principal always needs both.
            </p>
            <PolicyJson doc={o.Role.AssumeRolePolicyDocument} />
            <p>
              <a href={`/console/roles/${q(name)}/trust`}>Edit trust policy</a>
            </p>
          </>
        ))}
        <h2>Permissions policies</h2>
        {show(attached, (o) => (
          <PolicyLinks list={o.AttachedPolicies} manage={{ path: `/console/roles/${q(name)}`, csrf: state.csrf }} />
        ))}
        {show(inline, (o) => (
          <InlineList kind="roles" entity={name} names={o.PolicyNames} />
        ))}
        <DeleteLink href={`/console/delete/roles/${q(name)}`} what="role" />
        <Cli cmd={[`aws iam get-role --role-name ${sh(name)}`, `aws iam list-attached-role-policies --role-name ${sh(name)}`]} />
      </>,
    );
  });

  // ---------------------------------------------------------------- policies
  get("/policies", async (c, state) => {
    const scope = c.req.query("scope") === "All" ? "All" : c.req.query("scope") === "AWS" ? "AWS" : "Local";
    const r = await call<Paged<{ Policies: PolicyOut[] }>>(state.ctx, "iam", "ListPolicies", pageParams(c, { Scope: scope }));
    return page(
      state,
      "Policies",
      <>
        <p>
          <a href="/console/policies/new">Create policy</a> · Show: <a href="/console/policies?scope=Local">customer managed</a> ·{" "}
          <a href="/console/policies?scope=AWS">AWS managed</a> · <a href="/console/policies?scope=All">all</a>
        </p>
        {show(r, (o) => (
          <Table
            head={["Policy name", "Default version", "Attachments", "Description"]}
            rows={o.Policies.map((p) => [
              <a href={`/console/policy?arn=${q(p.Arn)}`}>{p.PolicyName}</a>,
              p.DefaultVersionId,
              String(p.AttachmentCount),
              p.Description ?? "",
            ])}
            empty="No policies."
          />
        ))}
        <Pager r={r} path="/console/policies" c={c} />
        <Cli cmd={`aws iam list-policies --scope ${scope}`} />
      </>,
    );
  });

  get("/policy", async (c, state) => {
    const arn = c.req.query("arn") ?? "";
    const version = c.req.query("version");
    const [p, versions] = await Promise.all([
      call<{ Policy: PolicyOut }>(state.ctx, "iam", "GetPolicy", { PolicyArn: arn }),
      call<{ Versions: { VersionId: string; IsDefaultVersion: boolean; CreateDate: string }[] }>(state.ctx, "iam", "ListPolicyVersions", {
        PolicyArn: arn,
      }),
    ]);
    const vid = version ?? (p.ok ? p.output.Policy.DefaultVersionId : "v1");
    const doc = await call<{ PolicyVersion: { Document: string; VersionId: string } }>(state.ctx, "iam", "GetPolicyVersion", {
      PolicyArn: arn,
      VersionId: vid,
    });
    return page(
      state,
      p.ok ? `Policy ${p.output.Policy.PolicyName}` : "Policy",
      <>
        {show(p, (o) => (
          <dl class="request">
            <dt>ARN</dt>
            <dd>{o.Policy.Arn}</dd>
            <dt>Description</dt>
            <dd>{o.Policy.Description ?? ""}</dd>
            <dt>Attachments</dt>
            <dd>{String(o.Policy.AttachmentCount)}</dd>
          </dl>
        ))}
        <h2>Versions</h2>
        {show(versions, (o) => (
          <Table
            head={["Version", "Default", "Created"]}
            rows={o.Versions.map((v) => [
              <a href={`/console/policy?arn=${q(arn)}&version=${q(v.VersionId)}`}>{v.VersionId}</a>,
              v.IsDefaultVersion ? "Default" : "",
              v.CreateDate,
            ])}
          />
        ))}
        <h2>Document ({vid})</h2>
        {show(doc, (o) => (
          <PolicyJson doc={o.PolicyVersion.Document} />
        ))}
        {arn.startsWith("arn:aws:iam::aws:") ? null : <DeleteLink href={`/console/delete/policies?arn=${q(arn)}`} what="policy" />}
        <Cli
          cmd={[`aws iam get-policy --policy-arn ${sh(arn)}`, `aws iam get-policy-version --policy-arn ${sh(arn)} --version-id ${sh(vid)}`]}
        />
      </>,
    );
  });

  get("/policies/new", async (_c, state) => newPolicyPage(state, {}));
  post("/policies", async (c, state, f) => {
    const name = f.name ?? "";
    const document = f.document ?? "";
    const r = await call<{ Policy: PolicyOut }>(state.ctx, "iam", "CreatePolicy", {
      PolicyName: name,
      PolicyDocument: document,
      ...(f.description ? { Description: f.description } : {}),
    });
    if (!r.ok)
      return render(
        c,
        newPolicyPage(state, { failure: r, name, document, description: f.description ?? "" }),
        r.code.startsWith("AccessDenied") ? 403 : 400,
      );
    return seeOther(`/console/policy?arn=${q(r.output.Policy.Arn)}`);
  });

  // Validation as you type: JSON in, Access Analyzer-like findings out (no IAM call: pure checks).
  app.post("/policies/validate", async (c) => {
    const g = await guard(c);
    if (g instanceof Response) return g;
    let body: { document?: unknown; type?: unknown } = {};
    try {
      body = (await c.req.json()) as typeof body;
    } catch {
      return c.json({ error: "InvalidRequest", message: "Send {document, type}." }, 400);
    }
    const text = typeof body.document === "string" ? body.document.slice(0, 131_072) : "";
    const type: PolicyType = body.type === "RESOURCE_POLICY" || body.type === "TRUST_POLICY" ? body.type : "IDENTITY_POLICY";
    return c.json({ findings: validatePolicy(text, type) });
  });

  // ---------------------------------------------------------------- password policy
  get("/password-policy", async (_c, state) => passwordPolicyPage(state, {}));
  post("/password-policy", async (c, state, f) => {
    const params: Record<string, string> = {
      MinimumPasswordLength: f.min || "8",
      RequireSymbols: String(f.symbols === "on"),
      RequireNumbers: String(f.numbers === "on"),
      RequireUppercaseCharacters: String(f.upper === "on"),
      RequireLowercaseCharacters: String(f.lower === "on"),
      AllowUsersToChangePassword: String(f.allowChange === "on"),
    };
    if (f.maxAge) params.MaxPasswordAge = f.maxAge;
    if (f.reuse) params.PasswordReusePrevention = f.reuse;
    if (f.hardExpiry === "on") params.HardExpiry = "true";
    const r = await call(state.ctx, "iam", "UpdateAccountPasswordPolicy", params);
    return render(c, await passwordPolicyPage(state, r.ok ? { saved: true } : { failure: r }), r.ok ? 200 : 400);
  });

  // ---------------------------------------------------------------- account alias
  get("/account-alias", async (_c, state) => aliasPage(state, {}));
  post("/account-alias", async (c, state, f) => {
    const current = await call<{ AccountAliases: string[] }>(state.ctx, "iam", "ListAccountAliases");
    let r: ConsoleResult<unknown>;
    if (f.alias) r = await call(state.ctx, "iam", "CreateAccountAlias", { AccountAlias: f.alias });
    else if (current.ok && current.output.AccountAliases[0])
      r = await call(state.ctx, "iam", "DeleteAccountAlias", { AccountAlias: current.output.AccountAliases[0] });
    else r = { ok: true, output: null };
    return render(c, await aliasPage(state, r.ok ? { saved: true } : { failure: r }), r.ok ? 200 : 400);
  });

  // ---------------------------------------------------------------- why was I denied?
  get("/why-denied", async (c, state) => {
    const id = (c.req.query("id") ?? "").trim();
    const account = state.row.accountId;
    const caller = state.ctx.caller.principal;
    // One's own decisions need no permission (the panel of a denied page shows them too); another
    // principal's are read as AWS reads them: sts:DecodeAuthorizationMessage, authorized by the engine.
    const own = (d: DecisionRecord) => caller.kind === "root" || d.request.principal.arn === caller.arn;
    const rec = id ? await getDecision(id, state.ctx.db) : undefined;
    let mine = rec && rec.accountId === account && own(rec) ? decisionForCaller(rec) : undefined;
    let refused: CallFailure | undefined;
    if (id && !mine && rec && rec.accountId === account) {
      const r = await call(state.ctx, "sts", "DecodeAuthorizationMessage", { EncodedMessage: id });
      if (r.ok) mine = decisionForCaller(rec);
      else refused = r;
    }
    // Another account's decision reads as unknown (ids reveal nothing across accounts).
    const recent = (await recentDecisions(account, state.ctx.db, 100)).filter((d) => d.decision !== "allow" && own(d)).slice(0, 20);
    return page(
      state,
      "Why was I denied?",
      <>
        <form method="get" action="/console/why-denied" class="card">
          <label for="id">
            Decision id or encoded authorization message (x-iamlab-decision-id, or what sts decode-authorization-message takes)
          </label>
          <input id="id" name="id" value={id} />
          <button type="submit">Explain</button>
        </form>
        {refused ? <Failure f={refused} /> : null}
        {id && !mine && !refused ? (
          <Notice kind="error">
            No decision {id} of account {account}: unknown, expired (decisions are kept for a day) or another account's.
          </Notice>
        ) : null}
        {mine ? <ExplanationTree view={mine} /> : null}
        <h2>{caller.kind === "root" ? "Recent denials in this account" : "Your recent denials"}</h2>
        <Table
          head={["Time", "Principal", "Action", "Resource", "Reason"]}
          rows={recent.map((d) => {
            const v = decisionForCaller(d);
            return [
              <a href={`/console/why-denied?id=${q(d.decisionId)}`}>{d.time}</a>,
              d.request.principal.arn,
              d.request.action,
              d.request.resource,
              denialReason(v),
            ];
          })}
          empty="No denials recorded in the last day."
        />
        <Cli
          cmd={
            id
              ? `aws sts decode-authorization-message --encoded-message ${sh(id)}`
              : "aws sts decode-authorization-message --encoded-message <decision id>"
          }
        />
      </>,
    );
  });

  // ---------------------------------------------------------------- switch role (POST in routes.tsx)
  get("/switch-role", async (_c, state) => switchRolePage(state, {}));
}

// ---------------------------------------------------------------- page bodies

/**
 * Attached managed policies; with `manage` (the entity's console path and the CSRF token) a Detach
 * button per policy and an Attach form (AttachUserPolicy / AttachRolePolicy / AttachGroupPolicy).
 */
/** A list page's window: 100 per page from `?marker=` (IAM's own Marker), and a name prefix filter `?prefix=`. */
type Paged<T> = T & { IsTruncated?: boolean; Marker?: string };
const PAGE_SIZE = "100";
function pageParams(c: C, extra: Record<string, string> = {}): Record<string, string> {
  const marker = c.req.query("marker");
  const prefix = c.req.query("path");
  return { MaxItems: PAGE_SIZE, ...(marker ? { Marker: marker } : {}), ...(prefix ? { PathPrefix: prefix } : {}), ...extra };
}

/** "Next page" when IAM says there is more (IsTruncated + Marker); "First page" once paging. */
const Pager = ({ r, path, c }: { r: ConsoleResult<{ IsTruncated?: boolean; Marker?: string }>; path: string; c: C }) => {
  if (!r.ok) return null;
  const keep = new URLSearchParams();
  for (const k of ["scope", "path"]) {
    const v = c.req.query(k);
    if (v) keep.set(k, v);
  }
  const next = new URLSearchParams(keep);
  if (r.output.Marker) next.set("marker", r.output.Marker);
  const first = keep.toString();
  return (
    <p class="pager" data-testid="pager">
      {c.req.query("marker") ? <a href={`${path}${first ? `?${first}` : ""}`}>First page</a> : null}
      {c.req.query("marker") && r.output.IsTruncated ? " · " : null}
      {r.output.IsTruncated && r.output.Marker ? <a href={`${path}?${next}`}>Next page</a> : null}
    </p>
  );
};

/** Inline policies with links to edit each, and to add one. */
const InlineList = ({ kind, entity, names }: { kind: "users" | "groups" | "roles"; entity: string; names: string[] }) => (
  <>
    <Table
      head={["Name"]}
      rows={names.map((n) => [<a href={`/console/inline/${kind}/${q(entity)}?policy=${q(n)}`}>{n}</a>])}
      empty="None."
    />
    <p>
      <a href={`/console/inline/${kind}/${q(entity)}`}>Add inline policy</a>
    </p>
  </>
);

const DeleteLink = ({ href, what }: { href: string; what: string }) => (
  <p>
    <a href={href} class="danger" data-testid="delete-link">
      Delete {what}…
    </a>
  </p>
);

const PolicyLinks = ({ list, manage }: { list: { PolicyName: string; PolicyArn: string }[]; manage?: { path: string; csrf: string } }) => (
  <>
    <Table
      head={manage ? ["Policy", "ARN", ""] : ["Policy", "ARN"]}
      rows={list.map((p) => {
        const row: Child[] = [<a href={`/console/policy?arn=${q(p.PolicyArn)}`}>{p.PolicyName}</a>, p.PolicyArn];
        if (manage)
          row.push(
            <form method="post" action={`${manage.path}/detach`} class="inline">
              <Csrf token={manage.csrf} />
              <input type="hidden" name="arn" value={p.PolicyArn} />
              <button type="submit">Detach</button>
            </form>,
          );
        return row;
      })}
      empty="None."
    />
    {manage ? (
      <form method="post" action={`${manage.path}/attach`} class="card">
        <Csrf token={manage.csrf} />
        <label for="attach-arn">Attach a managed policy (ARN)</label>
        <input id="attach-arn" name="arn" placeholder="arn:aws:iam::aws:policy/ReadOnlyAccess" />
        <button type="submit">Attach policy</button>
      </form>
    ) : null}
  </>
);

/** The principals a trust policy's Allow statements name (what "Trusted entities" shows). */
function trusted(doc: string | undefined): string[] {
  if (!doc) return [];
  try {
    const d = JSON.parse(decodeURIComponentSafe(doc)) as { Statement?: unknown };
    const sts = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
    const out: string[] = [];
    for (const s of sts as { Effect?: string; Principal?: unknown; Action?: unknown }[]) {
      if (s?.Effect !== "Allow") continue;
      const p = s.Principal;
      if (p === "*") out.push("Anyone (*)");
      else if (p && typeof p === "object")
        for (const [k, v] of Object.entries(p as Record<string, unknown>))
          for (const x of Array.isArray(v) ? v : [v]) out.push(`${k}: ${String(x)}`);
    }
    return out;
  } catch {
    return [];
  }
}

async function userPage(
  state: ConsoleState,
  name: string,
  created?: ConsoleResult<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>,
) {
  const { ctx } = state;
  const [u, groups, attached, inline, keys, mfa] = await Promise.all([
    call<{ User: UserOut }>(ctx, "iam", "GetUser", { UserName: name }),
    call<{ Groups: GroupOut[] }>(ctx, "iam", "ListGroupsForUser", { UserName: name }),
    call<Attached>(ctx, "iam", "ListAttachedUserPolicies", { UserName: name }),
    call<{ PolicyNames: string[] }>(ctx, "iam", "ListUserPolicies", { UserName: name }),
    call<{ AccessKeyMetadata: { AccessKeyId: string; Status: string; CreateDate: string }[] }>(ctx, "iam", "ListAccessKeys", {
      UserName: name,
    }),
    call<{ MFADevices: { SerialNumber: string; EnableDate: string }[] }>(ctx, "iam", "ListMFADevices", { UserName: name }),
  ]);
  return page(
    state,
    `User ${name}`,
    <>
      {created ? (
        created.ok ? (
          <div class="notice ok" data-testid="new-key">
            <p>
              <strong>Access key created.</strong> This is the only time the secret access key can be viewed or downloaded.
            </p>
            <p class="secret">
              Access key ID: <span data-testid="new-key-id">{created.output.AccessKey.AccessKeyId}</span>
              <br />
              Secret access key: <span data-testid="new-key-secret">{created.output.AccessKey.SecretAccessKey}</span>
            </p>
          </div>
        ) : (
          <Failure f={created} />
        )
      ) : null}
      {show(u, (o) => (
        <dl class="request">
          <dt>ARN</dt>
          <dd>{o.User.Arn}</dd>
          <dt>Created</dt>
          <dd>{o.User.CreateDate}</dd>
          <dt>Console password last used</dt>
          <dd>{o.User.PasswordLastUsed ?? "Never"}</dd>
          <dt>Boundary</dt>
          <dd>{o.User.PermissionsBoundary?.PermissionsBoundaryArn ?? "None"}</dd>
          <dt>Tags</dt>
          <dd data-testid="user-tags">{tagsText(o.User.Tags)}</dd>
        </dl>
      ))}
      <h2>Groups</h2>
      {show(groups, (o) => (
        <Table
          head={["Group"]}
          rows={o.Groups.map((g) => [<a href={`/console/groups/${q(g.GroupName)}`}>{g.GroupName}</a>])}
          empty="Not in any group."
        />
      ))}
      <h2>Attached policies</h2>
      {show(attached, (o) => (
        <PolicyLinks list={o.AttachedPolicies} manage={{ path: `/console/users/${q(name)}`, csrf: state.csrf }} />
      ))}
      <h2>Inline policies</h2>
      {show(inline, (o) => (
        <InlineList kind="users" entity={name} names={o.PolicyNames} />
      ))}
      <p>
        <a href={`/console/access-advisor?arn=${q(u.ok ? u.output.User.Arn : "")}`}>Access Advisor (last accessed services)</a>
      </p>
      <h2>Access keys</h2>
      {show(keys, (o) => (
        <Table
          head={["Access key ID", "Status", "Created"]}
          rows={o.AccessKeyMetadata.map((k) => [k.AccessKeyId, k.Status, k.CreateDate])}
          empty="No access keys."
        />
      ))}
      <form method="post" action={`/console/users/${q(name)}/access-keys`}>
        <Csrf token={state.csrf} />
        <button type="submit">Create access key</button>
      </form>
      <h2>MFA devices</h2>
      {show(mfa, (o) => (
        <Table head={["Serial number", "Enabled"]} rows={o.MFADevices.map((d) => [d.SerialNumber, d.EnableDate])} empty="No MFA device." />
      ))}
      <form method="post" action={`/console/users/${q(name)}/mfa`}>
        <Csrf token={state.csrf} />
        <button type="submit">Assign virtual MFA device</button>
      </form>
      <DeleteLink href={`/console/delete/users/${q(name)}`} what="user" />
      <Cli
        cmd={[
          `aws iam get-user --user-name ${sh(name)}`,
          `aws iam list-groups-for-user --user-name ${sh(name)}`,
          `aws iam list-attached-user-policies --user-name ${sh(name)}`,
          `aws iam list-access-keys --user-name ${sh(name)}`,
          `aws iam create-access-key --user-name ${sh(name)}`,
        ]}
      />
    </>,
  );
}

function newUserPage(state: ConsoleState, o: { failure?: CallFailure; name?: string }) {
  return page(
    state,
    "Create user",
    <>
      {o.failure ? <Failure f={o.failure} /> : null}
      <form method="post" action="/console/users" class="card">
        <Csrf token={state.csrf} />
        <label for="name">User name</label>
        <input id="name" name="name" value={o.name ?? ""} required />
        <label for="path">Path (optional)</label>
        <input id="path" name="path" placeholder="/" />
        <label for="tags">Tags (one key=value a line)</label>
        <textarea id="tags" name="tags" style="min-height:80px"></textarea>
        <button type="submit">Create user</button>
      </form>
      <Cli cmd="aws iam create-user --user-name <name> [--path /] [--tags Key=k,Value=v]" />
    </>,
  );
}

const SAMPLE_POLICY = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "s3:ListAllMyBuckets",
      "Resource": "*"
    }
  ]
}`;

function newPolicyPage(state: ConsoleState, o: { failure?: CallFailure; name?: string; document?: string; description?: string }) {
  const doc = o.document ?? SAMPLE_POLICY;
  return page(
    state,
    "Create policy",
    <>
      {o.failure ? <Failure f={o.failure} /> : null}
      <form method="post" action="/console/policies" class="card">
        <Csrf token={state.csrf} />
        <label for="policy-name">Policy name</label>
        <input id="policy-name" name="name" value={o.name ?? ""} required />
        <label for="description">Description</label>
        <input id="description" name="description" value={o.description ?? ""} />
        <PolicyEditor csrf={state.csrf} doc={doc} type="IDENTITY_POLICY" />
        <button type="submit">Create policy</button>
      </form>
      <Cli cmd="aws iam create-policy --policy-name <name> --policy-document file://policy.json" />
    </>,
  );
}

async function passwordPolicyPage(state: ConsoleState, o: { saved?: boolean; failure?: CallFailure }) {
  const r = await call<{ PasswordPolicy: Record<string, unknown> }>(state.ctx, "iam", "GetAccountPasswordPolicy");
  const p = r.ok ? r.output.PasswordPolicy : {};
  const none = !r.ok && r.code === "NoSuchEntity";
  const checked = (k: string) => p[k] === true;
  return page(
    state,
    "Password policy",
    <>
      {o.saved ? <Notice kind="ok">Password policy saved.</Notice> : null}
      {o.failure ? <Failure f={o.failure} /> : null}
      {none ? (
        <Notice kind="info">This account uses the IAM default password policy.</Notice>
      ) : r.ok ? null : (
        <Failure f={r as CallFailure} />
      )}
      <form method="post" action="/console/password-policy" class="card">
        <Csrf token={state.csrf} />
        <label for="min">Minimum password length</label>
        <input id="min" name="min" value={String(p.MinimumPasswordLength ?? 8)} />
        {(
          [
            ["upper", "RequireUppercaseCharacters", "Require at least one uppercase letter"],
            ["lower", "RequireLowercaseCharacters", "Require at least one lowercase letter"],
            ["numbers", "RequireNumbers", "Require at least one number"],
            ["symbols", "RequireSymbols", "Require at least one non-alphanumeric character"],
            ["allowChange", "AllowUsersToChangePassword", "Allow users to change their own password"],
            ["hardExpiry", "HardExpiry", "Prevent password reuse after expiry (administrator reset)"],
          ] as const
        ).map(([field, key, label]) => (
          <label>
            <input type="checkbox" name={field} checked={checked(key)} /> {label}
          </label>
        ))}
        <label for="maxAge">Password expiration (days, empty = never)</label>
        <input id="maxAge" name="maxAge" value={p.MaxPasswordAge !== undefined ? String(p.MaxPasswordAge) : ""} />
        <label for="reuse">Prevent reuse of the last N passwords (empty = off)</label>
        <input id="reuse" name="reuse" value={p.PasswordReusePrevention !== undefined ? String(p.PasswordReusePrevention) : ""} />
        <button type="submit">Save changes</button>
      </form>
      <Cli
        cmd={[
          "aws iam get-account-password-policy",
          "aws iam update-account-password-policy --minimum-password-length 12 --require-symbols …",
        ]}
      />
    </>,
  );
}

async function aliasPage(state: ConsoleState, o: { saved?: boolean; failure?: CallFailure }) {
  const r = await call<{ AccountAliases: string[] }>(state.ctx, "iam", "ListAccountAliases");
  const current = r.ok ? r.output.AccountAliases[0] : undefined;
  return page(
    state,
    "Account alias",
    <>
      {o.saved ? <Notice kind="ok">Account alias saved.</Notice> : null}
      {o.failure ? <Failure f={o.failure} /> : null}
      {r.ok ? null : <Failure f={r} />}
      <p>
        Sign-in with the alias: account <code>{current ?? state.row.accountId}</code>
      </p>
      <form method="post" action="/console/account-alias" class="card">
        <Csrf token={state.csrf} />
        <label for="alias">Alias (empty = delete)</label>
        <input id="alias" name="alias" value={current ?? ""} />
        <button type="submit">Save</button>
      </form>
      <Cli cmd={["aws iam list-account-aliases", "aws iam create-account-alias --account-alias <alias>"]} />
    </>,
  );
}

export function switchRolePage(state: ConsoleState, o: { error?: string; failure?: CallFailure }) {
  return page(
    state,
    "Switch role",
    <>
      {o.error ? <Notice kind="error">{o.error}</Notice> : null}
      {o.failure ? <Failure f={o.failure} /> : null}
      <form method="post" action="/console/switch-role" class="card">
        <Csrf token={state.csrf} />
        <label for="sr-account">Account ID</label>
        <input id="sr-account" name="account" value={state.row.accountId} required />
        <label for="sr-role">Role name</label>
        <input id="sr-role" name="role" required />
        <label for="sr-display">Display name</label>
        <input id="sr-display" name="display" />
        <button type="submit">Switch Role</button>
      </form>
      <Cli cmd="aws sts assume-role --role-arn arn:aws:iam::<account>:role/<role> --role-session-name <user>" />
    </>,
  );
}
