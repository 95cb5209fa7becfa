/**
 * More IAM console pages: attaching and detaching managed policies, assigning a virtual MFA device
 * (QR code + seed, then two consecutive codes), the credential report, Access Advisor and the policy
 * simulator. Like ./pages.tsx, every read and write is an action called as the signed-in principal.
 */
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { Env } from "../env";
import { call, members, type CallFailure } from "./call";
import { Cli, Csrf, Failure, Page, sh, Table } from "./views/layout";
import type { ConsoleState } from "./pages";

type C = Context<{ Bindings: Env }>;
type Guard = (c: C) => Promise<{ state: ConsoleState; form: Record<string, string> } | Response>;
type Render = (c: C, node: unknown, status?: number) => Promise<Response>;

const q = (s: string) => encodeURIComponent(s);
const seeOther = (location: string) => new Response(null, { status: 303, headers: { location } });
const page = (state: ConsoleState, title: string, children: Child) => <Page frame={{ ...state.frame, title }}>{children}</Page>;
const statusOf = (f: CallFailure) => (f.code.startsWith("AccessDenied") ? 403 : 400);

/** IAM's entity kinds whose managed-policy attachments the console manages. */
const ENTITIES = {
  users: { param: "UserName", attach: "AttachUserPolicy", detach: "DetachUserPolicy", cli: "user" },
  roles: { param: "RoleName", attach: "AttachRolePolicy", detach: "DetachRolePolicy", cli: "role" },
  groups: { param: "GroupName", attach: "AttachGroupPolicy", detach: "DetachGroupPolicy", cli: "group" },
} as const;

export function registerMorePages(app: Hono<{ Bindings: Env }>, guard: Guard, render: Render): void {
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

  // ---------------------------------------------------------------- attach / detach
  for (const [kind, e] of Object.entries(ENTITIES)) {
    for (const op of ["attach", "detach"] as const) {
      post(`/${kind}/:name/${op}`, async (c, state, f) => {
        const name = c.req.param("name") ?? "";
        const r = await call(state.ctx, "iam", op === "attach" ? e.attach : e.detach, { [e.param]: name, PolicyArn: (f.arn ?? "").trim() });
        if (r.ok) return seeOther(`/console/${kind}/${q(name)}`);
        return render(
          c,
          page(
            state,
            `${op === "attach" ? "Attach" : "Detach"} policy`,
            <>
              <Failure f={r} />
              <p>
                <a href={`/console/${kind}/${q(name)}`}>Back</a>
              </p>
              <Cli cmd={`aws iam ${op}-${e.cli}-policy --${e.cli}-name ${sh(name)} --policy-arn ${sh(f.arn ?? "")}`} />
            </>,
          ),
          statusOf(r),
        );
      });
    }
  }

  // ---------------------------------------------------------------- virtual MFA
  post("/users/:name/mfa", async (c, state) => {
    const name = c.req.param("name") ?? "";
    const r = await call<{ VirtualMFADevice: { SerialNumber: string; Base32StringSeed: string; QRCodePNG: string } }>(
      state.ctx,
      "iam",
      "CreateVirtualMFADevice",
      { VirtualMFADeviceName: `${name}-${Date.now().toString(36)}`.slice(0, 226) },
    );
    if (!r.ok) return render(c, page(state, "Assign MFA device", <Failure f={r} />), statusOf(r));
    const d = r.output.VirtualMFADevice;
    return render(c, mfaPage(state, name, d.SerialNumber, atob(d.Base32StringSeed), d.QRCodePNG));
  });

  post("/users/:name/mfa/enable", async (c, state, f) => {
    const name = c.req.param("name") ?? "";
    const r = await call(state.ctx, "iam", "EnableMFADevice", {
      UserName: name,
      SerialNumber: f.serial ?? "",
      AuthenticationCode1: (f.code1 ?? "").trim(),
      AuthenticationCode2: (f.code2 ?? "").trim(),
    });
    if (r.ok) return seeOther(`/console/users/${q(name)}`);
    return render(
      c,
      page(
        state,
        "Assign MFA device",
        <>
          <Failure f={r} />
          <p>Create the device again to get a new QR code, or try two new consecutive codes.</p>
          {enableForm(state, name, f.serial ?? "")}
        </>,
      ),
      statusOf(r),
    );
  });

  // ---------------------------------------------------------------- credential report
  get("/credential-report", async (_c, state) => {
    await call(state.ctx, "iam", "GenerateCredentialReport");
    const r = await call<{ Content: string; GeneratedTime: string }>(state.ctx, "iam", "GetCredentialReport");
    let body: Child;
    if (r.ok) {
      const lines = new TextDecoder()
        .decode(Uint8Array.from(atob(r.output.Content), (ch) => ch.charCodeAt(0)))
        .trim()
        .split("\n");
      const [head, ...rows] = lines.map((l) => l.split(","));
      body = (
        <>
          <p>Generated {r.output.GeneratedTime}</p>
          <Table head={head ?? []} rows={rows} />
        </>
      );
    } else if (r.code === "ReportInProgress" || r.code === "ReportNotPresent")
      body = <p>The report is being generated; reload in a moment.</p>;
    else body = <Failure f={r} />;
    return page(
      state,
      "Credential report",
      <>
        {body}
        <Cli cmd={["aws iam generate-credential-report", "aws iam get-credential-report --query Content --output text | base64 -d"]} />
      </>,
    );
  });

  // ---------------------------------------------------------------- Access Advisor
  get("/access-advisor", async (c, state) => {
    const arn = c.req.query("arn") ?? "";
    const job = await call<{ JobId: string }>(state.ctx, "iam", "GenerateServiceLastAccessedDetails", { Arn: arn });
    const details = job.ok
      ? await call<{
          JobStatus: string;
          ServicesLastAccessed: {
            ServiceName: string;
            ServiceNamespace: string;
            LastAuthenticated?: string;
            TotalAuthenticatedEntities?: number;
          }[];
        }>(state.ctx, "iam", "GetServiceLastAccessedDetails", { JobId: job.output.JobId })
      : job;
    return page(
      state,
      "Access Advisor",
      <>
        <p>
          Last accessed services of <code>{arn}</code>
        </p>
        {details.ok ? (
          details.output.JobStatus !== "COMPLETED" ? (
            <p>The report is being generated ({details.output.JobStatus}); reload in a moment.</p>
          ) : (
            <Table
              head={["Service", "Namespace", "Last accessed"]}
              rows={details.output.ServicesLastAccessed.map((s) => [
                s.ServiceName,
                s.ServiceNamespace,
                s.LastAuthenticated ?? "Not accessed in the tracking period",
              ])}
            />
          )
        ) : (
          <Failure f={details} />
        )}
        <Cli
          cmd={[
            `aws iam generate-service-last-accessed-details --arn ${sh(arn)}`,
            "aws iam get-service-last-accessed-details --job-id <JobId>",
          ]}
        />
      </>,
    );
  });

  // ---------------------------------------------------------------- policy simulator
  get("/simulator", async (c, state) => {
    const principal = c.req.query("principal") ?? state.ctx.caller.principal.roleArn ?? state.ctx.caller.principal.arn;
    const actions = (c.req.query("actions") ?? "")
      .split(/[\s,]+/)
      .filter(Boolean)
      .slice(0, 50);
    const resource = c.req.query("resource") || "*";
    const r = actions.length
      ? await call<{
          EvaluationResults: {
            EvalActionName: string;
            EvalResourceName: string;
            EvalDecision: string;
            MatchedStatements?: { SourcePolicyId: string }[];
          }[];
        }>(state.ctx, "iam", "SimulatePrincipalPolicy", {
          PolicySourceArn: principal,
          ...members("ActionNames", actions),
          ...members("ResourceArns", [resource]),
        })
      : undefined;
    return page(
      state,
      "Policy simulator",
      <>
        <form method="get" action="/console/simulator" class="card">
          <label for="sim-principal">User, group or role ARN</label>
          <input id="sim-principal" name="principal" value={principal} />
          <label for="sim-actions">Actions (space or comma separated)</label>
          <input id="sim-actions" name="actions" value={actions.join(" ")} placeholder="s3:GetObject iam:ListUsers" />
          <label for="sim-resource">Resource ARN</label>
          <input id="sim-resource" name="resource" value={resource} />
          <button type="submit">Run simulation</button>
        </form>
        {r ? (
          r.ok ? (
            <Table
              head={["Action", "Resource", "Decision", "Matched statements"]}
              rows={r.output.EvaluationResults.map((e) => [
                e.EvalActionName,
                e.EvalResourceName,
                <strong class={e.EvalDecision === "allowed" ? "allowed" : "denied"}>{e.EvalDecision}</strong>,
                (e.MatchedStatements ?? []).map((m) => m.SourcePolicyId).join(", "),
              ])}
            />
          ) : (
            <Failure f={r} />
          )
        ) : null}
        <Cli
          cmd={`aws iam simulate-principal-policy --policy-source-arn ${sh(principal)} --action-names ${actions.map(sh).join(" ") || "<actions>"} --resource-arns ${sh(resource)}`}
        />
      </>,
    );
  });
}

function enableForm(state: ConsoleState, user: string, serial: string): Child {
  return (
    <form method="post" action={`/console/users/${q(user)}/mfa/enable`} class="card">
      <Csrf token={state.csrf} />
      <input type="hidden" name="serial" value={serial} />
      <label for="code1">MFA code 1</label>
      <input id="code1" name="code1" inputmode="numeric" pattern="[0-9]{6}" required />
      <label for="code2">MFA code 2 (the next code)</label>
      <input id="code2" name="code2" inputmode="numeric" pattern="[0-9]{6}" required />
      <button type="submit">Add MFA</button>
    </form>
  );
}

function mfaPage(state: ConsoleState, user: string, serial: string, seed: string, png: string): Child {
  return page(
    state,
    "Assign MFA device",
    <>
      <p>
        Scan the QR code with an authenticator app, then enter two consecutive codes. Device <code data-testid="mfa-serial">{serial}</code>
      </p>
      <img src={`data:image/png;base64,${png}`} alt="QR code of the MFA seed" width="200" height="200" />
      <details>
        <summary>Show secret key</summary>
        <p class="secret" data-testid="mfa-seed">
          {seed}
        </p>
      </details>
      {enableForm(state, user, serial)}
      <Cli
        cmd={[
          `aws iam create-virtual-mfa-device --virtual-mfa-device-name <name> --outfile qr.png --bootstrap-method QRCodePNG`,
          `aws iam enable-mfa-device --user-name ${sh(user)} --serial-number ${sh(serial)} --authentication-code1 <code> --authentication-code2 <next code>`,
        ]}
      />
    </>,
  );
}
