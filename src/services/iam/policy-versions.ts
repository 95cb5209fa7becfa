/** Managed-policy versions: Create/Get/List/DeletePolicyVersion, SetDefaultPolicyVersion. */
import { defineAction, type RegisteredAction } from "../action";
import { s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { isoSeconds } from "../../lib/clock";
import { createVersion, deleteVersion, getVersion, listVersions, setDefaultVersion, type VersionRow } from "../../store/iam-policies";
import { SUMMARY_QUOTAS } from "../../store/iam-quotas";
import { DEFAULT_MAX_ITEMS, decodeMarker, page, paging } from "./common";
import { account, req, checkPolicyArn, denyAwsManagedWrite, policyNotFound, requirePolicy, validateManagedDocument } from "./policies";
import { encodeDocument } from "./views";

const versionId = () =>
  s.string({ required: true, pattern: /^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/, patternText: "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?" });

const versionNotFound = (arn: string, v: string) => errors.noSuchEntity(`Policy ${arn} version ${v} does not exist or is not attachable.`);

function versionOut(v: VersionRow, withDocument: boolean) {
  return {
    Document: withDocument ? encodeDocument(v.document) : undefined,
    VersionId: v.versionId,
    IsDefaultVersion: v.isDefault,
    CreateDate: v.createDate,
  };
}

export const createPolicyVersionAction = defineAction({
  service: "iam",
  name: "CreatePolicyVersion",
  effect: "permissions",
  input: { PolicyArn: req.arn(), PolicyDocument: req.policyDocument(), SetAsDefault: s.boolean() },
  target: (i, ctx) => {
    denyAwsManagedWrite(ctx, "CreatePolicyVersion", i.PolicyArn);
    return { resource: i.PolicyArn };
  },
  async handler(i, ctx) {
    checkPolicyArn(i.PolicyArn);
    validateManagedDocument(i.PolicyDocument);
    const now = isoSeconds(ctx.request.now);
    const setAsDefault = i.SetAsDefault ?? false;
    const r = await createVersion(ctx.db, account(ctx), i.PolicyArn, i.PolicyDocument, setAsDefault, now);
    if (!r.ok) {
      if (r.reason === "notFound") throw policyNotFound(i.PolicyArn);
      throw errors.limitExceeded(
        `A managed policy can have up to ${SUMMARY_QUOTAS.VersionsPerPolicyQuota} versions. Before you create a new version, you must delete an existing version.`,
      );
    }
    return { PolicyVersion: { VersionId: r.versionId, IsDefaultVersion: setAsDefault, CreateDate: now } };
  },
});

export const getPolicyVersionAction = defineAction({
  service: "iam",
  name: "GetPolicyVersion",
  effect: "read",
  input: { PolicyArn: req.arn(), VersionId: versionId() },
  target: (i) => ({ resource: i.PolicyArn }),
  async handler(i, ctx) {
    checkPolicyArn(i.PolicyArn);
    const v = await getVersion(ctx.db, account(ctx), i.PolicyArn, i.VersionId);
    if (!v) {
      // AWS names the missing policy when the ARN itself is unknown.
      await requirePolicy(ctx, i.PolicyArn);
      throw versionNotFound(i.PolicyArn, i.VersionId);
    }
    return { PolicyVersion: versionOut(v, true) };
  },
});

export const listPolicyVersionsAction = defineAction({
  service: "iam",
  name: "ListPolicyVersions",
  effect: "read",
  input: { PolicyArn: req.arn(), ...paging },
  target: (i) => ({ resource: i.PolicyArn }),
  async handler(i, ctx) {
    const p = await requirePolicy(ctx, i.PolicyArn);
    const all = await listVersions(ctx.db, account(ctx), p);
    const max = i.MaxItems ?? DEFAULT_MAX_ITEMS;
    const after = decodeMarker(i.Marker);
    const start = after === undefined ? 0 : all.findIndex((v) => v.versionId === after) + 1;
    const pg = page(all.slice(start), max, (v) => v.versionId);
    return { Versions: pg.items.map((v) => versionOut(v, false)), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },
});

export const deletePolicyVersionAction = defineAction({
  service: "iam",
  name: "DeletePolicyVersion",
  effect: "permissions",
  input: { PolicyArn: req.arn(), VersionId: versionId() },
  target: (i, ctx) => {
    denyAwsManagedWrite(ctx, "DeletePolicyVersion", i.PolicyArn);
    return { resource: i.PolicyArn };
  },
  async handler(i, ctx) {
    checkPolicyArn(i.PolicyArn);
    const r = await deleteVersion(ctx.db, account(ctx), i.PolicyArn, i.VersionId);
    if (r === "noPolicy") throw policyNotFound(i.PolicyArn);
    if (r === "noVersion") throw versionNotFound(i.PolicyArn, i.VersionId);
    if (r === "default") throw errors.deleteConflict("Cannot delete the default version of a policy.");
    return undefined;
  },
});

export const setDefaultPolicyVersionAction = defineAction({
  service: "iam",
  name: "SetDefaultPolicyVersion",
  effect: "permissions",
  input: { PolicyArn: req.arn(), VersionId: versionId() },
  target: (i, ctx) => {
    denyAwsManagedWrite(ctx, "SetDefaultPolicyVersion", i.PolicyArn);
    return { resource: i.PolicyArn };
  },
  async handler(i, ctx) {
    checkPolicyArn(i.PolicyArn);
    const r = await setDefaultVersion(ctx.db, account(ctx), i.PolicyArn, i.VersionId);
    if (r === "noPolicy") throw policyNotFound(i.PolicyArn);
    if (r === "noVersion") throw versionNotFound(i.PolicyArn, i.VersionId);
    return undefined;
  },
});

export const policyVersionActions: RegisteredAction[] = [
  createPolicyVersionAction,
  getPolicyVersionAction,
  listPolicyVersionsAction,
  deletePolicyVersionAction,
  setDefaultPolicyVersionAction,
];
