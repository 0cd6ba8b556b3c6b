/**
 * GitHub's REST rate limits as a client sees them: the `x-ratelimit-*` headers on every answer,
 * and ready-made failure rules for the primary and the secondary limit.
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */
import type { FailureContext, FailureRule } from "./failures.js";

/** Installation tokens get 5,000 requests/hour on github.com (more on GHEC; GHES is configurable). */
const RATE_LIMIT = 5000;

const RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/** Counts every request answered against one hourly window. */
export class RateLimitCounter {
  #used = 0;
  readonly #reset = Math.floor(Date.now() / 1000) + 3600;

  count(): void {
    this.#used += 1;
  }

  /** https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#checking-the-status-of-your-rate-limit */
  headers(): Record<string, string> {
    return {
      "x-ratelimit-limit": String(RATE_LIMIT),
      "x-ratelimit-remaining": String(Math.max(0, RATE_LIMIT - this.#used)),
      "x-ratelimit-reset": String(this.#reset),
      "x-ratelimit-used": String(this.#used),
      "x-ratelimit-resource": "core",
    };
  }
}

/**
 * GitHub's secondary ("abuse") rate-limit response: 403 with the message below, optionally a
 * `retry-after` header (seconds). Octokit's throttling plugin recognises it by the words
 * "secondary rate" in the message and honours `retry-after`.
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
 * Spread it and add `method`/`path` to target specific requests.
 */
export function secondaryRateLimit(retryAfterSeconds?: number): FailureRule {
  const headers: Record<string, string> = {};
  if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
  return {
    status: 403,
    headers,
    // GitHub embeds the request id of the failing request in the message.
    body: (ctx: FailureContext) => ({
      message:
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
        `If you reach out to GitHub Support for help, please include the request ID ${ctx.requestId}.`,
      documentation_url: `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`,
    }),
  };
}

/**
 * GitHub's primary rate-limit response: 403 with `x-ratelimit-remaining: 0` and the reset time
 * (UTC epoch seconds) in `x-ratelimit-reset`.
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
 */
export function primaryRateLimit(resetEpochSeconds: number, installationId = 1): FailureRule {
  return {
    status: 403,
    headers: {
      "x-ratelimit-limit": String(RATE_LIMIT),
      "x-ratelimit-remaining": "0",
      "x-ratelimit-used": String(RATE_LIMIT),
      "x-ratelimit-reset": String(resetEpochSeconds),
      "x-ratelimit-resource": "core",
    },
    body: {
      message: `API rate limit exceeded for installation ID ${installationId}.`,
      documentation_url: RATE_LIMIT_DOCS,
    },
  };
}
