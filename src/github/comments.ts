import type { ProbotOctokit } from "probot";
import type { IssueRef } from "./refs.js";
import { call, PAGE, pages } from "./request.js";

/** An issue's thread as a run reads it: its comments (REST), and which are minimized (GraphQL). */

export interface ThreadComment {
  readonly id: number;
  readonly author: string;
  readonly authorType: string;
  readonly body: string;
  /** GitHub shows it collapsed: someone hid it (as spam, abuse, off-topic, outdated, …). */
  readonly minimized?: true;
}

/** An issue's comments in order; a long thread is read at both ends. */
export interface CommentList {
  readonly comments: ThreadComment[];
  /** Comments in the middle of the thread that were not read. */
  readonly omitted: number;
  /** When some were: the id of the comment just before them. */
  readonly gapAfterId?: number;
  /** Why GitHub could not say which comments are minimized (then none is marked). */
  readonly minimizedUnknown?: string;
}

interface RestComment {
  readonly id: number;
  readonly node_id?: string;
  readonly user?: { readonly login: string; readonly type: string } | null;
  readonly body?: string;
}

/** Of a thread too long to read whole, the share of `max` taken from its start. */
const HEAD_SHARE = 0.1;

const MINIMIZED_QUERY = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Minimizable { isMinimized } } }";

/**
 * The issue's comments in order, at most `max`. A longer thread is read at both ends: the
 * first comments (how the discussion started) and the newest ones (the latest plan and
 * the corrections to it), fetched from the last page backwards, so a long thread costs
 * at most `max / 100 + 2` requests (a partial last page needs one more for the tail).
 * https://docs.github.com/rest/issues/comments#list-issue-comments
 *
 * Comments GitHub shows minimized are marked; REST does not say which they are, so one
 * GraphQL query per 100 comments reads `Minimizable.isMinimized`
 * (https://docs.github.com/graphql/reference/interfaces#minimizable). If that fails,
 * the list comes back unmarked, saying so.
 */
export async function listComments(octokit: ProbotOctokit, issue: IssueRef, max: number): Promise<CommentList> {
  const { comments, omitted, gapAfterId } = await readBothEnds(octokit, issue, max);
  const list = { omitted, ...(gapAfterId === undefined ? {} : { gapAfterId }) };
  let minimized: Set<string>;
  try {
    minimized = await minimizedOf(octokit, comments.map((c) => c.node_id).filter((id): id is string => typeof id === "string"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ...list, comments: comments.map((c) => toThreadComment(c, false)), minimizedUnknown: reason };
  }
  return { ...list, comments: comments.map((c) => toThreadComment(c, c.node_id !== undefined && minimized.has(c.node_id))) };
}

/** At most `max` comments of a thread: all of a short one; the first tenth and the newest of a long one. */
async function readBothEnds(octokit: ProbotOctokit, issue: IssueRef, max: number): Promise<{ comments: RestComment[]; omitted: number; gapAfterId?: number }> {
  const what = `Reading the comments of ${issue.owner}/${issue.repo}#${issue.issueNumber}`;
  const params = { owner: issue.owner, repo: issue.repo, issue_number: issue.issueNumber, per_page: PAGE };
  // Forwards, Octokit's paginator follows rel="next" from page 1, one page per `next()`.
  const forward = pages(what, octokit.paginate.iterator(octokit.rest.issues.listComments, { ...params, page: 1 }));
  const first = await forward.next();
  if (first.done) return { comments: [], omitted: 0 };
  const head: RestComment[] = first.value.data;
  const lastPage = lastPageOf(first.value.headers.link);
  if (lastPage * PAGE <= max || lastPage === 1) {
    const all = [...head];
    while (all.length < max) {
      const next = await forward.next();
      if (next.done) break;
      all.push(...next.value.data);
    }
    return { comments: all.slice(0, max), omitted: 0 };
  }
  // Backwards, from the last page, each by its number: the paginator only walks forwards.
  const page = async (n: number): Promise<RestComment[]> =>
    (await call(what, () => octokit.rest.issues.listComments({ ...params, page: n }))).data;
  const keepHead = Math.min(head.length, Math.max(1, Math.floor(max * HEAD_SHARE)));
  let tail: RestComment[] = [];
  let total = (lastPage - 1) * PAGE;
  let n = lastPage;
  for (; n > 1 && tail.length < max - keepHead; n--) {
    const data = await page(n);
    if (n === lastPage) total += data.length;
    tail = [...data, ...tail];
  }
  // Every page after the first was read: the rest of the first page joins on seamlessly.
  if (n === 1) tail = [...head.slice(keepHead), ...tail];
  const newest = tail.slice(Math.max(0, tail.length - (max - keepHead)));
  const kept = head.slice(0, keepHead);
  const omitted = total - keepHead - newest.length;
  return { comments: [...kept, ...newest], omitted, ...(omitted > 0 ? { gapAfterId: (kept.at(-1) as RestComment).id } : {}) };
}

/**
 * The number of the last page, from the `link` header's rel="last" (1 when there is none):
 * where the backwards read of a long thread starts.
 * https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api#using-link-headers
 */
function lastPageOf(link: string | undefined): number {
  for (const entry of (link ?? "").split(",")) {
    const [target = "", ...params] = entry.split(";");
    if (!params.some((param) => param.trim() === 'rel="last"')) continue;
    const page = Number(URL.parse(target.trim().slice(1, -1))?.searchParams.get("page"));
    return Number.isSafeInteger(page) && page > 1 ? page : 1;
  }
  return 1;
}

async function minimizedOf(octokit: ProbotOctokit, nodeIds: readonly string[]): Promise<Set<string>> {
  const minimized = new Set<string>();
  for (let at = 0; at < nodeIds.length; at += PAGE) {
    const ids = nodeIds.slice(at, at + PAGE);
    const data = await call("Reading which comments are minimized", () =>
      octokit.graphql<{ nodes: Array<{ id?: string; isMinimized?: boolean } | null> }>(MINIMIZED_QUERY, { ids }),
    );
    for (const node of data.nodes ?? []) if (node?.id && node.isMinimized === true) minimized.add(node.id);
  }
  return minimized;
}

function toThreadComment(c: RestComment, minimized: boolean): ThreadComment {
  return {
    id: c.id,
    author: c.user?.login ?? "ghost",
    authorType: c.user?.type ?? "User",
    body: c.body ?? "",
    ...(minimized ? { minimized: true as const } : {}),
  };
}
