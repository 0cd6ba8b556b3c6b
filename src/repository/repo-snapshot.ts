import { isGitHubError } from "../github/errors.js";
import type { TreeEntry } from "../github/contents.js";
import type { InstallationReads } from "../github/installation.js";
import type { RepoRef } from "../github/refs.js";
import type { Logger } from "../util/logger.js";
import { readArchive } from "./archive.js";
import type { PatternProblem } from "./glob.js";
import { decodeText, looksBinary, looksGenerated, PathFilter, type SkipReason } from "./path-filter.js";

/**
 * The repository at one commit, as one run reads it: the tree, which files are worth
 * reading, and the text of as many of them as the limits allow.
 *
 * Loading costs, in requests: the repository, the head commit, the tree, the root
 * `.gitattributes` and each `.gitignore` (usually one or two), then either ONE tarball
 * download for all files, or (when the tree is too large to download whole, or the
 * download fails) one request per file up to `maxBlobFetches`.
 */

export interface SnapshotLimits {
  /** Larger files are skipped ("too-large"). */
  readonly maxFileBytes: number;
  /** Text loaded up front, in bytes. */
  readonly maxTotalBytes: number;
  /** Files loaded up front. */
  readonly maxFiles: number;
  /** The tarball is used only when the whole tree is at most this large; its download is cut off here. */
  readonly maxDownloadBytes: number;
  /** Blob requests over the snapshot's lifetime: the fallback load and `read()` of files not loaded. */
  readonly maxBlobFetches: number;
}

export interface SnapshotFile {
  readonly path: string;
  readonly size: number;
  readonly blobSha: string;
}

export type SnapshotSkipReason = SkipReason | "over-budget";

export interface RepoSnapshot {
  readonly repo: RepoRef;
  readonly sha: string;
  readonly defaultBranch: string;
  readonly htmlUrl: string;
  /** Every blob path in the tree (for existence checks). */
  readonly allPaths: ReadonlySet<string>;
  /** Passed the path filter, sorted by path. */
  readonly eligible: readonly SnapshotFile[];
  /** Eligible text files whose content is in memory (binary/generated-by-content ones dropped and counted). */
  readonly loaded: ReadonlyMap<string, string>;
  /** How many tree paths were left out, by reason. */
  readonly skipped: ReadonlyMap<SnapshotSkipReason, number>;
  readonly treeTruncated: boolean;
  /** The text of `LoadSnapshotOptions.pinned` files that exist (and are text), whatever the path filters say. */
  readonly pinned: ReadonlyMap<string, string>;
  /** Path patterns (.gitignore, .gitattributes, `paths.*`) that match nothing because they are invalid or over the caps. */
  readonly patternProblems: readonly PatternProblem[];
  skipReason(path: string): SnapshotSkipReason | "missing" | undefined;
  /** Text of a file: from memory, else fetched as a blob (bounded by maxFileBytes, counted by maxBlobFetches); undefined when it is not an eligible text file. */
  read(path: string): Promise<string | undefined>;
}

export interface LoadSnapshotOptions {
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly limits: SnapshotLimits;
  /** Ranks files when not all can be loaded (higher first); default: by path. */
  readonly priority?: (path: string) => number;
  /** Files read whatever the path filters say (at most 64 KB each), e.g. the repository's guidance for devbuddy. */
  readonly pinned?: readonly string[];
  readonly signal?: AbortSignal;
}

export type SnapshotApi = Pick<InstallationReads, "repository" | "commitSha" | "tree" | "blob" | "archive">;

/** Bounds on reading the repository's own ignore rules. */
const MAX_GITIGNORE_FILES = 50;
const MAX_RULES_FILE_BYTES = 64 * 1024;
const FETCH_CONCURRENCY = 4;
const SYMLINK_MODE = "120000";

interface Head {
  readonly defaultBranch: string;
  readonly htmlUrl: string;
  readonly sha: string;
}

/** The default branch and its head commit: resolved once per run. */
async function resolveHead(api: SnapshotApi, repo: RepoRef): Promise<Head> {
  const info = await api.repository(repo);
  const sha = await api.commitSha(repo, info.defaultBranch);
  return { defaultBranch: info.defaultBranch, htmlUrl: info.htmlUrl, sha };
}

/** Runs `fn` over `items` with at most `limit` at a time, in order of start. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

/** Tool callers write `./src/a.ts` or `/src/a.ts`; tree paths have neither. */
function normalizePath(path: string): string {
  return path.replace(/^(?:\.\/|\/)+/, "");
}

/**
 * The repository's own rules, the root .gitattributes and the shallowest .gitignore files,
 * and the pinned files: all read before (and whatever) the path filter decides.
 */
async function readRepoRules(api: SnapshotApi, repo: RepoRef, blobs: readonly TreeEntry[], pinnedPaths: readonly string[], log: Logger) {
  const depth = (path: string): number => path.split("/").length;
  const small = (entry: TreeEntry): boolean => entry.mode !== SYMLINK_MODE && (entry.size ?? 0) <= MAX_RULES_FILE_BYTES;
  const candidates = blobs
    .filter((entry) => entry.path === ".gitattributes" || entry.path === ".gitignore" || entry.path.endsWith("/.gitignore"))
    .filter(small)
    .sort((a, b) => depth(a.path) - depth(b.path) || a.path.localeCompare(b.path));
  const gitattributes = candidates.find((entry) => entry.path === ".gitattributes");
  const gitignores = candidates.filter((entry) => entry !== gitattributes).slice(0, MAX_GITIGNORE_FILES);
  const pinnedEntries = blobs.filter((entry) => pinnedPaths.includes(entry.path) && small(entry));
  const bytes = new Map<string, Buffer>();
  await forEachLimited([...(gitattributes ? [gitattributes] : []), ...gitignores, ...pinnedEntries], FETCH_CONCURRENCY, async (entry) => {
    try {
      bytes.set(entry.path, await api.blob(repo, entry.sha, MAX_RULES_FILE_BYTES));
    } catch (error) {
      // Without one rules file a few more files are read than should be; not worth failing the run.
      log.warn({ path: entry.path, err: error }, "Could not read a repository rules file; going on without it");
    }
  });
  const text = (path: string): string | undefined => {
    const content = bytes.get(path);
    return content === undefined || looksBinary(content) ? undefined : decodeText(content);
  };
  const ignoreFiles = new Map<string, string>();
  for (const entry of gitignores) {
    const rules = text(entry.path);
    if (rules !== undefined) ignoreFiles.set(dirOf(entry.path), rules);
  }
  const pinned = new Map<string, string>();
  for (const entry of pinnedEntries) {
    const content = text(entry.path);
    if (content !== undefined) pinned.set(entry.path, content);
  }
  return { ignoreFiles, gitattributes: text(".gitattributes") ?? "", pinned };
}

/** What a loaded file turned out to be once its bytes were seen. */
type ContentCheck = { readonly text: string } | { readonly reason: "binary" | "generated" };

function checkContent(path: string, bytes: Buffer): ContentCheck {
  if (looksBinary(bytes)) return { reason: "binary" };
  const text = decodeText(bytes);
  return looksGenerated(path, text) ? { reason: "generated" } : { text };
}

/** The shared state of one commit's snapshot; see `loadSnapshot`. */
class Snapshot implements RepoSnapshot {
  readonly repo: RepoRef;
  readonly sha: string;
  readonly defaultBranch: string;
  readonly htmlUrl: string;
  readonly allPaths: ReadonlySet<string>;
  readonly eligible: readonly SnapshotFile[];
  readonly treeTruncated: boolean;
  readonly pinned: ReadonlyMap<string, string>;
  readonly patternProblems: readonly PatternProblem[];
  readonly #loaded = new Map<string, string>();
  readonly #pathReasons: ReadonlyMap<string, SkipReason>;
  readonly #contentReasons = new Map<string, "binary" | "generated" | "too-large">();
  readonly #eligibleByPath: ReadonlyMap<string, SnapshotFile>;
  readonly #pending = new Map<string, Promise<string | undefined>>();
  readonly #limits: SnapshotLimits;
  #api: SnapshotApi;
  #log: Logger;
  #blobFetches = 0;
  #loadedBytes = 0;

  constructor(init: {
    repo: RepoRef;
    head: Head;
    allPaths: ReadonlySet<string>;
    eligible: readonly SnapshotFile[];
    pathReasons: ReadonlyMap<string, SkipReason>;
    treeTruncated: boolean;
    pinned: ReadonlyMap<string, string>;
    patternProblems: readonly PatternProblem[];
    limits: SnapshotLimits;
    api: SnapshotApi;
    log: Logger;
  }) {
    this.repo = init.repo;
    this.sha = init.head.sha;
    this.defaultBranch = init.head.defaultBranch;
    this.htmlUrl = init.head.htmlUrl;
    this.allPaths = init.allPaths;
    this.eligible = init.eligible;
    this.treeTruncated = init.treeTruncated;
    this.pinned = init.pinned;
    this.patternProblems = init.patternProblems;
    this.#pathReasons = init.pathReasons;
    this.#eligibleByPath = new Map(init.eligible.map((file) => [file.path, file]));
    this.#limits = init.limits;
    this.#api = init.api;
    this.#log = init.log;
  }

  get loaded(): ReadonlyMap<string, string> {
    return this.#loaded;
  }

  /** UTF-8 bytes of the text held: what the cache budgets. */
  get loadedBytes(): number {
    return this.#loadedBytes;
  }

  get blobFetchesLeft(): number {
    return this.#limits.maxBlobFetches - this.#blobFetches;
  }

  get skipped(): ReadonlyMap<SnapshotSkipReason, number> {
    const counts = new Map<SnapshotSkipReason, number>();
    const add = (reason: SnapshotSkipReason): void => void counts.set(reason, (counts.get(reason) ?? 0) + 1);
    for (const reason of this.#pathReasons.values()) add(reason);
    for (const reason of this.#contentReasons.values()) add(reason);
    for (const file of this.eligible) if (!this.#loaded.has(file.path) && !this.#contentReasons.has(file.path)) add("over-budget");
    return counts;
  }

  /** Later runs that reuse this snapshot fetch on-demand blobs with their own (fresh) credentials. */
  rebind(api: SnapshotApi, log: Logger): void {
    this.#api = api;
    this.#log = log;
  }

  skipReason(path: string): SnapshotSkipReason | "missing" | undefined {
    const normalized = normalizePath(path);
    if (!this.allPaths.has(normalized)) return "missing";
    const reason = this.#pathReasons.get(normalized) ?? this.#contentReasons.get(normalized);
    if (reason) return reason;
    return this.#loaded.has(normalized) ? undefined : "over-budget";
  }

  async read(path: string): Promise<string | undefined> {
    const normalized = normalizePath(path);
    const text = this.#loaded.get(normalized);
    if (text !== undefined) return text;
    const file = this.#eligibleByPath.get(normalized);
    if (!file || this.#contentReasons.has(normalized)) return undefined;
    let pending = this.#pending.get(normalized);
    if (!pending) {
      pending = this.#fetch(file).finally(() => this.#pending.delete(normalized));
      this.#pending.set(normalized, pending);
    }
    return pending;
  }

  /** Fetches one eligible file as a blob, within the blob-fetch budget; undefined when none is left. */
  async #fetch(file: SnapshotFile): Promise<string | undefined> {
    if (this.blobFetchesLeft <= 0) {
      this.#log.debug({ path: file.path, maxBlobFetches: this.#limits.maxBlobFetches }, "Blob fetch budget spent; not reading the file");
      return undefined;
    }
    this.#blobFetches++;
    const bytes = await this.#api.blob(this.repo, file.blobSha, this.#limits.maxFileBytes);
    return this.accept(file.path, bytes);
  }

  /** Keeps a file's text, or records why its content disqualifies it. */
  accept(path: string, bytes: Buffer): string | undefined {
    const checked = checkContent(path, bytes);
    if ("reason" in checked) {
      this.#contentReasons.set(path, checked.reason);
      return undefined;
    }
    if (!this.#loaded.has(path)) this.#loadedBytes += bytes.byteLength;
    this.#loaded.set(path, checked.text);
    return checked.text;
  }

  /**
   * An archive entry bigger than the limit, or than the tree said: not read, and not
   * fetched again as a blob (the blob is the same object; the tree's size was wrong).
   */
  refuse(path: string, size: number): void {
    this.#log.warn({ path, size, maxFileBytes: this.#limits.maxFileBytes }, "An archive entry is larger than the limit or than the tree said; not reading it");
    this.#contentReasons.set(path, "too-large");
  }

  /** Loads `files` as blobs, in order, up to the blob-fetch budget. A rate limit stops the whole load. */
  async fetchBlobs(files: readonly SnapshotFile[], signal: AbortSignal | undefined): Promise<void> {
    const queue = files.slice(0, Math.max(0, this.blobFetchesLeft));
    let stopped = false;
    await forEachLimited(queue, FETCH_CONCURRENCY, async (file) => {
      if (stopped) return;
      signal?.throwIfAborted();
      try {
        await this.#fetch(file);
      } catch (error) {
        if (isGitHubError(error, "rate-limited")) stopped = true;
        this.#log.warn({ path: file.path, err: error }, "Could not read a file of the repository");
      }
    });
  }
}

/** Loads the snapshot of the default branch's head. */
export async function loadSnapshot(api: SnapshotApi, repo: RepoRef, options: LoadSnapshotOptions, log: Logger): Promise<RepoSnapshot> {
  return loadAt(api, repo, await resolveHead(api, repo), options, log);
}

async function loadAt(api: SnapshotApi, repo: RepoRef, head: Head, options: LoadSnapshotOptions, log: Logger): Promise<Snapshot> {
  const { limits, signal } = options;
  const where = { repo: `${repo.owner}/${repo.repo}`, sha: head.sha };
  const tree = await api.tree(repo, head.sha);
  if (tree.truncated) log.warn(where, "GitHub truncated the repository tree; files beyond the listing are unknown to devbuddy");
  const blobs = tree.entries.filter((entry) => entry.type === "blob");
  signal?.throwIfAborted();

  const rules = await readRepoRules(api, repo, blobs, options.pinned ?? [], log);
  const filter = new PathFilter(
    { ...(options.include ? { include: options.include } : {}), ...(options.exclude ? { exclude: options.exclude } : {}), maxFileBytes: limits.maxFileBytes },
    rules.ignoreFiles,
    rules.gitattributes,
  );

  const pathReasons = new Map<string, SkipReason>();
  const eligible: SnapshotFile[] = [];
  let treeBytes = 0;
  for (const entry of blobs) {
    const size = entry.size ?? 0;
    treeBytes += size;
    // A symlink's blob is its target's path, not code.
    const reason = entry.mode === SYMLINK_MODE ? "excluded" : filter.skipReason(entry.path, size);
    if (reason) pathReasons.set(entry.path, reason);
    else eligible.push({ path: entry.path, size, blobSha: entry.sha });
  }
  eligible.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const snapshot = new Snapshot({
    repo,
    head,
    allPaths: new Set(blobs.map((entry) => entry.path)),
    eligible,
    pathReasons,
    treeTruncated: tree.truncated,
    pinned: rules.pinned,
    patternProblems: filter.problems,
    limits,
    api,
    log,
  });

  // What to load up front: the highest-ranked files that fit; the rest stay readable on demand.
  const rank = options.priority;
  const ranked = rank ? [...eligible].sort((a, b) => rank(b.path) - rank(a.path) || (a.path < b.path ? -1 : 1)) : eligible;
  const planned: SnapshotFile[] = [];
  let plannedBytes = 0;
  for (const file of ranked) {
    if (planned.length >= limits.maxFiles) break;
    if (plannedBytes + file.size > limits.maxTotalBytes) continue;
    planned.push(file);
    plannedBytes += file.size;
  }

  // The tarball holds every file of the tree, read or not, so the whole tree must fit the
  // download budget; gzip makes the real download smaller, never (meaningfully) larger.
  let via: "archive" | "blobs" | "none" = planned.length === 0 ? "none" : treeBytes <= limits.maxDownloadBytes ? "archive" : "blobs";
  if (via === "archive") {
    const wanted = new Map(planned.map((file) => [file.path, file.size]));
    try {
      const archive = await readArchive(api, repo, head.sha, {
        accept: (path) => wanted.has(path),
        maxFileBytes: limits.maxFileBytes,
        expectedSize: (path) => wanted.get(path),
        maxFiles: limits.maxFiles,
        maxBytes: limits.maxTotalBytes,
        maxDownloadBytes: limits.maxDownloadBytes,
        ...(signal ? { signal } : {}),
      });
      for (const [path, bytes] of archive.files) snapshot.accept(path, bytes);
      for (const [path, size] of archive.oversized) snapshot.refuse(path, size);
      if (!archive.complete) log.warn({ ...where, kept: archive.files.size }, "The repository archive was cut short by a limit; reading the rest file by file");
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      log.warn({ ...where, err: error }, "Could not download the repository archive; reading files one by one");
      via = "blobs";
    }
  }
  const missing = planned.filter((file) => !snapshot.loaded.has(file.path) && snapshot.skipReason(file.path) === "over-budget");
  if (missing.length > 0) await snapshot.fetchBlobs(missing, signal);
  signal?.throwIfAborted();

  log.info(
    { ...where, via, files: snapshot.allPaths.size, eligible: eligible.length, loaded: snapshot.loaded.size, skipped: Object.fromEntries(snapshot.skipped) },
    "Read the repository",
  );
  return snapshot;
}

/**
 * Snapshots shared between runs, so a revision of the same plan (or another issue of the
 * same repository) does not download the same commit again.
 *
 * - Keyed by `owner/repo@sha` plus include/exclude and the limits. The head is resolved
 *   on every `get()` (two requests), so a push is seen by the next run.
 * - The same object is returned for the same key, so per-snapshot caches (the symbol
 *   index) carry over. `priority` only decides what a *first* load preloads; a cached
 *   snapshot serves other files through `read()`, within its blob-fetch budget.
 * - Memory is counted in bytes actually held, measured: each loaded file's bytes, each
 *   path and pinned text (UTF-8 byte lengths, once the load settles), and what a run
 *   reports of the symbol index built from it (`holdIndex`, measured once it is built).
 *   Snapshots runs are reading (`use`) count too, cached or not: memory is the process's.
 * - Once that total exceeds `maxBytes`, the least recently used snapshots no run is reading
 *   are dropped. A snapshot larger than `maxBytes` alone is returned but not kept. Runs
 *   holding a dropped snapshot keep using it.
 * - A load of a commit not held waits while the snapshots runs are reading, plus what the
 *   loads under way may still read (`limits.maxTotalBytes` each, until they settle), leave
 *   no room for one more within `maxBytes`: memory is bounded whatever the number of runs.
 *   A load never waits when no run reads a snapshot and none is loading, so one always
 *   proceeds; a waiting run's signal ends its wait.
 * - Concurrent `get()`s of one key share one load; a caller's signal aborts its own wait,
 *   not the shared load (another run may still want it). A failed load is not kept.
 */
export class SnapshotCache {
  readonly #maxBytes: number;
  /** In least-recently-used order (Map iteration order = insertion order). */
  readonly #entries = new Map<string, Promise<Snapshot>>();
  readonly #settled = new Map<string, Snapshot>();
  /** Bytes of each snapshot's paths and pinned texts, measured once. */
  readonly #fixedBytes = new WeakMap<RepoSnapshot, number>();
  /** Bytes of what was built from a snapshot (its symbol index); a pending measure counts 0. */
  readonly #indexBytes = new WeakMap<object, number>();
  /** Runs reading each snapshot now: it is not dropped while any does. */
  readonly #users = new Map<RepoSnapshot, number>();
  /** What each load under way may still read (its text limit), until it settles. */
  readonly #loading = new Set<{ readonly bytes: number }>();
  /** Loads waiting for room, woken whenever memory is given back. */
  readonly #waiting = new Set<() => void>();

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  async get(api: SnapshotApi, repo: RepoRef, options: LoadSnapshotOptions, log: Logger): Promise<RepoSnapshot> {
    return (await this.#get(api, repo, options, log, false)).snapshot;
  }

  /** `get`, with the snapshot marked in use (`use`) before the memory a load reserved is given back. */
  acquire(api: SnapshotApi, repo: RepoRef, options: LoadSnapshotOptions, log: Logger): Promise<{ readonly snapshot: RepoSnapshot; readonly release: () => void }> {
    return this.#get(api, repo, options, log, true);
  }

  async #get(
    api: SnapshotApi,
    repo: RepoRef,
    options: LoadSnapshotOptions,
    log: Logger,
    hold: boolean,
  ): Promise<{ readonly snapshot: RepoSnapshot; readonly release: () => void }> {
    options.signal?.throwIfAborted();
    const head = await resolveHead(api, repo);
    const key = JSON.stringify([
      `${repo.owner}/${repo.repo}`.toLowerCase(),
      head.sha,
      options.include ?? [],
      options.exclude ?? [],
      options.pinned ?? [],
      options.limits,
    ]);
    let entry = this.#entries.get(key);
    let reservation: { readonly bytes: number } | undefined;
    if (!entry) {
      await this.#roomFor(key, options.limits.maxTotalBytes, options.signal, log);
      // Another run may have started this load while this one waited.
      entry = this.#entries.get(key);
    }
    if (entry) {
      this.#entries.delete(key); // re-inserted below: now the most recently used
    } else {
      const { signal: _callerSignal, ...shared } = options;
      const started = loadAt(api, repo, head, shared, log);
      reservation = { bytes: options.limits.maxTotalBytes };
      this.#loading.add(reservation);
      started.then(
        (snapshot) => {
          if (this.#entries.get(key) !== started) return;
          this.#settled.set(key, snapshot);
          this.#evict(key);
        },
        () => {
          if (this.#entries.get(key) === started) this.#entries.delete(key);
        },
      );
      entry = started;
    }
    this.#entries.set(key, entry);
    let snapshot: Snapshot;
    try {
      snapshot = await abortable(entry, options.signal);
    } catch (error) {
      // The reservation lasts as long as the load: this caller stopped waiting, the load goes on.
      if (reservation) {
        const held = reservation;
        void entry.then(
          () => this.#giveBack(held),
          () => this.#giveBack(held),
        );
      }
      throw error;
    }
    snapshot.rebind(api, log);
    this.#evict(key);
    // In use before the reservation goes: no other load sees the room in between.
    const release = hold ? this.use(snapshot) : () => undefined;
    if (reservation) this.#giveBack(reservation);
    return { snapshot, release };
  }

  /** A run reads `snapshot` until it calls the returned function (once): meanwhile it is not dropped. */
  use(snapshot: RepoSnapshot): () => void {
    this.#users.set(snapshot, (this.#users.get(snapshot) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#users.get(snapshot) ?? 1) - 1;
      if (left > 0) this.#users.set(snapshot, left);
      else this.#users.delete(snapshot);
      this.#evict(undefined);
      this.#wake();
    };
  }

  /** Bytes of the snapshots runs are reading, and what the loads under way may still read. */
  get committedBytes(): number {
    let total = 0;
    for (const snapshot of this.#users.keys()) total += this.#bytesOf(snapshot);
    for (const reservation of this.#loading) total += reservation.bytes;
    return total;
  }

  /** Waits until a load that may read `bytes` fits, nothing is read or loading, or another run started loading `key`. */
  async #roomFor(key: string, bytes: number, signal: AbortSignal | undefined, log: Logger): Promise<void> {
    let told = false;
    while (!this.#entries.has(key) && (this.#users.size > 0 || this.#loading.size > 0) && this.committedBytes + bytes > this.#maxBytes) {
      if (!told) {
        told = true;
        log.info({ committedBytes: this.committedBytes, maxBytes: this.#maxBytes }, "Waiting for memory: the repositories being read fill DEVBUDDY_REPO_CACHE_BYTES");
      }
      await abortable(new Promise<void>((resolve) => this.#waiting.add(resolve)), signal);
    }
  }

  #giveBack(reservation: { readonly bytes: number }): void {
    this.#loading.delete(reservation);
    this.#wake();
  }

  #wake(): void {
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const resolve of waiting) resolve();
  }

  /**
   * Counts what was built from `snapshot` (its symbol index), as `measure` finds once (the
   * first run to build it asks; later runs reuse the index and the number).
   */
  async holdIndex(snapshot: object, measure: () => Promise<number>): Promise<void> {
    if (this.#indexBytes.has(snapshot)) return;
    this.#indexBytes.set(snapshot, 0);
    this.#indexBytes.set(snapshot, await measure());
    this.#evict(undefined);
  }

  /** Bytes held by the snapshots cached or in use, and what was built from them. */
  get heldBytes(): number {
    let total = 0;
    for (const snapshot of this.#held()) total += this.#bytesOf(snapshot);
    return total;
  }

  #held(): Set<RepoSnapshot> {
    return new Set<RepoSnapshot>([...this.#settled.values(), ...this.#users.keys()]);
  }

  #bytesOf(snapshot: RepoSnapshot): number {
    let fixed = this.#fixedBytes.get(snapshot);
    if (fixed === undefined) {
      fixed = 0;
      for (const path of snapshot.allPaths) fixed += Buffer.byteLength(path);
      for (const text of snapshot.pinned.values()) fixed += Buffer.byteLength(text);
      this.#fixedBytes.set(snapshot, fixed);
    }
    const text = snapshot instanceof Snapshot ? snapshot.loadedBytes : 0;
    return fixed + text + (this.#indexBytes.get(snapshot) ?? 0);
  }

  /** Drops least-recently-used snapshots no run reads (never `keep`) while the bytes held exceed the budget. */
  #evict(keep: string | undefined): void {
    let total = this.heldBytes;
    for (const key of this.#entries.keys()) {
      if (total <= this.#maxBytes) break;
      const snapshot = this.#settled.get(key);
      if (key === keep || !snapshot || this.#users.has(snapshot)) continue;
      total -= this.#bytesOf(snapshot);
      this.#entries.delete(key);
      this.#settled.delete(key);
    }
    const kept = keep === undefined ? undefined : this.#settled.get(keep);
    if (keep !== undefined && kept && this.#bytesOf(kept) > this.#maxBytes) {
      this.#entries.delete(keep);
      this.#settled.delete(keep);
    }
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
