/**
 * The IAM response elements, built once: Role, User, Group, Policy, InstanceProfile,
 * PermissionsBoundary, in AWS's member order, with each action's member set (AWS leaves members
 * out of list answers: "use GetRole"). GetAccountAuthorizationDetails builds its detail elements
 * from the same pieces. Plain values: the XML writer leaves out undefined members.
 */
import type { RoleRow } from "../../store/iam-roles";
import type { UserRow } from "../../store/iam-users";
import type { GroupRow } from "../../store/iam-groups";
import type { PolicyRow } from "../../store/iam-policies";
import type { InstanceProfileView } from "../../store/iam-instance-profiles";
import type { TagRow } from "../../store/tags";

/** Policy documents are returned URL-encoded, as AWS does (botocore unquotes them, the JS SDK does not). */
export function encodeDocument(doc: string): string {
  return encodeURIComponent(doc);
}

const tagsOrNone = (tags: TagRow[] | undefined) => (tags?.length ? tags : undefined);

/** The PermissionsBoundary element of a user or role (absent without a boundary). */
export function permissionsBoundaryView(arn: string | null) {
  return arn ? { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: arn } : undefined;
}

// ---------------------------------------------------------------- Role

export type RoleBase = Pick<RoleRow, "path" | "roleName" | "roleId" | "arn" | "createDate" | "assumeRolePolicyDocument">;

/** The members every Role element starts with (also the Roles of an InstanceProfile). */
export function roleBaseView(role: RoleBase) {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createDate,
    AssumeRolePolicyDocument: encodeDocument(role.assumeRolePolicyDocument),
  };
}

/** ListRoles leaves out PermissionsBoundary, Tags and RoleLastUsed (AWS: "use GetRole"). */
export function roleListView(role: RoleRow) {
  return { ...roleBaseView(role), Description: role.description ?? undefined, MaxSessionDuration: role.maxSessionDuration };
}

/** RoleLastUsed: present (empty) even for a role never used. */
export function roleLastUsedView(role: Pick<RoleRow, "lastUsedDate" | "lastUsedRegion">) {
  return { LastUsedDate: role.lastUsedDate ?? undefined, Region: role.lastUsedRegion ?? undefined };
}

/** The Role element as GetRole / UpdateRoleDescription show it. */
export function roleView(role: RoleRow, tags: TagRow[]) {
  return {
    ...roleListView(role),
    PermissionsBoundary: permissionsBoundaryView(role.permissionsBoundary),
    Tags: tagsOrNone(tags),
    RoleLastUsed: roleLastUsedView(role),
  };
}

/**
 * CreateRole / CreateServiceLinkedRole answer without Description, MaxSessionDuration and RoleLastUsed
 * (UpdateRoleDescription too, with the new Description: AWS-recorded LocalStack snapshots).
 */
export function roleCreatedView(role: RoleRow, tags: TagRow[]) {
  return { ...roleBaseView(role), PermissionsBoundary: permissionsBoundaryView(role.permissionsBoundary), Tags: tagsOrNone(tags) };
}

// ---------------------------------------------------------------- User

export type UserBase = Pick<UserRow, "path" | "userName" | "userId" | "arn" | "createDate">;

/** The members every User element starts with (GetAccountAuthorizationDetails shows only these five before its own). */
export function userBaseView(u: UserBase) {
  return { Path: u.path, UserName: u.userName, UserId: u.userId, Arn: u.arn, CreateDate: u.createDate };
}

/** A user as ListUsers / GetGroup show it (no boundary, no tags). */
export function userListView(u: UserRow) {
  return { ...userBaseView(u), PasswordLastUsed: u.passwordLastUsed ?? undefined };
}

/** A user as CreateUser / GetUser show it. */
export function userView(u: UserRow, tags: TagRow[]) {
  return { ...userListView(u), PermissionsBoundary: permissionsBoundaryView(u.permissionsBoundary), Tags: tagsOrNone(tags) };
}

// ---------------------------------------------------------------- Group

export type GroupBase = Pick<GroupRow, "path" | "groupName" | "groupId" | "arn" | "createDate">;

export function groupView(g: GroupBase) {
  return { Path: g.path, GroupName: g.groupName, GroupId: g.groupId, Arn: g.arn, CreateDate: g.createDate };
}

// ---------------------------------------------------------------- Policy

/**
 * The Policy element; Description and Tags only where AWS shows them. GetPolicy shows both, Tags even
 * when empty (`<Tags/>`, `"Tags": []` to botocore); CreatePolicy shows neither Description nor an empty
 * Tags (AWS's answers as LocalStack's AWS-recorded snapshots show them).
 */
export function policyView(p: PolicyRow, o: { description?: boolean; tags?: TagRow[]; emptyTags?: boolean } = {}) {
  return {
    PolicyName: p.policyName,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: p.attachmentCount,
    PermissionsBoundaryUsageCount: p.boundaryCount,
    IsAttachable: true,
    Description: o.description ? (p.description ?? undefined) : undefined,
    CreateDate: p.createDate,
    UpdateDate: p.updateDate,
    Tags: o.emptyTags ? (o.tags ?? []) : tagsOrNone(o.tags),
  };
}

// ---------------------------------------------------------------- InstanceProfile

export type InstanceProfileBase = Pick<InstanceProfileView, "path" | "instanceProfileName" | "instanceProfileId" | "arn" | "createDate">;

/** The InstanceProfile element; its Roles members carry the role's basic members. Tags only from Create/GetInstanceProfile. */
export function instanceProfileView(p: InstanceProfileBase, role: RoleBase | null, tags?: TagRow[]) {
  return {
    Path: p.path,
    InstanceProfileName: p.instanceProfileName,
    InstanceProfileId: p.instanceProfileId,
    Arn: p.arn,
    CreateDate: p.createDate,
    Roles: role ? [roleBaseView(role)] : [],
    Tags: tagsOrNone(tags),
  };
}
