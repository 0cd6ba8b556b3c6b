import { describe, expect, it } from "vitest";
import type { InstallationGitHub } from "../../src/github/installation.js";
import { readArchive, type ArchiveOptions } from "../../src/repository/archive.js";
import type { SlotRequest } from "../../src/scheduler/write-scheduler.js";
import type { FakeGitHub } from "../fakes/fake-github.js";
import { freshFakeEachTest } from "../helpers/adapter-on-fake.js";

/**
 * A commit's tarball downloaded through the production adapter (a real Probot Octokit on
 * the loopback GitHub) and read as it streams: the requests, and that a limit or a
 * cancelled run ends the download.
 */

const REPO = { owner: "acme", repo: "widgets" } as const;
const MB = 1024 * 1024;

let gh: FakeGitHub;
let api: InstallationGitHub<SlotRequest>;
freshFakeEachTest((github, adapter) => ([gh, api] = [github, adapter]));

const all: ArchiveOptions = { accept: () => true, maxFiles: 100, maxBytes: 10 * MB, maxFileBytes: 10 * MB, maxDownloadBytes: 10 * MB };

describe("readArchive", () => {
  it("streams the tarball through the codeload redirect, keeping only accepted files", async () => {
    const { sha } = gh.seedRepoFiles("acme", "widgets", { "README.md": "hi\n", "agent/ai.py": "class AI: ...\n", "assets/logo.png": Buffer.alloc(100) });
    const result = await readArchive(api, REPO, sha, { ...all, accept: (path) => !path.endsWith(".png") });
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
    const result = await readArchive(api, REPO, sha, { ...all, maxDownloadBytes: 2 * MB, accept: (path) => path === "README.md" });
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
    const reading = readArchive(api, REPO, sha, { ...all, maxDownloadBytes: 1000 * MB, accept: () => false, signal: controller.signal });
    await expect.poll(() => gh.requests.find((r) => r.path.startsWith("/_codeload/"))?.bytesSent ?? 0).toBeGreaterThan(1 * MB);
    controller.abort(new Error("run cancelled"));
    await expect(reading).rejects.toThrow("run cancelled");
  });

  it("turns a failed download into a GitHubError", async () => {
    const { sha } = gh.seedRepoFiles("acme", "widgets", { "a.txt": "a" });
    gh.failNext({ path: /^\/_codeload\//, status: 502, body: { message: "Server Error" } });
    await expect(readArchive(api, REPO, sha, all)).rejects.toMatchObject({ name: "GitHubError", kind: "transient", status: 502 });
  });
});
