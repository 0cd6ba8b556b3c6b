import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { z } from "zod";
import { metaSchema } from "../comments/comment-format.js";
import { systemClock, type Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { MentionEvent, RunJournal, RunRecord, WrittenPart } from "./run-journal.js";

/**
 * The run journal in an SQLite file (Node's built-in `node:sqlite`: no server, no native
 * build). WAL mode with `synchronous=NORMAL`: a committed write survives the process being
 * killed at any point (SIGKILL, OOM), which is the failure this store is for; a power loss
 * may lose the last few writes (https://www.sqlite.org/wal.html#durability).
 *
 * `":memory:"` keeps the journal in memory: nothing survives a restart.
 *
 * `node:sqlite` is synchronous: SQLite's own `busy_timeout` would wait for another
 * connection's lock inside the call, holding the event loop (and every installation's
 * deliveries) for as long, then throw. So `busy_timeout` is 0 once the file is open: a call
 * that finds the file locked (SQLITE_BUSY, https://www.sqlite.org/rescode.html#busy) is
 * tried again on a timer with growing pauses. Calls run one at a time, in the order they
 * were made, so a retry never lets a later write overtake an earlier one. A busy journal
 * delays the work that waits for it; it does not fail it.
 *
 * Liveness across processes never reads a clock another process wrote: each instance
 * counts its heartbeats (`beat`) and a peer is taken to be gone once its count has not
 * moved for `silentForMs` of the observer's own monotonic clock. A wall-clock step on
 * either host therefore cannot make a live process look dead.
 */

export interface SqliteJournalOptions {
  /** Defaults to a fresh name per process. */
  readonly instance?: string;
  /** Wall-clock milliseconds (claims are pruned by age). */
  readonly now?: () => number;
  /** Monotonic time and timers: how long a peer's heartbeat count has stood still, and pauses between retries of a busy call. */
  readonly clock?: Clock;
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

/** Pauses between tries of a call that found the file locked: short at first, never long. */
const BUSY_FIRST_PAUSE_MS = 5;
const BUSY_MAX_PAUSE_MS = 200;
/** A call still waiting for the lock after this long is logged (again after as long). */
const BUSY_WARN_MS = 5_000;
/** `close` waits this long for calls still waiting for the lock, then drops them. */
const CLOSE_WAIT_MS = 5_000;
/** Opening (before the App serves anything) may create the tables: it waits for a lock, at most this long. */
const OPEN_BUSY_TIMEOUT_MS = 5_000;

/** SQLITE_BUSY or SQLITE_LOCKED, with any extended code (https://www.sqlite.org/rescode.html). */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | undefined)?.errcode;
  return typeof code === "number" && ((code & 0xff) === 5 || (code & 0xff) === 6);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** What this instance last saw of a peer's heartbeat count, and since when (monotonic). */
interface Observed {
  readonly beat: number;
  readonly since: number;
}

export class SqliteJournal implements RunJournal {
  readonly instance: string;
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #retentionMs: number;
  readonly #pruneEvery: number;
  #claimsSincePrune = 0;
  /** Calls waiting behind one that found the file locked; while there are any, new calls queue behind them. */
  #waiting = 0;
  #tail: Promise<void> = Promise.resolve();
  /** Aborted when `close` gives up waiting for the lock: the calls still waiting fail. */
  readonly #giveUp = new AbortController();
  #closing: Promise<void> | undefined;
  readonly #observed = new Map<string, Observed>();
  readonly #statements: {
    readonly hasClaim: StatementSync;
    readonly addClaim: StatementSync;
    readonly prune: StatementSync;
    readonly accept: StatementSync;
    readonly answering: StatementSync;
    readonly parts: StatementSync;
    readonly end: StatementSync;
    readonly othersRuns: StatementSync;
    readonly instances: StatementSync;
    readonly adopt: StatementSync;
    readonly heartbeat: StatementSync;
    readonly gone: StatementSync;
  };

  constructor(path: string, options: SqliteJournalOptions = {}) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;`);
    this.#db.exec(SCHEMA);
    // Files written before heartbeats were counted lack the column.
    const columns = this.#db.prepare("PRAGMA table_info(instances)").all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === "beat")) this.#db.exec("ALTER TABLE instances ADD COLUMN beat INTEGER NOT NULL DEFAULT 0");
    this.#db.exec("PRAGMA busy_timeout = 0");
    this.instance = options.instance ?? randomUUID();
    this.#now = options.now ?? Date.now;
    this.#clock = options.clock ?? systemClock;
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
      othersRuns: prepare("SELECT * FROM runs WHERE instance <> ? ORDER BY started_at"),
      instances: prepare("SELECT instance, beat FROM instances"),
      adopt: prepare("UPDATE runs SET instance = ? WHERE run_id = ? AND instance = ?"),
      // `seen_at` is for people reading the file; liveness reads only the count.
      heartbeat: prepare(
        "INSERT INTO instances (instance, seen_at, beat) VALUES (?, ?, 1) ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at, beat = instances.beat + 1",
      ),
      gone: prepare("DELETE FROM instances WHERE instance = ?"),
    };
    void this.heartbeat().catch((error: unknown) => this.#log?.warn({ err: error }, "could not say in the run journal that this instance is alive"));
  }

  claim(keys: readonly string[]): Promise<boolean> {
    const { hasClaim, addClaim } = this.#statements;
    return this.#call(() => {
      const at = this.#now();
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const fresh = keys.every((key) => hasClaim.get(key) === undefined);
        if (fresh) for (const key of new Set(keys)) addClaim.run(key, at);
        if (this.#claimsSincePrune + 1 >= this.#pruneEvery) this.#statements.prune.run(at - this.#retentionMs);
        this.#db.exec("COMMIT");
        this.#claimsSincePrune = (this.#claimsSincePrune + 1) % this.#pruneEvery;
        return fresh;
      } catch (error) {
        // Nothing was recorded; a busy COMMIT is tried again whole.
        this.#db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  claimed(keys: readonly string[]): Promise<Set<string>> {
    return this.#call(() => new Set(keys.filter((key) => this.#statements.hasClaim.get(key) !== undefined)));
  }

  runAccepted(run: { readonly runId: string; readonly event: MentionEvent; readonly attempt: number }): Promise<void> {
    return this.#write(() => this.#statements.accept.run(run.runId, this.instance, JSON.stringify(run.event), run.attempt, this.#now()));
  }

  runAnswering(runId: string): Promise<void> {
    return this.#write(() => this.#statements.answering.run(runId));
  }

  partsWritten(runId: string, parts: readonly WrittenPart[]): Promise<void> {
    return this.#write(() => this.#statements.parts.run(JSON.stringify(parts), runId));
  }

  runEnded(runId: string): Promise<void> {
    return this.#write(() => this.#statements.end.run(runId));
  }

  heartbeat(): Promise<void> {
    return this.#write(() => this.#statements.heartbeat.run(this.instance, this.#now()));
  }

  /**
   * Each call also looks at every peer's heartbeat count: a peer is gone when its row is
   * (it closed the journal) or when its count stood still for `silentForMs` of this
   * instance's monotonic clock, counted from when this instance first saw that count. So
   * a peer is never judged by a clock it wrote, and a freshly started instance waits a
   * whole `silentForMs` before taking over from one that stopped beating.
   */
  unfinished(silentForMs: number): Promise<RunRecord[]> {
    return this.#call(() => {
      const now = this.#clock.now();
      const beats = this.#statements.instances.all() as unknown as Array<{ instance: string; beat: number }>;
      const listed = new Set<string>();
      for (const { instance, beat } of beats) {
        if (instance === this.instance) continue;
        listed.add(instance);
        if (this.#observed.get(instance)?.beat !== beat) this.#observed.set(instance, { beat, since: now });
      }
      for (const instance of this.#observed.keys()) if (!listed.has(instance)) this.#observed.delete(instance);
      const gone = (instance: string): boolean => {
        const observed = this.#observed.get(instance);
        return observed === undefined || now - observed.since >= silentForMs;
      };
      const rows = this.#statements.othersRuns.all(this.instance) as unknown as RunRow[];
      return rows.filter((row) => gone(row.instance)).flatMap((row) => this.#record(row));
    });
  }

  adopt(runId: string, from: string, to: string): Promise<boolean> {
    return this.#call(() => this.#statements.adopt.run(to, runId, from).changes === 1);
  }

  prune(olderThanMs: number = this.#retentionMs): Promise<void> {
    return this.#write(() => this.#statements.prune.run(this.#now() - olderThanMs));
  }

  /**
   * Stopped for good: what it leaves unfinished (an answer it could not deliver) is at once
   * the next start's. Calls still waiting for a lock get `CLOSE_WAIT_MS` to finish.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    const gone = this.#write(() => this.#statements.gone.run(this.instance));
    // Own flag, not DatabaseSync#isOpen (Node 22.15+): later calls are refused from here on.
    this.#closing = (async () => {
      if (this.#waiting > 0) {
        const timer = new AbortController();
        const timedOut = await Promise.race([
          this.#tail.then(() => false),
          this.#clock.sleep(CLOSE_WAIT_MS, timer.signal).then(() => true, () => false),
        ]);
        timer.abort();
        if (timedOut) {
          this.#log?.warn({ waiting: this.#waiting }, "the run journal stayed locked while closing; dropping the writes still waiting");
          this.#giveUp.abort(new Error("the run journal was closed while its file was locked"));
        }
        await this.#tail;
      }
      await gone.catch((error: unknown) => this.#log?.warn({ err: error }, "could not record in the run journal that this instance stopped"));
      this.#db.close();
    })();
    return this.#closing;
  }

  #write(write: () => unknown): Promise<void> {
    return this.#call(() => void write());
  }

  /**
   * Runs `call` at once when nothing waits for the lock, else after the calls that do;
   * while the file is locked it is tried again on a timer, never waiting inside SQLite.
   */
  #call<T>(call: () => T): Promise<T> {
    if (this.#closing) return Promise.reject(new Error("the run journal is closed"));
    if (this.#waiting === 0) {
      try {
        return Promise.resolve(call());
      } catch (error) {
        if (!isBusy(error)) return Promise.reject(asError(error));
      }
    }
    this.#waiting++;
    const result = this.#tail.then(() => this.#retry(call));
    const done = (): void => void this.#waiting--;
    this.#tail = result.then(done, done);
    return result;
  }

  async #retry<T>(call: () => T): Promise<T> {
    const clock = this.#clock;
    const signal = this.#giveUp.signal;
    const started = clock.now();
    let warnedAt = started;
    let pauseMs = BUSY_FIRST_PAUSE_MS;
    for (;;) {
      signal.throwIfAborted();
      await clock.sleep(pauseMs, signal);
      try {
        return call();
      } catch (error) {
        if (!isBusy(error)) throw asError(error);
      }
      pauseMs = Math.min(pauseMs * 2, BUSY_MAX_PAUSE_MS);
      if (clock.now() - warnedAt >= BUSY_WARN_MS) {
        warnedAt = clock.now();
        this.#log?.warn({ waitedMs: Math.round(warnedAt - started) }, "the run journal's file is locked by another connection; still waiting");
      }
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
