/**
 * GetConsoleOutput: how a learner "gets on" an instance. Instances run no code, so the console
 * shows what a shell on the instance would need to act as the instance's role through the SDKs'
 * standard container-credentials provider: the two lines to export (the endpoint under the origin
 * the client called, and the instance's workload token). Authorized by ec2:GetConsoleOutput.
 */
import { defineAction, type RegisteredAction } from "../action";
import { toBase64, utf8 } from "../../lib/encoding";
import { workloadCredentialsUrl, workloadToken } from "../../workloads/credentials";
import { authorizeOnInstances, dryRunSucceeded, ec2err } from "./common";
import { loadInstances } from "./instances";

interface ConsoleInput {
  InstanceId?: string;
  DryRun?: boolean;
  Latest?: boolean;
}

export function consoleText(instanceId: string, imageId: string, url: string, token: string | undefined): string {
  const lines = [
    `[    0.000000] iamlab: ${instanceId} (${imageId}) is a record, not a VM: nothing boots here.`,
    `[    0.000001] iamlab: to run AWS CLI / SDK code "on" ${instanceId}, as its instance profile's role, in a shell:`,
    "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE",
    `export AWS_CONTAINER_CREDENTIALS_FULL_URI=${url}`,
    token
      ? `export AWS_CONTAINER_AUTHORIZATION_TOKEN=${token}`
      : "# (no AWS_CONTAINER_AUTHORIZATION_TOKEN: the sandbox has no IAMLAB_TOKEN_KEY, so it issues no temporary credentials)",
  ];
  return `${lines.join("\n")}\n`;
}

export const GetConsoleOutput = defineAction({
  service: "ec2",
  name: "GetConsoleOutput",
  effect: "read",
  input: {},
  handler: async (i, ctx) => {
    const input = i as ConsoleInput;
    if (!input.InstanceId) throw ec2err("MissingParameter", "The request must contain the parameter InstanceId");
    const [v] = await loadInstances(ctx, [input.InstanceId]);
    await authorizeOnInstances(ctx, "ec2:GetConsoleOutput", [v!]);
    if (input.DryRun) throw dryRunSucceeded();
    const account = ctx.caller.principal.account;
    const token = await workloadToken(ctx.env, { kind: "ec2", account, id: v!.instanceId });
    const text = consoleText(v!.instanceId, v!.imageId, workloadCredentialsUrl(ctx.request.origin), token);
    return { InstanceId: v!.instanceId, Output: toBase64(utf8.encode(text)), Timestamp: new Date(ctx.request.now) };
  },
});

export const consoleActions: RegisteredAction[] = [GetConsoleOutput];
