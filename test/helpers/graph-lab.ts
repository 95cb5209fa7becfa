/** The PassRole escalation lab the Permissions Graph tests build with the real IAM client. */
import { AttachRolePolicyCommand, CreateRoleCommand, CreateUserCommand, PutUserPolicyCommand, type IAMClient } from "@aws-sdk/client-iam";

export const policyDoc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

/** User `dev` may launch instances and pass any role; `AdminRole` (AdministratorAccess) trusts EC2. */
export async function passRoleLab(iam: IAMClient): Promise<void> {
  await iam.send(new CreateUserCommand({ UserName: "dev" }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: "dev",
      PolicyName: "launch",
      PolicyDocument: policyDoc({ Effect: "Allow", Action: ["ec2:RunInstances", "iam:PassRole"], Resource: "*" }),
    }),
  );
  await iam.send(
    new CreateRoleCommand({
      RoleName: "AdminRole",
      AssumeRolePolicyDocument: policyDoc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }),
    }),
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: "AdminRole", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
}
