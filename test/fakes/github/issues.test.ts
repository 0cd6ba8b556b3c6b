/** Issues, their comments (reads, pages, writes) and reactions. */
import { Octokit } from "@octokit/rest";
import { describe, expect, it } from "vitest";
import type { GitHubComment } from "../fake-github.js";
import { api, gh, seedIssue, TOKEN, withFakeGitHub } from "./harness.js";

withFakeGitHub();

describe("fake GitHub: issues and comments", () => {
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
