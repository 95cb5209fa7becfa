/**
 * The Lambda workload: code "running as" a function (run elsewhere, e.g. a learner's shell) gets
 * the function's execution role, assumed by lambda.amazonaws.com with the function name as session
 * name (`arn:aws:sts::A:assumed-role/<role>/<function>`), as Invoke's program does. Read fresh on
 * every fetch: a deleted function, a changed role or trust policy is honoured on the next one.
 * The token is handed out in Invoke's `LogType: Tail` log (authorized by lambda:InvokeFunction),
 * as EC2 hands its token out in the console output.
 */
import { getFunction } from "../store/lambda-functions";
import { getRoleByName } from "../store/iam-roles";
import type { WorkloadKind, WorkloadLookup } from "./types";

const refuse = (status: number, code: string, message: string): WorkloadLookup => ({ ok: false, refusal: { status, code, message } });

export const lambdaWorkloads: WorkloadKind = {
  async resolve(_env, db, ref): Promise<WorkloadLookup> {
    // ref.id: arn:aws:lambda:<region>:<account>:function:<name>
    const [, , , region, account, , name] = ref.id.split(":");
    if (!region || !name || account !== ref.account) return refuse(404, "ResourceNotFoundException", `Function not found: ${ref.id}`);
    const f = await getFunction(db, { accountId: ref.account, region, name });
    if (!f) return refuse(404, "ResourceNotFoundException", `Function not found: ${ref.id}`);
    const roleArn = f.config.Role;
    const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1);
    const role = roleArn.split(":")[4] === ref.account ? await getRoleByName(db, ref.account, roleName) : undefined;
    // A role of the same name on another path is not the function's role.
    if (!role || role.arn !== roleArn) return refuse(404, "NotFound", `The execution role ${roleArn} of function ${name} does not exist.`);
    return {
      ok: true,
      workload: {
        account: ref.account,
        roleName: role.roleName,
        service: "lambda.amazonaws.com",
        sessionName: name.length < 2 ? `${name}_` : name.slice(0, 64),
        sourceArn: ref.id,
        sessionContext: { "lambda:SourceFunctionArn": ref.id },
        fingerprint: `${f.revisionId}|${role.roleId}|${role.assumeRolePolicyDocument}`,
      },
    };
  },
};
