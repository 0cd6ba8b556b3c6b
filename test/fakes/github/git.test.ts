/** A seeded repository's commits, trees, blobs, contents and archives. */
import { gunzipSync } from "node:zlib";
import { ProbotOctokit } from "probot";
import { extract as tarExtract } from "tar-stream";
import { describe, expect, it } from "vitest";
import { api, gh, TOKEN, withFakeGitHub } from "./harness.js";

withFakeGitHub();

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
});
