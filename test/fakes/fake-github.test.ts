/** The fake GitHub as a whole: addresses, headers on every answer, the request log, shutdown. Each resource has its tests under `github/`. */
import { describe, expect, it } from "vitest";
import { startFakeGitHub } from "./fake-github.js";
import { api, gh, JWT, seedIssue, TOKEN, withFakeGitHub } from "./github/harness.js";

withFakeGitHub();

describe("fake GitHub: basics", () => {
  it("exposes GHE-style addresses", () => {
    expect(gh.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(gh.host).toBe(gh.url.slice("http://".length));
    expect(gh.apiBase).toBe(`${gh.url}/api/v3`);
    expect(gh.botLogin).toBe("devbuddy[bot]");
  });

  it("answers unknown routes with GitHub's 404 and sends request-id and rate-limit headers", async () => {
    const res = await api("/nope");
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    expect(res.headers.get("x-github-request-id")).toMatch(/^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{6}:[0-9A-F]{8}$/);
    expect(res.headers.get("x-ratelimit-limit")).toBe("5000");
    expect(res.headers.get("x-ratelimit-resource")).toBe("core");
    expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
    const used = Number(res.headers.get("x-ratelimit-used"));
    expect(Number(res.headers.get("x-ratelimit-remaining"))).toBe(5000 - used);
  });
});

describe("fake GitHub: request log", () => {
  it("records method, prefix-less path, query, headers, parsed body, arrival time and status", async () => {
    seedIssue();
    const before = performance.now();
    await api("/repos/acme/widgets/issues/1/comments?per_page=5&page=1");
    await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "hello" } });
    await api("/app/installations/3/access_tokens", { method: "POST", auth: `bearer ${JWT}` });

    const [list, post, token] = gh.requests;
    expect(list).toMatchObject({ method: "GET", path: "/repos/acme/widgets/issues/1/comments", query: { per_page: "5", page: "1" }, body: undefined, status: 200 });
    expect(post).toMatchObject({ method: "POST", path: "/repos/acme/widgets/issues/1/comments", query: {}, body: { body: "hello" }, status: 201 });
    expect(post?.headers["authorization"]).toBe(`token ${TOKEN}`);
    expect(post?.headers["content-type"]).toBe("application/json");
    expect(token).toMatchObject({ path: "/app/installations/3/access_tokens", status: 201 });
    expect(list?.at).toBeGreaterThanOrEqual(before);
    expect(post?.at).toBeGreaterThan(list?.at ?? Infinity);

    expect(gh.writes()).toEqual([post]);
    gh.clearLog();
    expect(gh.requests).toHaveLength(0);
  });
});

describe("fake GitHub: close", () => {
  it("closes promptly even with keep-alive connections and held requests", async () => {
    const other = await startFakeGitHub();
    other.seedIssue({ owner: "o", repo: "r", title: "t", body: "b", user: "u" });
    await fetch(`${other.apiBase}/repos/o/r/issues/1`); // leaves a keep-alive socket open
    other.hold({});
    const stuck = fetch(`${other.apiBase}/repos/o/r/issues/1`).catch((error: unknown) => error);
    await expect.poll(() => other.requests.length).toBe(2);
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await stuck).toBeInstanceOf(Error);
  });
});
