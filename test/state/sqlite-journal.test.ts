import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { WrittenPart } from "../../src/state/run-journal.js";
import { SqliteJournal } from "../../src/state/sqlite-journal.js";
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
const SILENT = 15_000;
/** Time passes without a heartbeat: every instance that has not closed looks gone. */
const silence = () => void (wall += SILENT + 1);

const open: SqliteJournal[] = [];
const journalAt = (path: string, instance: string): SqliteJournal => {
  const journal = new SqliteJournal(path, { instance, now: () => wall });
  open.push(journal);
  return journal;
};
afterEach(() => open.splice(0).forEach((j) => j.close()));

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
    silence();
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
    silence();
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
    // A rolling deploy: the old process still finishes its answers, saying it is alive.
    wall += 10_000;
    await old.heartbeat();
    wall += 10_000;
    expect(await fresh.unfinished(SILENT)).toEqual([]);
    silence();
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
    silence();
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
    const reader = new SqliteJournal(path, { instance: "new", log, now: () => wall });
    open.push(reader);
    silence();
    expect(await reader.unfinished(SILENT)).toEqual([]);
    expect(log.lines.some((l) => l.level === "warn" && l.message.includes("cannot be read"))).toBe(true);
    expect(await journalAt(path, "third").unfinished(SILENT)).toEqual([]);
  });

  it("refuses a path it cannot open", () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-"));
    writeFileSync(join(dir, "file"), "");
    expect(() => new SqliteJournal(join(dir, "file", "state.sqlite"))).toThrow();
  });
});
