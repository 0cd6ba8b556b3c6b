import type { Clock } from "../util/clock.js";

/**
 * How often one person may ask: at most `limit` requests in any `windowMs` (a sliding
 * window, per key such as "installation/login"). Over the limit, the request is refused,
 * and only the first refusal of a stretch says so (`notify`), so the refusal itself cannot
 * be used to make the App spam. Memory: the timestamps of the window, per key that asked
 * in it; keys whose window is empty are dropped as they are met, and all of them every
 * `windowMs`. Pure apart from the injected clock.
 */

export type LimitVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; /** Tell the person (once per stretch of refusals). */ readonly notify: boolean; readonly retryAfterMs: number };

interface Entry {
  readonly times: number[];
  /** When the person was last told; refusals after it, in the same window, stay silent. */
  notifiedAt: number | undefined;
}

export class RequestLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  #sweptAt: number;

  constructor(options: { readonly limit: number; readonly windowMs: number; readonly clock: Clock }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#clock = options.clock;
    this.#sweptAt = options.clock.now();
  }

  /** Keys with requests in the current window (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /** One request of `key`; `limit` (default: the limiter's) may differ per key, e.g. a repository's own. */
  take(key: string, limit: number = this.#limit): LimitVerdict {
    const now = this.#clock.now();
    this.#sweep(now);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { times: [], notifiedAt: undefined };
      this.#entries.set(key, entry);
    }
    this.#expire(entry, now);
    if (entry.times.length < limit) {
      entry.times.push(now);
      return { allowed: true };
    }
    const retryAfterMs = Math.max(0, (entry.times[0] as number) + this.#windowMs - now);
    const notify = entry.notifiedAt === undefined || now - entry.notifiedAt >= this.#windowMs;
    if (notify) entry.notifiedAt = now;
    return { allowed: false, notify, retryAfterMs };
  }

  #expire(entry: Entry, now: number): void {
    while (entry.times.length > 0 && (entry.times[0] as number) <= now - this.#windowMs) entry.times.shift();
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < this.#windowMs) return;
    this.#sweptAt = now;
    for (const [key, entry] of this.#entries) {
      this.#expire(entry, now);
      const quiet = entry.notifiedAt === undefined || now - entry.notifiedAt >= this.#windowMs;
      if (entry.times.length === 0 && quiet) this.#entries.delete(key);
    }
  }
}
