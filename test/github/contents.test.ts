import { describe, expect, it } from "vitest";
import { GitHubError } from "../../src/github/errors.js";
import type { InstallationGitHub } from "../../src/github/installation.js";
import type { SlotRequest } from "../../src/scheduler/write-scheduler.js";
import { gitBlobSha, type FakeGitHub } from "../fakes/fake-github.js";
import { freshFakeEachTest } from "../helpers/adapter-on-fake.js";

/**
 * The repository's code against the loopback GitHub with a real Probot Octokit: the
 * requests made, GitHub's shapes turned into plain data, and the bound on a blob's download.
 * (The tarball is read in test/repository/read-archive.test.ts.)
 */

const REPO = { owner: "acme", repo: "widgets" } as const;
const MB = 1024 * 1024;

let gh: FakeGitHub;
let api: InstallationGitHub<SlotRequest>;
freshFakeEachTest((github, adapter) => ([gh, api] = [github, adapter]));

describe("InstallationGitHub reads", () => {
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
});
