import { GitHubError } from "../../src/github/errors.js";
import type {
  GitHubWrites,
  InstallationApi,
  IssueRef,
  PostedComment,
  ReactionContent,
  ReactionTarget,
  RepoPermission,
  RepoRef,
  ThreadComment,
} from "../../src/github/github-adapter.js";
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

/**
 * An in-memory stand-in for the GitHub adapter, for unit tests of the live comment and
 * the run: writes go through a real `WriteScheduler`, land in a map, and are recorded with
 * the clock time they started. Failures can be injected per write.
 */
export class MemoryGitHub implements InstallationApi {
  readonly comments = new Map<number, string>();
  readonly writes: WriteRecord[] = [];
  readonly thread: ThreadComment[] = [];
  permissions = new Map<string, RepoPermission>();
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

  async listComments(_issue: IssueRef, max: number): Promise<ThreadComment[]> {
    return this.thread.slice(0, max);
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
