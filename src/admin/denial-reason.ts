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

const LEVEL_WORDS = { root: "the root", ou: "an OU", account: "the account" } as const;

/** Which SCP / RCP level refused: "at the OU level 1 (root → OU → account)". Empty without level records. */
function refusingLevel(view: CallerDecisionView, type: "scp" | "rcp", verdict: "denies" | "noAllow"): string {
  const levels = (view.explanation.organizationLevels ?? []).filter((l) => l.type === type);
  const at = levels.find((l) => l.verdict === verdict);
  if (!at) return "";
  const chain = levels.map((l) => (l.target === "ou" ? "OU" : l.target)).join(" → ");
  // Organizations policy ARNs end with the policy id (p-…), which is what the Organizations API names.
  const held = at.policies.length ? `: ${at.policies.map((id) => id.slice(id.lastIndexOf("/") + 1)).join(", ")}` : "";
  return ` at level ${at.level}, ${LEVEL_WORDS[at.target]} (${chain})${verdict === "noAllow" ? held : ""}`;
}

export function denialReason(view: CallerDecisionView): string {
  const { action, resource } = view.request;
  const on = `${action} on ${resource}`;
  const d = view.deniedBy;
  switch (view.reason) {
    case "explicitDeny":
    case "scpDeny":
    case "rcpDeny": {
      const level = view.reason === "explicitDeny" ? "" : refusingLevel(view, view.reason === "scpDeny" ? "scp" : "rcp", "denies");
      return d
        ? `an explicit Deny in the ${KIND[d.type] ?? d.type} ${d.id}${d.sid ? ` (statement ${d.sid})` : ""}${level} matches ${on}`
        : `an explicit Deny matches ${on}`;
    }
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
      return `no service control policy${refusingLevel(view, "scp", "noAllow")} allows ${on} (every level must allow)`;
    case "noRcpAllow":
      return `no resource control policy${refusingLevel(view, "rcp", "noAllow")} allows ${on} (every level must allow)`;
    default:
      return `${view.reason}: ${on}`;
  }
}
