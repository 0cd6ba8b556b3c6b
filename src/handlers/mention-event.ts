import type { Context } from "probot";
import type { ThreadIssue } from "../conversation/thread-to-messages.js";
import type { MentionEvent } from "../state/run-journal.js";

/**
 * Webhook payload → plain data. The only place that knows the payload shapes of
 * `issue_comment.created` and `issues.opened`.
 */

export type MentionContext = Context<"issue_comment.created"> | Context<"issues.opened">;

export function toMentionEvent(context: MentionContext): MentionEvent | null {
  const { payload } = context;
  const installationId = payload.installation?.id;
  if (installationId === undefined) return null;
  const issue: ThreadIssue = {
    number: payload.issue.number,
    title: payload.issue.title,
    body: payload.issue.body ?? "",
    author: payload.issue.user?.login ?? "ghost",
  };
  const base = {
    deliveryId: context.id,
    installationId,
    repo: { owner: payload.repository.owner.login, repo: payload.repository.name },
    issue,
    sender: { login: payload.sender.login, type: payload.sender.type },
  };
  if ("comment" in payload) {
    const { comment } = payload;
    return {
      ...base,
      text: comment.body ?? "",
      target: { kind: "comment", commentId: comment.id },
      triggerKey: `c${comment.id}`,
      triggerComment: {
        id: comment.id,
        author: comment.user?.login ?? "ghost",
        authorType: comment.user?.type ?? "User",
        body: comment.body ?? "",
      },
    };
  }
  return {
    ...base,
    text: issue.body,
    target: { kind: "issue", issueNumber: issue.number },
    triggerKey: `i${payload.issue.id}`,
  };
}
