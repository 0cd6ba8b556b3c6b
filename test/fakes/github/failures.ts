/**
 * Fault injection: answer the next matching requests with a chosen failure, or hold matching
 * requests in flight until the test releases them.
 */
import type { Reply } from "./http.js";

/** What a failure rule sees when it builds its body. */
export interface FailureContext {
  requestId: string;
  method: string;
  path: string;
}

export interface FailureRule {
  /** Case-insensitive; any method when omitted. */
  method?: string;
  /** Tested against the path without prefix or query; any path when omitted. */
  path?: RegExp;
  status: number;
  headers?: Record<string, string>;
  /** JSON body, or a function building it per request (used to embed the request id like GitHub). */
  body?: unknown | ((ctx: FailureContext) => unknown);
  /** How many matching requests fail. Default 1. */
  times?: number;
}

export interface HoldRule {
  method?: string;
  path?: RegExp;
}

export interface Hold {
  /** Lets every held request proceed, and stops holding new ones. Idempotent. */
  release(): void;
  /** How many requests are currently waiting on this hold. */
  readonly waiting: number;
}

interface PendingFailure {
  rule: FailureRule;
  remaining: number;
}

interface ActiveHold {
  rule: HoldRule;
  waiters: Array<() => void>;
}

function matches(rule: HoldRule, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
  if (rule.path !== undefined) {
    rule.path.lastIndex = 0; // a /g or /y regex would otherwise remember its last position
    if (!rule.path.test(path)) return false;
  }
  return true;
}

export class Faults {
  readonly #failures: PendingFailure[] = [];
  readonly #holds: ActiveHold[] = [];

  failNext(rule: FailureRule): void {
    this.#failures.push({ rule, remaining: rule.times ?? 1 });
  }

  hold(rule: HoldRule): Hold {
    const active: ActiveHold = { rule, waiters: [] };
    const holds = this.#holds;
    holds.push(active);
    return {
      release() {
        const index = holds.indexOf(active);
        if (index >= 0) holds.splice(index, 1);
        for (const wake of active.waiters.splice(0)) wake();
      },
      get waiting() {
        return active.waiters.length;
      },
    };
  }

  /**
   * Consumes the first failure rule that matches, if any. Call it on arrival, before any
   * waiting, so that which request fails follows arrival order and tests are deterministic.
   */
  takeFailure(method: string, path: string): FailureRule | undefined {
    const index = this.#failures.findIndex((f) => matches(f.rule, method, path));
    const failure = this.#failures[index];
    if (!failure) return undefined;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.#failures.splice(index, 1);
    return failure.rule;
  }

  /** Waits until every hold that matches has been released. */
  async waitForHolds(method: string, path: string): Promise<void> {
    for (const h of this.#holds.filter((candidate) => matches(candidate.rule, method, path))) {
      await new Promise<void>((resolve) => h.waiters.push(resolve));
    }
  }

  /** Lets held requests run to completion (against destroyed sockets) rather than hang forever. */
  releaseAll(): void {
    for (const h of this.#holds.splice(0)) for (const wake of h.waiters.splice(0)) wake();
  }
}

/** The reply a failure rule gives this request. */
export function failureReply(rule: FailureRule, ctx: FailureContext): Reply {
  const { body } = rule;
  return {
    status: rule.status,
    body: typeof body === "function" ? (body as (c: FailureContext) => unknown)(ctx) : body,
    ...(rule.headers ? { headers: rule.headers } : {}),
  };
}
