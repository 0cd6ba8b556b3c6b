import { describe, expect, it } from "vitest";
import { GitHubError, isPermanentFailure, statusKind, toGitHubError } from "../../src/github/errors.js";

/** Octokit's `RequestError`, as far as the classification reads it: status, message, headers. */
const requestError = (status: number, message = "no", headers: Record<string, string> = {}): Error =>
  Object.assign(new Error(message), { status, response: { headers } });

describe("toGitHubError", () => {
  it("tells a rate limit from a refusal by the 403's message and headers", () => {
    expect(toGitHubError(requestError(403, "You have exceeded a secondary rate limit"), "Editing")).toMatchObject({
      kind: "rate-limited",
      status: 403,
      rateLimit: { limit: "secondary" },
    });
    expect(toGitHubError(requestError(403, "no", { "retry-after": "30" }), "Editing")).toMatchObject({
      kind: "rate-limited",
      rateLimit: { limit: "secondary", retryAfterSeconds: 30 },
    });
    expect(toGitHubError(requestError(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000" }), "Editing")).toMatchObject({
      kind: "rate-limited",
      rateLimit: { limit: "primary", resetEpochSeconds: 1_700_000_000 },
    });
    expect(toGitHubError(requestError(429), "Editing")).toMatchObject({ kind: "rate-limited", rateLimit: { limit: "secondary" } });
    expect(toGitHubError(requestError(403, "Resource not accessible by integration"), "Editing")).toMatchObject({
      kind: "permanent",
      message: "Editing failed with HTTP 403: Resource not accessible by integration",
    });
  });

  it("classifies the other statuses, and anything that is not Octokit's as transient", () => {
    expect(toGitHubError(requestError(404), "Reading")).toMatchObject({ kind: "not-found", message: "Reading failed with HTTP 404: not found" });
    expect(toGitHubError(requestError(410), "Reading").kind).toBe("not-found");
    expect(toGitHubError(requestError(422, "Validation Failed"), "Reading").kind).toBe("permanent");
    expect(toGitHubError(requestError(408), "Reading").kind).toBe("transient");
    expect(toGitHubError(requestError(502), "Reading").kind).toBe("transient");
    expect(toGitHubError(new Error("socket hang up"), "Reading")).toMatchObject({ kind: "transient", message: "Reading failed: socket hang up" });
    const own = new GitHubError("mine", { kind: "permanent" });
    expect(toGitHubError(own, "Reading")).toBe(own);
  });
});

describe("isPermanentFailure", () => {
  it("gives up on what is gone or refused, never on a rate limit or a passing failure", () => {
    for (const status of [400, 401, 403, 404, 409, 410, 422]) expect(isPermanentFailure(requestError(status)), String(status)).toBe(true);
    for (const status of [408, 429, 500, 502, 503]) expect(isPermanentFailure(requestError(status)), String(status)).toBe(false);
    expect(isPermanentFailure(requestError(403, "no", { "retry-after": "60" }))).toBe(false);
    expect(isPermanentFailure(new GitHubError("gone", { kind: "not-found" }))).toBe(true);
    expect(isPermanentFailure(new GitHubError("too large", { kind: "permanent" }))).toBe(true);
    expect(isPermanentFailure(new GitHubError("slow down", { kind: "rate-limited" }))).toBe(false);
    expect(isPermanentFailure(new Error("the journal is locked"))).toBe(false);
  });

  it("reads a bare status the same way", () => {
    expect([400, 403, 404, 408, 410, 422, 429, 500].map(statusKind)).toEqual([
      "permanent",
      "permanent",
      "not-found",
      "transient",
      "not-found",
      "permanent",
      "rate-limited",
      "transient",
    ]);
  });
});
