/** Injected failures, holds and latency. */
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { primaryRateLimit, secondaryRateLimit, startFakeGitHub } from "../fake-github.js";
import { api, gh, seedIssue, TOKEN, withFakeGitHub } from "./harness.js";

withFakeGitHub();

describe("fake GitHub: failure injection", () => {
  it("answers the next matching request with a secondary rate limit, then behaves normally", async () => {
    seedIssue();
    gh.failNext({ ...secondaryRateLimit(7), method: "POST", path: /\/comments$/ });

    // Non-matching requests are untouched.
    expect((await api("/repos/acme/widgets/issues/1")).status).toBe(200);

    const limited = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "hi" } });
    expect(limited.status).toBe(403);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.json.message).toMatch(/^You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\./);
    expect(limited.json.message).toContain(`please include the request ID ${limited.headers.get("x-github-request-id")}`);
    expect(limited.json.documentation_url).toBe("https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits");
    expect(gh.comments("acme", "widgets", 1)).toHaveLength(0); // not processed

    const normal = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "hi" } });
    expect(normal.status).toBe(201);
    expect(gh.writes().map((r) => r.status)).toEqual([403, 201]);
  });

  it("honours times and primary rate-limit headers", async () => {
    const reset = Math.floor(Date.now() / 1000) + 60;
    gh.failNext({ ...primaryRateLimit(reset), times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await api("/app");
      expect(res.status).toBe(403);
      expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(res.headers.get("x-ratelimit-reset")).toBe(String(reset));
      expect(res.json.message).toBe("API rate limit exceeded for installation ID 1.");
    }
    expect((await api("/app")).status).toBe(200);
  });

  it("is recognised by Probot's Octokit throttling, which retries after retry-after", async () => {
    seedIssue();
    const created = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "v1" } });
    const seen: number[] = [];
    const octokit = new ProbotOctokit({
      auth: { token: TOKEN },
      baseUrl: gh.apiBase,
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      throttle: {
        retryAfterBaseValue: 1, // retry-after seconds become milliseconds: keep the test fast
        onSecondaryRateLimit: (retryAfter: number) => {
          seen.push(retryAfter);
          return true;
        },
        onRateLimit: () => false,
      },
    });
    gh.clearLog();
    gh.failNext({ ...secondaryRateLimit(3), method: "PATCH" });
    // (This takes ~1 s: the throttling plugin spaces writes at least 1 s apart.)
    const { data } = await octokit.rest.issues.updateComment({ owner: "acme", repo: "widgets", comment_id: created.json.id, body: "v2" });
    expect(data.body).toBe("v2");
    expect(seen).toEqual([3]);
    expect(gh.requests.map((r) => [r.method, r.status])).toEqual([
      ["PATCH", 403],
      ["PATCH", 200],
    ]);
  });

  it("holds matching requests until released", async () => {
    seedIssue();
    const created = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "v1" } });
    const id = created.json.id as number;
    const hold = gh.hold({ method: "PATCH" });

    const inFlight = api(`/repos/acme/widgets/issues/comments/${id}`, { method: "PATCH", body: { body: "v2" } });
    await expect.poll(() => hold.waiting).toBe(1);
    const pending = gh.requests.at(-1);
    expect(pending).toMatchObject({ method: "PATCH", status: 0, body: { body: "v2" } });
    // Reads are not held, and the write has not been applied yet.
    expect((await api(`/repos/acme/widgets/issues/comments/${id}`)).json.body).toBe("v1");

    hold.release();
    expect((await inFlight).status).toBe(200);
    expect(pending?.status).toBe(200);
    expect(gh.comment(id)?.body).toBe("v2");
    // Released holds no longer apply.
    expect((await api(`/repos/acme/widgets/issues/comments/${id}`, { method: "PATCH", body: { body: "v3" } })).status).toBe(200);
  });

  it("delays every response by latencyMs", async () => {
    const slow = await startFakeGitHub({ latencyMs: 150 });
    try {
      const started = performance.now();
      const res = await fetch(`${slow.apiBase}/nope`);
      expect(res.status).toBe(404);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await slow.close();
    }
  });
});
