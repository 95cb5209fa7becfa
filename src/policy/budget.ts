/**
 * A work budget for callers that must not let one request run for seconds (the policy simulator).
 *
 * Work is counted in abstract units (≈ one character of policy or value examined). Outside
 * `withWorkBudget` the budget is infinite and `charge` costs one subtraction, so the live authorizer
 * pays nothing. Inside, the engine charges what can grow beyond a policy's own size — wildcard matches
 * against long values (glob.ts) and conditions over multi-valued keys (conditions/evaluate.ts) — and the
 * caller charges per evaluation (e.g. the size of the policies it evaluates). When the budget runs out,
 * `charge` throws WorkBudgetExceeded out of the evaluation; nothing the engine caches is left half-built.
 *
 * Module state is safe here: evaluation is synchronous, so no other request can run between
 * `withWorkBudget` setting the budget and restoring it.
 */
let remaining = Number.POSITIVE_INFINITY;

export class WorkBudgetExceeded extends Error {
  constructor() {
    super("work budget exceeded");
    this.name = "WorkBudgetExceeded";
  }
}

/** Spends `units` of the current budget; throws WorkBudgetExceeded when it is exhausted. */
export function charge(units: number): void {
  remaining -= units;
  if (remaining < 0) throw new WorkBudgetExceeded();
}

/** Runs `f` (synchronous) with `units` of budget; restores the enclosing budget afterwards. */
export function withWorkBudget<T>(units: number, f: () => T): T {
  const outer = remaining;
  const start = Math.min(units, outer);
  remaining = start;
  try {
    return f();
  } finally {
    // What was spent inside is spent outside too (Infinity - Infinity would be NaN: nothing to count).
    remaining = start === Number.POSITIVE_INFINITY ? outer : outer - (start - remaining);
  }
}

/** What is left of the current budget (Infinity outside withWorkBudget). */
export function remainingWork(): number {
  return remaining;
}
