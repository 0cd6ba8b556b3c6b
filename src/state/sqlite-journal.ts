import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { z } from "zod";
import { metaSchema } from "../comments/comment-format.js";
import type { MentionEvent } from "../handlers/mention-event.js";
import type { Logger } from "../util/logger.js";
import type { RunJournal, RunRecord, WrittenPart } from "./run-journal.js";

/**
 * The run journal in an SQLite file (Node's built-in `node:sqlite`: no server, no native
 * build). WAL mode with `synchronous=NORMAL`: a committed write survives the process being
 * killed at any point (SIGKILL, OOM), which is the failure this store is for; a power loss
 * may lose the last few writes (https://www.sqlite.org/wal.html#durability).
 *
 * `":memory:"` keeps the journal in memory: nothing survives a restart.
 */

export interface SqliteJournalOptions {
  /** Defaults to a fresh name per process. */
  readonly instance?: string;
  /** Wall-clock milliseconds (claims are pruned by age). */
  readonly now?: () => number;
  /** Told about rows this version cannot read (they are dropped). */
  readonly log?: Logger;
  /** Claims older than this are forgotten every `pruneEvery` claims, so a long-running process stays small. Default: 7 days, every 1,000. */
  readonly retentionMs?: number;
  readonly pruneEvery?: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS claims_at ON claims (at);
  CREATE TABLE IF NOT EXISTS instances (
    instance TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    instance TEXT NOT NULL,
    event TEXT NOT NULL,
    phase TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    parts TEXT NOT NULL DEFAULT '[]',
    started_at INTEGER NOT NULL
  );
`;

// Read back with zod: the file may have been written by another version of the App.
const eventSchema = z.looseObject({
  deliveryId: z.string(),
  installationId: z.number().int(),
  repo: z.object({ owner: z.string(), repo: z.string() }),
  issue: z.looseObject({ number: z.number().int(), title: z.string(), body: z.string(), author: z.string() }),
  text: z.string(),
  target: z.union([
    z.object({ kind: z.literal("comment"), commentId: z.number().int() }),
    z.object({ kind: z.literal("issue"), issueNumber: z.number().int() }),
  ]),
  triggerKey: z.string(),
  sender: z.object({ login: z.string(), type: z.string() }),
});
const partsSchema = z.array(
  z.object({
    id: z.number().int(),
    url: z.string(),
    input: z.looseObject({ text: z.string(), meta: metaSchema }),
  }),
);

interface RunRow {
  run_id: string;
  instance: string;
  event: string;
  phase: string;
  attempt: number;
  parts: string;
  started_at: number;
}

export class SqliteJournal implements RunJournal {
  readonly instance: string;
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  readonly #retentionMs: number;
  readonly #pruneEvery: number;
  #claimsSincePrune = 0;
  #closed = false;
  readonly #statements: {
    readonly hasClaim: StatementSync;
    readonly addClaim: StatementSync;
    readonly prune: StatementSync;
    readonly accept: StatementSync;
    readonly answering: StatementSync;
    readonly parts: StatementSync;
    readonly end: StatementSync;
    readonly unfinished: StatementSync;
    readonly adopt: StatementSync;
    readonly heartbeat: StatementSync;
    readonly gone: StatementSync;
  };

  constructor(path: string, options: SqliteJournalOptions = {}) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.#db.exec(SCHEMA);
    this.instance = options.instance ?? randomUUID();
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
    this.#retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
    this.#pruneEvery = options.pruneEvery ?? 1_000;
    const prepare = (sql: string): StatementSync => this.#db.prepare(sql);
    this.#statements = {
      hasClaim: prepare("SELECT 1 FROM claims WHERE key = ?"),
      addClaim: prepare("INSERT INTO claims (key, at) VALUES (?, ?)"),
      prune: prepare("DELETE FROM claims WHERE at < ?"),
      accept: prepare(
        "INSERT INTO runs (run_id, instance, event, phase, attempt, started_at) VALUES (?, ?, ?, 'accepted', ?, ?) " +
          "ON CONFLICT (run_id) DO UPDATE SET instance = excluded.instance, phase = 'accepted', attempt = excluded.attempt, parts = '[]'",
      ),
      answering: prepare("UPDATE runs SET phase = 'answering' WHERE run_id = ?"),
      parts: prepare("UPDATE runs SET parts = ? WHERE run_id = ?"),
      end: prepare("DELETE FROM runs WHERE run_id = ?"),
      // A run is someone else's to recover once its instance has stopped (closed, or silent too long).
      unfinished: prepare(
        "SELECT runs.* FROM runs LEFT JOIN instances ON instances.instance = runs.instance " +
          "WHERE runs.instance <> ? AND (instances.seen_at IS NULL OR instances.seen_at < ?) ORDER BY started_at",
      ),
      adopt: prepare("UPDATE runs SET instance = ? WHERE run_id = ? AND instance = ?"),
      heartbeat: prepare("INSERT INTO instances (instance, seen_at) VALUES (?, ?) ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at"),
      gone: prepare("DELETE FROM instances WHERE instance = ?"),
    };
    this.#statements.heartbeat.run(this.instance, this.#now());
  }

  claim(keys: readonly string[]): Promise<boolean> {
    const { hasClaim, addClaim } = this.#statements;
    const at = this.#now();
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const fresh = keys.every((key) => hasClaim.get(key) === undefined);
      if (fresh) for (const key of new Set(keys)) addClaim.run(key, at);
      if (++this.#claimsSincePrune >= this.#pruneEvery) {
        this.#claimsSincePrune = 0;
        this.#statements.prune.run(at - this.#retentionMs);
      }
      this.#db.exec("COMMIT");
      return Promise.resolve(fresh);
    } catch (error) {
      this.#db.exec("ROLLBACK");
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  claimed(keys: readonly string[]): Promise<Set<string>> {
    return Promise.resolve(new Set(keys.filter((key) => this.#statements.hasClaim.get(key) !== undefined)));
  }

  runAccepted(run: { readonly runId: string; readonly event: MentionEvent; readonly attempt: number }): Promise<void> {
    return this.#run(() => this.#statements.accept.run(run.runId, this.instance, JSON.stringify(run.event), run.attempt, this.#now()));
  }

  runAnswering(runId: string): Promise<void> {
    return this.#run(() => this.#statements.answering.run(runId));
  }

  partsWritten(runId: string, parts: readonly WrittenPart[]): Promise<void> {
    return this.#run(() => this.#statements.parts.run(JSON.stringify(parts), runId));
  }

  runEnded(runId: string): Promise<void> {
    return this.#run(() => this.#statements.end.run(runId));
  }

  heartbeat(): Promise<void> {
    return this.#run(() => this.#statements.heartbeat.run(this.instance, this.#now()));
  }

  unfinished(silentForMs: number): Promise<RunRecord[]> {
    const rows = this.#statements.unfinished.all(this.instance, this.#now() - silentForMs) as unknown as RunRow[];
    return Promise.resolve(rows.flatMap((row) => this.#record(row)));
  }

  adopt(runId: string, from: string, to: string): Promise<boolean> {
    return Promise.resolve(this.#statements.adopt.run(to, runId, from).changes === 1);
  }

  prune(olderThanMs: number = this.#retentionMs): Promise<void> {
    return this.#run(() => this.#statements.prune.run(this.#now() - olderThanMs));
  }

  close(): void {
    // Own flag: DatabaseSync#isOpen only exists from Node 22.15.
    if (this.#closed) return;
    this.#closed = true;
    // Stopped for good: what it leaves unfinished (an answer it could not deliver) is at once the next start's.
    this.#statements.gone.run(this.instance);
    this.#db.close();
  }

  #run(write: () => unknown): Promise<void> {
    try {
      write();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** A row as a record; a row this version cannot read is dropped (and so never recovered). */
  #record(row: RunRow): RunRecord[] {
    const event = eventSchema.safeParse(safeJson(row.event));
    const parts = partsSchema.safeParse(safeJson(row.parts));
    if (!event.success || !parts.success || (row.phase !== "accepted" && row.phase !== "answering")) {
      this.#log?.warn({ runId: row.run_id, phase: row.phase }, "an unfinished run in the journal cannot be read by this version; forgetting it");
      this.#statements.end.run(row.run_id);
      return [];
    }
    return [
      {
        runId: row.run_id,
        event: event.data as MentionEvent,
        phase: row.phase,
        attempt: row.attempt,
        parts: parts.data as unknown as WrittenPart[],
        startedAt: row.started_at,
        instance: row.instance,
      },
    ];
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
