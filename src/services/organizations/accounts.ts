/**
 * Member accounts: CreateAccount makes a real sandbox account (root keys through the admin API,
 * like `POST /_iamlab/accounts`) with OrganizationAccountAccessRole trusting the management account,
 * as AWS does. CreateAccount answers IN_PROGRESS; DescribeCreateAccountStatus answers SUCCEEDED.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { isoSeconds } from "../../lib/clock";
import { newAccountId, newUniqueId } from "../../lib/ids";
import { createAccount, deleteAccount } from "../../store/accounts";
import {
  getMember,
  getOu,
  insertCreatedMember,
  listMembers,
  memberByRequest,
  moveMember,
  removeMember,
  type MemberRow,
  type OrgRow,
} from "../../store/org-organizations";
import {
  accountArn,
  callerOrg,
  loadOrg,
  managedOrg,
  newCreateAccountRequestId,
  orgChanged,
  orgErrors,
  orgResource,
  orgWrite,
  targetArn,
} from "./common";
import { putOrgTags } from "../../store/org-tags";
import { MAX_TAGS, validateTags, type TagInput } from "./tag-rules";
import { tagContext } from "./tags";
import { afterAdminChange } from "../../cache/index";
import type { Db } from "../../store/db";
import type { XmlValue } from "../../protocol/xml";
import { accountCap, countAccounts } from "../../limits/quotas"; // labsorg4 (issue 21)

const anywhere = () => ({ resource: "*" });
/** Authorization on the root, OU or account an id names (Service Authorization Reference: account, organizationalunit, root). */
const onId = (org: OrgRow | undefined, id: string) => orgResource(org, (o) => targetArn(o, id));
const byOrg = { load: (_i: unknown, ctx: ActionContext) => loadOrg(ctx) };
const ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess";
const DEFAULT_ROLE = "OrganizationAccountAccessRole";

function account(o: OrgRow, m: MemberRow) {
  return {
    Id: m.accountId,
    Arn: accountArn(o, m.accountId),
    Email: m.email,
    Name: m.name,
    Status: "ACTIVE",
    State: "ACTIVE",
    JoinedMethod: m.joinedMethod,
    JoinedTimestamp: new Date(m.joinedDate),
  };
}

function status(m: MemberRow, state: "IN_PROGRESS" | "SUCCEEDED") {
  const out: Record<string, XmlValue> = {
    Id: m.createRequestId ?? "",
    AccountName: m.name,
    State: state,
    RequestedTimestamp: new Date(m.createRequestDate ?? m.joinedDate),
  };
  if (state === "SUCCEEDED") {
    out.AccountId = m.accountId;
    out.CompletedTimestamp = new Date(m.joinedDate);
  }
  return out;
}

/** True when `id` is the organization's root or one of its OUs. */
export async function parentExists(db: Db, o: OrgRow, id: string): Promise<boolean> {
  return id === o.rootId || (id.startsWith("ou-") && (await getOu(db, o.orgId, id)) !== undefined);
}

interface CreateAccountInput {
  Email: string;
  AccountName: string;
  RoleName?: string;
  Tags?: TagInput[];
}

export const CreateAccount = defineAction({
  service: "organizations",
  name: "CreateAccount",
  effect: "none",
  input: {},
  target: (i) => {
    const tags = (i as CreateAccountInput).Tags ?? [];
    return tags.length ? { resource: "*", context: tagContext(tags) } : anywhere();
  },
  handler: async (i, ctx) => {
    const input = i as CreateAccountInput;
    const org = await managedOrg(ctx);
    const tags = validateTags(input.Tags ?? []);
    // labsorg4 (issue 21): members are sandbox accounts, under the sandbox-wide cap (IAMLAB_MAX_ACCOUNTS) like
    // the admin API's. AWS's reason is ACCOUNT_NUMBER_LIMIT_EXCEEDED; its exact message is not confirmed here.
    if ((await countAccounts(ctx.db)) >= accountCap(ctx.env))
      throw orgErrors.constraint(
        "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
        "You attempted to exceed the limit on the number of accounts in an organization (this sandbox's IAMLAB_MAX_ACCOUNTS).",
      );
    const now = ctx.request.now;
    const date = isoSeconds(now);
    let created: string | undefined;
    for (let attempt = 0; attempt < 5 && !created; attempt++) {
      const id = newAccountId();
      if (await createAccount(ctx.db, id, null, now)) created = id;
    }
    if (!created) throw orgErrors.constraint("ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED", "Could not allocate an account id.");
    const roleName = input.RoleName ?? DEFAULT_ROLE;
    const member: MemberRow = {
      accountId: created,
      orgId: org.orgId,
      parentId: org.rootId,
      name: input.AccountName,
      email: input.Email,
      joinedMethod: "CREATED",
      joinedDate: date,
      createRequestId: newCreateAccountRequestId(),
      createRequestDate: date,
    };
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${org.accountId}:root` }, Action: "sts:AssumeRole" }],
    });
    try {
      await insertCreatedMember(ctx.db, org, member, {
        roleId: newUniqueId("AROA"),
        roleName,
        arn: `arn:aws:iam::${created}:role/${roleName}`,
        trust,
        policyArn: ADMINISTRATOR_ACCESS,
      });
    } catch (e) {
      await deleteAccount(ctx.db, created); // nothing half-made
      throw e;
    }
    if (tags.length) await putOrgTags(ctx.db, org, created, tags, MAX_TAGS);
    await orgChanged(ctx, org);
    return { CreateAccountStatus: status(member, "IN_PROGRESS") };
  },
});

export const DescribeCreateAccountStatus = defineAction({
  service: "organizations",
  name: "DescribeCreateAccountStatus",
  effect: "read",
  input: {},
  target: anywhere,
  handler: async (i, ctx: ActionContext) => {
    const org = await managedOrg(ctx);
    const m = await memberByRequest(ctx.db, org.orgId, (i as { CreateAccountRequestId: string }).CreateAccountRequestId);
    if (!m)
      throw orgErrors.notFound(
        "CreateAccountStatusNotFoundException",
        "We can't find an create account request with the CreateAccountRequestId that you specified.",
      );
    return { CreateAccountStatus: status(m, "SUCCEEDED") };
  },
});

export const ListAccounts = defineAction({
  service: "organizations",
  name: "ListAccounts",
  effect: "read",
  input: {},
  target: anywhere,
  handler: async (_i, ctx: ActionContext) => {
    const org = await managedOrg(ctx);
    return { Accounts: (await listMembers(ctx.db, org.orgId)).map((m) => account(org, m)) };
  },
});

export const ListAccountsForParent = defineAction({
  service: "organizations",
  name: "ListAccountsForParent",
  effect: "read",
  input: {},
  ...byOrg,
  target: (i, _ctx, org: OrgRow | undefined) => onId(org, (i as { ParentId: string }).ParentId),
  handler: async (i, ctx: ActionContext, loaded: OrgRow | undefined) => {
    const org = await managedOrg(ctx, loaded);
    const parent = (i as { ParentId: string }).ParentId;
    if (!(await parentExists(ctx.db, org, parent))) throw orgErrors.parentNotFound();
    return { Accounts: (await listMembers(ctx.db, org.orgId, parent)).map((m) => account(org, m)) };
  },
});

export const DescribeAccount = defineAction({
  service: "organizations",
  name: "DescribeAccount",
  effect: "read",
  input: {},
  ...byOrg,
  target: (i, _ctx, org: OrgRow | undefined) => onId(org, (i as { AccountId: string }).AccountId),
  handler: async (i, ctx: ActionContext, loaded: OrgRow | undefined) => {
    const org = await managedOrg(ctx, loaded);
    const m = await getMember(ctx.db, org.orgId, (i as { AccountId: string }).AccountId);
    if (!m) throw orgErrors.accountNotFound();
    return { Account: account(org, m) };
  },
});

interface MoveAccountInput {
  AccountId: string;
  SourceParentId: string;
  DestinationParentId: string;
}

export const MoveAccount = defineAction({
  service: "organizations",
  name: "MoveAccount",
  effect: "none",
  input: {},
  ...byOrg,
  target: (i, _ctx, org: OrgRow | undefined) => onId(org, (i as MoveAccountInput).AccountId),
  handler: async (i, ctx, loaded: OrgRow | undefined) => {
    const input = i as MoveAccountInput;
    const org = await managedOrg(ctx, loaded);
    const m = await getMember(ctx.db, org.orgId, input.AccountId);
    if (!m) throw orgErrors.accountNotFound();
    if (!(await parentExists(ctx.db, org, input.SourceParentId))) throw orgErrors.sourceParentNotFound();
    if (!(await parentExists(ctx.db, org, input.DestinationParentId))) throw orgErrors.destinationParentNotFound();
    if (m.parentId === input.DestinationParentId) throw orgErrors.duplicateAccount();
    if (m.parentId !== input.SourceParentId) throw orgErrors.sourceParentNotFound();
    if (!(await orgWrite(ctx, org, () => moveMember(ctx.db, org, m.accountId, input.SourceParentId, input.DestinationParentId))))
      throw orgErrors.sourceParentNotFound();
    await orgChanged(ctx, org);
    return {};
  },
});

/** Removal of a member (its SCPs and org keys no longer apply); the management account cannot leave. */
async function remove(ctx: ActionContext, org: OrgRow, account: string): Promise<void> {
  if (account === org.accountId)
    throw orgErrors.constraint(
      "ACCOUNT_CANNOT_LEAVE_ORGANIZATION",
      "You can't remove the management account from an organization. You must delete the organization instead.",
    );
  if (!(await orgWrite(ctx, org, () => removeMember(ctx.db, org, account)))) throw orgErrors.accountNotFound();
  await orgChanged(ctx, org);
  afterAdminChange(account);
}

export const RemoveAccountFromOrganization = defineAction({
  service: "organizations",
  name: "RemoveAccountFromOrganization",
  effect: "none",
  input: {},
  ...byOrg,
  target: (i, _ctx, org: OrgRow | undefined) => onId(org, (i as { AccountId: string }).AccountId),
  handler: async (i, ctx, loaded: OrgRow | undefined) => {
    const org = await managedOrg(ctx, loaded);
    await remove(ctx, org, (i as { AccountId: string }).AccountId);
    return {};
  },
});

/** A member leaves on its own (the SCP "deny leaving the organization" lab denies exactly this). */
export const LeaveOrganization = defineAction({
  service: "organizations",
  name: "LeaveOrganization",
  effect: "none",
  input: {},
  target: anywhere,
  handler: async (_i, ctx) => {
    const org = await callerOrg(ctx);
    await remove(ctx, org, ctx.caller.principal.account);
    return {};
  },
});

export const accountActions: RegisteredAction[] = [
  RemoveAccountFromOrganization,
  LeaveOrganization,
  CreateAccount,
  DescribeCreateAccountStatus,
  ListAccounts,
  ListAccountsForParent,
  DescribeAccount,
  MoveAccount,
];
