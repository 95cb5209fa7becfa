/**
 * Principal / NotPrincipal in resource-based and trust policies.
 *
 * The caller is seen as a chain of identities: a user is (user ARN, account); a role session is
 * (session ARN, role ARN, account); a federated user is (federated-user ARN, account); root is (account).
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

interface Link {
  kind: PrincipalMatchKind;
  test: (el: CompiledPrincipalElement) => string | undefined;
}

/** The identities of a caller, strongest first. */
function chain(p: Principal): Link[] {
  const account: Link = { kind: "account", test: (el) => el.accounts.get(p.account) };
  const own = (arn: string): Link => ({ kind: "principal", test: (el) => (el.arns.has(arn) ? arn : undefined) });
  switch (p.kind) {
    case "root":
      return [account];
    case "user":
    case "federatedUser":
      return [own(p.arn), account];
    case "assumedRole": {
      const links = [own(p.arn)];
      const roleArn = p.roleArn;
      if (roleArn) links.push({ kind: "role", test: (el) => (el.arns.has(roleArn) ? roleArn : undefined) });
      links.push(account);
      return links;
    }
    case "service": {
      const name = (p.serviceName ?? p.arn).toLowerCase();
      return [{ kind: "service", test: (el) => (el.services.has(name) ? name : undefined) }];
    }
    case "anonymous":
      return [];
  }
}

function extraLinks(p: Principal): Link[] {
  const links: Link[] = [];
  const fed = p.federated;
  if (fed) links.push({ kind: "federated", test: (el) => (el.federated.has(fed) ? fed : undefined) });
  const cu = p.canonicalUser;
  if (cu) links.push({ kind: "canonicalUser", test: (el) => (el.canonicalUsers.has(cu) ? cu : undefined) });
  return links;
}

export function matchPrincipal(el: CompiledPrincipalElement, p: Principal): ElementMatch {
  if (!el.not) {
    const links = [...extraLinks(p), ...chain(p)];
    for (const l of links) {
      const v = l.test(el);
      if (v !== undefined) return { element: "Principal", matched: true, value: v, principalMatch: l.kind };
    }
    if (el.wildcard) return { element: "Principal", matched: true, value: "*", principalMatch: "wildcard" };
    return { element: "Principal", matched: false };
  }
  // NotPrincipal: excluded only when every link of the chain is named (or "*" is named).
  if (el.wildcard) return { element: "NotPrincipal", matched: false, value: "*" };
  const links = chain(p);
  if (links.length === 0) return { element: "NotPrincipal", matched: true };
  let named: string | undefined;
  for (const l of links) {
    const v = l.test(el);
    if (v === undefined) return { element: "NotPrincipal", matched: true };
    named ??= v;
  }
  const m: ElementMatch = { element: "NotPrincipal", matched: false };
  if (named !== undefined) m.value = named;
  return m;
}
