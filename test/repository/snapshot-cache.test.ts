import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InstallationGitHub } from "../../src/github/installation.js";
import type { SlotRequest } from "../../src/scheduler/write-scheduler.js";
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
let api: InstallationGitHub<SlotRequest>;
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

/** The limits cut to what one snapshot of the fixture loads (so a load reserves no more than it reads), and what it holds. */
async function fitted(): Promise<{ readonly one: number; readonly fit: SnapshotLimits }> {
  const probe = await new SnapshotCache(100 * MB).get(api, repoNamed("a"), { limits }, log);
  let text = 0;
  for (const body of probe.loaded.values()) text += Buffer.byteLength(body);
  const fit = { ...limits, maxTotalBytes: text };
  const snapshot = await new SnapshotCache(100 * MB).get(api, repoNamed("a"), { limits: fit }, log);
  expect(snapshot.loaded.size).toBe(probe.loaded.size);
  return { one: measured(snapshot), fit };
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
    const { one, fit: limits } = await fitted();
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
    const { one, fit: limits } = await fitted();
    const cache = new SnapshotCache(Math.floor(one * 2.5));
    const a = await cache.get(api, repoNamed("a"), { limits }, log);
    const releaseA = cache.use(a);
    const b = await cache.get(api, repoNamed("b"), { limits }, log);
    const c = await cache.get(api, repoNamed("c"), { limits }, log);
    // b went (least recently used, nobody reads it); a is still counted, read by its run.
    expect(cache.heldBytes).toBe(measured(a) + measured(c));
    releaseA();
    expect(cache.heldBytes).toBeLessThanOrEqual(Math.floor(one * 2.5));
    expect(b).not.toBe(c);
  });
});

describe("SnapshotCache admission: memory is bounded whatever the number of runs", () => {
  it("a load waits while the snapshots runs read fill the cap, and starts when one run ends", async () => {
    const { one, fit: limits } = await fitted();
    const cache = new SnapshotCache(Math.floor(one * 1.5));
    const a = await cache.acquire(api, repoNamed("a"), { limits }, log);
    let got: RepoSnapshot | undefined;
    const waiting = cache.acquire(api, repoNamed("b"), { limits }, log).then((r) => {
      got = r.snapshot;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // No room for b while a is read: nothing downloaded, and the operator is told why.
    expect(got).toBeUndefined();
    expect(reloads("b")).toBe(0);
    expect(log.lines.filter((l) => l.message.startsWith("Waiting for memory"))).toHaveLength(1);
    a.release();
    const b = await waiting;
    expect(reloads("b")).toBe(1);
    expect(cache.committedBytes).toBe(measured(b.snapshot));
    b.release();
    expect(cache.committedBytes).toBe(0);
  });

  it("counts what loads under way may read, so a burst of runs cannot all load at once", async () => {
    const { one, fit: limits } = await fitted();
    // Room for two loads at a time, not three.
    const cache = new SnapshotCache(Math.floor(one * 2.5));
    const runs = ["a", "b", "c"].map((name) => cache.acquire(api, repoNamed(name), { limits }, log));
    const first = await Promise.race(runs.slice(0, 2));
    await Promise.all(runs.slice(0, 2));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reloads("c")).toBe(0);
    first.release();
    const third = await runs[2];
    expect(reloads("c")).toBe(1);
    for (const run of await Promise.all(runs)) run.release();
    expect(third?.snapshot.loaded.size ?? 0).toBeGreaterThan(0);
  });

  it("never makes a run wait when nothing else is read or loading, even over the cap alone", async () => {
    const { fit: limits } = await fitted();
    const cache = new SnapshotCache(1);
    const a = await cache.acquire(api, repoNamed("a"), { limits }, log);
    expect(a.snapshot.loaded.size).toBeGreaterThan(0);
    a.release();
    expect(log.lines.filter((l) => l.message.startsWith("Waiting for memory"))).toEqual([]);
  });

  it("a waiting run's signal ends its wait, and a run waiting for the same commit shares its load", async () => {
    const { one, fit: limits } = await fitted();
    const cache = new SnapshotCache(Math.floor(one * 1.5));
    const a = await cache.acquire(api, repoNamed("a"), { limits }, log);
    const stop = new AbortController();
    const stopped = cache.acquire(api, repoNamed("b"), { limits, signal: stop.signal }, log);
    const twins = [cache.acquire(api, repoNamed("c"), { limits }, log), cache.acquire(api, repoNamed("c"), { limits }, log)];
    stop.abort(new Error("the run was stopped"));
    await expect(stopped).rejects.toThrow("the run was stopped");
    a.release();
    const [c1, c2] = await Promise.all(twins);
    expect(c1?.snapshot).toBe(c2?.snapshot);
    expect(reloads("b")).toBe(0);
    expect(reloads("c")).toBe(1);
    c1?.release();
    c2?.release();
    expect(cache.committedBytes).toBe(0);
  });
});
