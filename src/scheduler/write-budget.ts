/**
 * Pure bookkeeping for one installation's GitHub write budget: sliding windows of write
 * start times and a token bucket that paces progress edits by the hourly budget.
 *
 * GitHub's secondary limits for content-generating requests are 80 per minute and 500
 * per hour (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits),
 * and it asks for at least one second between writes
 * (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
 * Comment edits are treated as content-generating: an Action editing one comment a few
 * hundred times was limited (braintrustdata/eval-action#48).
 *
 * GitHub counts a write when it arrives, which is somewhere between our start and the
 * response (the first write of an installation also waits for a token). So spacing is
 * measured from the end of the previous write, and a write leaves the windows only a
 * window after it ended: as GitHub sees it, the limits then hold too, not only on our clock.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export interface WriteBudgetLimits {
  /** Writes allowed to start within any 60 s. */
  readonly perMinute: number;
  /** Writes allowed to start within any 3600 s. */
  readonly perHour: number;
  /** Minimum time between the starts of two writes. */
  readonly spacingMs: number;
  /**
   * Share (0–1] of each window that progress edits may use. The rest is kept for the
   * writes a user cannot do without: acknowledgements, final answers, error notices.
   */
  readonly progressShare: number;
  /** Length of the "minute" and "hour" windows; only tests with scaled time change them. */
  readonly minuteMs?: number;
  readonly hourMs?: number;
}

/**
 * - essential: what a user cannot do without (acknowledgements, final answers, notices);
 * - progress: live edits of an answer;
 * - courtesy: a 😕 to someone who may not ask. Anyone who can comment can cause one, so
 *   they get only what the installation does not need: they never fill a window past
 *   `COURTESY_SHARE` of its limit, and the scheduler drops them rather than wait.
 */
export type WriteClass = "essential" | "progress" | "courtesy";

/** Courtesy writes may start only while less than this share of each window is used. */
const COURTESY_SHARE = 0.5;

/** How many writes of a window a class may fill. */
function cap(limit: number, cls: WriteClass, share: number): number {
  if (cls === "essential") return limit;
  if (cls === "courtesy") return Math.floor(limit * COURTESY_SHARE);
  return Math.max(1, Math.floor(limit * share));
}

/**
 * Time at which fewer than `limit` of `starts` (ascending) lie within `windowMs` before it.
 */
function windowFreeAt(starts: readonly number[], now: number, windowMs: number, limit: number): number {
  if (limit <= 0) return Number.POSITIVE_INFINITY;
  let first = 0;
  while (first < starts.length && (starts[first] as number) <= now - windowMs) first++;
  const inWindow = starts.length - first;
  if (inWindow < limit) return now;
  // The window has room again once the oldest (inWindow - limit + 1) starts have aged out.
  return (starts[first + inWindow - limit] as number) + windowMs;
}

export class WriteBudget {
  readonly limits: WriteBudgetLimits;
  readonly #minuteMs: number;
  readonly #hourMs: number;
  /** One entry per write within the last hour, ascending: its end, or its start while in flight. */
  #starts: number[] = [];
  #lastEnd = Number.NEGATIVE_INFINITY;
  #tokens: number;
  #tokensAt: number;
  readonly #bucketCapacity: number;
  readonly #refillPerMs: number;

  constructor(limits: WriteBudgetLimits, now: number) {
    if (!(limits.progressShare > 0 && limits.progressShare <= 1)) {
      throw new RangeError(`progressShare must be in (0, 1], got ${limits.progressShare}`);
    }
    this.limits = limits;
    this.#minuteMs = limits.minuteMs ?? MINUTE_MS;
    this.#hourMs = limits.hourMs ?? HOUR_MS;
    const progressPerHour = cap(limits.perHour, "progress", limits.progressShare);
    // Progress edits may burst through a fifth of their hourly allowance (a quiet
    // installation sees a lively answer), then settle at a steady rate, so a busy one
    // never spends its whole hour in the first minutes. Burst plus an hour of refill
    // stays within the hourly share: under sustained load the hour window itself never
    // blocks progress edits, which would starve the answers that start late in the hour.
    this.#bucketCapacity = Math.max(1, Math.floor(progressPerHour / 5));
    this.#refillPerMs = Math.max(1, progressPerHour - this.#bucketCapacity) / this.#hourMs;
    this.#tokens = this.#bucketCapacity;
    this.#tokensAt = now;
  }

  #prune(now: number): void {
    let drop = 0;
    while (drop < this.#starts.length && (this.#starts[drop] as number) <= now - this.#hourMs) drop++;
    if (drop > 0) this.#starts.splice(0, drop);
  }

  #refill(now: number): void {
    if (now > this.#tokensAt) {
      this.#tokens = Math.min(this.#bucketCapacity, this.#tokens + (now - this.#tokensAt) * this.#refillPerMs);
      this.#tokensAt = now;
    }
  }

  /**
   * True when the windows hold no write any more: from now on this budget behaves exactly
   * as a new one would (its bucket has refilled during that hour).
   */
  fresh(now: number): boolean {
    this.#prune(now);
    return this.#starts.length === 0;
  }

  /**
   * True when the minute or hour window holds as many writes as this class may fill: it
   * cannot start before some age out. (Spacing and the progress bucket are not "full".)
   */
  full(cls: WriteClass, now: number): boolean {
    this.#prune(now);
    const { perMinute, perHour, progressShare } = this.limits;
    return (
      windowFreeAt(this.#starts, now, this.#minuteMs, cap(perMinute, cls, progressShare)) > now ||
      windowFreeAt(this.#starts, now, this.#hourMs, cap(perHour, cls, progressShare)) > now
    );
  }

  /** Earliest time (≥ now) at which a write of this class may start. */
  readyAt(cls: WriteClass, now: number): number {
    this.#prune(now);
    const { perMinute, perHour, spacingMs, progressShare } = this.limits;
    let at = Math.max(now, this.#lastEnd + spacingMs);
    at = Math.max(at, windowFreeAt(this.#starts, now, this.#minuteMs, cap(perMinute, cls, progressShare)));
    at = Math.max(at, windowFreeAt(this.#starts, now, this.#hourMs, cap(perHour, cls, progressShare)));
    if (cls === "progress") {
      this.#refill(now);
      if (this.#tokens < 1) at = Math.max(at, now + Math.ceil((1 - this.#tokens) / this.#refillPerMs));
    }
    return at;
  }

  /** A write of this class starts now (writes are serial: at most one is open). */
  begin(cls: WriteClass, now: number): void {
    this.#starts.push(now);
    if (cls === "progress") {
      this.#refill(now);
      this.#tokens = Math.max(0, this.#tokens - 1);
    }
  }

  /** The open write ended now (with any outcome). */
  end(now: number): void {
    if (this.#starts.length > 0) this.#starts[this.#starts.length - 1] = now;
    this.#lastEnd = now;
  }
}
