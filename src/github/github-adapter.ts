import type { ProbotOctokit } from "probot";
import type { SlotRequest, WriteScheduler } from "../scheduler/write-scheduler.js";
import { toGitHubError } from "./errors.js";

/**
 * The GitHub adapter: every Octokit call of the App lives here. Callers get plain data
 * and `GitHubError`s. Writes are reachable only through `write()`, which runs them inside
 * a slot of the installation's `WriteScheduler`, so no write can bypass the budget.
 */

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

export interface IssueRef extends RepoRef {
  readonly issueNumber: number;
}

export interface PostedComment {
  readonly id: number;
  readonly url: string;
}

export interface ThreadComment {
  readonly id: number;
  readonly author: string;
  readonly authorType: string;
  readonly body: string;
}

export type ReactionContent = "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes";

/** What a reaction is put on: the triggering comment, or the issue itself when it was the trigger. */
export type ReactionTarget =
  | { readonly kind: "comment"; readonly commentId: number }
  | { readonly kind: "issue"; readonly issueNumber: number };

export type RepoPermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

/** The writes the App makes; only available inside a scheduler slot. */
export interface GitHubWrites {
  createComment(issue: IssueRef, body: string): Promise<PostedComment>;
  updateComment(repo: RepoRef, commentId: number, body: string): Promise<PostedComment>;
  react(repo: RepoRef, target: ReactionTarget, content: ReactionContent): Promise<void>;
}

/** What a run needs from GitHub: reads, and scheduled writes. */
export interface InstallationApi {
  permission(repo: RepoRef, login: string): Promise<RepoPermission>;
  listComments(issue: IssueRef, max: number): Promise<ThreadComment[]>;
  write<T>(slot: SlotRequest, fn: (writes: GitHubWrites) => Promise<T>): Promise<T>;
}

// plugin-retry would resend a failed write on its own (it retries 429 and 5xx), unseen by
// the scheduler; writes are retried by their callers, through the scheduler, instead.
const NO_PLUGIN_RETRY = { request: { retries: 0 } } as const;

async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw toGitHubError(error, what);
  }
}

function writesFor(octokit: ProbotOctokit): GitHubWrites {
  return {
    async createComment(issue, body) {
      const { data } = await call(`Creating a comment on ${issue.owner}/${issue.repo}#${issue.issueNumber}`, () =>
        octokit.rest.issues.createComment({
          owner: issue.owner,
          repo: issue.repo,
          issue_number: issue.issueNumber,
          body,
          ...NO_PLUGIN_RETRY,
        }),
      );
      return { id: data.id, url: data.html_url };
    },
    async updateComment(repo, commentId, body) {
      const { data } = await call(`Editing comment ${commentId} in ${repo.owner}/${repo.repo}`, () =>
        octokit.rest.issues.updateComment({ owner: repo.owner, repo: repo.repo, comment_id: commentId, body, ...NO_PLUGIN_RETRY }),
      );
      return { id: data.id, url: data.html_url };
    },
    async react(repo, target, content) {
      const what = `Reacting ${content} in ${repo.owner}/${repo.repo}`;
      if (target.kind === "comment") {
        await call(what, () =>
          octokit.rest.reactions.createForIssueComment({
            owner: repo.owner,
            repo: repo.repo,
            comment_id: target.commentId,
            content,
            ...NO_PLUGIN_RETRY,
          }),
        );
      } else {
        await call(what, () =>
          octokit.rest.reactions.createForIssue({
            owner: repo.owner,
            repo: repo.repo,
            issue_number: target.issueNumber,
            content,
            ...NO_PLUGIN_RETRY,
          }),
        );
      }
    },
  };
}

export class InstallationGitHub implements InstallationApi {
  readonly #octokit: ProbotOctokit;
  readonly #scheduler: WriteScheduler;
  readonly #writes: GitHubWrites;

  constructor(octokit: ProbotOctokit, scheduler: WriteScheduler) {
    this.#octokit = octokit;
    this.#scheduler = scheduler;
    this.#writes = writesFor(octokit);
  }

  /**
   * The repository role of a user. `permission` is the legacy level (maintain reads as
   * "write", triage as "read"); `role_name` carries the precise role.
   * https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user
   */
  async permission(repo: RepoRef, login: string): Promise<RepoPermission> {
    const { data } = await call(`Reading ${login}'s permission on ${repo.owner}/${repo.repo}`, () =>
      this.#octokit.rest.repos.getCollaboratorPermissionLevel({ owner: repo.owner, repo: repo.repo, username: login }),
    );
    const roles: readonly RepoPermission[] = ["admin", "maintain", "write", "triage", "read", "none"];
    const role = (data as { role_name?: string }).role_name;
    if (role && (roles as readonly string[]).includes(role)) return role as RepoPermission;
    return (roles as readonly string[]).includes(data.permission) ? (data.permission as RepoPermission) : "none";
  }

  /** The issue's comments in order, at most `max` (the oldest ones). */
  async listComments(issue: IssueRef, max: number): Promise<ThreadComment[]> {
    const comments: ThreadComment[] = [];
    await call(`Reading the comments of ${issue.owner}/${issue.repo}#${issue.issueNumber}`, () =>
      this.#octokit.paginate(
        this.#octokit.rest.issues.listComments,
        { owner: issue.owner, repo: issue.repo, issue_number: issue.issueNumber, per_page: 100 },
        (response, done) => {
          for (const c of response.data) {
            if (comments.length >= max) break;
            comments.push({ id: c.id, author: c.user?.login ?? "ghost", authorType: c.user?.type ?? "User", body: c.body ?? "" });
          }
          if (comments.length >= max) done();
          return [];
        },
      ),
    );
    return comments;
  }

  write<T>(slot: SlotRequest, fn: (writes: GitHubWrites) => Promise<T>): Promise<T> {
    return this.#scheduler.schedule(slot, () => fn(this.#writes));
  }
}

/** The App's own identity, read once at start-up with the App's JWT. */
export async function fetchAppSlug(appOctokit: ProbotOctokit): Promise<string> {
  const { data } = await call("Reading the App's identity (GET /app)", () => appOctokit.rest.apps.getAuthenticated());
  const slug = data?.slug;
  if (!slug) throw new Error("GET /app returned no slug; is APP_ID / PRIVATE_KEY the App's own?");
  return slug;
}
