import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { WrittenPart } from "../../src/state/run-journal.js";
import { DatabaseSync } from "node:sqlite";
import { SqliteJournal } from "../../src/state/sqlite-journal.js";
import { expectLoopFree } from "../helpers/loop-delay.js";
import { systemClock, type Clock } from "../../src/util/clock.js";
import { recordingLogger } from "../helpers/recording-logger.js";
import { MENTION_EVENT } from "../helpers/payloads.js";

const EVENT = MENTION_EVENT;

const PART: WrittenPart = {
  id: 99,
  url: "https://github.com/acme/app/issues/3#issuecomment-99",
  input: { text: "Half", meta: { v: 1, run: "r1", part: 1, state: "streaming", trigger: "c11" }, model: "gpt" },
};

/** Wall-clock time shared by every journal of a test. */
let wall = 1_000_000;
/** Monotonic time, shared too (each process has its own; only differences matter). */
let mono = 0;
const clock: Clock = { now: () => mono, sleep: systemClock.sleep };
const SILENT = 15_000;
/**
 * Time passes without a heartbeat: to each observer (which looks first, noting every
 * peer's heartbeat count), every instance that has not closed looks gone.
 */
const silence = async (...observers: SqliteJournal[]): Promise<void> => {
  for (const observer of observers) await observer.unfinished(SILENT);
  wall += SILENT + 1;
  mono += SILENT + 1;
};

const open: SqliteJournal[] = [];
const journalAt = (path: string, instance: string, now: () => number = () => wall): SqliteJournal => {
  const journal = new SqliteJournal(path, { instance, now, clock });
  open.push(journal);
  return journal;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((j) => j.close()));
});

const freshPath = () => join(mkdtempSync(join(tmpdir(), "journal-")), "nested", "state.sqlite");

describe("SqliteJournal", () => {
  it("claims a set of keys once, atomically: any key seen before makes the whole claim a duplicate", async () => {
    const journal = journalAt(":memory:", "a");
    expect(await journal.claim(["delivery:d1", "trigger:c1"])).toBe(true);
    expect(await journal.claim(["delivery:d1", "trigger:c1"])).toBe(false);
    expect(await journal.claim(["delivery:d2", "trigger:c1"])).toBe(false);
    // The refused claim recorded nothing: d2 is still new.
    expect(await journal.claim(["delivery:d2", "trigger:c2"])).toBe(true);
  });

  it("keeps claims and unfinished runs across a reopen (a restart), creating the folder it needs", async () => {
    const path = freshPath();
    const before = journalAt(path, "first");
    await before.claim(["delivery:d1"]);
    await before.runAccepted({ runId: "r1", event: EVENT, attempt: 1 });
    await before.runAnswering("r1");
    await before.partsWritten("r1", [PART]);
    await before.runAccepted({ runId: "r2", event: { ...EVENT, deliveryId: "d2" }, attempt: 1 });
    await before.runEnded("r2");
    // No close(): a killed process never gets to close its database.

    const after = journalAt(path, "second");
    expect(await after.claim(["delivery:d1"])).toBe(false);
    await silence(after);
    expect(await after.unfinished(SILENT)).toEqual([
      { runId: "r1", event: EVENT, phase: "answering", attempt: 1, parts: [PART], startedAt: expect.any(Number), instance: "first" },
    ]);
  });

  it("lists only other instances' runs, and lets one instance adopt a run once", async () => {
    const path = freshPath();
    const dead = journalAt(path, "dead");
    await dead.runAccepted({ runId: "r1", event: EVENT, attempt: 1 });
    const a = journalAt(path, "a");
    const b = journalAt(path, "b");
    await silence(dead, a, b);
    await a.heartbeat();
    await b.heartbeat();
    expect((await dead.unfinished(SILENT)).map((r) => r.runId)).toEqual([]);
    expect(await a.adopt("r1", "dead", "a")).toBe(true);
    expect(await b.adopt("r1", "dead", "b")).toBe(false);
    expect((await a.unfinished(SILENT)).map((r) => r.runId)).toEqual([]);
    // a is alive: b leaves its runs alone; handed back, the run is the dead one's again.
    expect((await b.unfinished(SILENT)).map((r) => r.instance)).toEqual([]);
    expect(await a.adopt("r1", "a", "dead")).toBe(true);
    expect((await b.unfinished(SILENT)).map((r) => r.instance)).toEqual(["dead"]);
  });

  it("leaves a live instance's runs alone, and takes them once it falls silent or closes the journal", async () => {
    const path = freshPath();
    const old = journalAt(path, "old");
    await old.runAccepted({ runId: "r1", event: EVENT, attempt: 1 });
    const fresh = journalAt(path, "new");
    expect(await fresh.unfinished(SILENT)).toEqual([]);
    // A rolling deploy: the old process still finishes its answers, saying it is alive.
    mono += 10_000;
    await old.heartbeat();
    mono += 10_000;
    expect(await fresh.unfinished(SILENT)).toEqual([]);
    await silence(fresh);
    expect((await fresh.unfinished(SILENT)).map((r) => r.runId)).toEqual(["r1"]);

    const closing = journalAt(path, "closing");
    await closing.runAccepted({ runId: "r2", event: EVENT, attempt: 1 });
    await fresh.heartbeat();
    closing.close();
    expect((await fresh.unfinished(SILENT)).map((r) => r.runId)).toEqual(["r1", "r2"]);
  });

  it("a resumed run starts over: attempt counted, phase and parts reset", async () => {
    const path = freshPath();
    const journal = journalAt(path, "x");
    await journal.runAccepted({ runId: "r1", event: EVENT, attempt: 1 });
    await journal.runAnswering("r1");
    await journal.partsWritten("r1", [PART]);
    await journal.runAccepted({ runId: "r1", event: EVENT, attempt: 2 });
    const other = journalAt(path, "y");
    await silence(other);
    expect(await other.unfinished(SILENT)).toMatchObject([{ runId: "r1", phase: "accepted", attempt: 2, parts: [], instance: "x" }]);
  });

  it("forgets claims older than the retention, and keeps newer ones", async () => {
    const journal = journalAt(":memory:", "a");
    await journal.claim(["delivery:old"]);
    wall += 5_000;
    await journal.claim(["delivery:new"]);
    await journal.prune(3_000);
    expect(await journal.claim(["delivery:old"])).toBe(true);
    expect(await journal.claim(["delivery:new"])).toBe(false);
  });

  it("forgets old claims on its own every so many claims, so a long-running process stays small", async () => {
    let now = 0;
    const journal = new SqliteJournal(":memory:", { instance: "a", now: () => now, retentionMs: 1_000, pruneEvery: 3 });
    open.push(journal);
    await journal.claim(["delivery:old"]);
    now = 5_000;
    await journal.claim(["delivery:b"]);
    expect(await journal.claim(["delivery:old"])).toBe(false); // the third claim prunes, after its check
    expect(await journal.claim(["delivery:old"])).toBe(true);
    expect(await journal.claim(["delivery:b"])).toBe(false);
  });

  it("drops, and says so, a run it cannot read (written by another version)", async () => {
    const path = freshPath();
    const log = recordingLogger();
    const writer = journalAt(path, "old");
    await writer.runAccepted({ runId: "r1", event: { ...EVENT, installationId: "seven" as unknown as number }, attempt: 1 });
    const reader = new SqliteJournal(path, { instance: "new", log, now: () => wall, clock });
    open.push(reader);
    await silence(reader);
    expect(await reader.unfinished(SILENT)).toEqual([]);
    expect(log.lines.some((l) => l.level === "warn" && l.message.includes("cannot be read"))).toBe(true);
    expect(await journalAt(path, "third").unfinished(SILENT)).toEqual([]);
  });

  it("refuses a path it cannot open", () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-"));
    writeFileSync(join(dir, "file"), "");
    expect(() => new SqliteJournal(join(dir, "file", "state.sqlite"))).toThrow();
  });

  it("a wall-clock step of an hour either way never makes a live peer look gone; one that stops beating is still taken over", async () => {
    const path = freshPath();
    // Each process has its own wall clock, stepped by NTP or an operator, and its own monotonic one.
    let ownerWall = 1_000_000;
    let peerWall = 1_000_000;
    const owner = new SqliteJournal(path, { instance: "owner", now: () => ownerWall, clock });
    const peer = new SqliteJournal(path, { instance: "peer", now: () => peerWall, clock });
    open.push(owner, peer);
    await owner.runAccepted({ runId: "r1", event: EVENT, attempt: 1 });
    const beat = async (): Promise<void> => {
      mono += 5_000;
      await owner.heartbeat();
      await peer.heartbeat();
    };
    expect(await peer.unfinished(SILENT)).toEqual([]);
    for (const step of [3_600_000, -3_600_000, -3_600_000, 3_600_000]) {
      ownerWall += step;
      peerWall -= step;
      for (let i = 0; i < 4; i++) {
        await beat();
        expect(await peer.unfinished(SILENT)).toEqual([]);
      }
    }
    // The owner stops beating (its loop is gone): after SILENT of the peer's own time, its run is the peer's.
    mono += SILENT - 1;
    expect(await peer.unfinished(SILENT)).toEqual([]);
    mono += 1;
    expect((await peer.unfinished(SILENT)).map((r) => r.runId)).toEqual(["r1"]);
  });

  it("waits on a timer for a lock another connection holds, never inside SQLite, and keeps the order of its writes", async () => {
    const path = freshPath();
    const journal = journalAt(path, "a");
    await journal.runAccepted({ runId: "r1", event: EVENT, attempt: 1 });
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    setTimeout(() => {
      other.exec("COMMIT");
      other.close();
    }, 500);
    const done = await expectLoopFree(() =>
      Promise.all([
        journal.claim(["delivery:d1"]),
        journal.partsWritten("r1", [PART]),
        journal.partsWritten("r1", [{ ...PART, input: { ...PART.input, text: "Half and more" } }]),
        journal.claim(["delivery:d1"]),
      ]),
    );
    expect([done[0], done[3]]).toEqual([true, false]);
    const reader = journalAt(path, "b");
    await silence(reader);
    expect((await reader.unfinished(SILENT))[0]?.parts[0]?.input.text).toBe("Half and more");
  });
});
