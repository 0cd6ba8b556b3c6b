import { createHmac, generateKeyPairSync, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { Octokit } from "@octokit/rest";
import { Probot, ProbotOctokit } from "probot";
import { extract as tarExtract } from "tar-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  primaryRateLimit,
  secondaryRateLimit,
  startFakeGitHub,
  type FakeGitHub,
  type GitHubComment,
  type RepoPermission,
} from "./fake-github.js";
import { deliverWebhook, signPayload } from "./webhook-sender.js";

const TOKEN = "ghs_test";
/** JWT-shaped (three base64url segments); the fake does not verify signatures. */
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl";

let gh: FakeGitHub;

beforeEach(async () => {
  gh = await startFakeGitHub();
});

afterEach(async () => {
  await gh.close();
});

interface CallOptions {
  method?: string;
  body?: unknown;
  auth?: string | null;
}

/** Plain fetch against the fake's API base, authenticated as an installation by default. */
async function api(path: string, options: CallOptions = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const headers: Record<string, string> = { accept: "application/vnd.github+json" };
  const auth = options.auth === undefined ? `token ${TOKEN}` : options.auth;
  if (auth !== null) headers["authorization"] = auth;
  const init: RequestInit = { method: options.method ?? "GET", headers };
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(`${gh.apiBase}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text.length > 0 ? JSON.parse(text) : undefined };
}

function seedIssue(number = 1) {
  return gh.seedIssue({ owner: "acme", repo: "widgets", number, title: "Add dark mode", body: "Please", user: "alice" });
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
}

/** A tiny webhook receiver bound to loopback. */
async function startReceiver(status = 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/github/webhooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Independent HMAC check, the way a receiver must do it (constant-time compare). */
function signatureIsValid(secret: string, raw: string, header: string | string[] | undefined): boolean {
  if (typeof header !== "string") return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`);
  const actual = Buffer.from(header);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

describe("webhook-sender", () => {
  it("signs like GitHub (published test vector)", () => {
    // From https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(signPayload("It's a Secret to Everybody", "Hello, World!")).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("delivers with GitHub's headers, and can send a wrong signature", async () => {
    const receiver = await startReceiver(202);
    try {
      const result = await deliverWebhook({ url: receiver.url, secret: "s3cret", event: "issues", payload: { action: "opened" } });
      expect(result.status).toBe(202);
      expect(result.body).toBe("ok");
      expect(result.elapsedMs).toBeGreaterThanOrEqual(0);
      const [first] = receiver.received;
      expect(first?.headers["x-github-event"]).toBe("issues");
      expect(first?.headers["content-type"]).toBe("application/json");
      expect(first?.headers["user-agent"]).toBe("GitHub-Hookshot/fake");
      expect(first?.headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(signatureIsValid("s3cret", first?.raw ?? "", first?.headers["x-hub-signature-256"])).toBe(true);

      await deliverWebhook({ url: receiver.url, secret: "s3cret", event: "issues", payload: {}, deliveryId: "d-1", signature: "sha256=00" });
      expect(receiver.received[1]?.headers["x-github-delivery"]).toBe("d-1");
      expect(receiver.received[1]?.headers["x-hub-signature-256"]).toBe("sha256=00");
    } finally {
      await receiver.close();
    }
  });
});

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

  it("requires a JWT for GET /app and the token endpoint (plain tokens allowed on /app by default)", async () => {
    expect((await api("/app", { auth: null })).status).toBe(401);
    expect((await api("/app", { auth: "bearer not-a-jwt" })).json).toEqual({
      message: "A JSON web token could not be decoded",
      documentation_url: "https://docs.github.com/rest/apps/apps#get-the-authenticated-app",
    });
    const app = await api("/app", { auth: `bearer ${JWT}` });
    expect(app.status).toBe(200);
    expect(app.json).toMatchObject({ id: 1, slug: "devbuddy", owner: { login: expect.any(String) }, node_id: expect.any(String) });
    expect((await api("/app", { auth: "token anything" })).status).toBe(200);

    expect((await api("/app/installations/7/access_tokens", { method: "POST", auth: "token anything" })).status).toBe(401);
    const token = await api("/app/installations/7/access_tokens", { method: "POST", auth: `Bearer ${JWT}` });
    expect(token.status).toBe(201);
    expect(token.json.token).toMatch(/^ghs_fake[0-9a-f]+$/);
    expect(token.json.repository_selection).toBe("all");
    const expiresIn = Date.parse(token.json.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(59 * 60 * 1000);
    expect(expiresIn).toBeLessThanOrEqual(60 * 60 * 1000);
  });

  it("lets a real Probot authenticate as an installation (JWT → installation token → write)", async () => {
    seedIssue();
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const probot = new Probot({
      appId: 1,
      privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      baseUrl: gh.apiBase,
      logLevel: "fatal",
    });
    const octokit = await probot.auth(42);
    await octokit.rest.issues.createComment({ owner: "acme", repo: "widgets", issue_number: 1, body: "hello from Probot" });

    const [tokenRequest, commentRequest] = gh.requests;
    expect(tokenRequest).toMatchObject({ method: "POST", path: "/app/installations/42/access_tokens", status: 201 });
    expect(tokenRequest?.headers["authorization"]).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(commentRequest).toMatchObject({ method: "POST", status: 201 });
    expect(commentRequest?.headers["authorization"]).toMatch(/^token ghs_fake/);
    expect(gh.comments("acme", "widgets", 1)[0]?.user.login).toBe("devbuddy[bot]");
  });

  it("rejects plain tokens on GET /app when allowTokenForApp is false", async () => {
    const strict = await startFakeGitHub({ allowTokenForApp: false, pathPrefix: "", appSlug: "other", appId: 99 });
    try {
      const res = await fetch(`${strict.apiBase}/app`, { headers: { authorization: "token x" } });
      expect(res.status).toBe(401);
      const ok = await fetch(`${strict.apiBase}/app`, { headers: { authorization: `bearer ${JWT}` } });
      expect(await ok.json()).toMatchObject({ id: 99, slug: "other" });
    } finally {
      await strict.close();
    }
  });

  it("serves issues and comments shaped like GitHub's", async () => {
    const seeded = seedIssue(3);
    const human = gh.addComment({ owner: "acme", repo: "widgets", number: 3, body: "+1 from me", user: "bob" });
    const issue = await api("/repos/acme/widgets/issues/3");
    expect(issue.status).toBe(200);
    expect(issue.json).toMatchObject({
      id: seeded.id,
      number: 3,
      title: "Add dark mode",
      body: "Please",
      state: "open",
      locked: false,
      comments: 1,
      user: { login: "alice", type: "User" },
      html_url: `${gh.url}/acme/widgets/issues/3`,
      url: `${gh.apiBase}/repos/acme/widgets/issues/3`,
    });
    expect(issue.json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await api("/repos/acme/widgets/issues/4")).status).toBe(404);

    const created = await api("/repos/acme/widgets/issues/3/comments", { method: "POST", body: { body: "Working on it" } });
    expect(created.status).toBe(201);
    const comment = created.json as GitHubComment;
    expect(comment.id).toBeGreaterThan(human.id);
    expect(comment).toMatchObject({
      body: "Working on it",
      user: { login: "devbuddy[bot]", type: "Bot", id: gh.botUser.id },
      html_url: `${gh.url}/acme/widgets/issues/3#issuecomment-${comment.id}`,
      issue_url: `${gh.apiBase}/repos/acme/widgets/issues/3`,
      url: `${gh.apiBase}/repos/acme/widgets/issues/comments/${comment.id}`,
      author_association: "NONE",
      performed_via_github_app: { slug: "devbuddy" },
    });
    expect(comment.node_id).toEqual(expect.any(String));
    expect(comment.created_at).toBe(comment.updated_at);
    expect(gh.comments("acme", "widgets", 3).map((c) => c.body)).toEqual(["+1 from me", "Working on it"]);
    expect(gh.issue("acme", "widgets", 3)?.comments).toBe(2);
  });

  it("requires authentication for writes and hides private repositories from anonymous reads", async () => {
    seedIssue();
    expect((await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "x" }, auth: null })).status).toBe(401);
    expect((await api("/repos/acme/widgets/issues/1", { auth: null })).status).toBe(200);
    gh.seedRepo({ owner: "acme", repo: "widgets", private: true });
    expect((await api("/repos/acme/widgets/issues/1", { auth: null })).status).toBe(404);
    expect((await api("/repos/acme/widgets/issues/1")).status).toBe(200);
  });
});

describe("fake GitHub: pagination", () => {
  it("pages issue comments with a link header that fetch can follow", async () => {
    seedIssue();
    for (let i = 0; i < 65; i++) gh.addComment({ owner: "acme", repo: "widgets", number: 1, body: `c${i}`, user: "bob" });

    const first = await api("/repos/acme/widgets/issues/1/comments?per_page=30");
    const link = first.headers.get("link") ?? "";
    expect(link).toBe(
      `<${gh.apiBase}/repos/acme/widgets/issues/1/comments?per_page=30&page=2>; rel="next", ` +
        `<${gh.apiBase}/repos/acme/widgets/issues/1/comments?per_page=30&page=3>; rel="last"`,
    );

    const bodies: string[] = [];
    let next: string | undefined = `${gh.apiBase}/repos/acme/widgets/issues/1/comments?per_page=30`;
    let pages = 0;
    while (next) {
      const res: Response = await fetch(next, { headers: { authorization: `token ${TOKEN}` } });
      const items = (await res.json()) as GitHubComment[];
      bodies.push(...items.map((c) => c.body));
      pages++;
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
    }
    expect(pages).toBe(3);
    expect(bodies).toEqual(Array.from({ length: 65 }, (_, i) => `c${i}`));

    const last = await api("/repos/acme/widgets/issues/1/comments?per_page=30&page=3");
    expect(last.json).toHaveLength(5);
    expect(last.headers.get("link")).toContain('rel="prev"');
    expect(last.headers.get("link")).toContain('rel="first"');
    expect(last.headers.get("link")).not.toContain('rel="next"');

    // Defaults: 30 per page; per_page is capped at 100 and a single page has no link header.
    expect((await api("/repos/acme/widgets/issues/1/comments")).json).toHaveLength(30);
    const all = await api("/repos/acme/widgets/issues/1/comments?per_page=500");
    expect(all.json).toHaveLength(65);
    expect(all.headers.get("link")).toBeNull();
  });

  it("works with Octokit's paginate()", async () => {
    seedIssue();
    for (let i = 0; i < 7; i++) gh.addComment({ owner: "acme", repo: "widgets", number: 1, body: `c${i}`, user: "bob" });
    const octokit = new Octokit({ baseUrl: gh.apiBase, auth: TOKEN });
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner: "acme", repo: "widgets", issue_number: 1, per_page: 3 });
    expect(comments.map((c) => c.body)).toEqual(["c0", "c1", "c2", "c3", "c4", "c5", "c6"]);
    expect(gh.requests.map((r) => r.query["page"] ?? "1")).toEqual(["1", "2", "3"]);
  });
});

describe("fake GitHub: comment writes", () => {
  const tooLong = {
    message: "Validation Failed",
    errors: [{ resource: "IssueComment", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }],
  };

  it("accepts exactly 65,536 characters and rejects 65,537 with GitHub's 422, on POST and PATCH", async () => {
    seedIssue();
    const ok = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "a".repeat(65536) } });
    expect(ok.status).toBe(201);
    const rejected = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "a".repeat(65537) } });
    expect(rejected.status).toBe(422);
    expect(rejected.json).toMatchObject(tooLong);
    expect(rejected.json.documentation_url).toMatch(/^https:\/\/docs\.github\.com\/rest\//);

    const id = ok.json.id as number;
    expect((await api(`/repos/acme/widgets/issues/comments/${id}`, { method: "PATCH", body: { body: "b".repeat(65537) } })).json).toMatchObject(tooLong);
    const patched = await api(`/repos/acme/widgets/issues/comments/${id}`, { method: "PATCH", body: { body: "b".repeat(65536) } });
    expect(patched.status).toBe(200);

    // Only successful writes are part of the body history.
    expect(gh.bodyHistory(id).map((w) => [w.method, w.body.length])).toEqual([
      ["POST", 65536],
      ["PATCH", 65536],
    ]);
    expect(gh.comments("acme", "widgets", 1)).toHaveLength(1);
  });

  it("rejects a missing body with 422", async () => {
    seedIssue();
    const res = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: {} });
    expect(res.status).toBe(422);
    expect(gh.comments("acme", "widgets", 1)).toHaveLength(0);
  });

  it("updates body and updated_at on PATCH, and answers 404 once a comment is deleted", async () => {
    seedIssue();
    const created = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "v1" } });
    const id = created.json.id as number;
    await new Promise((resolve) => setTimeout(resolve, 1100)); // timestamps have second precision
    const patched = await api(`/repos/acme/widgets/issues/comments/${id}`, { method: "PATCH", body: { body: "v2" } });
    expect(patched.json.body).toBe("v2");
    expect(Date.parse(patched.json.updated_at)).toBeGreaterThan(Date.parse(patched.json.created_at));
    expect(gh.comment(id)?.body).toBe("v2");

    expect(gh.deleteComment(id)).toBe(true);
    expect((await api(`/repos/acme/widgets/issues/comments/${id}`)).status).toBe(404);
    const afterDelete = await api(`/repos/acme/widgets/issues/comments/${id}`, { method: "PATCH", body: { body: "v3" } });
    expect(afterDelete.status).toBe(404);
    expect(afterDelete.json.message).toBe("Not Found");
    expect(gh.comment(id)).toBeUndefined();
    expect(gh.comments("acme", "widgets", 1)).toEqual([]);
    expect(gh.issue("acme", "widgets", 1)?.comments).toBe(0);
    expect(gh.bodyHistory(id).map((w) => w.body)).toEqual(["v1", "v2"]);
  });

  it("deletes through the API with 204", async () => {
    seedIssue();
    const created = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "bye" } });
    const res = await api(`/repos/acme/widgets/issues/comments/${created.json.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(res.json).toBeUndefined();
    expect(gh.comments("acme", "widgets", 1)).toEqual([]);
  });
});

describe("fake GitHub: reactions", () => {
  it("creates reactions (201), returns the existing one on repeat (200) and validates content", async () => {
    const issue = seedIssue();
    const human = gh.addComment({ owner: "acme", repo: "widgets", number: 1, body: "/plan", user: "alice" });

    const first = await api(`/repos/acme/widgets/issues/comments/${human.id}/reactions`, { method: "POST", body: { content: "eyes" } });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ content: "eyes", user: { login: "devbuddy[bot]" }, id: expect.any(Number) });
    const again = await api(`/repos/acme/widgets/issues/comments/${human.id}/reactions`, { method: "POST", body: { content: "eyes" } });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);

    expect((await api(`/repos/acme/widgets/issues/comments/${human.id}/reactions`, { method: "POST", body: { content: "thumbsup" } })).status).toBe(422);
    expect((await api("/repos/acme/widgets/issues/1/reactions", { method: "POST", body: { content: "rocket" } })).status).toBe(201);
    expect((await api("/repos/acme/widgets/issues/comments/999999/reactions", { method: "POST", body: { content: "eyes" } })).status).toBe(404);

    expect(gh.reactions()).toEqual([
      expect.objectContaining({ subject: "comment", subjectId: human.id, number: 1, content: "eyes", user: "devbuddy[bot]", at: expect.any(Number) }),
      expect.objectContaining({ subject: "issue", subjectId: issue.id, number: 1, content: "rocket" }),
    ]);
    expect(gh.comment(human.id)?.reactions).toMatchObject({ total_count: 1, eyes: 1 });

    const removed = await api(`/repos/acme/widgets/issues/comments/${human.id}/reactions/${first.json.id}`, { method: "DELETE" });
    expect(removed.status).toBe(204);
    expect(gh.reactions().map((r) => r.content)).toEqual(["rocket"]);
  });
});

describe("fake GitHub: permissions", () => {
  const cases: Array<[RepoPermission, string, string]> = [
    ["admin", "admin", "admin"],
    ["maintain", "write", "maintain"],
    ["write", "write", "write"],
    ["triage", "read", "triage"],
    ["read", "read", "read"],
    ["none", "none", "none"],
  ];

  it.each(cases)("maps %s to permission %s / role_name %s", async (level, permission, roleName) => {
    gh.seedRepo({ owner: "acme", repo: "widgets" });
    gh.setPermission("acme", "widgets", "carol", level);
    const res = await api("/repos/acme/widgets/collaborators/carol/permission");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ permission, role_name: roleName, user: { login: "carol", type: "User" } });
  });

  it("defaults unknown users to read, the owner to admin, and 404s for unknown repositories", async () => {
    gh.seedRepo({ owner: "acme", repo: "widgets" });
    expect((await api("/repos/acme/widgets/collaborators/stranger/permission")).json).toMatchObject({ permission: "read", role_name: "read" });
    expect((await api("/repos/acme/widgets/collaborators/acme/permission")).json).toMatchObject({ permission: "admin" });
    expect((await api("/repos/acme/nope/collaborators/stranger/permission")).status).toBe(404);
  });
});

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

describe("fake GitHub: echo webhooks", () => {
  it("delivers signed issue_comment created/edited/deleted webhooks for API writes, as GitHub does", async () => {
    const secret = "echo-secret";
    const receiver = await startReceiver();
    try {
      seedIssue();
      gh.addComment({ owner: "acme", repo: "widgets", number: 1, body: "seeded, no echo", user: "alice" });
      gh.deliverEchoesTo({ url: receiver.url, secret, installationId: 42 });

      const created = await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "v1" } });
      const id = created.json.id as number;
      await api(`/repos/acme/widgets/issues/comments/${id}`, { method: "PATCH", body: { body: "v2" } });
      await api(`/repos/acme/widgets/issues/comments/${id}`, { method: "DELETE" });
      await gh.echoesDelivered();

      expect(gh.echoes.map((e) => [e.event, e.action, e.status, e.commentId])).toEqual([
        ["issue_comment", "created", 200, id],
        ["issue_comment", "edited", 200, id],
        ["issue_comment", "deleted", 200, id],
      ]);
      expect(receiver.received).toHaveLength(3);
      for (const delivery of receiver.received) {
        expect(signatureIsValid(secret, delivery.raw, delivery.headers["x-hub-signature-256"])).toBe(true);
        expect(delivery.headers["x-github-event"]).toBe("issue_comment");
      }

      const [createdEvent, editedEvent] = receiver.received.map((d) => JSON.parse(d.raw));
      expect(createdEvent).toMatchObject({
        action: "created",
        comment: { id, body: "v1", user: { login: "devbuddy[bot]", type: "Bot" } },
        issue: { number: 1, comments: 2 },
        repository: { full_name: "acme/widgets" },
        sender: { login: "devbuddy[bot]", type: "Bot" },
        installation: { id: 42 },
      });
      expect(createdEvent.changes).toBeUndefined();
      // The payload is a snapshot of that write, not of later state.
      expect(editedEvent).toMatchObject({ action: "edited", changes: { body: { from: "v1" } }, comment: { id, body: "v2" } });

      // Turning echoes off stops them.
      gh.deliverEchoesTo(null);
      await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "quiet" } });
      await gh.echoesDelivered();
      expect(gh.echoes).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  it("records a status of 0 when the receiver is unreachable", async () => {
    const receiver = await startReceiver();
    await receiver.close();
    seedIssue();
    gh.deliverEchoesTo({ url: receiver.url, secret: "s", installationId: 1 });
    expect((await api("/repos/acme/widgets/issues/1/comments", { method: "POST", body: { body: "x" } })).status).toBe(201);
    await gh.echoesDelivered();
    expect(gh.echoes).toEqual([expect.objectContaining({ action: "created", status: 0, error: expect.any(String) })]);
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

describe("fake GitHub: repository contents", () => {
  /** `git hash-object` of "hello\n", a well-known value. */
  const HELLO_SHA = "ce013625030ba8dba906f756967f9e9ca394464a";
  const files = { "README.md": "hello\n", "src/app.ts": "export const x = 1;\n", "src/lib/util.ts": "export {};\n", ".github/devbuddy.yml": "model: small\n" };

  it("creates a commit served by commits/{ref}: JSON by default, the bare sha with the sha media type", async () => {
    const { sha, treeSha } = gh.seedRepoFiles("acme", "widgets", files, { defaultBranch: "trunk" });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect((await api("/repos/acme/widgets")).json).toMatchObject({ default_branch: "trunk", html_url: `${gh.url}/acme/widgets` });

    const commit = await api("/repos/acme/widgets/commits/trunk");
    expect(commit.json).toMatchObject({ sha, commit: { tree: { sha: treeSha } }, parents: [] });
    for (const ref of ["trunk", "refs/heads/trunk", sha, sha.slice(0, 7), "HEAD"]) {
      const res = await fetch(`${gh.apiBase}/repos/acme/widgets/commits/${encodeURIComponent(ref)}`, { headers: { accept: "application/vnd.github.sha" } });
      expect(res.headers.get("content-type")).toBe("application/vnd.github.sha; charset=utf-8");
      expect(await res.text()).toBe(sha);
    }
    const unknown = await api("/repos/acme/widgets/commits/nope");
    expect(unknown.status).toBe(422);
    expect(unknown.json.message).toBe("No commit found for SHA: nope");

    // Seeding again adds a commit on top.
    const second = gh.seedRepoFiles("acme", "widgets", { "README.md": "v2\n" });
    expect((await api("/repos/acme/widgets/commits/trunk")).json).toMatchObject({ sha: second.sha, parents: [{ sha }] });

    gh.seedRepo({ owner: "acme", repo: "empty" });
    expect((await api("/repos/acme/empty/commits/main")).json).toMatchObject({ message: "Git Repository is empty." });
  });

  it("lists trees with real git shas, recursively or not, and truncates on request", async () => {
    const { sha, treeSha } = gh.seedRepoFiles("acme", "widgets", files);
    const tree = await api(`/repos/acme/widgets/git/trees/${sha}?recursive=1`);
    expect(tree.json.sha).toBe(treeSha);
    expect(tree.json.truncated).toBe(false);
    expect(tree.json.tree.map((e: { path: string; type: string }) => `${e.type} ${e.path}`)).toEqual([
      "tree .github",
      "blob .github/devbuddy.yml",
      "blob README.md",
      "tree src",
      "blob src/app.ts",
      "tree src/lib",
      "blob src/lib/util.ts",
    ]);
    expect(tree.json.tree[2]).toEqual({
      path: "README.md",
      mode: "100644",
      type: "blob",
      sha: HELLO_SHA,
      size: 6,
      url: `${gh.apiBase}/repos/acme/widgets/git/blobs/${HELLO_SHA}`,
    });
    expect(tree.json.tree[3]).not.toHaveProperty("size");

    const top = await api(`/repos/acme/widgets/git/trees/${treeSha}`);
    expect(top.json.tree.map((e: { path: string }) => e.path)).toEqual([".github", "README.md", "src"]);
    const src = tree.json.tree[3].sha as string;
    expect((await api(`/repos/acme/widgets/git/trees/${src}?recursive=1`)).json.tree.map((e: { path: string }) => e.path)).toEqual([
      "app.ts",
      "lib",
      "lib/util.ts",
    ]);
    expect((await api("/repos/acme/widgets/git/trees/0000000000000000000000000000000000000000")).status).toBe(404);

    const cut = gh.seedRepoFiles("acme", "big", files, { truncated: 3 });
    const truncated = await api(`/repos/acme/big/git/trees/${cut.sha}?recursive=1`);
    expect(truncated.json.truncated).toBe(true);
    expect(truncated.json.tree).toHaveLength(3);
  });

  it("serves blobs as base64 with a newline every 60 characters, like GitHub", async () => {
    const binary = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
    gh.seedRepoFiles("acme", "widgets", { "README.md": "hello\n", "data.bin": binary });
    const blob = await api(`/repos/acme/widgets/git/blobs/${HELLO_SHA}`);
    expect(blob.json).toMatchObject({ sha: HELLO_SHA, size: 6, encoding: "base64", content: "aGVsbG8K\n" });
    const tree = await api("/repos/acme/widgets/git/trees/main?recursive=1");
    const binSha = tree.json.tree.find((e: { path: string }) => e.path === "data.bin").sha as string;
    const content = (await api(`/repos/acme/widgets/git/blobs/${binSha}`)).json.content as string;
    expect(content.split("\n").map((line) => line.length)).toEqual([60, 60, 60, 60, 28, 0]);
    expect(Buffer.from(content, "base64")).toEqual(binary);
    expect((await api("/repos/acme/widgets/git/blobs/0000000000000000000000000000000000000000")).status).toBe(404);
  });

  it("streams huge files on demand without holding them, and refuses blobs over 100 MB", async () => {
    gh.seedRepoFiles("acme", "widgets", { "a.txt": "a" }, { hugeFiles: { "data/dump.sql": 300 * 1024 * 1024, "data/medium.sql": 3 * 1024 * 1024 } });
    const tree = (await api("/repos/acme/widgets/git/trees/main?recursive=1")).json.tree as Array<{ path: string; sha: string; size?: number }>;
    const huge = tree.find((e) => e.path === "data/dump.sql");
    const medium = tree.find((e) => e.path === "data/medium.sql");
    expect(huge?.size).toBe(300 * 1024 * 1024);
    const refused = await api(`/repos/acme/widgets/git/blobs/${huge?.sha}`);
    expect(refused.status).toBe(403);
    expect(refused.json.errors).toEqual([expect.objectContaining({ code: "too_large" })]);

    const blob = await api(`/repos/acme/widgets/git/blobs/${medium?.sha}`);
    expect(blob.json.size).toBe(3 * 1024 * 1024);
    expect(Buffer.from(blob.json.content as string, "base64").byteLength).toBe(3 * 1024 * 1024);
    expect((blob.json.content as string).split("\n")[0]).toHaveLength(60);
    expect(gh.requests.at(-1)?.bytesSent).toBeGreaterThan(4 * 1024 * 1024);
  });

  it("answers contents/{path} raw for Probot's config reader, as JSON otherwise, and 404s missing paths", async () => {
    gh.seedRepoFiles("acme", "widgets", files);
    const raw = await fetch(`${gh.apiBase}/repos/acme/widgets/contents/.github/devbuddy.yml`, { headers: { accept: "application/vnd.github.v3.raw" } });
    expect(raw.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await raw.text()).toBe("model: small\n");

    const json = await api("/repos/acme/widgets/contents/src%2Fapp.ts?ref=main");
    expect(json.json).toMatchObject({ type: "file", path: "src/app.ts", name: "app.ts", encoding: "base64", size: 20 });
    expect(Buffer.from(json.json.content, "base64").toString()).toBe("export const x = 1;\n");
    const dir = await api("/repos/acme/widgets/contents/src");
    expect(dir.json.map((e: { name: string; type: string }) => `${e.type} ${e.name}`)).toEqual(["file app.ts", "dir lib"]);
    expect((await api("/repos/acme/widgets/contents")).json.map((e: { name: string }) => e.name)).toEqual([".github", "README.md", "src"]);

    const missing = await api("/repos/acme/widgets/contents/.github/nope.yml");
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ message: "Not Found", documentation_url: "https://docs.github.com/rest/repos/contents#get-repository-content" });
  });

  it("lets Probot's context.config read a repository's file, falling back to the owner's .github repository", async () => {
    gh.seedRepoFiles("acme", "widgets", { "README.md": "x" });
    gh.seedRepoFiles("acme", ".github", { ".github/devbuddy.yml": "model: org-wide\n" });
    gh.seedRepoFiles("acme", "tools", { ".github/devbuddy.yml": "model: tools-only\n" });
    const octokit = new ProbotOctokit({ auth: { token: TOKEN }, baseUrl: gh.apiBase, throttle: { enabled: false }, retry: { enabled: false } });
    const read = async (repo: string) => (await octokit.config.get({ owner: "acme", repo, path: ".github/devbuddy.yml" })).config;
    expect(await read("tools")).toEqual({ model: "tools-only" });
    expect(await read("widgets")).toEqual({ model: "org-wide" });
    // Octokit sends the path's slash encoded; the log keeps the path as sent.
    expect(gh.requests.map((r) => [r.path, r.status])).toEqual([
      ["/repos/acme/tools/contents/.github%2Fdevbuddy.yml", 200],
      ["/repos/acme/widgets/contents/.github%2Fdevbuddy.yml", 404],
      ["/repos/acme/.github/contents/.github%2Fdevbuddy.yml", 200],
    ]);
  });

  it("redirects tarball/{ref} to a codeload URL that streams a git-archive-shaped tar.gz", async () => {
    const { sha } = gh.seedRepoFiles("acme", "widgets", files);
    const redirect = await fetch(`${gh.apiBase}/repos/acme/widgets/tarball/main`, { headers: { authorization: `token ${TOKEN}` }, redirect: "manual" });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toMatch(new RegExp(`^${gh.url}/_codeload/acme/widgets/legacy\\.tar\\.gz/refs/heads/main\\?token=\\w+$`));
    const bySha = await fetch(`${gh.apiBase}/repos/acme/widgets/tarball/${sha}`, { redirect: "manual" });
    expect(bySha.headers.get("location")).toBe(`${gh.url}/_codeload/acme/widgets/legacy.tar.gz/${sha}`);

    const archive = await fetch(`${gh.apiBase}/repos/acme/widgets/tarball/main`);
    expect(archive.headers.get("content-type")).toBe("application/x-gzip");
    const tar = gunzipSync(Buffer.from(await archive.arrayBuffer()));
    expect(tar.byteLength % 10240).toBe(0);
    // First the pax global header with the commit id, as `git archive` writes it.
    expect(tar.subarray(0, 17).toString()).toBe("pax_global_header");
    expect(String.fromCharCode(tar[156] ?? 0)).toBe("g");
    expect(tar.subarray(512, 564).toString()).toBe(`52 comment=${sha}\n`);

    const names: string[] = [];
    const extract = tarExtract();
    extract.on("entry", (header, stream, next) => {
      names.push(`${header.type} ${header.name}`);
      stream.on("end", next);
      stream.resume();
    });
    await new Promise<void>((resolve, reject) => extract.on("finish", resolve).on("error", reject).end(tar));
    const top = `acme-widgets-${sha.slice(0, 7)}`;
    expect(names).toEqual([
      `directory ${top}/`,
      `directory ${top}/.github/`,
      `file ${top}/.github/devbuddy.yml`,
      `file ${top}/README.md`,
      `directory ${top}/src/`,
      `file ${top}/src/app.ts`,
      `directory ${top}/src/lib/`,
      `file ${top}/src/lib/util.ts`,
    ]);
    expect(gh.requests.slice(-2).map((r) => [r.path, r.status])).toEqual([
      ["/repos/acme/widgets/tarball/main", 302],
      [`/_codeload/acme/widgets/legacy.tar.gz/refs/heads/main`, 200],
    ]);
    expect((await fetch(`${gh.apiBase}/repos/acme/widgets/tarball/nope`, { redirect: "manual" })).status).toBe(404);
  });

  it("hides a private repository's archive without credentials", async () => {
    gh.seedRepoFiles("acme", "widgets", files);
    gh.seedRepo({ owner: "acme", repo: "widgets", private: true });
    expect((await fetch(`${gh.apiBase}/repos/acme/widgets/tarball/main`, { redirect: "manual" })).status).toBe(404);
    expect((await fetch(`${gh.url}/_codeload/acme/widgets/legacy.tar.gz/refs/heads/main`)).status).toBe(404);
    expect((await fetch(`${gh.apiBase}/repos/acme/widgets/tarball/main`, { headers: { authorization: `token ${TOKEN}` } })).status).toBe(200);
  });

  it("answers team memberships: active, pending, and 404 for non-members and unknown teams", async () => {
    gh.setTeamMember("acme", "core", "alice");
    gh.setTeamMember("acme", "core", "bob", { state: "pending", role: "maintainer" });
    gh.setTeamMember("acme", "core", "carol");
    gh.setTeamMember("acme", "core", "carol", null);
    expect((await api("/orgs/acme/teams/core/memberships/Alice")).json).toMatchObject({ state: "active", role: "member" });
    expect((await api("/orgs/acme/teams/core/memberships/bob")).json).toMatchObject({ state: "pending", role: "maintainer" });
    expect((await api("/orgs/acme/teams/core/memberships/carol")).status).toBe(404);
    expect((await api("/orgs/acme/teams/nope/memberships/alice")).status).toBe(404);
  });
});
