import type { ProbotOctokit } from "probot";
import type { IssueRef, RepoRef } from "./refs.js";
import { call } from "./request.js";

/**
 * The writes the App makes on an issue: its answer comments and its reactions. Handed out
 * only inside a slot of the installation's write pacing (`InstallationGitHub.write`).
 */

export interface PostedComment {
  readonly id: number;
  readonly url: string;
}

export type ReactionContent = "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes";

/** What a reaction is put on: the triggering comment, or the issue itself when it was the trigger. */
export type ReactionTarget =
  | { readonly kind: "comment"; readonly commentId: number }
  | { readonly kind: "issue"; readonly issueNumber: number };

/** The writes the App makes; only available inside a scheduler slot. */
export interface GitHubWrites {
  createComment(issue: IssueRef, body: string): Promise<PostedComment>;
  updateComment(repo: RepoRef, commentId: number, body: string): Promise<PostedComment>;
  react(repo: RepoRef, target: ReactionTarget, content: ReactionContent): Promise<void>;
}

// plugin-retry would resend a failed write on its own (it retries 429 and 5xx), unseen by
// the scheduler; writes are retried by their callers, through the scheduler, instead.
const NO_PLUGIN_RETRY = { request: { retries: 0 } } as const;

/**
 * https://docs.github.com/rest/issues/comments#create-an-issue-comment
 * https://docs.github.com/rest/issues/comments#update-an-issue-comment
 * https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment
 * https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue
 */
export function issueWrites(octokit: ProbotOctokit): GitHubWrites {
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
      const reaction = { owner: repo.owner, repo: repo.repo, content, ...NO_PLUGIN_RETRY };
      await call(`Reacting ${content} in ${repo.owner}/${repo.repo}`, () =>
        target.kind === "comment"
          ? octokit.rest.reactions.createForIssueComment({ ...reaction, comment_id: target.commentId })
          : octokit.rest.reactions.createForIssue({ ...reaction, issue_number: target.issueNumber }),
      );
    },
  };
}
