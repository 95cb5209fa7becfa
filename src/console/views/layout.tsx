/**
 * The console's page frame and small shared pieces. Server-rendered Hono JSX: every value is
 * escaped by JSX (names, tags and policies are attacker-chosen on a shared sandbox); nothing here
 * uses dangerouslySetInnerHTML or inline scripts (the CSP allows only /console/static/*).
 */
import type { Child, FC } from "hono/jsx";
import type { CallFailure } from "../call";
import { ExplanationTree } from "./explanation";

export interface Frame {
  title: string;
  csrf?: string;
  /** "user @ account" / "role display @ account", shown top right with sign-out */
  who?: string;
  account?: string;
  inRole?: boolean;
}

const NAV: [string, string][] = [
  ["/console/home", "Dashboard"],
  ["/console/users", "Users"],
  ["/console/groups", "User groups"],
  ["/console/roles", "Roles"],
  ["/console/policies", "Policies"],
  ["/console/password-policy", "Password policy"],
  ["/console/credential-report", "Credential report"],
  ["/console/simulator", "Policy simulator"],
  ["/console/account-alias", "Account alias"],
  ["/console/why-denied", "Why was I denied?"],
  ["/console/my-graph", "Permissions graph"],
  ["/console/switch-role", "Switch role"],
];

export const Page: FC<{ frame: Frame; children?: Child }> = ({ frame, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{frame.title} | iamlab console</title>
      <link rel="stylesheet" href="/console/static/console.css" />
      <script src="/console/static/console.js" defer></script>
    </head>
    <body>
      <header class="top">
        <a class="brand" href="/console/home">
          iamlab console
        </a>
        {frame.who ? (
          <div class="who">
            <span data-testid="who">{frame.who}</span>
            {frame.inRole ? (
              <form method="post" action="/console/switch-back" class="inline">
                <Csrf token={frame.csrf} />
                <button type="submit">Back to user</button>
              </form>
            ) : null}
            <form method="post" action="/console/signout" class="inline">
              <Csrf token={frame.csrf} />
              <button type="submit">Sign out</button>
            </form>
          </div>
        ) : null}
      </header>
      <div class="body">
        {frame.who ? (
          <nav>
            {NAV.map(([href, label]) => (
              <a href={href}>{label}</a>
            ))}
          </nav>
        ) : null}
        <main>
          <h1>{frame.title}</h1>
          {children}
        </main>
      </div>
    </body>
  </html>
);

export const Csrf: FC<{ token?: string | undefined }> = ({ token }) => <input type="hidden" name="_csrf" value={token ?? ""} />;

/** The equivalent AWS CLI command: labs teach the CLI. */
export const Cli: FC<{ cmd: string | string[] }> = ({ cmd }) => (
  <details class="cli" open>
    <summary>CLI equivalent</summary>
    <pre>{(Array.isArray(cmd) ? cmd : [cmd]).join("\n")}</pre>
  </details>
);

/** A value quoted for a POSIX shell (names are attacker-chosen). */
export function sh(v: string): string {
  return /^[A-Za-z0-9_@.+=,:/-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

export const Notice: FC<{ kind: "error" | "ok" | "info"; children?: Child }> = ({ kind, children }) => (
  <div class={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
    {children}
  </div>
);

/**
 * AWS's panel for a call the principal may not make, with iamlab's explanation of the decision
 * (the engine's own record), or the plain error for any other failure.
 */
export const Failure: FC<{ f: CallFailure }> = ({ f }) =>
  f.code.startsWith("AccessDenied") ? (
    <section class="denied" data-testid="denied">
      <h2>You don't have permission</h2>
      <p class="message">{f.message}</p>
      {f.decisionId ? (
        <p>
          Decision <code>{f.decisionId}</code> —{" "}
          <a href={`/console/why-denied?id=${encodeURIComponent(f.decisionId)}`}>open in "Why was I denied?"</a>
        </p>
      ) : null}
      {f.decision ? <ExplanationTree view={f.decision} /> : null}
    </section>
  ) : (
    <Notice kind="error">
      <strong>{f.code}</strong>: {f.message}
    </Notice>
  );

export const Table: FC<{ head: string[]; rows: Child[][]; empty?: string }> = ({ head, rows, empty }) =>
  rows.length === 0 ? (
    <p class="empty">{empty ?? "None."}</p>
  ) : (
    <table>
      <thead>
        <tr>
          {head.map((h) => (
            <th>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            {r.map((cell) => (
              <td>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );

/** A policy document shown as formatted JSON (text, escaped). */
export const PolicyJson: FC<{ doc: string | undefined }> = ({ doc }) => {
  let text = doc ?? "";
  try {
    text = JSON.stringify(JSON.parse(decodeURIComponentSafe(text)), null, 2);
  } catch {
    // shown as stored
  }
  return <pre class="policy">{text}</pre>;
};

/** IAM returns policy documents URL-encoded (as AWS's API does). */
export function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
