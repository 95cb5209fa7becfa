/**
 * Invitations: InviteAccountToOrganization (management account) → a handshake the invited account
 * lists (ListHandshakesForAccount), accepts (AcceptHandshake: it joins under the root with the
 * organization's default policies, so FullAWSAccess / RCPFullAWSAccess and every SCP/RCP of the
 * root apply to it at once) or declines; the management account lists and cancels them. States:
 * OPEN → ACCEPTED / DECLINED / CANCELED, and EXPIRED once 15 days pass on the sandbox clock.
 *
 * Targets: type ACCOUNT with a 12-digit account id (AWS sends an e-mail to the account's owner;
 * here the sandbox account itself sees it), or EMAIL — accepted and kept, but a sandbox account has
 * no mailbox: only `<account-id>@iamlab.invalid`, the address iamlab gives every account, reaches one.
 * Tags on the invitation are not kept (AWS applies them to the account when it joins).
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { isoSeconds } from "../../lib/clock";
import type { XmlValue } from "../../protocol/xml";
import { orgOfAccount, type OrgRow } from "../../store/org-organizations";
import {
  acceptInvitation,
  closeHandshake,
  getHandshake,
  handshakesForTargets,
  handshakesOfOrg,
  insertHandshake,
  type HandshakeRow,
} from "../../store/org-handshakes";
import { afterAdminChange } from "../../cache/index";
import { accountEmail, callerOrg, handshakeArn, managedOrg, newHandshakeId, orgChanged, orgErrors, orgWrite } from "./common";

/** "the originator did not receive a response of any kind from the recipient before the expiration time (15 days)" */
const HANDSHAKE_LIFETIME_MS = 15 * 24 * 3600 * 1000;

/** The state as of `now`: an open handshake past its expiration is EXPIRED. */
export function stateAt(h: Pick<HandshakeRow, "state" | "expiration">, now: number): string {
  return h.state === "OPEN" && Date.parse(h.expiration) <= now ? "EXPIRED" : h.state;
}

function handshake(h: HandshakeRow, org: OrgRow | undefined, now: number) {
  const orgResources = [
    { Type: "MASTER_EMAIL", Value: accountEmail(h.accountId) },
    { Type: "MASTER_NAME", Value: h.accountId },
    { Type: "ORGANIZATION_FEATURE_SET", Value: "ALL" },
  ];
  const Resources: XmlValue[] = [
    { Type: "ORGANIZATION", Value: h.orgId, Resources: orgResources },
    { Type: h.targetType, Value: h.target },
  ];
  if (h.notes) Resources.push({ Type: "NOTES", Value: h.notes });
  return {
    Id: h.handshakeId,
    Arn: handshakeArn(org ?? { accountId: h.accountId, orgId: h.orgId }, h.handshakeId),
    Parties: [
      { Id: h.orgId, Type: "ORGANIZATION" },
      { Id: h.target, Type: h.targetType },
    ],
    State: stateAt(h, now),
    RequestedTimestamp: new Date(h.requested),
    ExpirationTimestamp: new Date(h.expiration),
    Action: "INVITE",
    Resources,
  };
}

/** The ids an account answers invitations under: its id and its sandbox e-mail address. */
const addressesOf = (account: string) => [account, accountEmail(account)];

const isInvitee = (h: HandshakeRow, account: string) => addressesOf(account).includes(h.target);

/** After a handshake changed: both parties' cached read answers (ListHandshakes…, DescribeHandshake) go. */
function handshakeChanged(h: HandshakeRow): void {
  afterAdminChange(h.accountId);
  const invitee = /^(\d{12})(@iamlab\.invalid)?$/.exec(h.target)?.[1];
  if (invitee) afterAdminChange(invitee);
}

interface InviteInput {
  Target: { Id: string; Type: string };
  Notes?: string;
}

const badParty = () =>
  orgErrors.invalidInput(
    "INVALID_PARTY_TYPE_TARGET",
    "You specified the wrong type of entity (account, organization, or email) as a party.",
  );
const alreadyMember = () =>
  orgErrors.handshakeConstraint(
    "ALREADY_IN_AN_ORGANIZATION",
    "The handshake request is invalid because the invited account is already a member of an organization.",
  );

export const InviteAccountToOrganization = defineAction({
  service: "organizations",
  name: "InviteAccountToOrganization",
  effect: "none",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const input = i as InviteInput;
    const org = await managedOrg(ctx);
    const { Id: target, Type: type } = input.Target ?? { Id: "", Type: "" };
    if (type === "ACCOUNT") {
      if (!/^\d{12}$/.test(target)) throw badParty();
      if (await orgOfAccount(ctx.db, target)) throw alreadyMember();
    } else if (type !== "EMAIL" || !/^[^@\s]+@[^@\s]+$/.test(target)) throw badParty();
    const now = ctx.request.now;
    const h: HandshakeRow = {
      handshakeId: newHandshakeId(),
      orgId: org.orgId,
      accountId: org.accountId,
      targetType: type,
      target,
      state: "OPEN",
      requested: new Date(now).toISOString(),
      expiration: new Date(now + HANDSHAKE_LIFETIME_MS).toISOString(),
      notes: input.Notes ?? null,
    };
    if (!(await insertHandshake(ctx.db, h))) throw orgErrors.duplicateHandshake();
    handshakeChanged(h);
    return { Handshake: handshake(h, org, now) };
  },
});

export const ListHandshakesForOrganization = defineAction({
  service: "organizations",
  name: "ListHandshakesForOrganization",
  // Cached like every read; EXPIRED follows the sandbox clock, whose moves drop every cached read.
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const org = await managedOrg(ctx);
    const filter = (i as { Filter?: { ActionType?: string } }).Filter;
    const rows = filter?.ActionType && filter.ActionType !== "INVITE" ? [] : await handshakesOfOrg(ctx.db, org.orgId);
    return { Handshakes: rows.map((h) => handshake(h, org, ctx.request.now)) };
  },
});

/** Any account, in an organization or not, lists the invitations addressed to it. */
export const ListHandshakesForAccount = defineAction({
  service: "organizations",
  name: "ListHandshakesForAccount",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: async (i, ctx) => {
    const filter = (i as { Filter?: { ActionType?: string } }).Filter;
    const rows =
      filter?.ActionType && filter.ActionType !== "INVITE"
        ? []
        : await handshakesForTargets(ctx.db, addressesOf(ctx.caller.principal.account));
    return { Handshakes: rows.map((h) => handshake(h, undefined, ctx.request.now)) };
  },
});

/** The handshake, if the caller is one of its parties (others get HandshakeNotFoundException). */
async function loadHandshake(ctx: ActionContext, id: string): Promise<HandshakeRow | undefined> {
  const h = await getHandshake(ctx.db, id);
  const account = ctx.caller.principal.account;
  return h && (h.accountId === account || isInvitee(h, account)) ? h : undefined;
}

const handshakeTarget = (h: HandshakeRow | undefined) => ({ resource: h ? handshakeArn(h, h.handshakeId) : "*" });
const found = (h: HandshakeRow | undefined): HandshakeRow => {
  if (!h) throw orgErrors.handshakeNotFound();
  return h;
};

/** A closing transition from OPEN to `to`, with AWS's errors for a handshake already closed. */
function checkOpen(h: HandshakeRow, to: string, now: number): void {
  const state = stateAt(h, now);
  if (state === to) throw orgErrors.handshakeAlreadyInState();
  if (state !== "OPEN") throw orgErrors.invalidHandshakeTransition();
}

export const DescribeHandshake = defineAction({
  service: "organizations",
  name: "DescribeHandshake",
  effect: "read",
  input: {},
  load: (i, ctx) => loadHandshake(ctx, (i as { HandshakeId: string }).HandshakeId),
  target: (_i, _ctx, h: HandshakeRow | undefined) => handshakeTarget(h),
  handler: (_i, ctx, h: HandshakeRow | undefined) => ({ Handshake: handshake(found(h), undefined, ctx.request.now) }),
});

export const AcceptHandshake = defineAction({
  service: "organizations",
  name: "AcceptHandshake",
  effect: "none",
  input: {},
  load: (i, ctx) => loadHandshake(ctx, (i as { HandshakeId: string }).HandshakeId),
  target: (_i, _ctx, h: HandshakeRow | undefined) => handshakeTarget(h),
  handler: async (_i, ctx, loaded: HandshakeRow | undefined) => {
    const h = found(loaded);
    const account = ctx.caller.principal.account;
    if (!isInvitee(h, account)) throw orgErrors.handshakeNotFound(); // the sender cannot accept its own invitation
    const now = ctx.request.now;
    checkOpen(h, "ACCEPTED", now);
    const org = await orgOfAccount(ctx.db, h.accountId);
    if (!org || org.orgId !== h.orgId) throw orgErrors.handshakeNotFound(); // the organization is gone
    const member = {
      accountId: account,
      name: account,
      email: h.targetType === "EMAIL" ? h.target : accountEmail(account),
      joinedDate: isoSeconds(now),
    };
    // The joining account's data plane takes the new chain after its own delay, like any org change.
    const outcome = await orgWrite(ctx, org, () => acceptInvitation(ctx.db, org, h, member), [account]);
    if (outcome === "inOrganization") throw alreadyMember();
    if (outcome === "notOpen") throw orgErrors.invalidHandshakeTransition();
    await orgChanged(ctx, org);
    handshakeChanged(h);
    return { Handshake: handshake({ ...h, state: "ACCEPTED" }, org, now) };
  },
});

export const DeclineHandshake = defineAction({
  service: "organizations",
  name: "DeclineHandshake",
  effect: "none",
  input: {},
  load: (i, ctx) => loadHandshake(ctx, (i as { HandshakeId: string }).HandshakeId),
  target: (_i, _ctx, h: HandshakeRow | undefined) => handshakeTarget(h),
  handler: async (_i, ctx, loaded: HandshakeRow | undefined) => {
    const h = found(loaded);
    if (!isInvitee(h, ctx.caller.principal.account)) throw orgErrors.handshakeNotFound();
    checkOpen(h, "DECLINED", ctx.request.now);
    if (!(await closeHandshake(ctx.db, h.handshakeId, "DECLINED"))) throw orgErrors.invalidHandshakeTransition();
    handshakeChanged(h);
    return { Handshake: handshake({ ...h, state: "DECLINED" }, undefined, ctx.request.now) };
  },
});

export const CancelHandshake = defineAction({
  service: "organizations",
  name: "CancelHandshake",
  effect: "none",
  input: {},
  load: (i, ctx) => loadHandshake(ctx, (i as { HandshakeId: string }).HandshakeId),
  target: (_i, _ctx, h: HandshakeRow | undefined) => handshakeTarget(h),
  handler: async (_i, ctx, loaded: HandshakeRow | undefined) => {
    const h = found(loaded);
    await callerOrg(ctx);
    if (h.accountId !== ctx.caller.principal.account) throw orgErrors.handshakeNotFound(); // only the sender cancels
    checkOpen(h, "CANCELED", ctx.request.now);
    if (!(await closeHandshake(ctx.db, h.handshakeId, "CANCELED"))) throw orgErrors.invalidHandshakeTransition();
    handshakeChanged(h);
    return { Handshake: handshake({ ...h, state: "CANCELED" }, undefined, ctx.request.now) };
  },
});

export const handshakeActions: RegisteredAction[] = [
  InviteAccountToOrganization,
  ListHandshakesForOrganization,
  ListHandshakesForAccount,
  DescribeHandshake,
  AcceptHandshake,
  DeclineHandshake,
  CancelHandshake,
];
