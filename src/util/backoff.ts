import type { Clock } from "./clock.js";

/**
 * Waiting before trying again, for every retry devbuddy makes: the model request before
 * its first token, the final writes of an answer, and the pause of an installation's
 * writes after a GitHub rate limit.
 *
 * `backoffDelay` is pure: the wait doubles with each attempt, a wait the server asked for
 * (`retry-after`, `x-ratelimit-reset`) is honoured, and bounds clamp the result. `retry`
 * and `retryStream` add the loop on an injected `Clock`, so tests drive it without timers.
 * Waits are deterministic (no jitter), so a test or a log line can state them exactly.
 */

export interface Backoff {
  /** The first wait; it doubles with each attempt after it. */
  readonly baseMs: number;
  /** No wait is shorter (default 0). */
  readonly minMs?: number;
  /** No wait is longer (default: unbounded). */
  readonly maxMs?: number;
  /**
   * How a wait the server asked for combines with the doubling one:
   * - "at-least" (default): the longer of the two. The server says when it may accept
   *   again; backing off further from a service that keeps failing is still allowed.
   * - "instead": the server's wait replaces the doubling one, which applies only when the
   *   server named none. GitHub's rule for rate limits: wait until `retry-after` or
   *   `x-ratelimit-reset`, else an exponentially growing time
   *   (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit).
   */
  readonly serverWait?: "at-least" | "instead";
  /** What one second of a server's wait means on the clock (1000 unless time is scaled). */
  readonly secondMs?: number;
  /** Wall-clock epoch seconds, for `x-ratelimit-reset` (default `Date.now() / 1000`). */
  readonly epochSeconds?: () => number;
}

/** A wait a server asked for: `retry-after` wins over `x-ratelimit-reset` when both came. */
export interface ServerWait {
  /** From `retry-after`, in seconds. */
  readonly retryAfterSeconds?: number | undefined;
  /** From `x-ratelimit-reset`: the epoch second the quota is restored. */
  readonly resetEpochSeconds?: number | undefined;
}

/** The wait before retry number `attempt` (0 for the first retry), in clock milliseconds. */
export function backoffDelay(backoff: Backoff, attempt: number, server: ServerWait = {}): number {
  const doubling = backoff.baseMs * 2 ** attempt;
  const asked = askedMs(backoff, server);
  const wait = asked === undefined ? doubling : backoff.serverWait === "instead" ? asked : Math.max(doubling, asked);
  return Math.min(Math.max(wait, backoff.minMs ?? 0), backoff.maxMs ?? Number.POSITIVE_INFINITY);
}

function askedMs(backoff: Backoff, server: ServerWait): number | undefined {
  const second = backoff.secondMs ?? 1000;
  if (server.retryAfterSeconds !== undefined) return server.retryAfterSeconds * second;
  if (server.resetEpochSeconds === undefined) return undefined;
  const now = backoff.epochSeconds?.() ?? Date.now() / 1000;
  return Math.max(0, server.resetEpochSeconds - now) * second;
}

export interface RetryOptions {
  readonly clock: Clock;
  readonly backoff: Backoff;
  /** Tries in all, the first one included. */
  readonly attempts: number;
  /** Whether what a try threw may be tried again. */
  readonly retryable: (error: unknown) => boolean;
  /** The wait the server asked for with a failure, if it named one. */
  readonly serverWait?: (error: unknown) => ServerWait | undefined;
  /** Clock time no retry may reach: a failure whose wait would end at or after it is final. */
  readonly deadline?: number;
  /** Cuts a wait short; once aborted, no retry starts. */
  readonly signal?: AbortSignal;
  /** What to throw when `signal` cuts a wait short (default: its reason). */
  readonly cancelled?: (reason: unknown) => unknown;
  /** Told of every failure before any wait: `delayMs` is undefined when the failure is final. */
  readonly onFailure?: (error: unknown, failure: { readonly attempt: number; readonly delayMs: number | undefined }) => void;
}

/** Runs `attempt` until it resolves, waiting `backoffDelay` between tries; throws the final failure. */
export async function retry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      await waitOrThrow(error, n, options);
    }
  }
}

/**
 * `retry` for a stream: a try is retried only while it has yielded nothing, since a reader
 * that has seen items would see them twice if the stream started over.
 */
export async function* retryStream<T>(open: (n: number) => AsyncIterable<T>, options: RetryOptions): AsyncGenerator<T> {
  for (let n = 0; ; n++) {
    let yielded = false;
    try {
      for await (const item of open(n)) {
        yielded = true;
        yield item;
      }
      return;
    } catch (error) {
      if (yielded) throw error;
      await waitOrThrow(error, n, options);
    }
  }
}

/** After try `n` failed with `error`: waits out the backoff, or throws when the failure is final. */
async function waitOrThrow(error: unknown, n: number, options: RetryOptions): Promise<void> {
  const delayMs = delayAfter(error, n, options);
  options.onFailure?.(error, { attempt: n, delayMs });
  if (delayMs === undefined) throw error;
  try {
    await options.clock.sleep(delayMs, options.signal);
  } catch (reason) {
    throw options.cancelled ? options.cancelled(reason) : reason;
  }
}

function delayAfter(error: unknown, n: number, options: RetryOptions): number | undefined {
  if (n + 1 >= options.attempts || options.signal?.aborted || !options.retryable(error)) return undefined;
  const delayMs = backoffDelay(options.backoff, n, options.serverWait?.(error));
  const { deadline } = options;
  return deadline !== undefined && options.clock.now() + delayMs >= deadline ? undefined : delayMs;
}
