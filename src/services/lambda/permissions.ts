/**
 * A function's resource policy: AddPermission, RemovePermission, GetPolicy. AddPermission writes
 * the statement as AWS writes it — `{"Sid","Effect":"Allow","Principal","Action","Resource","Condition"}`
 * in a policy `{"Version":"2012-10-17","Id":"default","Statement":[…]}` — with the principal as
 * `{"Service": …}` for a service, `{"AWS": "arn:aws:iam::<account>:root"}` for an account id,
 * `{"AWS": <arn>}` for an ARN and `"*"` for everyone; SourceArn becomes `ArnLike AWS:SourceArn`,
 * SourceAccount `StringEquals AWS:SourceAccount`, PrincipalOrgID `StringEquals aws:PrincipalOrgID`,
 * FunctionUrlAuthType `StringEquals lambda:FunctionUrlAuthType`, EventSourceToken
 * `StringEquals lambda:EventSourceToken`. Every change is a new RevisionId; a RevisionId given that
 * is not the function's is PreconditionFailedException.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { AwsError } from "../../protocol/errors";
import { parsePolicy } from "../../policy/index";
import { updateFunction } from "../../store/lambda-functions";
import { lambdaErr } from "./common";
import { functionTarget, loadFunction, type LoadedFunction } from "./target";

interface AddInput {
  FunctionName: string;
  StatementId: string;
  Action: string;
  Principal: string;
  SourceArn?: string;
  SourceAccount?: string;
  EventSourceToken?: string;
  Qualifier?: string;
  RevisionId?: string;
  PrincipalOrgID?: string;
  FunctionUrlAuthType?: string;
}

type Statement = Record<string, unknown> & { Sid?: string };

const SID = /^[a-zA-Z0-9-_.]{1,100}$/;
const ACTION = /^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/;

function principalOf(p: string): unknown {
  if (p === "*") return "*";
  if (/^\d{12}$/.test(p)) return { AWS: `arn:aws:iam::${p}:root` };
  if (p.startsWith("arn:")) return { AWS: p };
  if (/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(p) || /^[a-z0-9.-]+\.amazon\.com$/.test(p)) return { Service: p };
  throw lambdaErr.invalidParameter("The provided principal was invalid. Please check the principal and try again.");
}

/** The statement AddPermission adds (pure). */
export function permissionStatement(i: AddInput, functionArn: string): Statement {
  if (!SID.test(i.StatementId))
    throw lambdaErr.validation(i.StatementId, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)");
  if (!ACTION.test(i.Action))
    throw lambdaErr.validation(i.Action, "action", "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])");
  if (i.FunctionUrlAuthType !== undefined && i.FunctionUrlAuthType !== "NONE" && i.FunctionUrlAuthType !== "AWS_IAM")
    throw lambdaErr.validation(i.FunctionUrlAuthType, "functionUrlAuthType", "Member must satisfy enum value set: [NONE, AWS_IAM]");
  const s: Statement = {
    Sid: i.StatementId,
    Effect: "Allow",
    Principal: principalOf(i.Principal),
    Action: i.Action,
    Resource: functionArn,
  };
  const equals: Record<string, string> = {};
  if (i.SourceAccount !== undefined) equals["AWS:SourceAccount"] = i.SourceAccount;
  if (i.PrincipalOrgID !== undefined) equals["aws:PrincipalOrgID"] = i.PrincipalOrgID;
  if (i.FunctionUrlAuthType !== undefined) equals["lambda:FunctionUrlAuthType"] = i.FunctionUrlAuthType;
  if (i.EventSourceToken !== undefined) equals["lambda:EventSourceToken"] = i.EventSourceToken;
  const condition: Record<string, Record<string, string>> = {};
  if (Object.keys(equals).length) condition.StringEquals = equals;
  if (i.SourceArn !== undefined) condition.ArnLike = { "AWS:SourceArn": i.SourceArn };
  if (Object.keys(condition).length) s.Condition = condition;
  return s;
}

function statementsOf(policy: string | undefined): Statement[] {
  if (!policy) return [];
  const doc = JSON.parse(policy) as { Statement?: Statement[] };
  return doc.Statement ?? [];
}

function policyText(statements: Statement[]): string | null {
  return statements.length ? JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: statements }) : null;
}

async function writePolicy(ctx: ActionContext, l: LoadedFunction, policy: string | null, revisionId: string | undefined): Promise<string> {
  const f = l.row!;
  if (revisionId !== undefined && revisionId !== f.revisionId) throw lambdaErr.precondition();
  const next = crypto.randomUUID();
  const outcome = await updateFunction(ctx.db, f, f.revisionId, { policy, revisionId: next });
  if (outcome === "missing") throw lambdaErr.notFound(l.arn);
  // Someone changed the function since it was read: AWS's answer to a racing writer (409).
  if (outcome === "conflict")
    throw lambdaErr.conflict(`The operation cannot be performed at this time. An update is in progress for resource: ${l.arn}`);
  return next;
}

function existingRow(l: LoadedFunction) {
  if (!l.row) throw lambdaErr.notFound(l.arn);
  return l.row;
}

export const AddPermission = defineAction({
  service: "lambda",
  name: "AddPermission",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadFunction(ctx, (i as AddInput).FunctionName, (i as AddInput).Qualifier),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: async (i, ctx, l: LoadedFunction) => {
    const input = i as AddInput;
    const f = existingRow(l);
    const statement = permissionStatement(input, l.arn);
    const statements = statementsOf(f.policy);
    if (statements.some((s) => s.Sid === input.StatementId))
      throw lambdaErr.conflict(
        `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    const text = policyText([...statements, statement])!;
    // What the engine cannot read it must not store (e.g. a principal ARN it cannot parse).
    const parsed = parsePolicy(text, "resource");
    if (!parsed.ok) throw lambdaErr.invalidParameter("The provided principal was invalid. Please check the principal and try again.");
    if (text.length > 20480)
      throw new AwsError("PolicyLengthExceededException", `The final policy size (${text.length}) is bigger than the limit (20480).`, 400);
    await writePolicy(ctx, l, text, input.RevisionId);
    return { Statement: JSON.stringify(statement) } as never;
  },
});

interface RemoveInput {
  FunctionName: string;
  StatementId: string;
  Qualifier?: string;
  RevisionId?: string;
}

export const RemovePermission = defineAction({
  service: "lambda",
  name: "RemovePermission",
  effect: "none",
  input: {},
  load: (i, ctx: ActionContext) => loadFunction(ctx, (i as RemoveInput).FunctionName, (i as RemoveInput).Qualifier),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: async (i, ctx, l: LoadedFunction) => {
    const input = i as RemoveInput;
    const f = existingRow(l);
    const statements = statementsOf(f.policy);
    if (!f.policy) throw new AwsError("ResourceNotFoundException", "No policy is associated with the given resource.", 404);
    const kept = statements.filter((s) => s.Sid !== input.StatementId);
    if (kept.length === statements.length)
      throw new AwsError("ResourceNotFoundException", `Statement ${input.StatementId} is not found in resource policy.`, 404);
    await writePolicy(ctx, l, policyText(kept), input.RevisionId);
    return undefined;
  },
});

export const GetPolicy = defineAction({
  service: "lambda",
  name: "GetPolicy",
  effect: "read",
  input: {},
  load: (i, ctx: ActionContext) => loadFunction(ctx, (i as RemoveInput).FunctionName, (i as RemoveInput).Qualifier),
  target: (_i, _ctx, l: LoadedFunction) => functionTarget(l),
  handler: (_i, _ctx, l: LoadedFunction) => {
    const f = existingRow(l);
    if (!f.policy) throw new AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404);
    return { Policy: f.policy, RevisionId: f.revisionId } as never;
  },
});

export const addPermissionActions: RegisteredAction[] = [AddPermission, RemovePermission, GetPolicy];
