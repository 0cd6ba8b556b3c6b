/**
 * The project's own GitHub errors. The adapter converts Octokit's `RequestError` into
 * these at its edge, so nothing else needs to know Octokit's error shape.
 */

export type GitHubErrorKind =
  /** 403/429 from a primary or secondary rate limit: wait, then send the same write again. */
  | "rate-limited"
  /** 404/410: the resource (a comment, an issue) is gone. */
  | "not-found"
  /** 5xx, timeouts, dropped connections: worth retrying with backoff. */
  | "transient"
  /** Any other 4xx: retrying the same request cannot help. */
  | "permanent";

export interface RateLimitInfo {
  /** "secondary": abuse limit (content creation, concurrency); "primary": hourly quota. */
  readonly limit: "primary" | "secondary";
  /** From the `retry-after` header, in seconds. */
  readonly retryAfterSeconds?: number;
  /** From `x-ratelimit-reset` (epoch seconds) when the primary quota is spent. */
  readonly resetEpochSeconds?: number;
}

export class GitHubError extends Error {
  override readonly name = "GitHubError";
  readonly kind: GitHubErrorKind;
  readonly status: number | undefined;
  readonly rateLimit: RateLimitInfo | undefined;

  constructor(
    message: string,
    options: { kind: GitHubErrorKind; status?: number; rateLimit?: RateLimitInfo; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.kind = options.kind;
    this.status = options.status;
    this.rateLimit = options.rateLimit;
  }
}

export function isGitHubError(error: unknown, kind?: GitHubErrorKind): error is GitHubError {
  return error instanceof GitHubError && (kind === undefined || error.kind === kind);
}

/** GitHub answers reads of a repository without commits with 409 "Git Repository is empty." */
export function isEmptyRepository(error: unknown): boolean {
  return isGitHubError(error, "permanent") && error.status === 409 && /\bempty\b/i.test(error.message);
}

interface RequestErrorLike {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function isRequestErrorLike(error: unknown): error is RequestErrorLike {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { status?: unknown }).status === "number" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}

function header(error: RequestErrorLike, name: string): string | undefined {
  const value = error.response?.headers?.[name];
  return value === undefined ? undefined : String(value);
}

function numberHeader(error: RequestErrorLike, name: string): number | undefined {
  const raw = header(error, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Classify whatever Octokit threw. Rate-limit detection follows GitHub's documentation
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):
 * a 403 or 429 is a secondary limit when the message says so or a `retry-after` header
 * is present, and a primary limit when `x-ratelimit-remaining` is "0".
 */
export function toGitHubError(error: unknown, what: string): GitHubError {
  if (error instanceof GitHubError) return error;
  if (!isRequestErrorLike(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new GitHubError(`${what} failed: ${message}`, { kind: "transient", cause: error });
  }
  const { status } = error;
  const base = `${what} failed with HTTP ${status}`;
  if (status === 403 || status === 429) {
    const retryAfterSeconds = numberHeader(error, "retry-after");
    const secondary = /\bsecondary rate\b/i.test(error.message) || retryAfterSeconds !== undefined;
    const primary = header(error, "x-ratelimit-remaining") === "0";
    if (secondary || primary || status === 429) {
      const resetEpochSeconds = numberHeader(error, "x-ratelimit-reset");
      return new GitHubError(`${base}: rate limited`, {
        kind: "rate-limited",
        status,
        cause: error,
        rateLimit: {
          limit: secondary || !primary ? "secondary" : "primary",
          ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
          ...(resetEpochSeconds === undefined || secondary ? {} : { resetEpochSeconds }),
        },
      });
    }
  }
  const kind = statusKind(status);
  return new GitHubError(`${base}: ${kind === "not-found" ? "not found" : error.message}`, { kind, status, cause: error });
}

/**
 * What an error status alone says about sending the same request again. A 403 may also be
 * a rate limit, which only its headers tell (`toGitHubError` reads them first).
 */
export function statusKind(status: number): GitHubErrorKind {
  if (status === 429) return "rate-limited";
  if (status === 404 || status === 410) return "not-found";
  // Octokit reports network failures and timeouts with status 500 as well.
  if (status >= 500 || status === 408) return "transient";
  return "permanent";
}

/** Sending the same request again can never succeed: what it is about is gone, or GitHub refused it for good. */
export function isPermanentKind(kind: GitHubErrorKind): boolean {
  return kind === "not-found" || kind === "permanent";
}

/**
 * The one rule for giving up on a failure: anything thrown on the way to GitHub (Octokit's
 * errors as `toGitHubError` classifies them, the adapter's own `GitHubError`s) is for good
 * when it is `not-found` or `permanent`. Rate limits and transient failures pass with time;
 * an error that is not GitHub's counts as transient.
 */
export function isPermanentFailure(error: unknown): boolean {
  return isPermanentKind(toGitHubError(error, "A GitHub request").kind);
}
