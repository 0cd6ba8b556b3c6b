import { describe, expect, it } from "vitest";
import { GitHubError } from "../../src/github/errors.js";
import { loadSnapshot, type SnapshotLimits } from "../../src/repository/repo-snapshot.js";
import { loadFixtureRepo } from "../helpers/fixture-repo.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { MemoryGitHub, testScheduler } from "../helpers/memory-github.js";
import { recordingLogger } from "../helpers/recording-logger.js";

/** `MemoryGitHub` serves the same repository reads as GitHub, so run tests can use it without HTTP. */

const REPO = { owner: "acme", repo: "agent" } as const;
const limits: SnapshotLimits = { maxFileBytes: 100_000, maxTotalBytes: 1024 * 1024, maxFiles: 200, maxDownloadBytes: 1024 * 1024, maxBlobFetches: 50 };

function memory(): MemoryGitHub {
  const clock = new ManualClock();
  const github = new MemoryGitHub(clock, testScheduler(clock, recordingLogger()));
  github.seedFiles(loadFixtureRepo());
  return github;
}

describe("MemoryGitHub repository reads", () => {
  it("loads the fixture snapshot with one archive read, like GitHub", async () => {
    const github = memory();
    const snapshot = await loadSnapshot(github, REPO, { limits }, recordingLogger());
    expect(snapshot.loaded.has("agent/ai.py")).toBe(true);
    expect(snapshot.loaded.size).toBe(14);
    expect(Object.fromEntries(snapshot.skipped)).toEqual({ vendored: 1, generated: 2, ignored: 1, binary: 1 });
    expect(github.reads.map((read) => read.op)).toEqual(["repository", "commitSha", "tree", "blob", "blob", "archive"]);
  });

  it("injects read failures: a failed archive falls back to blobs", async () => {
    const github = memory();
    github.failReadOnce("archive", new GitHubError("HTTP 502", { kind: "transient", status: 502 }));
    const snapshot = await loadSnapshot(github, REPO, { limits }, recordingLogger());
    expect(snapshot.loaded.size).toBe(14);
    expect(github.readsOf("blob")).toHaveLength(2 + 14);
  });

  it("answers team membership from its teams map", async () => {
    const github = memory();
    github.teams.set("acme/core", new Set(["alice"]));
    expect(await github.teamMember("acme", "core", "Alice")).toBe(true);
    expect(await github.teamMember("acme", "core", "bob")).toBe(false);
  });
});
