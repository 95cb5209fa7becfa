/**
 * Principal / NotPrincipal in resource-based and trust policies.
 *
 * The caller is seen as a chain of identities: a user is (user ARN, account); a role session is
 * (session ARN, role ARN, account); a federated user is (federated-user ARN, the IAM user who federated when
 * known, account); root is (account).
 * `Principal` matches when any link is named (so a role ARN covers its sessions and an account covers
 * everyone in it). `NotPrincipal` excludes the caller only when every link is named, which is why AWS
 * asks for the account ARN (and the session ARN) next to a user or role in NotPrincipal.
 */
import { parseArn } from "../../lib/arn.js";
import type { ElementMatch, PrincipalMatchKind } from "../explain.js";
import type { Principal } from "../types.js";

export interface CompiledPrincipalElement {
  not: boolean;
  /** Principal: "*" */
  wildcard: boolean;
  /** 12-digit account ids named by id or by arn:…:iam::A:root. */
  accounts: ReadonlyMap<string, string>;
  /** Exact IAM/STS ARNs (users, roles, sessions, federated users). */
  arns: ReadonlySet<string>;
  services: ReadonlySet<string>;
  federated: ReadonlySet<string>;
  canonicalUsers: ReadonlySet<string>;
  /** For explanations: the element as written, flattened ("AWS:…", "Service:…"). */
  values: readonly string[];
}

export type PrincipalBlock = "*" | Record<string, string[]>;

const ACCOUNT_RE = /^\d{12}$/;

export function compilePrincipalElement(block: PrincipalBlock, not: boolean): CompiledPrincipalElement {
  const accounts = new Map<string, string>();
  const arns = new Set<string>();
  const services = new Set<string>();
  const federated = new Set<string>();
  const canonicalUsers = new Set<string>();
  const values: string[] = [];
  let wildcard = false;
  if (block === "*") {
    wildcard = true;
    values.push("*");
  } else {
    for (const [type, list] of Object.entries(block)) {
      for (const v of list) {
        values.push(`${type}:${v}`);
        if (type === "AWS") {
          if (v === "*") wildcard = true;
          else if (ACCOUNT_RE.test(v)) accounts.set(v, v);
          else {
            const a = parseArn(v);
            if (a && a.service === "iam" && a.resource === "root") accounts.set(a.account, v);
            else arns.add(v);
          }
        } else if (type === "Service") services.add(v.toLowerCase());
        else if (type === "Federated") federated.add(v);
        else if (type === "CanonicalUser") canonicalUsers.add(v);
      }
    }
  }
  return Object.freeze({ not, wildcard, accounts, arns, services, federated, canonicalUsers, values: Object.freeze(values) });
}

/** The identities of a caller, strongest first (constant lists: no allocation per match). */
const ROOT_CHAIN: readonly PrincipalMatchKind[] = Object.freeze(["account"]);
const OWN_CHAIN: readonly PrincipalMatchKind[] = Object.freeze(["principal", "account"]);
const SESSION_CHAIN: readonly PrincipalMatchKind[] = Object.freeze(["principal", "role", "account"]);
const SERVICE_CHAIN: readonly PrincipalMatchKind[] = Object.freeze(["service"]);
const NO_CHAIN: readonly PrincipalMatchKind[] = Object.freeze([]);

function chain(p: Principal): readonly PrincipalMatchKind[] {
  switch (p.kind) {
    case "root":
      return ROOT_CHAIN;
    case "user":
      return OWN_CHAIN;
    case "federatedUser":
      return p.federatingUserArn ? SESSION_CHAIN : OWN_CHAIN;
    case "assumedRole":
      return p.roleArn ? SESSION_CHAIN : OWN_CHAIN;
    case "service":
      return SERVICE_CHAIN;
    case "anonymous":
      return NO_CHAIN;
  }
}

/** The policy value that names the caller's identity of this kind, or undefined. */
function linkValue(el: CompiledPrincipalElement, p: Principal, kind: PrincipalMatchKind): string | undefined {
  switch (kind) {
    case "account":
      return el.accounts.get(p.account);
    case "principal":
      return el.arns.has(p.arn) ? p.arn : undefined;
    case "role": {
      // The identity behind the session: the role, or the IAM user who called GetFederationToken.
      const behind = p.roleArn ?? p.federatingUserArn;
      return behind !== undefined && el.arns.has(behind) ? behind : undefined;
    }
    case "service": {
      if (el.services.size === 0) return undefined;
      const name = (p.serviceName ?? p.arn).toLowerCase();
      return el.services.has(name) ? name : undefined;
    }
    case "federated":
      return p.federated && el.federated.has(p.federated) ? p.federated : undefined;
    case "canonicalUser":
      return p.canonicalUser && el.canonicalUsers.has(p.canonicalUser) ? p.canonicalUser : undefined;
    case "wildcard":
      return el.wildcard ? "*" : undefined;
  }
}

// Deciding only (explain off): shared outcomes without the matching value.
const PRINCIPAL_MATCHED = Object.fromEntries(
  (["wildcard", "account", "role", "principal", "service", "federated", "canonicalUser"] as const).map((kind) => [
    kind,
    Object.freeze<ElementMatch>({ element: "Principal", matched: true, principalMatch: kind }),
  ]),
) as Record<PrincipalMatchKind, ElementMatch>;
const NO_PRINCIPAL: ElementMatch = Object.freeze({ element: "Principal", matched: false });
const NOT_PRINCIPAL_APPLIES: ElementMatch = Object.freeze({ element: "NotPrincipal", matched: true });
const NOT_PRINCIPAL_EXCLUDES: ElementMatch = Object.freeze({ element: "NotPrincipal", matched: false });

/**
 * A Deny with NotPrincipal against an IAM user or role (or its session) that has a permissions boundary:
 * AWS documents that such a statement "will always deny any IAM principal that has a permissions boundary
 * policy attached, regardless of the values specified in the NotPrincipal element" (IAM User Guide,
 * "Permissions boundaries for IAM entities" and "AWS JSON policy elements: NotPrincipal").
 */
export const NOT_PRINCIPAL_BOUNDED: ElementMatch = NOT_PRINCIPAL_APPLIES;

/**
 * Principal / NotPrincipal against the caller. With `explain` the result names the policy value that
 * matched (or excluded); without, it is a shared frozen outcome (still carrying `principalMatch`, which
 * the decision needs).
 */
export function matchPrincipal(el: CompiledPrincipalElement, p: Principal, explain = true): ElementMatch {
  if (!el.not) {
    let kind: PrincipalMatchKind | undefined;
    let v: string | undefined;
    if (p.federated && (v = linkValue(el, p, "federated")) !== undefined) kind = "federated";
    else if (p.canonicalUser && (v = linkValue(el, p, "canonicalUser")) !== undefined) kind = "canonicalUser";
    else {
      const links = chain(p);
      for (let i = 0; i < links.length; i++) {
        v = linkValue(el, p, links[i]!);
        if (v !== undefined) {
          kind = links[i]!;
          break;
        }
      }
      if (kind === undefined && el.wildcard) {
        kind = "wildcard";
        v = "*";
      }
    }
    if (kind === undefined) return NO_PRINCIPAL;
    return explain ? { element: "Principal", matched: true, value: v, principalMatch: kind } : PRINCIPAL_MATCHED[kind];
  }
  // NotPrincipal: excluded only when every link of the chain is named (or "*" is named).
  if (el.wildcard) return explain ? { element: "NotPrincipal", matched: false, value: "*" } : NOT_PRINCIPAL_EXCLUDES;
  // A web identity / SAML caller is named by its provider alone (it has no account or ARN of its own).
  if (p.federated !== undefined && el.federated.has(p.federated))
    return explain ? { element: "NotPrincipal", matched: false, value: p.federated } : NOT_PRINCIPAL_EXCLUDES;
  // A federated user is spared by naming its own ARN and its account, as before AWS documented the user
  // behind it (whether NotPrincipal must also name that user is not documented).
  const links = p.kind === "federatedUser" ? OWN_CHAIN : chain(p);
  if (links.length === 0) return NOT_PRINCIPAL_APPLIES;
  let named: string | undefined;
  for (let i = 0; i < links.length; i++) {
    const v = linkValue(el, p, links[i]!);
    if (v === undefined) return NOT_PRINCIPAL_APPLIES;
    named ??= v;
  }
  if (!explain) return NOT_PRINCIPAL_EXCLUDES;
  const m: ElementMatch = { element: "NotPrincipal", matched: false };
  if (named !== undefined) m.value = named;
  return m;
}
