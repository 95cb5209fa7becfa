/**
 * Calls to Durable Objects that fail closed (issue 22). A Durable Object can fail under any call:
 * "Durable Object reset because its code was updated", overloaded, storage errors, exceeded memory.
 * The request then gets its service's AWS answer for a temporary failure (a 5xx the SDKs retry:
 * unavailableErrorFor) — never an allow, never a raw 500 with a stack.
 *
 * `durableStub(ns, name, binding)` wraps a stub so that every method call classifies its failure:
 * an error of the Durable Object machinery (not `remote`, or marked retryable/overloaded) becomes
 * DurableObjectUnavailable; an error the object's own code threw on purpose (a deleted queue …)
 * passes through unchanged for the caller to interpret.
 *
 * Fault injection for tests: `injectDurableFaults(binding, account, n)` makes the next n calls through
 * that binding for that account fail as a reset object would. The admin API exposes it only under IAMLAB_TEST_CLOCK=true,
 * which src/limits/deploy-safety.ts refuses on a deploy.
 */
import { AwsError } from "../protocol/errors";

export type DurableBinding = "SESSIONS" | "CONSISTENCY" | "SQS_QUEUES" | "RATE_LIMITS" | "TRAIL_DELIVERY";

export const DURABLE_BINDINGS: readonly DurableBinding[] = ["SESSIONS", "CONSISTENCY", "SQS_QUEUES", "RATE_LIMITS", "TRAIL_DELIVERY"];

/** A Durable Object could not answer: the pipeline turns it into the service's own 5xx (unavailableErrorFor). */
export class DurableObjectUnavailable extends AwsError {
  constructor(readonly binding: DurableBinding) {
    super("ServiceUnavailable", "The request has failed due to a temporary failure of the server.", 503);
  }
}

/** The properties workerd sets on errors that cross a Durable Object call. */
interface DurableErrorFlags {
  remote?: boolean;
  retryable?: boolean;
  overloaded?: boolean;
}

/** Whether `e` is the machinery's failure rather than an error the object's code threw on purpose. */
export function isInfrastructureFailure(e: unknown): boolean {
  if (!(e instanceof Error)) return true;
  const f = e as Error & DurableErrorFlags;
  return f.remote !== true || f.retryable === true || f.overloaded === true;
}

// Injected faults by `binding|account`: scoped to one account so that a test never disturbs another's.
const pending = new Map<string, number>();

/** Tests: the next `failures` calls through `binding` for `account` fail like a reset object (0 clears). */
export function injectDurableFaults(binding: DurableBinding, account: string, failures: number): void {
  if (failures > 0) pending.set(`${binding}|${account}`, failures);
  else pending.delete(`${binding}|${account}`);
}

export function injectedDurableFaults(): Record<string, number> {
  return Object.fromEntries(pending);
}

function takeFault(key: string): boolean {
  const n = pending.get(key);
  if (!n) return false;
  if (n <= 1) pending.delete(key);
  else pending.set(key, n - 1);
  return true;
}

function simulatedReset(): Error {
  return Object.assign(new Error("Durable Object reset because its code was updated. (injected by iamlab's fault test switch)"), {
    retryable: true,
  });
}

/** Runs one call to a Durable Object, classifying its failure (see the module comment). */
export async function callDurable<T>(binding: DurableBinding, account: string, call: () => Promise<T>): Promise<T> {
  try {
    if (pending.size > 0 && takeFault(`${binding}|${account}`)) throw simulatedReset();
    return await call();
  } catch (e) {
    if (e instanceof AwsError || !isInfrastructureFailure(e)) throw e;
    console.error(`Durable Object ${binding} failed:`, e instanceof Error ? e.message : e);
    throw new DurableObjectUnavailable(binding);
  }
}

/** The stub of `name` in `ns` (an object of `account`), every method call of which goes through callDurable. */
export function durableStub<T extends Rpc.DurableObjectBranded | undefined>(
  ns: DurableObjectNamespace<T>,
  name: string,
  binding: DurableBinding,
  account: string = name,
): DurableObjectStub<T> {
  const stub = ns.get(ns.idFromName(name));
  return new Proxy(stub, {
    get(target, prop, receiver) {
      const member = Reflect.get(target, prop, receiver) as unknown;
      if (typeof member !== "function" || typeof prop !== "string" || prop === "fetch" || prop === "then") return member;
      // Called as a method of the stub itself (an RPC property applied to another `this` fails to serialize).
      const methods = target as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      return (...args: unknown[]) => callDurable(binding, account, () => methods[prop]!(...args));
    },
  });
}

/**
 * A temporary failure in each service's own words: a status the AWS SDKs retry (5xx), the code
 * each service documents for it (common errors: ServiceUnavailable 503; Lambda and Organizations
 * ServiceException 500; KMS DependencyTimeoutException 503; ECR ServerException 500; EC2 Unavailable 503).
 */
export function unavailableErrorFor(service: string | undefined): AwsError {
  switch (service) {
    case "lambda":
      return new AwsError("ServiceException", "The AWS Lambda service encountered an internal error.", 500);
    case "organizations":
      return new AwsError(
        "ServiceException",
        "AWS Organizations can't complete your request because of an internal service error. Try again later.",
        500,
      );
    case "kms":
      return new AwsError(
        "DependencyTimeoutException",
        "The system timed out while trying to fulfill the request. Retry the request.",
        503,
      );
    case "ecr":
      return new AwsError("ServerException", "The request failed because of a server error. Retry the request.", 500);
    case "ec2":
      return new AwsError("Unavailable", "The server is overloaded and can't handle the request.", 503);
    case "s3":
      return new AwsError("ServiceUnavailable", "Service is unable to handle request.", 503);
    default:
      return new AwsError("ServiceUnavailable", "The request has failed due to a temporary failure of the server.", 503);
  }
}
