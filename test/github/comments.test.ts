import { describe, expect, it } from "vitest";
import type { InstallationGitHub } from "../../src/github/installation.js";
import type { SlotRequest } from "../../src/scheduler/write-scheduler.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import { freshFakeEachTest } from "../helpers/adapter-on-fake.js";

/**
 * Reading an issue's thread against the loopback GitHub with a real Probot Octokit: the
 * pages requested, both ends of a long thread, and the GraphQL query for minimized comments.
 */

const REPO = { owner: "acme", repo: "widgets" } as const;

let gh: FakeGitHub;
let api: InstallationGitHub<SlotRequest>;
freshFakeEachTest((github, adapter) => ([gh, api] = [github, adapter]));

describe("InstallationGitHub reads", () => {
  it("reads a long thread at both ends: the first comments and the newest, from the last page backwards", async () => {
    gh.seedIssue({ owner: "acme", repo: "widgets", number: 7, title: "Long", body: "b", user: "alice" });
    const seeded = Array.from({ length: 650 }, (_, i) => gh.addComment({ owner: "acme", repo: "widgets", number: 7, body: `c${i}`, user: "bob" }));
    gh.clearLog();
    const listed = await api.listComments({ ...REPO, issueNumber: 7 }, 500);
    expect(listed.comments.map((c) => c.body)).toEqual([
      ...seeded.slice(0, 50).map((c) => c.body),
      ...seeded.slice(200).map((c) => c.body),
    ]);
    expect(listed).toMatchObject({ omitted: 150, gapAfterId: seeded[49]?.id });
    const rest = gh.requests.filter((r) => r.method === "GET");
    expect(rest.map((r) => r.query["page"])).toEqual(["1", "7", "6", "5", "4", "3"]);
    // Which of the 500 are minimized: one GraphQL query per 100 comments.
    const graphql = gh.requests.filter((r) => r.method === "POST" && r.path === "/api/graphql");
    expect(graphql.map((r) => (r.body as { variables: { ids: string[] } }).variables.ids.length)).toEqual([100, 100, 100, 100, 100]);
  });

  it("marks the comments GitHub shows minimized, which REST does not tell", async () => {
    gh.seedIssue({ owner: "acme", repo: "widgets", number: 9, title: "Spam", body: "b", user: "alice" });
    const [kept, spam, outdated] = ["real", "buy now", "old plan"].map((body) => gh.addComment({ owner: "acme", repo: "widgets", number: 9, body, user: "bob" }));
    gh.minimizeComment(spam?.id ?? 0, "SPAM");
    gh.minimizeComment(outdated?.id ?? 0, "OUTDATED");
    const listed = await api.listComments({ ...REPO, issueNumber: 9 }, 500);
    expect(listed).toEqual({
      comments: [
        { id: kept?.id, author: "bob", authorType: "User", body: "real" },
        { id: spam?.id, author: "bob", authorType: "User", body: "buy now", minimized: true },
        { id: outdated?.id, author: "bob", authorType: "User", body: "old plan", minimized: true },
      ],
      omitted: 0,
    });
  });

  it("when GraphQL fails, returns every comment unmarked and says why", async () => {
    gh.seedIssue({ owner: "acme", repo: "widgets", number: 10, title: "T", body: "b", user: "alice" });
    const comment = gh.addComment({ owner: "acme", repo: "widgets", number: 10, body: "hidden", user: "bob" });
    gh.minimizeComment(comment.id);
    gh.failNext({ method: "POST", path: /^\/api\/graphql$/, status: 502, body: { message: "Server Error" } });
    const listed = await api.listComments({ ...REPO, issueNumber: 10 }, 500);
    expect(listed.comments).toEqual([{ id: comment.id, author: "bob", authorType: "User", body: "hidden" }]);
    expect(listed.minimizedUnknown).toMatch(/minimized/);
  });

  it("sends no GraphQL query for a thread without comments", async () => {
    gh.seedIssue({ owner: "acme", repo: "widgets", number: 11, title: "T", body: "b", user: "alice" });
    gh.clearLog();
    expect(await api.listComments({ ...REPO, issueNumber: 11 }, 500)).toEqual({ comments: [], omitted: 0 });
    expect(gh.requests.map((r) => r.method)).toEqual(["GET"]);
  });

  it("reads a thread that fits whole, page after page, and says nothing was skipped", async () => {
    gh.seedIssue({ owner: "acme", repo: "widgets", number: 8, title: "Short", body: "b", user: "alice" });
    const seeded = Array.from({ length: 150 }, (_, i) => gh.addComment({ owner: "acme", repo: "widgets", number: 8, body: `c${i}`, user: "bob" }));
    const listed = await api.listComments({ ...REPO, issueNumber: 8 }, 500);
    expect(listed).toEqual({ comments: seeded.map((c) => ({ id: c.id, author: "bob", authorType: "User", body: c.body })), omitted: 0 });
    // One page past the limit: the newest are kept, the rest of the first page included.
    const tight = await api.listComments({ ...REPO, issueNumber: 8 }, 120);
    expect(tight.comments.map((c) => c.body)).toEqual([...seeded.slice(0, 12), ...seeded.slice(42)].map((c) => c.body));
    expect(tight).toMatchObject({ omitted: 30, gapAfterId: seeded[11]?.id });
  });
});
