/**
 * A decision as a readable tree: the request, the evaluation's steps, every policy considered with
 * each statement (matched or not, and why: Action / Resource / Principal / each condition with the
 * request's values), the organization levels, and the one change that would flip a denial where
 * the engine can name it. Renders what the caller's account may see (decisionForCaller).
 */
import type { FC } from "hono/jsx";
import type { CallerDecisionView, WithheldPolicy } from "../../authz/decisions";
import type { PolicyExplanation, StatementExplanation, ElementMatch } from "../../policy/explain";
import { denialReason, policyLabel } from "../../admin/denial-reason";

const KIND: Record<string, string> = {
  identity: "Identity-based policy",
  resource: "Resource-based policy",
  boundary: "Permissions boundary",
  session: "Session policy",
  scp: "Service control policy",
  rcp: "Resource control policy",
};

export const ExplanationTree: FC<{ view: CallerDecisionView }> = ({ view }) => {
  const e = view.explanation;
  const flip = flipHint(view);
  return (
    <div class="explanation" data-testid="explanation">
      <p class={`verdict ${view.decision}`}>
        <strong>
          {view.decision === "allow" ? "Allowed" : view.decision === "explicitDeny" ? "Explicitly denied" : "Implicitly denied"}
        </strong>
        {view.decision === "allow" ? null : <span data-testid="reason"> — {denialReason(view)}</span>}
      </p>
      <dl class="request">
        <dt>Principal</dt>
        <dd>{view.request.principal.arn}</dd>
        <dt>Action</dt>
        <dd>{view.request.action}</dd>
        <dt>Resource</dt>
        <dd>{view.request.resource}</dd>
        <dt>Time</dt>
        <dd>{view.time}</dd>
      </dl>
      {flip ? (
        <p class="flip" data-testid="flip">
          <strong>What would change the decision:</strong> {flip}
        </p>
      ) : null}
      {e.note ? <p class="note">{e.note}</p> : null}
      {e.steps.length ? (
        <details open>
          <summary>Evaluation steps</summary>
          <ol>
            {e.steps.map((s) => (
              <li>{s}</li>
            ))}
          </ol>
        </details>
      ) : null}
      <ul class="tree">
        {e.policies.length === 0 ? <li>No policy of the principal applies to this request.</li> : null}
        {e.policies.map((p) => ("statements" in p ? <PolicyNode p={p} /> : <WithheldNode p={p} />))}
      </ul>
      {e.organizationLevels?.length ? (
        <details open>
          <summary>Organization levels</summary>
          <ul>
            {e.organizationLevels.map((l) => (
              <li>
                {l.type.toUpperCase()} level {l.level} ({l.target}): {l.verdict}
                {l.policies.length ? ` — ${l.policies.join(", ")}` : ""}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
};

const PolicyNode: FC<{ p: PolicyExplanation }> = ({ p }) => (
  <li class={`policy-node ${p.denies ? "denies" : p.allows ? "allows" : "neutral"}`}>
    <span class="kind">{KIND[p.type] ?? p.type}</span> <strong>{policyLabel(p)}</strong>{" "}
    <span class="outcome">{p.denies ? "denies" : p.allows ? "allows" : "does not allow"}</span>
    {p.level !== undefined ? <span> (level {p.level})</span> : null}
    <ul>
      {p.statements.length === 0 ? <li>No statement reached.</li> : null}
      {p.statements.map((s) => (
        <StatementNode s={s} />
      ))}
    </ul>
  </li>
);

const WithheldNode: FC<{ p: WithheldPolicy }> = ({ p }) => (
  <li class={`policy-node ${p.denies ? "denies" : p.allows ? "allows" : "neutral"}`}>
    <span class="kind">{KIND[p.type] ?? p.type}</span> {p.id ? <strong>{p.id}</strong> : null}{" "}
    <span class="outcome">{p.denies ? "denies" : p.allows ? "allows" : "does not allow"}</span>
    <p class="note">{p.withheld}</p>
  </li>
);

function element(m: ElementMatch | undefined): string | undefined {
  if (!m) return undefined;
  const v = m.value !== undefined ? ` (${m.value})` : "";
  return `${m.element} ${m.matched ? "matches" : "does not match"}${v}${m.principalMatch ? ` as ${m.principalMatch}` : ""}`;
}

const StatementNode: FC<{ s: StatementExplanation }> = ({ s }) => (
  <li class={`statement ${s.matched ? "matched" : "unmatched"}`}>
    Statement {s.index + 1}
    {s.sid ? ` "${s.sid}"` : ""} ({s.effect}): <strong>{s.matched ? "matched" : "not matched"}</strong>
    <ul>
      {[element(s.action), element(s.resource), element(s.principal)]
        .filter((x): x is string => !!x)
        .map((x) => (
          <li>{x}</li>
        ))}
      {(s.conditions ?? []).map((c) => (
        <li>
          Condition {c.operator} {c.key} {JSON.stringify(c.values)}: request has{" "}
          {c.contextValues === null ? "no such key" : JSON.stringify(c.contextValues)} → {c.matched ? "true" : "false"}
          {c.missing ? " (key absent)" : ""}
        </li>
      ))}
    </ul>
  </li>
);

/** The one change the engine can name that would flip a denial, in words. */
export function flipHint(view: CallerDecisionView): string | undefined {
  const { action, resource } = view.request;
  const d = view.deniedBy;
  switch (view.reason) {
    case "explicitDeny":
      return d
        ? `remove or narrow the Deny statement${d.sid ? ` "${d.sid}"` : ""} of the ${KIND[d.type]?.toLowerCase() ?? d.type} ${d.id} (an explicit Deny wins over every Allow).`
        : undefined;
    case "noIdentityAllow":
      return `attach to the principal a policy with a statement allowing ${action} on ${resource}.`;
    case "noBoundaryAllow":
      return `allow ${action} on ${resource} in the permissions boundary too (the boundary caps what identity policies grant).`;
    case "noSessionAllow":
      return `start a session whose session policy allows ${action}.`;
    case "noResourceAllow":
      return `the resource-based policy must allow ${view.request.principal.arn} to ${action}.`;
    case "noScpAllow":
      return `every SCP level of the organization must allow ${action}.`;
    case "scpDeny":
    case "rcpDeny":
      return d ? `remove the Deny of ${d.id}${d.sid ? ` (statement "${d.sid}")` : ""} in the organization's policies.` : undefined;
    default:
      return undefined;
  }
}
