import type { ProbotOctokit } from "probot";
import { z } from "zod";
import { readTarGz, type ArchiveOptions, type ArchiveResult } from "../repository/archive.js";
import type { SlotRequest, WriteScheduler } from "../scheduler/write-scheduler.js";
import { GitHubError, isGitHubError, toGitHubError } from "./errors.js";

export type { ArchiveOptions, ArchiveResult } from "../repository/archive.js";

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

export type ReactionContent = "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes";

/** What a reaction is put on: the triggering comment, or the issue itself when it was the trigger. */
export type ReactionTarget =
  | { readonly kind: "comment"; readonly commentId: number }
  | { readonly kind: "issue"; readonly issueNumber: number };

export type RepoPermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface RepoInfo {
  readonly defaultBranch: string;
  readonly htmlUrl: string;
}

export interface TreeEntry {
  readonly path: string;
  /** "commit" is a submodule. */
  readonly type: "blob" | "tree" | "commit";
  /** Git's file mode: "100644", "100755", "120000" (symlink), "040000", "160000". */
  readonly mode: string;
  readonly sha: string;
  /** Blobs only. */
  readonly size?: number;
}

export interface RepoTree {
  /** The root tree's sha (not the commit's). */
  readonly sha: string;
  readonly entries: readonly TreeEntry[];
  /** GitHub cut the listing short (over 100,000 entries or 7 MB): some paths are missing. */
  readonly truncated: boolean;
}

/** The writes the App makes; only available inside a scheduler slot. */
export interface GitHubWrites {
  createComment(issue: IssueRef, body: string): Promise<PostedComment>;
  updateComment(repo: RepoRef, commentId: number, body: string): Promise<PostedComment>;
  react(repo: RepoRef, target: ReactionTarget, content: ReactionContent): Promise<void>;
}

/** What a run needs from GitHub: reads, and scheduled writes. */
export interface InstallationApi {
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
  /** The files of a commit that `options.accept`s, streamed from one tarball download. */
  archive(repo: RepoRef, commitSha: string, options: ArchiveOptions): Promise<ArchiveResult>;
  /** Whether `login` is an active member of the team (a pending invitation is not). */
  teamMember(org: string, teamSlug: string, login: string): Promise<boolean>;
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

/**
 * With `parseSuccessResponseBody: false` @octokit/request hands back fetch's `response.body`
 * (a web ReadableStream, async-iterable in Node) as `data` instead of reading it.
 * https://github.com/octokit/request.js#request
 */
function bodyStream(data: unknown, what: string): AsyncIterable<Uint8Array> {
  if (typeof data === "object" && data !== null && Symbol.asyncIterator in data) return data as AsyncIterable<Uint8Array>;
  throw new GitHubError(`${what} failed: the response had no body`, { kind: "transient" });
}

/** Reads a response body, or answers undefined as soon as it grows past `maxBytes` (and stops reading). */
async function readAtMost(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    length += chunk.byteLength;
    if (length > maxBytes) return undefined; // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Base64 text for `bytes` bytes with GitHub's line breaks (escaped as `\n` in JSON), plus the other fields. */
function blobResponseLimit(bytes: number): number {
  const base64 = 4 * Math.ceil(bytes / 3);
  return base64 + 2 * Math.ceil(base64 / 60) + 16 * 1024;
}

/** https://docs.github.com/rest/git/blobs#get-a-blob */
const blobSchema = z.object({
  content: z.string(),
  encoding: z.enum(["base64", "utf-8"]),
  size: z.number().int().nonnegative().nullable(),
});

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** GitHub's largest page. */
const PAGE = 100;
/** Of a thread too long to read whole, the share of `max` taken from its start. */
const HEAD_SHARE = 0.1;

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

interface RestComment {
  readonly id: number;
  readonly node_id?: string;
  readonly user?: { readonly login: string; readonly type: string } | null;
  readonly body?: string;
}

const MINIMIZED_QUERY = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Minimizable { isMinimized } } }";

function toThreadComment(c: RestComment, minimized: boolean): ThreadComment {
  return {
    id: c.id,
    author: c.user?.login ?? "ghost",
    authorType: c.user?.type ?? "User",
    body: c.body ?? "",
    ...(minimized ? { minimized: true as const } : {}),
  };
}

/** At most `max` comments of a thread: all of a short one; the first tenth and the newest of a long one. */
async function readBothEnds(
  page: (n: number) => Promise<{ data: RestComment[]; link: string }>,
  max: number,
): Promise<{ comments: RestComment[]; omitted: number; gapAfterId?: number }> {
  const first = await page(1);
  const lastPage = Number(/<[^>]*[?&]page=(\d+)[^>]*>;\s*rel="last"/.exec(first.link)?.[1] ?? 1);
  const head = first.data;
  if (lastPage * PAGE <= max || lastPage === 1) {
    const all = [...head];
    for (let n = 2; n <= lastPage && all.length < max; n++) all.push(...(await page(n)).data);
    return { comments: all.slice(0, max), omitted: 0 };
  }
  const keepHead = Math.min(head.length, Math.max(1, Math.floor(max * HEAD_SHARE)));
  let tail: RestComment[] = [];
  let total = (lastPage - 1) * PAGE;
  let n = lastPage;
  for (; n > 1 && tail.length < max - keepHead; n--) {
    const { data } = await page(n);
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

  /**
   * The issue's comments in order, at most `max`. A longer thread is read at both ends: the
   * first comments (how the discussion started) and the newest ones (the latest plan and
   * the corrections to it), fetched from the last page backwards, so a long thread costs
   * at most `max / 100 + 2` requests (a partial last page needs one more for the tail).
   * The `link` header's rel="last" tells the page count.
   * https://docs.github.com/rest/issues/comments#list-issue-comments
   *
   * Comments GitHub shows minimized are marked; REST does not say which they are, so one
   * GraphQL query per 100 comments reads `Minimizable.isMinimized`
   * (https://docs.github.com/graphql/reference/interfaces#minimizable). If that fails,
   * the list comes back unmarked, saying so.
   */
  async listComments(issue: IssueRef, max: number): Promise<CommentList> {
    const what = `Reading the comments of ${issue.owner}/${issue.repo}#${issue.issueNumber}`;
    const page = async (n: number): Promise<{ data: RestComment[]; link: string }> => {
      const response = await call(what, () =>
        this.#octokit.rest.issues.listComments({ owner: issue.owner, repo: issue.repo, issue_number: issue.issueNumber, per_page: PAGE, page: n }),
      );
      return { data: response.data, link: response.headers.link ?? "" };
    };
    const { comments, omitted, gapAfterId } = await readBothEnds(page, max);
    const list = { omitted, ...(gapAfterId === undefined ? {} : { gapAfterId }) };
    let minimized: Set<string>;
    try {
      minimized = await this.#minimized(comments.map((c) => c.node_id).filter((id): id is string => typeof id === "string"));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ...list, comments: comments.map((c) => toThreadComment(c, false)), minimizedUnknown: reason };
    }
    return { ...list, comments: comments.map((c) => toThreadComment(c, c.node_id !== undefined && minimized.has(c.node_id))) };
  }

  async #minimized(nodeIds: readonly string[]): Promise<Set<string>> {
    const minimized = new Set<string>();
    for (let at = 0; at < nodeIds.length; at += PAGE) {
      const ids = nodeIds.slice(at, at + PAGE);
      const data = await call("Reading which comments are minimized", () =>
        this.#octokit.graphql<{ nodes: Array<{ id?: string; isMinimized?: boolean } | null> }>(MINIMIZED_QUERY, { ids }),
      );
      for (const node of data.nodes ?? []) if (node?.id && node.isMinimized === true) minimized.add(node.id);
    }
    return minimized;
  }

  /** https://docs.github.com/rest/repos/repos#get-a-repository */
  async repository(repo: RepoRef): Promise<RepoInfo> {
    const { data } = await call(`Reading ${repo.owner}/${repo.repo}`, () => this.#octokit.rest.repos.get({ owner: repo.owner, repo: repo.repo }));
    return { defaultBranch: data.default_branch, htmlUrl: data.html_url };
  }

  /**
   * The `application/vnd.github.sha` media type answers with just the 40-hex sha instead
   * of the commit with its diff, which can be large.
   * https://docs.github.com/rest/commits/commits#get-a-commit
   */
  async commitSha(repo: RepoRef, ref: string): Promise<string> {
    const what = `Resolving ${ref} in ${repo.owner}/${repo.repo}`;
    const { data } = await call(what, () =>
      this.#octokit.rest.repos.getCommit({ owner: repo.owner, repo: repo.repo, ref, mediaType: { format: "sha" } }),
    );
    // Octokit decodes the body by its content type: text, bytes, or (unexpectedly) JSON.
    const raw: unknown = data;
    const text =
      typeof raw === "string"
        ? raw
        : raw instanceof ArrayBuffer
          ? Buffer.from(raw).toString("utf8")
          : typeof raw === "object" && raw !== null && "sha" in raw
            ? String(raw.sha)
            : "";
    const sha = text.trim();
    if (!SHA.test(sha)) throw new GitHubError(`${what} failed: the answer was not a commit sha`, { kind: "permanent" });
    return sha;
  }

  /** https://docs.github.com/rest/git/trees#get-a-tree */
  async tree(repo: RepoRef, commitSha: string): Promise<RepoTree> {
    const { data } = await call(`Reading the tree of ${repo.owner}/${repo.repo}@${commitSha}`, () =>
      this.#octokit.rest.git.getTree({ owner: repo.owner, repo: repo.repo, tree_sha: commitSha, recursive: "1" }),
    );
    const entries: TreeEntry[] = [];
    for (const entry of data.tree) {
      if (entry.type !== "blob" && entry.type !== "tree" && entry.type !== "commit") continue;
      entries.push({
        path: entry.path,
        type: entry.type,
        mode: entry.mode,
        sha: entry.sha,
        ...(entry.size === undefined ? {} : { size: entry.size }),
      });
    }
    return { sha: data.sha, entries, truncated: data.truncated };
  }

  /**
   * The JSON answer carries the blob base64-encoded; reading stops once the body is longer
   * than a blob of `maxBytes` can be, so an oversized blob is never downloaded whole.
   * https://docs.github.com/rest/git/blobs#get-a-blob
   */
  async blob(repo: RepoRef, blobSha: string, maxBytes: number): Promise<Buffer> {
    const what = `Reading blob ${blobSha} of ${repo.owner}/${repo.repo}`;
    const tooLarge = (size?: number): GitHubError =>
      new GitHubError(`${what}: the blob is ${size === undefined ? "larger than" : `${size} bytes, over`} the limit of ${maxBytes} bytes`, {
        kind: "permanent",
      });
    const controller = new AbortController();
    try {
      const response = await call(what, () =>
        this.#octokit.rest.git.getBlob({
          owner: repo.owner,
          repo: repo.repo,
          file_sha: blobSha,
          request: { parseSuccessResponseBody: false, signal: controller.signal },
        }),
      );
      const body = await call(what, () => readAtMost(bodyStream(response.data, what), blobResponseLimit(maxBytes)));
      if (!body) throw tooLarge();
      let json: unknown;
      try {
        json = JSON.parse(body.toString("utf8"));
      } catch (error) {
        throw new GitHubError(`${what} failed: the answer was not JSON`, { kind: "transient", cause: error });
      }
      const parsed = blobSchema.safeParse(json);
      if (!parsed.success) throw new GitHubError(`${what} failed: unexpected answer (${parsed.error.issues[0]?.message ?? "invalid"})`, { kind: "permanent" });
      const { content, encoding, size } = parsed.data;
      if (size !== null && size > maxBytes) throw tooLarge(size);
      const bytes = Buffer.from(content, encoding === "base64" ? "base64" : "utf8");
      if (bytes.byteLength > maxBytes) throw tooLarge(bytes.byteLength);
      return bytes;
    } finally {
      controller.abort(); // closes the connection if the body was left unread
    }
  }

  /**
   * GitHub answers `tarball/{ref}` with a 302 to codeload; fetch follows it and the body
   * is streamed through gunzip and tar without ever being held whole.
   * https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar
   */
  async archive(repo: RepoRef, commitSha: string, options: ArchiveOptions): Promise<ArchiveResult> {
    const what = `Downloading the archive of ${repo.owner}/${repo.repo}@${commitSha}`;
    const controller = new AbortController();
    const { signal } = options;
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      signal?.throwIfAborted();
      const response = await call(what, () =>
        this.#octokit.rest.repos.downloadTarballArchive({
          owner: repo.owner,
          repo: repo.repo,
          ref: commitSha,
          request: { parseSuccessResponseBody: false, signal: controller.signal },
        }),
      );
      return await call(what, () => readTarGz(bodyStream(response.data, what), options));
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      controller.abort(); // stops the download when a limit ended reading early
    }
  }

  /** https://docs.github.com/rest/teams/members#get-team-membership-for-a-user */
  async teamMember(org: string, teamSlug: string, login: string): Promise<boolean> {
    try {
      const { data } = await call(`Reading ${login}'s membership of ${org}/${teamSlug}`, () =>
        this.#octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: teamSlug, username: login }),
      );
      return data.state === "active";
    } catch (error) {
      // GitHub answers 404 both for a non-member and for a team the App cannot see.
      if (isGitHubError(error, "not-found")) return false;
      throw error;
    }
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

/** One attempt at a webhook delivery, as GitHub lists them for the App. */
export interface HookDelivery {
  /** This attempt's id (redeliveries get their own). */
  readonly id: number;
  /** The delivery's `X-GitHub-Delivery`, shared by its redeliveries. */
  readonly guid: string;
  /** Milliseconds since the epoch. */
  readonly deliveredAt: number;
  readonly event: string;
  readonly action: string | null;
  /** 0 when GitHub could not connect at all. */
  readonly statusCode: number;
}

/**
 * The App's recent webhook deliveries, newest first, back to `since` (wall-clock ms) or at
 * most `max`. With the App's JWT. GitHub pages them with a cursor in the `link` header.
 * https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook
 */
export async function listHookDeliveries(appOctokit: ProbotOctokit, since: number, max: number): Promise<HookDelivery[]> {
  const deliveries: HookDelivery[] = [];
  let cursor: string | undefined;
  while (deliveries.length < max) {
    const response = await call("Listing the App's webhook deliveries", () =>
      appOctokit.rest.apps.listWebhookDeliveries({ per_page: PAGE, ...(cursor ? { cursor } : {}) }),
    );
    for (const d of response.data) {
      const deliveredAt = Date.parse(d.delivered_at);
      if (deliveredAt < since) return deliveries;
      deliveries.push({ id: d.id, guid: d.guid, deliveredAt, event: d.event, action: d.action, statusCode: d.status_code });
    }
    cursor = /<[^>]*[?&]cursor=([^&>]+)[^>]*>;\s*rel="next"/.exec(response.headers.link ?? "")?.[1];
    if (!cursor || response.data.length === 0) break;
  }
  return deliveries.slice(0, max);
}

/**
 * Asks GitHub to deliver a failed delivery again (same `X-GitHub-Delivery`), with the App's JWT.
 * https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook
 */
export async function redeliverHookDelivery(appOctokit: ProbotOctokit, deliveryId: number): Promise<void> {
  await call(`Redelivering webhook delivery ${deliveryId}`, () => appOctokit.rest.apps.redeliverWebhookDelivery({ delivery_id: deliveryId }));
}
