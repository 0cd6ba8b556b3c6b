import { backoffDelay, type Backoff } from "../util/backoff.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import { isGitHubError, type RateLimitInfo } from "../github/errors.js";
import { WriteBudget, type WriteBudgetLimits, type WriteClass } from "./write-budget.js";

/**
 * The one gate every GitHub write of an installation passes through.
 *
 * - Writes run one at a time (GitHub asks for serial requests; two writes to one comment
 *   in flight can silently drop one), spaced and counted by `WriteBudget` from the end
 *   of the previous write.
 * - Essential writes (acknowledgements, final answers) always go before progress edits;
 *   progress edits share what is left fairly: the comment served longest ago goes first.
 * - Courtesy writes (a 😕 to someone who may not ask) start only when no other write is
 *   waiting, and are dropped (`WriteDropped`) rather than kept waiting: when the budget's
 *   windows are half used, after `COURTESY_MAX_WAIT` of a minute window in line, or beyond
 *   `MAX_COURTESY_QUEUED` of them. Strangers cannot spend the writes answers need.
 * - A rate-limit response pauses the whole installation (`retry-after`, else a pause that
 *   doubles while limits repeat) and the write that hit it is queued again at the front,
 *   so a final answer is still delivered after the pause.
 */

export interface SlotRequest {
  readonly priority: WriteClass;
  /** What the write is about (a comment); progress edits are shared fairly across keys. */
  readonly key: string;
  /** Clock time before which the write must not start (a comment's own edit spacing). */
  readonly notBefore?: number;
  /** Cancels the request while it waits; a write already started is not interrupted. */
  readonly signal?: AbortSignal;
}

export interface WriteSchedulerOptions {
  readonly limits: WriteBudgetLimits;
  readonly clock: Clock;
  readonly log: Logger;
  /** What one second of a `retry-after` header means on `clock` (1000 unless time is scaled). */
  readonly retryAfterBaseMs: number;
  /** Pause after a secondary limit without `retry-after`; doubles on each repeat. */
  readonly secondaryPauseMs: number;
  /** Upper bound for one pause. */
  readonly maxPauseMs: number;
  /** Wall-clock seconds, for `x-ratelimit-reset`; injectable for tests. */
  readonly epochSeconds?: () => number;
}

/** A courtesy write given up on: the installation's budget is kept for answers. */
export class WriteDropped extends Error {
  override readonly name = "WriteDropped";
}

/** Courtesy writes waiting at most: one more is dropped at once. */
const MAX_COURTESY_QUEUED = 10;
/** Share of the budget's minute window a courtesy write may wait in line. */
const COURTESY_MAX_WAIT = 0.5;

interface Pending {
  readonly request: SlotRequest;
  /** Clock time it was queued. */
  readonly queuedAt: number;
  readonly write: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  readonly seq: number;
  readonly onAbort: () => void;
}

export class WriteScheduler {
  readonly #opts: WriteSchedulerOptions;
  readonly #budget: WriteBudget;
  readonly #backoff: Backoff;
  #queue: Pending[] = [];
  #seq = 0;
  #inFlight = false;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #consecutiveLimits = 0;
  /** When each key last had a progress edit start, for fair sharing. Bounded. */
  readonly #lastServed = new Map<string, number>();
  #wake: AbortController | undefined;

  constructor(opts: WriteSchedulerOptions) {
    this.#opts = opts;
    this.#budget = new WriteBudget(opts.limits, opts.clock.now());
    // At least a second, as long as GitHub asks, or a doubling pause when it names no time.
    this.#backoff = {
      baseMs: opts.secondaryPauseMs,
      minMs: opts.retryAfterBaseMs,
      maxMs: opts.maxPauseMs,
      serverWait: "instead",
      secondMs: opts.retryAfterBaseMs,
      ...(opts.epochSeconds ? { epochSeconds: opts.epochSeconds } : {}),
    };
  }

  schedule<T>(request: SlotRequest, write: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const { signal } = request;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const now = this.#opts.clock.now();
      if (request.priority === "courtesy") {
        const queued = this.#queue.filter((p) => p.request.priority === "courtesy").length;
        if (queued >= MAX_COURTESY_QUEUED || this.#budget.full("courtesy", now)) {
          reject(new WriteDropped("courtesy write dropped: the installation's write budget is kept for answers"));
          return;
        }
      }
      const pending: Pending = {
        request,
        queuedAt: now,
        write,
        resolve: resolve as (value: unknown) => void,
        reject,
        seq: this.#seq++,
        onAbort: () => {
          const index = this.#queue.indexOf(pending);
          if (index >= 0) {
            this.#queue.splice(index, 1);
            reject(signal?.reason);
            this.#kick();
          }
        },
      };
      signal?.addEventListener("abort", pending.onAbort, { once: true });
      this.#queue.push(pending);
      this.#kick();
    });
  }

  /** True when nothing is queued or running. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#inFlight;
  }

  /**
   * True when a new scheduler would behave exactly as this one: idle, no rate-limit pause
   * in force, and no write within the budget's hour window. Only then may its owner drop
   * it; an idle one still remembers the writes GitHub counts, and a pause must hold.
   */
  get dormant(): boolean {
    const now = this.#opts.clock.now();
    return this.idle && now >= this.#pausedUntil && this.#budget.fresh(now);
  }

  #readyAt(pending: Pending, now: number): number {
    const { priority, notBefore } = pending.request;
    const at = Math.max(this.#budget.readyAt(priority, now), this.#pausedUntil);
    return priority === "progress" && notBefore !== undefined ? Math.max(at, notBefore) : at;
  }

  /** The write to start now, if any: essentials in arrival order, then the fairest progress edit, then courtesy writes. */
  #pick(now: number): Pending | undefined {
    const essential = this.#queue.find((p) => p.request.priority === "essential");
    if (essential) {
      // Progress edits wait while an essential write is queued, even when the essential
      // one is held back, so that they never take the budget it needs.
      return this.#readyAt(essential, now) <= now ? essential : undefined;
    }
    const progress = this.#queue.filter((p) => p.request.priority === "progress");
    if (progress.length === 0) {
      // Only courtesy writes are left: the oldest, if the budget lets it start now.
      const courtesy = this.#queue[0];
      return courtesy && this.#readyAt(courtesy, now) <= now ? courtesy : undefined;
    }
    let best: Pending | undefined;
    let bestServed = Number.POSITIVE_INFINITY;
    for (const pending of progress) {
      if (this.#readyAt(pending, now) > now) continue;
      const served = this.#lastServed.get(pending.request.key) ?? Number.NEGATIVE_INFINITY;
      if (best === undefined || served < bestServed || (served === bestServed && pending.seq < best.seq)) {
        best = pending;
        bestServed = served;
      }
    }
    return best;
  }

  #nextWakeAt(now: number): number {
    const essential = this.#queue.find((p) => p.request.priority === "essential");
    const courtesyDue = Math.min(...this.#queue.filter((p) => p.request.priority === "courtesy").map((p) => this.#courtesyDeadline(p)));
    if (essential) return Math.min(this.#readyAt(essential, now), courtesyDue);
    // Courtesy writes are due only once no progress edit waits (`#pick`).
    const progress = this.#queue.filter((p) => p.request.priority === "progress");
    const candidates = progress.length > 0 ? progress : this.#queue;
    return Math.min(...candidates.map((p) => this.#readyAt(p, now)), courtesyDue);
  }

  #courtesyDeadline(pending: Pending): number {
    return pending.queuedAt + (this.#opts.limits.minuteMs ?? 60_000) * COURTESY_MAX_WAIT;
  }

  /** Drops the courtesy writes that waited their time, or that the budget has no room for any more. */
  #dropCourtesy(now: number): void {
    const full = this.#budget.full("courtesy", now);
    for (const pending of this.#queue.filter((p) => p.request.priority === "courtesy")) {
      if (!full && this.#courtesyDeadline(pending) > now) continue;
      this.#queue.splice(this.#queue.indexOf(pending), 1);
      pending.request.signal?.removeEventListener("abort", pending.onAbort);
      pending.reject(new WriteDropped("courtesy write dropped: the installation's write budget is kept for answers"));
    }
  }

  #kick(): void {
    this.#wake?.abort();
    this.#wake = undefined;
    if (this.#inFlight || this.#queue.length === 0) return;
    const now = this.#opts.clock.now();
    this.#dropCourtesy(now);
    if (this.#queue.length === 0) return;
    const next = this.#pick(now);
    if (next) {
      void this.#run(next, now);
      return;
    }
    const wake = new AbortController();
    this.#wake = wake;
    this.#opts.clock.sleep(this.#nextWakeAt(now) - now, wake.signal).then(
      () => {
        if (this.#wake === wake) this.#kick();
      },
      () => undefined,
    );
  }

  async #run(pending: Pending, now: number): Promise<void> {
    this.#queue.splice(this.#queue.indexOf(pending), 1);
    pending.request.signal?.removeEventListener("abort", pending.onAbort);
    this.#inFlight = true;
    this.#budget.begin(pending.request.priority, now);
    if (pending.request.priority === "progress") this.#markServed(pending.request.key, now);
    try {
      const value = await pending.write();
      this.#consecutiveLimits = 0;
      pending.resolve(value);
    } catch (error) {
      const signal = pending.request.signal;
      if (isGitHubError(error, "rate-limited") && error.rateLimit) {
        this.#pause(error.rateLimit);
        if (signal?.aborted) {
          // Cancelled while it was in flight (a progress edit superseded by the final one).
          pending.reject(signal.reason);
        } else {
          // Same place in line: the write is sent again, with whatever it reads then, after the pause.
          this.#queue.unshift(pending);
          signal?.addEventListener("abort", pending.onAbort, { once: true });
        }
      } else {
        pending.reject(error);
      }
    } finally {
      this.#budget.end(this.#opts.clock.now());
      this.#inFlight = false;
      this.#kick();
    }
  }

  #pause(info: RateLimitInfo): void {
    const { clock, log } = this.#opts;
    this.#consecutiveLimits++;
    const pauseMs = backoffDelay(this.#backoff, this.#consecutiveLimits - 1, info);
    this.#pausedUntil = Math.max(this.#pausedUntil, clock.now() + pauseMs);
    log.warn(
      { limit: info.limit, pauseMs: Math.round(pauseMs), repeat: this.#consecutiveLimits, queued: this.#queue.length + 1 },
      "GitHub rate limit hit: pausing all writes of this installation",
    );
  }

  #markServed(key: string, now: number): void {
    this.#lastServed.delete(key);
    this.#lastServed.set(key, now);
    if (this.#lastServed.size > 1000) {
      const oldest = this.#lastServed.keys().next();
      if (!oldest.done) this.#lastServed.delete(oldest.value);
    }
  }
}
