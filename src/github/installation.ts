import type { ProbotOctokit } from "probot";
import { permission, teamMember, type RepoPermission } from "./access.js";
import { listComments, type CommentList } from "./comments.js";
import { blob, commitSha, repository, tarball, tree, type RepoInfo, type RepoTree } from "./contents.js";
import { issueWrites, type GitHubWrites } from "./issue-writes.js";
import type { IssueRef, RepoRef } from "./refs.js";

/**
 * The GitHub adapter, as one installation: every Octokit call a run makes goes through it,
 * and callers get plain data and `GitHubError`s. Each concern is its own module (access,
 * comments, contents, issue writes); this one composes them. Writes are reachable only
 * through `write()`, which runs them inside a slot of the installation's write pacing, so
 * no write can bypass the budget.
 */

/** What a run reads from GitHub. */
export interface InstallationReads {
  permission(repo: RepoRef, login: string): Promise<RepoPermission>;
  /** At most `max` comments: the oldest few and the newest, in order. */
  listComments(issue: IssueRef, max: number): Promise<CommentList>;
  repository(repo: RepoRef): Promise<RepoInfo>;
  /** The commit a branch name, tag or (abbreviated) sha points to. */
  commitSha(repo: RepoRef, ref: string): Promise<string>;
  /** The whole tree of a commit, recursively. */
  tree(repo: RepoRef, commitSha: string): Promise<RepoTree>;
  /** A blob's bytes; a `GitHubError` ("permanent") when it is larger than `maxBytes`. */
  blob(repo: RepoRef, blobSha: string, maxBytes: number): Promise<Buffer>;
  /**
   * The commit's gzip-compressed tarball as it downloads (`src/repository/archive.ts` reads
   * it). Read it to the end or abort `signal`: that ends the download.
   */
  archive(repo: RepoRef, commitSha: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  /** Whether `login` is an active member of the team (a pending invitation is not). */
  teamMember(org: string, teamSlug: string, login: string): Promise<boolean>;
}

/**
 * Runs each write in a slot it grants: the installation's `WriteScheduler`
 * (src/scheduler/write-scheduler.ts), which knows what a `Slot` asks for.
 */
export interface WritePacing<Slot> {
  schedule<T>(slot: Slot, write: () => Promise<T>): Promise<T>;
}

/** What a run needs from GitHub: reads, and paced writes. */
export interface InstallationApi<Slot> extends InstallationReads {
  write<T>(slot: Slot, fn: (writes: GitHubWrites) => Promise<T>): Promise<T>;
}

export class InstallationGitHub<Slot> implements InstallationApi<Slot> {
  readonly #octokit: ProbotOctokit;
  readonly #pacing: WritePacing<Slot>;
  readonly #writes: GitHubWrites;

  constructor(octokit: ProbotOctokit, pacing: WritePacing<Slot>) {
    this.#octokit = octokit;
    this.#pacing = pacing;
    this.#writes = issueWrites(octokit);
  }

  permission(repo: RepoRef, login: string): Promise<RepoPermission> {
    return permission(this.#octokit, repo, login);
  }

  listComments(issue: IssueRef, max: number): Promise<CommentList> {
    return listComments(this.#octokit, issue, max);
  }

  repository(repo: RepoRef): Promise<RepoInfo> {
    return repository(this.#octokit, repo);
  }

  commitSha(repo: RepoRef, ref: string): Promise<string> {
    return commitSha(this.#octokit, repo, ref);
  }

  tree(repo: RepoRef, commit: string): Promise<RepoTree> {
    return tree(this.#octokit, repo, commit);
  }

  blob(repo: RepoRef, blobSha: string, maxBytes: number): Promise<Buffer> {
    return blob(this.#octokit, repo, blobSha, maxBytes);
  }

  archive(repo: RepoRef, commit: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    return tarball(this.#octokit, repo, commit, signal);
  }

  teamMember(org: string, teamSlug: string, login: string): Promise<boolean> {
    return teamMember(this.#octokit, org, teamSlug, login);
  }

  write<T>(slot: Slot, fn: (writes: GitHubWrites) => Promise<T>): Promise<T> {
    return this.#pacing.schedule(slot, () => fn(this.#writes));
  }
}
