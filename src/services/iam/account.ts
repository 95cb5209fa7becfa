/**
 * Account-level actions: GetAccountAuthorizationDetails, GetAccountSummary and the account alias
 * (Create/Delete/ListAccountAliases).
 */
import { defineAction, type RegisteredAction } from "../action";
import { s } from "../../protocol/shapes";
import { AwsError, errors } from "../../protocol/errors";
import { XmlMap } from "../../protocol/xml";
import {
  accountCounts,
  authDetailsExtras,
  authDetailsPage,
  cutPageByBudget,
  createAlias,
  deleteAlias,
  listAliases,
  SECTION_ORDER,
  type AuthSection,
  type RoleRow,
  type UserRow,
  type GroupRow,
} from "../../store/iam-account";
import type { PolicyRow } from "../../store/iam-policies";
import { SUMMARY_QUOTAS } from "../../store/iam-quotas";
import { DEFAULT_MAX_ITEMS, decodeMarker, encodeMarker, paging } from "./common";
import { account } from "./policies";
import {
  encodeDocument,
  groupView,
  instanceProfileView,
  permissionsBoundaryView,
  policyView,
  roleBaseView,
  roleLastUsedView,
  userBaseView,
  type RoleBase,
} from "./views";

/** Estimated bytes after which a page stops early (IsTruncated with a Marker). Sandbox choice. */
export const GAAD_PAGE_BUDGET = 8 * 1024 * 1024;
/** The largest single-entity page the sandbox builds (see the handler). Sandbox choice. */
export const GAAD_ITEM_CEILING = 96 * 1024 * 1024;

const answerTooLarge = (bytes: number) =>
  new AwsError(
    "ServiceFailure",
    `iamlab: this answer would be about ${Math.ceil(bytes / 1048576)} MiB for a single entity, more than this sandbox builds (${GAAD_ITEM_CEILING / 1048576} MiB). Use a Filter, or remove whitespace from the entity's policy documents.`,
    500,
  );

const FILTERS = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] as const;

const SECTION_CODE: Record<AuthSection, string> = { user: "U", group: "G", role: "R", policy: "P" };

export const getAccountAuthorizationDetailsAction = defineAction({
  service: "iam",
  name: "GetAccountAuthorizationDetails",
  effect: "read",
  input: { Filter: s.list(s.string({ enum: FILTERS })), ...paging },
  target: () => ({ resource: "*" }),
  async handler(i, ctx) {
    const acct = account(ctx);
    const f = new Set(i.Filter?.length ? i.Filter : FILTERS);
    const sections: AuthSection[] = [];
    if (f.has("User")) sections.push("user");
    if (f.has("Group")) sections.push("group");
    if (f.has("Role")) sections.push("role");
    if (f.has("LocalManagedPolicy") || f.has("AWSManagedPolicy")) sections.push("policy");
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    let after: { section: AuthSection; key: string } | undefined;
    const key = decodeMarker(i.Marker);
    if (key !== undefined) {
      const section = SECTION_ORDER.find((s) => SECTION_CODE[s] === key[0]);
      if (!section || key[1] !== "\n") throw errors.validation("Invalid Marker.");
      after = { section, key: key.slice(2) };
    }
    const pg = await authDetailsPage(ctx.db, acct, {
      sections,
      localPolicies: f.has("LocalManagedPolicy"),
      awsPolicies: f.has("AWSManagedPolicy"),
      after,
      limit: max,
    });
    const estimate = await cutPageByBudget(ctx.db, acct, pg, GAAD_PAGE_BUDGET);
    // A single entity cannot be split across pages. Within AWS's limits it stays under about
    // 70 MB (10,240 counted characters of inline policies padded with whitespace up to 131,072
    // characters a document); only a padded trust policy repeated in hundreds of instance
    // profiles goes further, and that answer is refused rather than built (sandbox-only limit).
    if (estimate > GAAD_ITEM_CEILING) throw answerTooLarge(estimate);
    const x = await authDetailsExtras(ctx.db, acct, pg);
    const inlineList = (id: string) =>
      (x.inline.get(id) ?? []).map((p) => ({ PolicyName: p.name, PolicyDocument: encodeDocument(p.document) }));
    const tagsOf = (id: string) => x.tags.get(id);

    const UserDetailList = [];
    const GroupDetailList = [];
    const RoleDetailList = [];
    const Policies = [];
    for (const it of pg.items) {
      if (it.section === "user") {
        const u: UserRow = it.row;
        UserDetailList.push({
          ...userBaseView({ path: u.path, userName: u.name, userId: u.id, arn: u.arn, createDate: u.createDate }),
          UserPolicyList: inlineList(u.id),
          GroupList: x.groupsOfUser.get(u.id) ?? [],
          AttachedManagedPolicies: x.attached.get(u.id) ?? [],
          PermissionsBoundary: permissionsBoundaryView(u.boundary),
          Tags: tagsOf(u.id) ?? [],
        });
      } else if (it.section === "group") {
        const g: GroupRow = it.row;
        GroupDetailList.push({
          ...groupView({ path: g.path, groupName: g.name, groupId: g.id, arn: g.arn, createDate: g.createDate }),
          GroupPolicyList: inlineList(g.id),
          AttachedManagedPolicies: x.attached.get(g.id) ?? [],
        });
      } else if (it.section === "role") {
        const r: RoleRow = it.row;
        const role: RoleBase = {
          path: r.path,
          roleName: r.name,
          roleId: r.id,
          arn: r.arn,
          createDate: r.createDate,
          assumeRolePolicyDocument: x.trust.get(r.id) ?? "",
        };
        RoleDetailList.push({
          ...roleBaseView(role),
          InstanceProfileList: (x.instanceProfiles.get(r.id) ?? []).map((ip) =>
            instanceProfileView(
              { path: ip.path, instanceProfileName: ip.name, instanceProfileId: ip.id, arn: ip.arn, createDate: ip.createDate },
              role,
            ),
          ),
          RolePolicyList: inlineList(r.id),
          AttachedManagedPolicies: x.attached.get(r.id) ?? [],
          PermissionsBoundary: permissionsBoundaryView(r.boundary),
          Tags: tagsOf(r.id) ?? [],
          RoleLastUsed: roleLastUsedView(r),
        });
      } else {
        const p: PolicyRow = it.row;
        const versions = p.awsManaged
          ? [
              {
                Document: encodeDocument(x.awsDocuments.get(p.arn) ?? ""),
                VersionId: p.defaultVersionId,
                IsDefaultVersion: true,
                CreateDate: p.updateDate,
              },
            ]
          : (x.versions.get(p.policyId) ?? []).map((v) => ({
              Document: encodeDocument(v.document),
              VersionId: v.versionId,
              IsDefaultVersion: v.versionId === p.defaultVersionId,
              CreateDate: v.createDate,
            }));
        // GetAccountAuthorizationDetails shows no policy Tags.
        Policies.push({ ...policyView(p, { description: true }), PolicyVersionList: versions });
      }
    }
    const last = pg.items[pg.items.length - 1];
    let Marker: string | undefined;
    if (pg.more && last) {
      const k = last.section === "policy" ? last.sortKey : last.row.sortKey;
      Marker = encodeMarker(`${SECTION_CODE[last.section]}\n${k}`);
    }
    return { UserDetailList, GroupDetailList, RoleDetailList, Policies, IsTruncated: pg.more, Marker };
  },
});

export const getAccountSummaryAction = defineAction({
  service: "iam",
  name: "GetAccountSummary",
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  async handler(_i, ctx) {
    const c = await accountCounts(ctx.db, account(ctx));
    // Keys in the order AWS returns them (IAM API reference, GetAccountSummary); the quotas come
    // from the one table the stores enforce (store/iam-quotas.ts).
    const Q = SUMMARY_QUOTAS;
    const entries: Array<[string, number]> = [
      ["GroupPolicySizeQuota", Q.GroupPolicySizeQuota],
      ["InstanceProfilesQuota", Q.InstanceProfilesQuota],
      ["Policies", c.policies],
      ["GroupsPerUserQuota", Q.GroupsPerUserQuota],
      ["InstanceProfiles", c.instanceProfiles],
      ["AttachedPoliciesPerUserQuota", Q.AttachedPoliciesPerUserQuota],
      ["Users", c.users],
      ["PoliciesQuota", Q.PoliciesQuota],
      ["Providers", c.providers],
      ["AccountMFAEnabled", c.rootMfa > 0 ? 1 : 0],
      ["AccessKeysPerUserQuota", Q.AccessKeysPerUserQuota],
      ["AssumeRolePolicySizeQuota", Q.AssumeRolePolicySizeQuota],
      ["PolicyVersionsInUseQuota", Q.PolicyVersionsInUseQuota],
      ["GlobalEndpointTokenVersion", 1],
      ["VersionsPerPolicyQuota", Q.VersionsPerPolicyQuota],
      ["AttachedPoliciesPerGroupQuota", Q.AttachedPoliciesPerGroupQuota],
      ["PolicySizeQuota", Q.PolicySizeQuota],
      ["Groups", c.groups],
      ["AccountSigningCertificatesPresent", c.rootSigningCertificates > 0 ? 1 : 0],
      ["UsersQuota", Q.UsersQuota],
      ["ServerCertificatesQuota", Q.ServerCertificatesQuota],
      ["MFADevices", c.mfaDevices],
      ["UserPolicySizeQuota", Q.UserPolicySizeQuota],
      ["PolicyVersionsInUse", c.attachments],
      ["ServerCertificates", c.serverCertificates],
      ["Roles", c.roles],
      ["RolesQuota", Q.RolesQuota],
      ["SigningCertificatesPerUserQuota", Q.SigningCertificatesPerUserQuota],
      ["MFADevicesInUse", c.mfaDevicesInUse],
      ["RolePolicySizeQuota", Q.RolePolicySizeQuota],
      ["AttachedPoliciesPerRoleQuota", Q.AttachedPoliciesPerRoleQuota],
      ["AccountAccessKeysPresent", c.rootKeys > 0 ? 1 : 0],
      ["GroupsQuota", Q.GroupsQuota],
    ];
    return { SummaryMap: new XmlMap(entries) };
  },
});

const aliasShape = () =>
  s.string({
    required: true,
    min: 3,
    max: 63,
    pattern: /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/,
    patternText: "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
  });

export const createAccountAliasAction = defineAction({
  service: "iam",
  name: "CreateAccountAlias",
  effect: "write",
  input: { AccountAlias: aliasShape() },
  target: () => ({ resource: "*" }),
  async handler(i, ctx) {
    if ((await createAlias(ctx.write, i.AccountAlias)) === "taken")
      throw errors.entityAlreadyExists(`The account alias ${i.AccountAlias} already exists.`);
    return undefined;
  },
});

export const deleteAccountAliasAction = defineAction({
  service: "iam",
  name: "DeleteAccountAlias",
  effect: "write",
  input: { AccountAlias: aliasShape() },
  target: () => ({ resource: "*" }),
  async handler(i, ctx) {
    if (!(await deleteAlias(ctx.write, i.AccountAlias))) throw errors.noSuchEntity(`The account alias ${i.AccountAlias} cannot be found.`);
    return undefined;
  },
});

export const listAccountAliasesAction = defineAction({
  service: "iam",
  name: "ListAccountAliases",
  effect: "read",
  input: { ...paging },
  target: () => ({ resource: "*" }),
  async handler(_i, ctx) {
    return { AccountAliases: await listAliases(ctx.db, account(ctx)), IsTruncated: false };
  },
});

export const accountActions: RegisteredAction[] = [
  getAccountAuthorizationDetailsAction,
  getAccountSummaryAction,
  createAccountAliasAction,
  deleteAccountAliasAction,
  listAccountAliasesAction,
];
