import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { SqliteJournal } from "../src/state/sqlite-journal.js";
import type { WrittenPart } from "../src/state/run-journal.js";
import { MENTION_EVENT } from "../test/helpers/payloads.js";

/**
 * What the run journal costs on the answer's path. Every delivery claims two keys, and
 * every write of an answer's comment records what the comment now shows (up to a whole
 * 65,536-character comment), synchronously, on the thread that streams every other
 * answer. With the write budget's pacing that is at most one record a second per
 * installation; the numbers say how far that is from mattering.
 */

const part = (chars: number): WrittenPart => ({
  id: 1,
  url: "https://github.com/o/r/issues/1#issuecomment-1",
  input: { text: "x".repeat(chars), meta: { v: 1, run: "r", part: 1, state: "streaming" } },
});

describe("run journal (SQLite file, WAL)", () => {
  it("records claims and comment writes", async () => {
    const journal = new SqliteJournal(join(mkdtempSync(join(tmpdir(), "journal-bench-")), "state.sqlite"));
    const runs = 50;
    for (let r = 0; r < runs; r++) await journal.runAccepted({ runId: `r${r}`, event: MENTION_EVENT, attempt: 1 });
    const rows: Array<[string, string]> = [];
    const time = async (what: string, n: number, step: (i: number) => Promise<unknown>): Promise<void> => {
      const started = performance.now();
      for (let i = 0; i < n; i++) await step(i);
      const ms = (performance.now() - started) / n;
      rows.push([what, `${(ms * 1000).toFixed(0)} µs each, ${Math.round(1000 / ms).toLocaleString("en-US")} a second`]);
    };
    await time("claim (a delivery and its trigger)", 5_000, (i) => journal.claim([`delivery:${i}`, `trigger:${i}`]));
    for (const chars of [1_000, 20_000, 63_000]) {
      await time(`record a comment of ${chars.toLocaleString("en-US")} characters`, 2_000, (i) => journal.partsWritten(`r${i % runs}`, [part(chars)]));
    }
    await time("look for runs others left (beside 50 of its own)", 200, () => journal.unfinished(0));
    journal.close();
    console.log(["", ...rows.map(([what, value]) => `  ${what.padEnd(42)} ${value}`)].join("\n"));
  });
});
