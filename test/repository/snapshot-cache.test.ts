import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InstallationGitHub } from "../../src/github/github-adapter.js";
import { SnapshotCache, type RepoSnapshot, type SnapshotLimits } from "../../src/repository/repo-snapshot.js";
import { startFakeGitHub, type FakeGitHub } from "../fakes/fake-github.js";
import { adapterOnFake } from "../helpers/adapter-on-fake.js";
import { loadFixtureRepo } from "../helpers/fixture-repo.js";
import { recordingLogger } from "../helpers/recording-logger.js";

/**
 * The snapshot cache's memory bound: bytes actually held by the snapshots cached or in use
 * (their files, paths and pinned texts) and the indexes built from them, over the process.
 */

const MB = 1024 * 1024;
const fixture = loadFixtureRepo();
const limits: SnapshotLimits = { maxFileBytes: 100_000, maxTotalBytes: 1 * MB, maxFiles: 200, maxDownloadBytes: 50 * MB, maxBlobFetches: 20 };
const repoNamed = (repo: string) => ({ owner: "acme", repo });

let gh: FakeGitHub;
let api: InstallationGitHub;
let log: ReturnType<typeof recordingLogger>;

beforeEach(async () => {
  gh = await startFakeGitHub();
  log = recordingLogger();
  api = adapterOnFake(gh, log);
  for (const name of ["a", "b", "c"]) gh.seedRepoFiles("acme", name, fixture);
});

afterEach(async () => {
  await gh.close();
});

/** What one snapshot of the fixture holds, measured independently: every loaded file's and path's UTF-8 bytes. */
function measured(snapshot: RepoSnapshot): number {
  let bytes = 0;
  for (const text of snapshot.loaded.values()) bytes += Buffer.byteLength(text);
  for (const path of snapshot.allPaths) bytes += Buffer.byteLength(path);
  for (const text of snapshot.pinned.values()) bytes += Buffer.byteLength(text);
  return bytes;
}

const reloads = (repo: string): number => gh.requests.filter((r) => r.path.startsWith(`/repos/acme/${repo}/tarball/`)).length;

describe("SnapshotCache memory", () => {
  it("counts the bytes each snapshot holds and the index built from it, cached or in use", async () => {
    const cache = new SnapshotCache(100 * MB);
    const a = await cache.get(api, repoNamed("a"), { limits }, log);
    expect(cache.heldBytes).toBe(measured(a));
    await cache.holdIndex(a, async () => 12_345);
    // Measured once: a later run reusing the index does not measure again.
    await cache.holdIndex(a, async () => 99_999_999);
    expect(cache.heldBytes).toBe(measured(a) + 12_345);
  });

  it("drops the least recently used snapshot no run reads once the bytes held pass the cap, never one in use", async () => {
    const probe = new SnapshotCache(100 * MB);
    const one = measured(await probe.get(api, repoNamed("a"), { limits }, log));
    // Room for two snapshots, not three.
    const cache = new SnapshotCache(Math.floor(one * 2.5));
    const a = await cache.get(api, repoNamed("a"), { limits }, log);
    const releaseA = cache.use(a);
    const b = await cache.get(api, repoNamed("b"), { limits }, log);
    cache.use(b)();
    await cache.get(api, repoNamed("c"), { limits }, log);
    // a is older, but a run reads it: b, the least recently used one nobody reads, went.
    gh.clearLog();
    expect(await cache.get(api, repoNamed("a"), { limits }, log)).toBe(a);
    expect(await cache.get(api, repoNamed("b"), { limits }, log)).not.toBe(b);
    expect(reloads("b")).toBe(1);
    expect(cache.heldBytes).toBeLessThanOrEqual(Math.floor(one * 2.5));

    // An index measured for a counts too: with a released, it is now the least recently used.
    releaseA();
    await cache.holdIndex(a, async () => one);
    gh.clearLog();
    await cache.get(api, repoNamed("a"), { limits }, log);
    expect(reloads("a")).toBe(1);
  });

  it("counts a snapshot a run still reads after the cache dropped it: memory is the process's", async () => {
    const probe = new SnapshotCache(100 * MB);
    const one = measured(await probe.get(api, repoNamed("a"), { limits }, log));
    const cache = new SnapshotCache(Math.floor(one * 1.5));
    const a = await cache.get(api, repoNamed("a"), { limits }, log);
    const releaseA = cache.use(a);
    const b = await cache.get(api, repoNamed("b"), { limits }, log);
    // Both held: a by its run, b just loaded (kept for its caller).
    expect(cache.heldBytes).toBe(measured(a) + measured(b));
    releaseA();
    expect(cache.heldBytes).toBe(measured(b));
  });
});
