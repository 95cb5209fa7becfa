/**
 * One line saying why a request was denied, from the caller's view of its decision (policies of
 * another account are withheld there, and stay withheld here). Pure. Appended to denial messages
 * of accounts that opt in (src/admin/denial-explanations.ts); the full record is at
 * GET /_iamlab/my/decisions/<id> (SigV4, the denied account's own credentials).
 */
import type { CallerDecisionView } from "../authz/decisions";

const KIND: Record<string, string> = {
  identity: "identity-based policy",
  resource: "resource-based policy",
  boundary: "permissions boundary",
  session: "session policy",
  scp: "service control policy",
  rcp: "resource control policy",
};

/** A policy as a learner names it: its name (inline ones marked), else its id. */
export function policyLabel(p: { id?: string; name?: string }): string {
  if (p.name) return p.name;
  const id = p.id ?? "?";
  const inline = /:inline\/(.+)$/.exec(id);
  if (inline) return `inline policy ${inline[1]}`;
  const managed = /^arn:aws:iam::(?:\d{12}|aws):policy\/(?:.*\/)?([^/]+)$/.exec(id);
  return managed ? managed[1]! : id;
}

/** The policies of `type` the evaluation considered, by name or id (at most 3, then "…"). */
function considered(view: CallerDecisionView, type: string): string {
  const ids = view.explanation.policies.filter((p) => p.type === type).map(policyLabel);
  if (ids.length === 0) return "";
  return ids.length > 3 ? `${ids.slice(0, 3).join(", ")} …` : ids.join(", ");
}

export function denialReason(view: CallerDecisionView): string {
  const { action, resource } = view.request;
  const on = `${action} on ${resource}`;
  const d = view.deniedBy;
  switch (view.reason) {
    case "explicitDeny":
    case "scpDeny":
    case "rcpDeny":
      return d
        ? `an explicit Deny in the ${KIND[d.type] ?? d.type} ${d.id}${d.sid ? ` (statement ${d.sid})` : ""} matches ${on}`
        : `an explicit Deny matches ${on}`;
    case "noIdentityAllow": {
      const ids = considered(view, "identity");
      return ids
        ? `no statement of the caller's identity-based policies (${ids}) allows ${on}`
        : `the caller has no identity-based policy, so nothing allows ${on}`;
    }
    case "noBoundaryAllow": {
      const b = considered(view, "boundary");
      return `the permissions boundary${b ? ` ${b}` : ""} does not allow ${on}`;
    }
    case "noSessionAllow":
      return `the session policy passed when the session was created does not allow ${on}`;
    case "noResourceAllow":
      return view.request.resourceAccount && view.request.resourceAccount !== view.accountId
        ? `the resource-based policy of account ${view.request.resourceAccount} does not allow ${on} (across accounts both sides must allow)`
        : `the resource-based policy does not allow ${on}`;
    case "noScpAllow":
      return `no service control policy allows ${on}`;
    case "noRcpAllow":
      return `no resource control policy allows ${on}`;
    default:
      return `${view.reason}: ${on}`;
  }
}
