import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHubError } from "../../src/github/errors.js";
import { listHookDeliveries, redeliverHookDelivery, type ArchiveOptions, type InstallationGitHub } from "../../src/github/github-adapter.js";
import { gitBlobSha, startFakeGitHub, type FakeGitHub } from "../fakes/fake-github.js";
import { adapterOnFake, appOctokitOnFake } from "../helpers/adapter-on-fake.js";

/**
 * The adapter's reads against the loopback GitHub with a real Probot Octokit: the
 * requests they make, GitHub's shapes turned into plain data, and the bounds on what is
 * downloaded.
 */

const REPO = { owner: "acme", repo: "widgets" } as const;
const MB = 1024 * 1024;

let gh: FakeGitHub;
let api: InstallationGitHub;

beforeEach(async () => {
  gh = await startFakeGitHub();
  api = adapterOnFake(gh);
});

afterEach(async () => {
  await gh.close();
});

const all: ArchiveOptions = { accept: () => true, maxFiles: 100, maxBytes: 10 * MB, maxFileBytes: 10 * MB, maxDownloadBytes: 10 * MB };

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

  it("reads the repository, resolves a branch to its commit with one request each", async () => {
    const { sha } = gh.seedRepoFiles("acme", "widgets", { "README.md": "hi\n" }, { defaultBranch: "trunk" });
    expect(await api.repository(REPO)).toEqual({ defaultBranch: "trunk", htmlUrl: `${gh.url}/acme/widgets` });
    expect(await api.commitSha(REPO, "trunk")).toBe(sha);
    expect(gh.requests.map((r) => [r.path, r.headers["accept"]])).toEqual([
      ["/repos/acme/widgets", "application/vnd.github.v3+json"],
      ["/repos/acme/widgets/commits/trunk", "application/vnd.github.v3.sha"],
    ]);
    const unknown = await api.commitSha(REPO, "nope").catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(GitHubError);
    expect(unknown).toMatchObject({ kind: "permanent", status: 422 });
    await expect(api.repository({ owner: "acme", repo: "gone" })).rejects.toMatchObject({ kind: "not-found" });
  });

  it("lists the commit's whole tree with blob shas and sizes", async () => {
    const { sha, treeSha } = gh.seedRepoFiles("acme", "widgets", { "README.md": "hello\n", "src/app.ts": "x\n" });
    const tree = await api.tree(REPO, sha);
    expect(tree).toEqual({
      sha: treeSha,
      truncated: false,
      entries: [
        { path: "README.md", type: "blob", mode: "100644", sha: "ce013625030ba8dba906f756967f9e9ca394464a", size: 6 },
        { path: "src", type: "tree", mode: "040000", sha: expect.stringMatching(/^[0-9a-f]{40}$/) },
        { path: "src/app.ts", type: "blob", mode: "100644", sha: gitBlobSha(Buffer.from("x\n")), size: 2 },
      ],
    });
    expect(gh.requests.at(-1)?.query).toEqual({ recursive: "1" });
    const cut = gh.seedRepoFiles("acme", "big", { "a.ts": "", "b.ts": "", "c.ts": "" }, { truncated: 2 });
    expect(await api.tree({ owner: "acme", repo: "big" }, cut.sha)).toMatchObject({ truncated: true, entries: [{ path: "a.ts" }, { path: "b.ts" }] });
  });

  it("decodes blobs byte for byte, and refuses one over maxBytes with a clear error", async () => {
    const binary = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
    gh.seedRepoFiles("acme", "widgets", { "logo.png": binary });
    expect(await api.blob(REPO, gitBlobSha(binary), 1000)).toEqual(binary);
    const refused = await api.blob(REPO, gitBlobSha(binary), 999).catch((error: unknown) => error);
    expect(refused).toMatchObject({ kind: "permanent", message: expect.stringContaining("the blob is 1000 bytes, over the limit of 999 bytes") });
  });

  it("stops reading a blob's answer once it is longer than maxBytes allows", async () => {
    gh.seedRepoFiles("acme", "widgets", { "a.txt": "a" }, { hugeFiles: { "data/dump.sql": 90 * MB } });
    const huge = (await api.tree(REPO, "main")).entries.find((entry) => entry.path === "data/dump.sql");
    const refused = await api.blob(REPO, huge?.sha ?? "", 1 * MB).catch((error: unknown) => error);
    expect(refused).toMatchObject({ kind: "permanent", message: expect.stringContaining("larger than the limit of 1048576 bytes") });
    // The fake streams while the client reads; it stopped far short of the ~120 MB of base64.
    await expect.poll(() => gh.requests.at(-1)?.status).toBe(200);
    expect(gh.requests.at(-1)?.bytesSent).toBeLessThan(20 * MB);
  });

  it("streams the tarball through the codeload redirect, keeping only accepted files", async () => {
    const { sha } = gh.seedRepoFiles("acme", "widgets", { "README.md": "hi\n", "agent/ai.py": "class AI: ...\n", "assets/logo.png": Buffer.alloc(100) });
    const result = await api.archive(REPO, sha, { ...all, accept: (path) => !path.endsWith(".png") });
    expect(result.complete).toBe(true);
    expect(Object.fromEntries([...result.files].map(([path, bytes]) => [path, bytes.toString()]))).toEqual({
      "README.md": "hi\n",
      "agent/ai.py": "class AI: ...\n",
    });
    expect(gh.requests.map((r) => `${r.status} ${r.path}`)).toEqual([
      `302 /repos/acme/widgets/tarball/${sha}`,
      `200 /_codeload/acme/widgets/legacy.tar.gz/${sha}`,
    ]);
  });

  it("aborts the tarball download past maxDownloadBytes: a 300 MB file is not downloaded", async () => {
    const { sha } = gh.seedRepoFiles("acme", "widgets", { "README.md": "hi\n" }, { hugeFiles: { "data/dump.sql": 300 * MB } });
    // The huge entry is drained, not kept: only the download limit can stop the stream.
    const result = await api.archive(REPO, sha, { ...all, maxDownloadBytes: 2 * MB, accept: (path) => path === "README.md" });
    expect(result.complete).toBe(false);
    expect(result.files.get("README.md")?.toString()).toBe("hi\n");
    const download = gh.requests.find((r) => r.path.startsWith("/_codeload/"));
    expect(download?.bytesSent).toBeGreaterThan(2 * MB);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(download?.bytesSent).toBeLessThan(20 * MB);
  });

  it("rejects with the caller's reason when the run is cancelled mid-download", async () => {
    const { sha } = gh.seedRepoFiles("acme", "widgets", { "a.txt": "a" }, { hugeFiles: { "data/dump.sql": 300 * MB } });
    const controller = new AbortController();
    const reading = api.archive(REPO, sha, { ...all, maxDownloadBytes: 1000 * MB, accept: () => false, signal: controller.signal });
    await expect.poll(() => gh.requests.find((r) => r.path.startsWith("/_codeload/"))?.bytesSent ?? 0).toBeGreaterThan(1 * MB);
    controller.abort(new Error("run cancelled"));
    await expect(reading).rejects.toThrow("run cancelled");
  });

  it("turns a failed download into a GitHubError", async () => {
    const { sha } = gh.seedRepoFiles("acme", "widgets", { "a.txt": "a" });
    gh.failNext({ path: /^\/_codeload\//, status: 502, body: { message: "Server Error" } });
    await expect(api.archive(REPO, sha, all)).rejects.toMatchObject({ name: "GitHubError", kind: "transient", status: 502 });
  });

  it("reports active team members only: pending invitations and 404s are not members", async () => {
    gh.setTeamMember("acme", "core", "alice");
    gh.setTeamMember("acme", "core", "bob", { state: "pending" });
    expect(await api.teamMember("acme", "core", "alice")).toBe(true);
    expect(await api.teamMember("acme", "core", "bob")).toBe(false);
    expect(await api.teamMember("acme", "core", "mallory")).toBe(false);
    expect(await api.teamMember("acme", "ghosts", "alice")).toBe(false);
    gh.failNext({ path: /memberships/, status: 500, body: { message: "boom" } });
    await expect(api.teamMember("acme", "core", "alice")).rejects.toMatchObject({ kind: "transient" });
  });
});

describe("the App's webhook delivery log", () => {
  it("reads it newest first, page after page by cursor, back to a time or a number", async () => {
    const base = Date.parse("2026-12-01T10:00:00Z");
    for (let i = 0; i < 250; i++) {
      gh.hookDeliveries.push({
        id: 10_000 + i,
        guid: `g${i}`,
        event: "issue_comment",
        action: "created",
        statusCode: i % 2 === 0 ? 200 : 0,
        deliveredAt: new Date(base + i * 60_000).toISOString(),
        redelivery: false,
        installationId: 1,
        payload: {},
      });
    }
    const app = appOctokitOnFake(gh);
    const all = await listHookDeliveries(app, 0, 1_000);
    expect(all).toHaveLength(250);
    expect(all[0]).toEqual({ id: 10_249, guid: "g249", deliveredAt: base + 249 * 60_000, event: "issue_comment", action: "created", statusCode: 0 });
    expect(gh.requests.filter((r) => r.path === "/app/hook/deliveries").map((r) => r.query["cursor"] ?? "")).toEqual(["", "100", "200"]);
    expect((await listHookDeliveries(app, base + 200 * 60_000, 1_000)).map((d) => d.guid).at(-1)).toBe("g200");
    expect(await listHookDeliveries(app, 0, 5)).toHaveLength(5);
    await redeliverHookDelivery(app, 10_001);
    expect(gh.hookDeliveries.at(-1)).toMatchObject({ guid: "g1", redelivery: true });
  });
});
