import { createHash } from "node:crypto";
import { GitHubError } from "../../src/github/errors.js";
import type { RepoPermission } from "../../src/github/access.js";
import type { CommentList, ThreadComment } from "../../src/github/comments.js";
import type { RepoInfo, RepoTree, TreeEntry } from "../../src/github/contents.js";
import type { InstallationApi } from "../../src/github/installation.js";
import type { GitHubWrites, PostedComment, ReactionContent, ReactionTarget } from "../../src/github/issue-writes.js";
import type { IssueRef, RepoRef } from "../../src/github/refs.js";
import { gitBlobSha, repositoryTarball } from "../fakes/fake-github.js";
import type { WriteBudgetLimits } from "../../src/scheduler/write-budget.js";
import { WriteScheduler, type SlotRequest } from "../../src/scheduler/write-scheduler.js";
import type { Clock } from "../../src/util/clock.js";
import type { Logger } from "../../src/util/logger.js";

export interface WriteRecord {
  readonly at: number;
  readonly op: "create" | "update" | "react";
  readonly commentId?: number;
  readonly body?: string;
  readonly content?: ReactionContent;
  readonly target?: ReactionTarget;
}

type Failure = (op: WriteRecord) => Error | undefined;

export type ReadOp = "repository" | "commitSha" | "tree" | "blob" | "archive" | "teamMember";

export interface ReadRecord {
  readonly op: ReadOp;
  /** The ref, sha or login the read was about. */
  readonly subject: string;
}

interface SeededRepo {
  readonly files: ReadonlyMap<string, Buffer>;
  readonly bySha: ReadonlyMap<string, Buffer>;
  readonly defaultBranch: string;
  readonly sha: string;
}

/**
 * An in-memory stand-in for the GitHub adapter, for unit tests of the live comment and
 * the run: writes go through a real `WriteScheduler`, land in a map, and are recorded with
 * the clock time they started. Failures can be injected per write.
 *
 * Reads serve one repository seeded with `seedFiles` (whatever repo is asked for), with
 * real git blob shas; `archive()` streams a real tarball, read by the production reader,
 * so its limits behave as they do against GitHub. Every read is recorded in `reads`.
 */
export class MemoryGitHub implements InstallationApi<SlotRequest> {
  readonly comments = new Map<number, string>();
  readonly writes: WriteRecord[] = [];
  readonly thread: ThreadComment[] = [];
  readonly reads: ReadRecord[] = [];
  permissions = new Map<string, RepoPermission>();
  /** Active members by "org/team", lower-cased logins. */
  readonly teams = new Map<string, Set<string>>();
  #repo: SeededRepo | undefined;
  #readFailures: Array<{ op: ReadOp; error: Error }> = [];
  #nextId = 100;
  #failures: Failure[] = [];
  #clock: Clock;
  #scheduler: WriteScheduler;
  /** Optional delay of each write, in clock time. */
  writeLatencyMs = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(clock: Clock, scheduler: WriteScheduler) {
    this.#clock = clock;
    this.#scheduler = scheduler;
  }

  /** The next write for which `failure` returns an error fails with it (once). */
  failOnce(failure: Failure): void {
    let used = false;
    this.#failures.push((op) => {
      if (used) return undefined;
      const error = failure(op);
      if (error) used = true;
      return error;
    });
  }

  failAlways(failure: Failure): void {
    this.#failures.push(failure);
  }

  async permission(_repo: RepoRef, login: string): Promise<RepoPermission> {
    return this.permissions.get(login) ?? "read";
  }

  /** Like the adapter: a thread longer than `max` is read at both ends (a tenth from its start). */
  async listComments(_issue: IssueRef, max: number): Promise<CommentList> {
    if (this.thread.length <= max) return { comments: [...this.thread], omitted: 0 };
    const head = Math.max(1, Math.floor(max / 10));
    const kept = this.thread.slice(0, head);
    return {
      comments: [...kept, ...this.thread.slice(this.thread.length - (max - head))],
      omitted: this.thread.length - max,
      gapAfterId: (kept.at(-1) as ThreadComment).id,
    };
  }

  /** The repository's files as one commit on `defaultBranch` (default "main"); returns the commit sha. */
  seedFiles(files: Record<string, string | Buffer>, options: { defaultBranch?: string } = {}): string {
    const contents = new Map(Object.entries(files).map(([path, value]) => [path, typeof value === "string" ? Buffer.from(value) : value] as const));
    const sha = createHash("sha1")
      .update(JSON.stringify([...contents].map(([path, content]) => [path, gitBlobSha(content)])))
      .digest("hex");
    this.#repo = {
      files: contents,
      bySha: new Map([...contents.values()].map((content) => [gitBlobSha(content), content])),
      defaultBranch: options.defaultBranch ?? "main",
      sha,
    };
    return sha;
  }

  /** The next read of this kind fails with `error` (once). */
  failReadOnce(op: ReadOp, error: Error): void {
    this.#readFailures.push({ op, error });
  }

  readsOf(op: ReadOp): ReadRecord[] {
    return this.reads.filter((read) => read.op === op);
  }

  #read(op: ReadOp, subject: string): void {
    this.reads.push({ op, subject });
    const index = this.#readFailures.findIndex((failure) => failure.op === op);
    const failure = this.#readFailures[index];
    if (failure) {
      this.#readFailures.splice(index, 1);
      throw failure.error;
    }
  }

  #seeded(sha?: string): SeededRepo {
    const repo = this.#repo;
    if (!repo) throw new GitHubError("Git Repository is empty.", { kind: "permanent", status: 409 });
    if (sha !== undefined && sha !== repo.sha) throw new GitHubError(`No commit ${sha}`, { kind: "not-found", status: 404 });
    return repo;
  }

  async repository(repo: RepoRef): Promise<RepoInfo> {
    this.#read("repository", `${repo.owner}/${repo.repo}`);
    return { defaultBranch: this.#repo?.defaultBranch ?? "main", htmlUrl: `https://github.test/${repo.owner}/${repo.repo}` };
  }

  async commitSha(_repo: RepoRef, ref: string): Promise<string> {
    this.#read("commitSha", ref);
    const seeded = this.#seeded();
    if (ref !== seeded.defaultBranch && ref !== seeded.sha) throw new GitHubError(`No commit found for SHA: ${ref}`, { kind: "permanent", status: 422 });
    return seeded.sha;
  }

  async tree(_repo: RepoRef, commitSha: string): Promise<RepoTree> {
    this.#read("tree", commitSha);
    const seeded = this.#seeded(commitSha);
    const dirs = new Set<string>();
    const entries: TreeEntry[] = [];
    for (const [path, content] of seeded.files) {
      const parts = path.split("/");
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
      entries.push({ path, type: "blob", mode: "100644", sha: gitBlobSha(content), size: content.byteLength });
    }
    for (const dir of dirs) entries.push({ path: dir, type: "tree", mode: "040000", sha: createHash("sha1").update(`tree ${dir}`).digest("hex") });
    entries.sort((a, b) => (a.path < b.path ? -1 : 1));
    return { sha: createHash("sha1").update(`root ${seeded.sha}`).digest("hex"), entries, truncated: false };
  }

  async blob(_repo: RepoRef, blobSha: string, maxBytes: number): Promise<Buffer> {
    this.#read("blob", blobSha);
    const content = this.#seeded().bySha.get(blobSha);
    if (!content) throw new GitHubError(`No blob ${blobSha}`, { kind: "not-found", status: 404 });
    if (content.byteLength > maxBytes) throw new GitHubError(`Blob ${blobSha} is ${content.byteLength} bytes, over ${maxBytes}`, { kind: "permanent" });
    return content;
  }

  async archive(repo: RepoRef, commitSha: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    this.#read("archive", commitSha);
    const seeded = this.#seeded(commitSha);
    const files = [...seeded.files].map(([path, content]) => ({ path, content }));
    const download = repositoryTarball(`${repo.owner}-${repo.repo}-${commitSha.slice(0, 7)}`, commitSha, 1_700_000_000, files);
    signal.addEventListener("abort", () => download.destroy(), { once: true });
    return download;
  }

  async teamMember(org: string, teamSlug: string, login: string): Promise<boolean> {
    this.#read("teamMember", login);
    return this.teams.get(`${org}/${teamSlug}`.toLowerCase())?.has(login.toLowerCase()) ?? false;
  }

  write<T>(slot: SlotRequest, fn: (writes: GitHubWrites) => Promise<T>): Promise<T> {
    return this.#scheduler.schedule(slot, () => fn(this.#writes()));
  }

  bodies(): string[] {
    return [...this.comments.values()];
  }

  #writes(): GitHubWrites {
    const perform = async <T>(record: Omit<WriteRecord, "at">, apply: () => T): Promise<T> => {
      const op = { ...record, at: this.#clock.now() };
      this.writes.push(op);
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        if (this.writeLatencyMs > 0) await this.#clock.sleep(this.writeLatencyMs);
        for (const failure of this.#failures) {
          const error = failure(op);
          if (error) throw error;
        }
        return apply();
      } finally {
        this.inFlight--;
      }
    };
    const url = (id: number): string => `https://github.test/o/r/issues/1#issuecomment-${id}`;
    return {
      createComment: (_issue: IssueRef, body: string): Promise<PostedComment> =>
        perform({ op: "create", body }, () => {
          const id = this.#nextId++;
          this.comments.set(id, body);
          return { id, url: url(id) };
        }),
      updateComment: (_repo: RepoRef, commentId: number, body: string): Promise<PostedComment> =>
        perform({ op: "update", commentId, body }, () => {
          if (!this.comments.has(commentId)) throw new GitHubError("gone", { kind: "not-found", status: 404 });
          this.comments.set(commentId, body);
          return { id: commentId, url: url(commentId) };
        }),
      react: (_repo: RepoRef, target: ReactionTarget, content: ReactionContent): Promise<void> =>
        perform({ op: "react", content, target }, () => undefined),
    };
  }
}

export const transient = (): GitHubError => new GitHubError("HTTP 502", { kind: "transient", status: 502 });
export const secondaryLimit = (retryAfterSeconds?: number): GitHubError =>
  new GitHubError("limited", {
    kind: "rate-limited",
    status: 403,
    rateLimit: { limit: "secondary", ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) },
  });

/** The default write budget (as `loadSettings` gives it), on a test clock. */
export function testScheduler(clock: Clock, log: Logger, limits: Partial<WriteBudgetLimits> = {}): WriteScheduler {
  return new WriteScheduler({
    limits: { perMinute: 60, perHour: 420, spacingMs: 1000, progressShare: 0.75, ...limits },
    clock,
    log,
    retryAfterBaseMs: 1000,
    secondaryPauseMs: 60_000,
    maxPauseMs: 900_000,
    epochSeconds: () => 1_000_000,
  });
}
