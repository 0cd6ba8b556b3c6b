/** Issues, their comments, and reactions on both. */
import { bodyField, errorReply, notFound, type Params, type Reply, type RequestContext } from "../http.js";
import { numberedPage } from "../pagination.js";
import type { RouteHandler, Router } from "../router.js";
import { REACTION_CONTENTS, type ReactionContent, type ReactionRollup } from "../schemas.js";
import type { CommentState, GitHubStore, IssueState, ReactionRecord } from "../store.js";
import type { AppWebhooks } from "../webhooks.js";
import { clone, isoNow, positiveInt } from "../wire-format.js";
import { repoAccess } from "./repo-access.js";

const DOCS = {
  getIssue: "https://docs.github.com/rest/issues/issues#get-an-issue",
  listComments: "https://docs.github.com/rest/issues/comments#list-issue-comments",
  createComment: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
  getComment: "https://docs.github.com/rest/issues/comments#get-an-issue-comment",
  updateComment: "https://docs.github.com/rest/issues/comments#update-an-issue-comment",
  deleteComment: "https://docs.github.com/rest/issues/comments#delete-an-issue-comment",
  commentReaction: "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment",
  issueReaction: "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue",
  deleteCommentReaction: "https://docs.github.com/rest/reactions/reactions#delete-an-issue-comment-reaction",
  deleteIssueReaction: "https://docs.github.com/rest/reactions/reactions#delete-an-issue-reaction",
} as const;

/** https://docs.github.com/rest/issues/comments#create-an-issue-comment ("maximum is 65536 characters") */
const MAX_BODY_CHARS = 65536;

/**
 * GitHub counts characters (Ruby `String#length`, i.e. Unicode code points), not UTF-16 code
 * units, so an emoji counts once here even though its JS `.length` is 2.
 */
function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Validates a comment `body` parameter the way GitHub does; returns an error reply or the body. */
function validateCommentBody(ctx: RequestContext, docs: string): Reply | string {
  const body = bodyField(ctx, "body");
  // Schema violations are reported as "Invalid request" by GitHub's request validation.
  if (body === undefined) return errorReply(422, 'Invalid request.\n\n"body" wasn\'t supplied.', docs);
  if (typeof body !== "string") return errorReply(422, `Invalid request.\n\nFor 'properties/body', ${JSON.stringify(body)} is not a string.`, docs);
  if (body.length === 0) return errorReply(422, "Validation Failed", docs, [{ resource: "IssueComment", code: "missing_field", field: "body" }]);
  if (charCount(body) > MAX_BODY_CHARS) {
    return errorReply(422, "Validation Failed", docs, [
      { resource: "IssueComment", code: "custom", field: "body", message: `body is too long (maximum is ${MAX_BODY_CHARS} characters)` },
    ]);
  }
  return body;
}

export function issueRoutes(router: Router, store: GitHubStore, webhooks: AppWebhooks): void {
  /** A route on `…/issues/comments/:comment_id`: 404 for a deleted comment or one of another repository. */
  const onComment =
    (docs: string, handle: (ctx: RequestContext, state: CommentState, params: Params) => Reply): RouteHandler =>
    (ctx, params) => {
      const repo = repoAccess(store, ctx, params, docs);
      if ("status" in repo) return repo;
      const state = store.liveComment(positiveInt(params["comment_id"]) ?? 0);
      if (!state || state.issue.repo !== repo) return notFound(docs);
      return handle(ctx, state, params);
    };

  /** A route on `…/issues/:issue_number`. */
  const onIssue =
    (docs: string, handle: (ctx: RequestContext, issue: IssueState, params: Params) => Reply): RouteHandler =>
    (ctx, params) => {
      const repo = repoAccess(store, ctx, params, docs);
      if ("status" in repo) return repo;
      const issue = repo.issues.get(positiveInt(params["issue_number"]) ?? 0);
      if (!issue) return notFound(docs);
      return handle(ctx, issue, params);
    };

  /** "If the reaction already exists, the response is 200 OK" (with the existing reaction). */
  const react = (ctx: RequestContext, docs: string, subject: ReactionRecord["subject"], subjectId: number, issue: IssueState, rollup: ReactionRollup): Reply => {
    const content = bodyField(ctx, "content");
    if (typeof content !== "string" || !(REACTION_CONTENTS as readonly string[]).includes(content)) {
      return errorReply(422, "Validation Failed", docs, [{ resource: "Reaction", code: "invalid", field: "content" }]);
    }
    const { reaction, created } = store.react(subject, subjectId, issue, rollup, content as ReactionContent);
    return { status: created ? 201 : 200, body: clone(reaction) };
  };

  const unreact = (subject: ReactionRecord["subject"], subjectId: number, params: Params, docs: string): Reply =>
    store.unreact(subject, subjectId, positiveInt(params["reaction_id"])) ? { status: 204 } : notFound(docs);

  // Comment routes come before `/issues/:number` routes only for readability; `:comment_id`
  // lives one segment deeper, so the patterns cannot collide.
  const comment = "/repos/:owner/:repo/issues/comments/:comment_id";

  router.route("GET", comment, onComment(DOCS.getComment, (_ctx, state) => ({ status: 200, body: clone(state.comment) })));

  router.route(
    "PATCH",
    comment,
    onComment(DOCS.updateComment, (ctx, state) => {
      const body = validateCommentBody(ctx, DOCS.updateComment);
      if (typeof body !== "string") return body;
      const previous = state.comment.body;
      state.comment.body = body;
      state.comment.updated_at = isoNow();
      state.history.push({ at: performance.now(), body, method: "PATCH" });
      const echo = webhooks.prepareEcho("edited", state, previous);
      return { status: 200, body: clone(state.comment), ...(echo ? { afterSend: echo } : {}) };
    }),
  );

  router.route(
    "DELETE",
    comment,
    onComment(DOCS.deleteComment, (_ctx, state) => {
      store.markDeleted(state);
      const echo = webhooks.prepareEcho("deleted", state);
      return { status: 204, ...(echo ? { afterSend: echo } : {}) };
    }),
  );

  router.route(
    "POST",
    `${comment}/reactions`,
    onComment(DOCS.commentReaction, (ctx, state) => react(ctx, DOCS.commentReaction, "comment", state.comment.id, state.issue, state.comment.reactions)),
  );

  router.route(
    "DELETE",
    `${comment}/reactions/:reaction_id`,
    onComment(DOCS.deleteCommentReaction, (_ctx, state, params) => unreact("comment", state.comment.id, params, DOCS.deleteCommentReaction)),
  );

  const issue = "/repos/:owner/:repo/issues/:issue_number";

  router.route("GET", issue, onIssue(DOCS.getIssue, (_ctx, state) => ({ status: 200, body: clone(state.issue) })));

  router.route(
    "GET",
    `${issue}/comments`,
    onIssue(DOCS.listComments, (ctx, state) => {
      let all = store.liveComments(state);
      const since = ctx.query["since"];
      if (since !== undefined && !Number.isNaN(Date.parse(since))) {
        const threshold = Date.parse(since);
        all = all.filter((c) => Date.parse(c.comment.updated_at) >= threshold);
      }
      const page = numberedPage(all, ctx, `${store.addresses.apiBase}${ctx.path}`);
      return { status: 200, body: page.items.map((c) => clone(c.comment)), ...(page.headers ? { headers: page.headers } : {}) };
    }),
  );

  router.route(
    "POST",
    `${issue}/comments`,
    onIssue(DOCS.createComment, (ctx, state) => {
      const body = validateCommentBody(ctx, DOCS.createComment);
      if (typeof body !== "string") return body;
      // Every write through this API is made by the installation, i.e. the App's bot user.
      const created = store.createComment(state, body, store.botUser, true);
      created.history.push({ at: performance.now(), body, method: "POST" });
      const echo = webhooks.prepareEcho("created", created);
      return { status: 201, body: clone(created.comment), headers: { location: created.comment.url }, ...(echo ? { afterSend: echo } : {}) };
    }),
  );

  router.route(
    "POST",
    `${issue}/reactions`,
    onIssue(DOCS.issueReaction, (ctx, state) => react(ctx, DOCS.issueReaction, "issue", state.issue.id, state, state.issue.reactions)),
  );

  router.route(
    "DELETE",
    `${issue}/reactions/:reaction_id`,
    onIssue(DOCS.deleteIssueReaction, (_ctx, state, params) => unreact("issue", state.issue.id, params, DOCS.deleteIssueReaction)),
  );
}
