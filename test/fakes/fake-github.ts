/**
 * A loopback emulation of the slice of the GitHub REST API that devbuddy uses.
 *
 * It listens on 127.0.0.1 (random port) and, by default, serves the API under `/api/v3`,
 * the GitHub Enterprise Server layout, so a Probot app can be pointed at it with
 * `GHE_HOST=127.0.0.1:PORT GHE_PROTOCOL=http` without any code change.
 *
 * Fidelity goals, in priority order:
 *  1. Status codes, error bodies and headers that client code branches on (rate limits,
 *     422 validation errors, 404 for deleted objects, pagination `link` headers) match what
 *     GitHub documents and actually sends.
 *  2. JSON shapes match GitHub's (field names and types), so schema validation in the app
 *     sees the same thing it sees in production.
 *  3. Tests can inspect every request and every body ever written, inject failures, and stall
 *     requests in flight.
 *
 * Everything is in memory; nothing here touches the network beyond 127.0.0.1.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { base64Lines, buildTree, fileChunks, gitBlobSha, gitObjectSha, type BuiltTree, type GitFile, type GitTreeEntry } from "./github/git-objects.js";
import {
  REACTION_CONTENTS,
  type AuthorAssociation,
  type GitHubApp,
  type GitHubComment,
  type GitHubIssue,
  type GitHubReaction,
  type GitHubRepository,
  type GitHubUser,
  type ReactionContent,
  type ReactionRollup,
  type UserType,
} from "./github/schemas.js";
import { gzippedArchive } from "./github/tarball.js";
import { listenOnLoopback } from "./listen.js";
import { deliverWebhook } from "./webhook-sender.js";

export { gitBlobSha } from "./github/git-objects.js";
export { repositoryTarball } from "./github/tarball.js";

// ---------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------

export type RepoPermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export {
  REACTION_CONTENTS,
  type GitHubApp,
  type GitHubComment,
  type GitHubIssue,
  type GitHubReaction,
  type GitHubRepository,
  type GitHubUser,
  type ReactionContent,
  type ReactionRollup,
  type UserType,
} from "./github/schemas.js";

export interface FakeGitHubOptions {
  /** The App's slug; its bot user is `<slug>[bot]`. Default `"devbuddy"`. */
  appSlug?: string;
  /** Default 1. */
  appId?: number;
  /** Default `"/api/v3"` (GitHub Enterprise Server layout). Use `""` for the api.github.com layout. */
  pathPrefix?: string;
  /** Artificial delay before answering each request, in ms. Default 0. */
  latencyMs?: number;
  /**
   * Accept `authorization: token <anything>` on `GET /app` (Probot unit tests authenticate
   * with a plain token). Real GitHub requires a JWT there. Default true.
   */
  allowTokenForApp?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path without the API prefix and without the query string, e.g. `/repos/o/r/issues/1/comments`. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined when there was none (or it was not valid JSON). */
  body: unknown;
  /** `performance.now()` when the request arrived. */
  at: number;
  /** Status that was answered; 0 while the request is still in flight (e.g. held). */
  status: number;
  /** Response body bytes written so far (streamed bodies grow while they are sent). */
  bytesSent: number;
}

/** What a failure rule sees when it builds its body. */
export interface FailureContext {
  requestId: string;
  method: string;
  path: string;
}

export interface FailureRule {
  /** Case-insensitive; any method when omitted. */
  method?: string;
  /** Tested against the path without prefix or query; any path when omitted. */
  path?: RegExp;
  status: number;
  headers?: Record<string, string>;
  /** JSON body, or a function building it per request (used to embed the request id like GitHub). */
  body?: unknown | ((ctx: FailureContext) => unknown);
  /** How many matching requests fail. Default 1. */
  times?: number;
}

export interface HoldRule {
  method?: string;
  path?: RegExp;
}

export interface Hold {
  /** Lets every held request proceed, and stops holding new ones. Idempotent. */
  release(): void;
  /** How many requests are currently waiting on this hold. */
  readonly waiting: number;
}

export interface ReactionRecord {
  /** Reaction id. */
  id: number;
  subject: "comment" | "issue";
  /** The comment id, or the issue id (not its number) for issue reactions. */
  subjectId: number;
  /** The issue number the reaction is on (for comment reactions: the comment's issue). */
  number: number;
  owner: string;
  repo: string;
  content: ReactionContent;
  /** Login of the reacting user (the app's bot for API writes). */
  user: string;
  /** `performance.now()` when the reaction was created. */
  at: number;
}

export interface BodyWrite {
  /** `performance.now()` when the write was applied. */
  at: number;
  body: string;
  method: "POST" | "PATCH";
}

export interface EchoTarget {
  url: string;
  secret: string;
  installationId: number;
}

export interface EchoRecord {
  event: "issue_comment";
  action: "created" | "edited" | "deleted";
  /** Status answered by the receiver; 0 when the delivery could not be made at all. */
  status: number;
  deliveryId: string;
  commentId: number;
  /** Set when the delivery failed at the network level. */
  error?: string;
}

/** One attempt in the App's webhook delivery log. */
export interface HookDeliveryRecord {
  id: number;
  guid: string;
  event: string;
  action: string | null;
  /** 0 when the connection failed. */
  statusCode: number;
  deliveredAt: string;
  redelivery: boolean;
  installationId: number | null;
  payload: Record<string, unknown>;
}

export interface SeedRepoInput {
  owner: string;
  repo: string;
  id?: number;
  private?: boolean;
}

export interface SeedRepoFilesOptions {
  /** Default: the repository's current default branch ("main" for a new one). */
  defaultBranch?: string;
  /**
   * List at most this many entries in a recursive tree listing and report `truncated: true`
   * when there are more, as GitHub does past 100,000 entries or 7 MB.
   */
  truncated?: number;
  /**
   * Files listed in the tree with this size (bytes) whose content is never held: the fake
   * generates incompressible bytes while it streams them (tarball, blob), so a test can
   * prove that a 300 MB file is not downloaded without the fake holding 300 MB.
   * Their blob sha is a stand-in (not the SHA-1 of the generated bytes).
   */
  hugeFiles?: Record<string, number>;
}

export interface SeededCommit {
  /** The commit's sha (a real git commit object over the tree, with fixed author and date). */
  sha: string;
  /** The root tree's sha. */
  treeSha: string;
}

export interface TeamMembershipInput {
  /** Default "active"; a "pending" member has been invited but has not accepted. */
  state?: "active" | "pending";
  /** Default "member". */
  role?: "member" | "maintainer";
}

export interface SeedIssueInput {
  owner: string;
  repo: string;
  number?: number;
  title: string;
  body: string;
  /** Login of the author. */
  user: string;
  userType?: UserType;
}

export interface AddCommentInput {
  owner: string;
  repo: string;
  number: number;
  body: string;
  user: string;
  userType?: UserType;
}

export interface FakeGitHub {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, the value for `GHE_HOST`. */
  readonly host: string;
  /** `url + pathPrefix`, the Octokit `baseUrl`. */
  readonly apiBase: string;
  readonly appId: number;
  readonly appSlug: string;
  /** `<slug>[bot]` */
  readonly botLogin: string;
  readonly botUser: GitHubUser;
  close(): Promise<void>;

  // State seeding
  seedRepo(input: SeedRepoInput): GitHubRepository;
  seedIssue(input: SeedIssueInput): GitHubIssue;
  /** Seeds a comment as if a person wrote it in the UI: no request is logged and no echo is sent. */
  addComment(input: AddCommentInput): GitHubComment;
  setPermission(owner: string, repo: string, login: string, permission: RepoPermission): void;
  /**
   * Seeds the repository's files as ONE new commit on its default branch (the previous head,
   * if any, becomes its parent). Served through commits, git trees and blobs, contents and
   * tarball, with GitHub's shapes. Paths are POSIX, relative to the root.
   */
  seedRepoFiles(owner: string, repo: string, files: Record<string, string | Buffer>, options?: SeedRepoFilesOptions): SeededCommit;
  /** Adds (or, with null, removes) a member of an organization's team, creating the team on first use. */
  setTeamMember(org: string, teamSlug: string, login: string, membership?: TeamMembershipInput | null): void;

  // Inspection (all return copies)
  issue(owner: string, repo: string, number: number): GitHubIssue | undefined;
  comments(owner: string, repo: string, number: number): GitHubComment[];
  /** undefined for unknown or deleted comments. */
  comment(id: number): GitHubComment | undefined;
  /** Simulates a person deleting the comment: afterwards the API answers 404 for it. Returns false if unknown. */
  deleteComment(id: number): boolean;
  /**
   * Simulates a maintainer hiding the comment ("Hide" in its menu). REST shows no trace of
   * it; GraphQL's `isMinimized` is then true. Returns false if unknown.
   * https://docs.github.com/graphql/reference/mutations#minimizecomment
   */
  minimizeComment(id: number, reason?: string): boolean;
  reactions(): ReactionRecord[];
  /** Every body successfully written to the comment through the API (seeded bodies are not included). */
  bodyHistory(commentId: number): BodyWrite[];

  // Request log
  /** Live array, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Non-GET requests, excluding `POST /app/installations/:id/access_tokens`. */
  writes(): RecordedRequest[];
  clearLog(): void;

  // Failure injection
  failNext(rule: FailureRule): void;
  hold(rule: HoldRule): Hold;

  // Echo webhooks
  deliverEchoesTo(target: EchoTarget | null): void;
  /**
   * GitHub delivers a webhook to the App (to the `deliverEchoesTo` target, signed with its
   * secret) and keeps the attempt in the App's delivery log, failed or not, as
   * `GET /app/hook/deliveries` lists it. A refused connection is status 0.
   */
  deliver(event: string, payload: Record<string, unknown>, options?: { deliveryId?: string }): Promise<HookDeliveryRecord>;
  /** The App's delivery log, oldest first (tests may push past attempts into it). */
  readonly hookDeliveries: HookDeliveryRecord[];
  /** Live array of deliveries made, in delivery order. */
  readonly echoes: EchoRecord[];
  /** Resolves once every echo queued so far has been delivered (or has failed). */
  echoesDelivered(): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Ready-made failure rules
// ---------------------------------------------------------------------------------------

const RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/**
 * GitHub's secondary ("abuse") rate-limit response: 403 with the message below, optionally a
 * `retry-after` header (seconds). Octokit's throttling plugin recognises it by the words
 * "secondary rate" in the message and honours `retry-after`.
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
 * Spread it and add `method`/`path` to target specific requests.
 */
export function secondaryRateLimit(retryAfterSeconds?: number): FailureRule {
  const headers: Record<string, string> = {};
  if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
  return {
    status: 403,
    headers,
    // GitHub embeds the request id of the failing request in the message.
    body: (ctx: FailureContext) => ({
      message:
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
        `If you reach out to GitHub Support for help, please include the request ID ${ctx.requestId}.`,
      documentation_url: `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`,
    }),
  };
}

/**
 * GitHub's primary rate-limit response: 403 with `x-ratelimit-remaining: 0` and the reset time
 * (UTC epoch seconds) in `x-ratelimit-reset`.
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
 */
export function primaryRateLimit(resetEpochSeconds: number, installationId = 1): FailureRule {
  return {
    status: 403,
    headers: {
      "x-ratelimit-limit": String(RATE_LIMIT),
      "x-ratelimit-remaining": "0",
      "x-ratelimit-used": String(RATE_LIMIT),
      "x-ratelimit-reset": String(resetEpochSeconds),
      "x-ratelimit-resource": "core",
    },
    body: {
      message: `API rate limit exceeded for installation ID ${installationId}.`,
      documentation_url: RATE_LIMIT_DOCS,
    },
  };
}

// ---------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------

/** Installation tokens get 5,000 requests/hour on github.com (more on GHEC; GHES is configurable). */
const RATE_LIMIT = 5000;

/** https://docs.github.com/rest/issues/comments#create-an-issue-comment ("maximum is 65536 characters") */
const MAX_BODY_CHARS = 65536;

const DOCS = {
  root: "https://docs.github.com/rest",
  getApp: "https://docs.github.com/rest/apps/apps#get-the-authenticated-app",
  hookDeliveries: "https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook",
  redeliver: "https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook",
  createToken: "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app",
  permission: "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user",
  getRepo: "https://docs.github.com/rest/repos/repos#get-a-repository",
  getCommit: "https://docs.github.com/rest/commits/commits#get-a-commit",
  getTree: "https://docs.github.com/rest/git/trees#get-a-tree",
  getBlob: "https://docs.github.com/rest/git/blobs#get-a-blob",
  getContent: "https://docs.github.com/rest/repos/contents#get-repository-content",
  tarball: "https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar",
  teamMembership: "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user",
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

interface RepoState {
  key: string;
  repository: GitHubRepository;
  issues: Map<number, IssueState>;
  nextNumber: number;
  /** Explicitly granted permissions, keyed by lower-cased login. */
  permissions: Map<string, RepoPermission>;
  /** Files and commits, once `seedRepoFiles` was called; an empty repository before. */
  git: GitState | undefined;
}

interface GitCommit {
  sha: string;
  treeSha: string;
  parents: string[];
  /** Epoch seconds. */
  time: number;
  files: Map<string, GitFile>;
  tree: BuiltTree;
  treeEntryLimit: number | undefined;
}

interface GitState {
  commits: Map<string, GitCommit>;
  branches: Map<string, string>;
  blobs: Map<string, GitFile>;
  /** Every tree sha of every commit, with the commit and the directory it lists. */
  trees: Map<string, { commit: GitCommit; dir: string }>;
}

interface TeamState {
  id: number;
  /** Keyed by lower-cased login. */
  members: Map<string, Required<TeamMembershipInput>>;
}

interface IssueState {
  issue: GitHubIssue;
  repo: RepoState;
  /** Comment ids in creation order (deleted ones included; filter on `deleted`). */
  commentIds: number[];
}

interface CommentState {
  comment: GitHubComment;
  issue: IssueState;
  deleted: boolean;
  /** GraphQL `minimizedReason` (e.g. "SPAM", "OUTDATED") once hidden. */
  minimized?: string;
  history: BodyWrite[];
}

interface ReactionState {
  reaction: GitHubReaction;
  record: ReactionRecord;
  rollup: ReactionRollup;
}

interface PendingFailure {
  rule: FailureRule;
  remaining: number;
}

interface ActiveHold {
  rule: HoldRule;
  waiters: Array<() => void>;
}

interface Auth {
  scheme: string;
  credential: string;
}

interface RequestContext {
  method: string;
  path: string;
  query: Record<string, string>;
  rawSearch: string;
  body: unknown;
  bodyIsInvalidJson: boolean;
  auth: Auth | undefined;
  /** The `accept` header ("" when absent): media types such as `application/vnd.github.raw` change the answer. */
  accept: string;
  requestId: string;
}

interface Reply {
  status: number;
  /** JSON, unless `raw` is set. */
  body?: unknown;
  /** A non-JSON body (give its `content-type` in `headers`): bytes, or a stream made when the response starts. */
  raw?: Buffer | (() => Readable);
  headers?: Record<string, string>;
  /** Runs once the response has been flushed (used for echo webhooks). */
  afterSend?: () => void;
}

type Params = Record<string, string>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handle: (ctx: RequestContext, params: Params) => Reply;
}

/** GitHub timestamps are ISO 8601 with second precision: `2011-04-14T16:00:49Z`. */
function isoNow(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** GitHub's legacy global node ids are base64 of `0<len(type)>:<Type><id>`, e.g. `04:User1`. */
function legacyNodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString("base64");
}

/** Looks like GitHub's `X-GitHub-Request-Id`, e.g. `C0DE:1A2B:3C4D5E:6F7A8B:65A1B2C3`. */
function newRequestId(): string {
  const hex = (bytes: number) => randomBytes(bytes).toString("hex").toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`;
}

function notFound(documentationUrl: string = DOCS.root): Reply {
  return { status: 404, body: { message: "Not Found", documentation_url: documentationUrl } };
}

function matches(rule: { method?: string; path?: RegExp }, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
  if (rule.path !== undefined) {
    rule.path.lastIndex = 0; // a /g or /y regex would otherwise remember its last position
    if (!rule.path.test(path)) return false;
  }
  return true;
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function parseAuth(header: string | undefined): Auth | undefined {
  if (header === undefined) return undefined;
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { scheme: match[1].toLowerCase(), credential: match[2] };
}

/** A JWT is three non-empty base64url segments. We don't verify the signature. */
function isJwtShaped(token: string): boolean {
  const parts = token.split(".");
  return parts.length === 3 && parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part));
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number.parseInt(value, 10);
  return n > 0 ? n : undefined;
}

/**
 * GitHub counts characters (Ruby `String#length`, i.e. Unicode code points), not UTF-16 code
 * units, so an emoji counts once here even though its JS `.length` is 2.
 */
function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * GitHub's permission endpoint reports the legacy base role in `permission` (maintain → write,
 * triage → read) and the actual role in `role_name`.
 * https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user
 */
const PERMISSION_VIEW: Record<RepoPermission, { permission: string; role_name: string }> = {
  admin: { permission: "admin", role_name: "admin" },
  maintain: { permission: "write", role_name: "maintain" },
  write: { permission: "write", role_name: "write" },
  triage: { permission: "read", role_name: "triage" },
  read: { permission: "read", role_name: "read" },
  none: { permission: "none", role_name: "none" },
};

const PERMISSION_RANK: Record<RepoPermission, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const appSlug = options.appSlug ?? "devbuddy";
  const appId = options.appId ?? 1;
  const pathPrefix = (options.pathPrefix ?? "/api/v3").replace(/\/+$/, "");
  // Octokit's GraphQL endpoint: /api/graphql on GitHub Enterprise Server, /graphql on api.github.com.
  const graphqlPath = pathPrefix === "" ? "/graphql" : `${pathPrefix.replace(/\/v3$/, "")}/graphql`;
  const latencyMs = options.latencyMs ?? 0;
  const allowTokenForApp = options.allowTokenForApp ?? true;
  const botLogin = `${appSlug}[bot]`;

  // ---- state -------------------------------------------------------------------------
  let nextId = 1000;
  const newId = () => nextId++;
  const users = new Map<string, GitHubUser>(); // keyed by lower-cased login (GitHub logins are case-insensitive)
  const repos = new Map<string, RepoState>(); // keyed by lower-cased "owner/repo"
  const commentsById = new Map<number, CommentState>();
  const reactionStates: ReactionState[] = [];
  const requests: RecordedRequest[] = [];
  const teams = new Map<string, TeamState>(); // keyed by lower-cased "org/slug"
  const failures: PendingFailure[] = [];
  const holds: ActiveHold[] = [];
  const echoes: EchoRecord[] = [];
  const hookDeliveries: HookDeliveryRecord[] = [];
  let echoTarget: EchoTarget | null = null;
  let echoQueue: Promise<void> = Promise.resolve();
  let rateLimitUsed = 0;
  const rateLimitReset = Math.floor(Date.now() / 1000) + 3600;
  let closed = false;

  // Filled in once the port is known (all URLs embed it).
  let url = "";
  let host = "";
  let apiBase = "";
  let app: GitHubApp;
  let botUser: GitHubUser;

  // ---- object builders ---------------------------------------------------------------

  function buildUser(login: string, id: number, type: UserType): GitHubUser {
    const apiUrl = `${apiBase}/users/${encodeURIComponent(login)}`;
    // Bot accounts link to their App's page rather than a profile.
    const htmlUrl = type === "Bot" ? `${url}/apps/${login.replace(/\[bot\]$/, "")}` : `${url}/${login}`;
    return {
      login,
      id,
      node_id: legacyNodeId(type, id),
      avatar_url: `${url}/avatars/u/${id}?v=4`,
      gravatar_id: "",
      url: apiUrl,
      html_url: htmlUrl,
      followers_url: `${apiUrl}/followers`,
      following_url: `${apiUrl}/following{/other_user}`,
      gists_url: `${apiUrl}/gists{/gist_id}`,
      starred_url: `${apiUrl}/starred{/owner}{/repo}`,
      subscriptions_url: `${apiUrl}/subscriptions`,
      organizations_url: `${apiUrl}/orgs`,
      repos_url: `${apiUrl}/repos`,
      events_url: `${apiUrl}/events{/privacy}`,
      received_events_url: `${apiUrl}/received_events`,
      type,
      site_admin: false,
    };
  }

  /** Returns the (single, stable) user object for a login, registering it on first sight. */
  function userFor(login: string, type?: UserType): GitHubUser {
    const key = login.toLowerCase();
    const existing = users.get(key);
    if (existing) {
      if (type !== undefined && existing.type !== type) {
        const updated = buildUser(existing.login, existing.id, type);
        users.set(key, updated);
        return updated;
      }
      return existing;
    }
    const user = buildUser(login, newId(), type ?? (login.endsWith("[bot]") ? "Bot" : "User"));
    users.set(key, user);
    return user;
  }

  function emptyRollup(reactionsUrl: string): ReactionRollup {
    return {
      url: reactionsUrl,
      total_count: 0,
      "+1": 0,
      "-1": 0,
      laugh: 0,
      hooray: 0,
      confused: 0,
      heart: 0,
      rocket: 0,
      eyes: 0,
    };
  }

  function buildRepository(owner: GitHubUser, name: string, id: number, isPrivate: boolean): GitHubRepository {
    const fullName = `${owner.login}/${name}`;
    const api = `${apiBase}/repos/${fullName}`;
    const html = `${url}/${fullName}`;
    const now = isoNow();
    return {
      id,
      node_id: legacyNodeId("Repository", id),
      name,
      full_name: fullName,
      private: isPrivate,
      owner,
      html_url: html,
      description: null,
      fork: false,
      url: api,
      forks_url: `${api}/forks`,
      keys_url: `${api}/keys{/key_id}`,
      collaborators_url: `${api}/collaborators{/collaborator}`,
      teams_url: `${api}/teams`,
      hooks_url: `${api}/hooks`,
      issue_events_url: `${api}/issues/events{/number}`,
      events_url: `${api}/events`,
      assignees_url: `${api}/assignees{/user}`,
      branches_url: `${api}/branches{/branch}`,
      tags_url: `${api}/tags`,
      blobs_url: `${api}/git/blobs{/sha}`,
      git_tags_url: `${api}/git/tags{/sha}`,
      git_refs_url: `${api}/git/refs{/sha}`,
      trees_url: `${api}/git/trees{/sha}`,
      statuses_url: `${api}/statuses/{sha}`,
      languages_url: `${api}/languages`,
      stargazers_url: `${api}/stargazers`,
      contributors_url: `${api}/contributors`,
      subscribers_url: `${api}/subscribers`,
      subscription_url: `${api}/subscription`,
      commits_url: `${api}/commits{/sha}`,
      git_commits_url: `${api}/git/commits{/sha}`,
      comments_url: `${api}/comments{/number}`,
      issue_comment_url: `${api}/issues/comments{/number}`,
      contents_url: `${api}/contents/{+path}`,
      compare_url: `${api}/compare/{base}...{head}`,
      merges_url: `${api}/merges`,
      archive_url: `${api}/{archive_format}{/ref}`,
      downloads_url: `${api}/downloads`,
      issues_url: `${api}/issues{/number}`,
      pulls_url: `${api}/pulls{/number}`,
      milestones_url: `${api}/milestones{/number}`,
      notifications_url: `${api}/notifications{?since,all,participating}`,
      labels_url: `${api}/labels{/name}`,
      releases_url: `${api}/releases{/id}`,
      deployments_url: `${api}/deployments`,
      created_at: now,
      updated_at: now,
      pushed_at: now,
      git_url: `git://${host}/${fullName}.git`,
      ssh_url: `git@${host.replace(/:\d+$/, "")}:${fullName}.git`,
      clone_url: `${html}.git`,
      svn_url: html,
      homepage: null,
      size: 0,
      stargazers_count: 0,
      watchers_count: 0,
      language: null,
      has_issues: true,
      has_projects: true,
      has_downloads: true,
      has_wiki: true,
      has_pages: false,
      has_discussions: false,
      forks_count: 0,
      mirror_url: null,
      archived: false,
      disabled: false,
      open_issues_count: 0,
      license: null,
      allow_forking: true,
      is_template: false,
      topics: [],
      visibility: isPrivate ? "private" : "public",
      forks: 0,
      open_issues: 0,
      watchers: 0,
      default_branch: "main",
    };
  }

  function buildApp(): GitHubApp {
    const owner = userFor(`${appSlug}-owner`);
    const now = isoNow();
    return {
      id: appId,
      slug: appSlug,
      node_id: legacyNodeId("Integration", appId),
      client_id: `Iv1.${randomBytes(8).toString("hex")}`,
      owner,
      name: appSlug,
      description: "Fake GitHub App served by the devbuddy test fake.",
      external_url: `${url}/apps/${appSlug}`,
      html_url: `${url}/apps/${appSlug}`,
      created_at: now,
      updated_at: now,
      permissions: { issues: "write", metadata: "read", pull_requests: "write" },
      events: ["issue_comment", "issues"],
      installations_count: 1,
    };
  }

  // ---- state helpers -----------------------------------------------------------------

  function findRepo(owner: string, name: string): RepoState | undefined {
    return repos.get(`${owner}/${name}`.toLowerCase());
  }

  function ensureRepo(owner: string, name: string, id?: number, isPrivate?: boolean): RepoState {
    const existing = findRepo(owner, name);
    if (existing) {
      if (isPrivate !== undefined) {
        existing.repository.private = isPrivate;
        existing.repository.visibility = isPrivate ? "private" : "public";
      }
      return existing;
    }
    const state: RepoState = {
      key: `${owner}/${name}`.toLowerCase(),
      repository: buildRepository(userFor(owner), name, id ?? newId(), isPrivate ?? false),
      issues: new Map(),
      nextNumber: 1,
      permissions: new Map(),
      git: undefined,
    };
    repos.set(state.key, state);
    return state;
  }

  function permissionOf(repo: RepoState, login: string): RepoPermission {
    const explicit = repo.permissions.get(login.toLowerCase());
    if (explicit) return explicit;
    // The owner of a user-owned repository is its admin.
    if (login.toLowerCase() === repo.repository.owner.login.toLowerCase()) return "admin";
    return "read";
  }

  /** https://docs.github.com/graphql/reference/enums#commentauthorassociation */
  function associationOf(repo: RepoState, login: string): AuthorAssociation {
    if (login.toLowerCase() === repo.repository.owner.login.toLowerCase()) return "OWNER";
    const explicit = repo.permissions.get(login.toLowerCase());
    if (explicit && explicit !== "none" && explicit !== "read") return "COLLABORATOR";
    return "NONE";
  }

  function createIssue(repo: RepoState, input: SeedIssueInput): IssueState {
    const number = input.number ?? repo.nextNumber;
    if (repo.issues.has(number)) throw new Error(`fake-github: issue #${number} already exists in ${repo.repository.full_name}`);
    repo.nextNumber = Math.max(repo.nextNumber, number + 1);
    const id = newId();
    const api = `${apiBase}/repos/${repo.repository.full_name}/issues/${number}`;
    const now = isoNow();
    const issue: GitHubIssue = {
      url: api,
      repository_url: repo.repository.url,
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      html_url: `${repo.repository.html_url}/issues/${number}`,
      id,
      node_id: legacyNodeId("Issue", id),
      number,
      title: input.title,
      user: userFor(input.user, input.userType),
      labels: [],
      state: "open",
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: 0,
      created_at: now,
      updated_at: now,
      closed_at: null,
      author_association: associationOf(repo, input.user),
      active_lock_reason: null,
      body: input.body,
      reactions: emptyRollup(`${api}/reactions`),
      timeline_url: `${api}/timeline`,
      performed_via_github_app: null,
      state_reason: null,
    };
    const state: IssueState = { issue, repo, commentIds: [] };
    repo.issues.set(number, state);
    repo.repository.open_issues_count += 1;
    repo.repository.open_issues = repo.repository.open_issues_count;
    return state;
  }

  function createComment(issueState: IssueState, body: string, author: GitHubUser, viaApp: boolean): CommentState {
    const repo = issueState.repo;
    const id = newId();
    const api = `${apiBase}/repos/${repo.repository.full_name}/issues/comments/${id}`;
    const now = isoNow();
    const comment: GitHubComment = {
      url: api,
      html_url: `${issueState.issue.html_url}#issuecomment-${id}`,
      issue_url: issueState.issue.url,
      id,
      node_id: legacyNodeId("IssueComment", id),
      user: author,
      created_at: now,
      updated_at: now,
      author_association: associationOf(repo, author.login),
      body,
      reactions: emptyRollup(`${api}/reactions`),
      performed_via_github_app: viaApp ? app : null,
    };
    const state: CommentState = { comment, issue: issueState, deleted: false, history: [] };
    commentsById.set(id, state);
    issueState.commentIds.push(id);
    issueState.issue.comments += 1;
    issueState.issue.updated_at = now; // a new comment bumps the issue's updated_at
    return state;
  }

  function liveComment(id: number): CommentState | undefined {
    const state = commentsById.get(id);
    return state && !state.deleted ? state : undefined;
  }

  function markDeleted(state: CommentState): void {
    state.deleted = true;
    state.issue.issue.comments -= 1;
    // Reactions disappear with their comment.
    for (let i = reactionStates.length - 1; i >= 0; i--) {
      const r = reactionStates[i];
      if (r && r.record.subject === "comment" && r.record.subjectId === state.comment.id) reactionStates.splice(i, 1);
    }
  }

  // ---- echo webhooks -----------------------------------------------------------------

  /**
   * Builds the `issue_comment` payload *now* (so it reflects this write, not a later one) and
   * returns a thunk that queues its delivery. GitHub sends these to the App itself when the
   * App writes a comment, with the App's bot as `sender`.
   * https://docs.github.com/webhooks/webhook-events-and-payloads#issue_comment
   */
  function prepareEcho(action: EchoRecord["action"], state: CommentState, previousBody?: string): (() => void) | undefined {
    const target = echoTarget;
    if (!target) return undefined;
    const payload: Record<string, unknown> = { action };
    if (action === "edited") payload["changes"] = { body: { from: previousBody } };
    payload["issue"] = clone(state.issue.issue);
    payload["comment"] = clone(state.comment);
    payload["repository"] = clone(state.issue.repo.repository);
    payload["sender"] = clone(botUser);
    payload["installation"] = { id: target.installationId, node_id: legacyNodeId("IntegrationInstallation", target.installationId) };
    const deliveryId = randomUUID();
    const commentId = state.comment.id;
    // Queue now (so `echoesDelivered()` already covers it), but only deliver once the API
    // response has gone out: GitHub answers the write first and delivers the webhook afterwards.
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    echoQueue = echoQueue.then(async () => {
      await sent;
      if (closed) return;
      const record: EchoRecord = { event: "issue_comment", action, status: 0, deliveryId, commentId };
      try {
        const result = await deliverWebhook({
          url: target.url,
          secret: target.secret,
          event: "issue_comment",
          payload,
          deliveryId,
          timeoutMs: 10_000,
          headers: {
            "x-github-hook-id": "1",
            "x-github-hook-installation-target-type": "integration",
            "x-github-hook-installation-target-id": String(appId),
          },
        });
        record.status = result.status;
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
      echoes.push(record);
    });
    return markSent;
  }

  // ---- request validation helpers ----------------------------------------------------

  /** Validates a comment `body` parameter the way GitHub does; returns an error reply or the body. */
  function validateCommentBody(ctx: RequestContext, docs: string): Reply | string {
    const input = ctx.body;
    const body = typeof input === "object" && input !== null ? (input as Record<string, unknown>)["body"] : undefined;
    // Schema violations are reported as "Invalid request" by GitHub's request validation.
    if (body === undefined) {
      return { status: 422, body: { message: 'Invalid request.\n\n"body" wasn\'t supplied.', documentation_url: docs } };
    }
    if (typeof body !== "string") {
      return {
        status: 422,
        body: { message: `Invalid request.\n\nFor 'properties/body', ${JSON.stringify(body)} is not a string.`, documentation_url: docs },
      };
    }
    if (body.length === 0) {
      return {
        status: 422,
        body: { message: "Validation Failed", errors: [{ resource: "IssueComment", code: "missing_field", field: "body" }], documentation_url: docs },
      };
    }
    if (charCount(body) > MAX_BODY_CHARS) {
      return {
        status: 422,
        body: {
          message: "Validation Failed",
          errors: [
            { resource: "IssueComment", code: "custom", field: "body", message: `body is too long (maximum is ${MAX_BODY_CHARS} characters)` },
          ],
          documentation_url: docs,
        },
      };
    }
    return body;
  }

  /** Repository routes: writes need credentials; private repositories are invisible without them. */
  function repoAccess(ctx: RequestContext, params: Params, docs: string): Reply | RepoState {
    const repo = findRepo(params["owner"] ?? "", params["repo"] ?? "");
    if (ctx.method !== "GET" && !ctx.auth) {
      return { status: 401, body: { message: "Requires authentication", documentation_url: docs } };
    }
    // GitHub answers 404, not 403, for private repositories you cannot see.
    if (!repo || (repo.repository.private && !ctx.auth)) return notFound(docs);
    return repo;
  }

  function requireJwt(ctx: RequestContext, docs: string, allowToken: boolean): Reply | undefined {
    if (ctx.auth?.scheme === "bearer" && isJwtShaped(ctx.auth.credential)) return undefined;
    if (allowToken && ctx.auth?.scheme === "token") return undefined;
    return { status: 401, body: { message: "A JSON web token could not be decoded", documentation_url: docs } };
  }

  function createReaction(
    ctx: RequestContext,
    docs: string,
    subject: ReactionRecord["subject"],
    subjectId: number,
    issueState: IssueState,
    rollup: ReactionRollup,
  ): Reply {
    const input = ctx.body;
    const content = typeof input === "object" && input !== null ? (input as Record<string, unknown>)["content"] : undefined;
    if (typeof content !== "string" || !(REACTION_CONTENTS as readonly string[]).includes(content)) {
      return {
        status: 422,
        body: { message: "Validation Failed", errors: [{ resource: "Reaction", code: "invalid", field: "content" }], documentation_url: docs },
      };
    }
    const user = botUser;
    // "If the reaction already exists, the response is 200 OK" (with the existing reaction).
    const existing = reactionStates.find(
      (r) => r.record.subject === subject && r.record.subjectId === subjectId && r.record.user === user.login && r.record.content === content,
    );
    if (existing) return { status: 200, body: clone(existing.reaction) };
    const id = newId();
    const reaction: GitHubReaction = {
      id,
      node_id: legacyNodeId("Reaction", id),
      user,
      content: content as ReactionContent,
      created_at: isoNow(),
    };
    const repository = issueState.repo.repository;
    reactionStates.push({
      reaction,
      rollup,
      record: {
        id,
        subject,
        subjectId,
        number: issueState.issue.number,
        owner: repository.owner.login,
        repo: repository.name,
        content: reaction.content,
        user: user.login,
        at: performance.now(),
      },
    });
    rollup[reaction.content] += 1;
    rollup.total_count += 1;
    return { status: 201, body: clone(reaction) };
  }

  function deleteReaction(subject: ReactionRecord["subject"], subjectId: number, reactionIdParam: string | undefined, docs: string): Reply {
    const reactionId = positiveInt(reactionIdParam);
    const index = reactionStates.findIndex((r) => r.record.id === reactionId && r.record.subject === subject && r.record.subjectId === subjectId);
    const state = reactionStates[index];
    if (!state) return notFound(docs);
    reactionStates.splice(index, 1);
    state.rollup[state.reaction.content] -= 1;
    state.rollup.total_count -= 1;
    return { status: 204 };
  }

  // ---- the App's webhook delivery log ------------------------------------------------

  async function sendDelivery(event: string, payload: Record<string, unknown>, guid: string, redelivery: boolean): Promise<HookDeliveryRecord> {
    const record: HookDeliveryRecord = {
      id: newId(),
      guid,
      event,
      action: typeof payload["action"] === "string" ? payload["action"] : null,
      statusCode: 0,
      deliveredAt: isoNow(),
      redelivery,
      installationId: (payload["installation"] as { id?: number } | undefined)?.id ?? null,
      payload,
    };
    // Listed once the attempt is over, as GitHub lists it (with the time it began).
    if (echoTarget) {
      try {
        const result = await deliverWebhook({ url: echoTarget.url, secret: echoTarget.secret, event, payload, deliveryId: guid, timeoutMs: 10_000 });
        record.statusCode = result.status;
      } catch {
        record.statusCode = 0;
      }
    }
    hookDeliveries.push(record);
    return record;
  }

  // ---- routes --------------------------------------------------------------------------

  const routes: Route[] = [];
  function route(method: string, template: string, handle: Route["handle"]): void {
    // `:name` is one path segment; `*name` is the rest of the path, slashes included.
    const names: string[] = [];
    const source = template.replace(/([:*])(\w+)/g, (_, kind: string, name: string) => {
      names.push(name);
      return kind === ":" ? "([^/]+)" : "(.+)";
    });
    routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, handle });
  }

  // https://docs.github.com/rest/apps/apps#get-the-authenticated-app
  route("GET", "/app", (ctx) => requireJwt(ctx, DOCS.getApp, allowTokenForApp) ?? { status: 200, body: clone(app) });

  // https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook (newest first; one page here)
  route("GET", "/app/hook/deliveries", (ctx) => {
    const denied = requireJwt(ctx, DOCS.hookDeliveries, false);
    if (denied) return denied;
    // Cursor pagination, as GitHub does for this endpoint: the cursor here is an offset.
    const perPage = Math.min(positiveInt(ctx.query["per_page"]) ?? 30, 100);
    const from = Number(ctx.query["cursor"] ?? 0) || 0;
    const newestFirst = [...hookDeliveries].reverse();
    const next = from + perPage < newestFirst.length ? from + perPage : undefined;
    const headers: Record<string, string> =
      next === undefined ? {} : { link: `<${apiBase}/app/hook/deliveries?per_page=${perPage}&cursor=${next}>; rel="next"` };
    const body = newestFirst
      .slice(from, from + perPage)
      .map((d) => ({
        id: d.id,
        guid: d.guid,
        delivered_at: d.deliveredAt,
        redelivery: d.redelivery,
        duration: 0.01,
        status: d.statusCode >= 200 && d.statusCode < 300 ? "OK" : d.statusCode === 0 ? "failed to connect" : `Invalid HTTP Response: ${d.statusCode}`,
        status_code: d.statusCode,
        event: d.event,
        action: d.action,
        installation_id: d.installationId,
        repository_id: null,
      }));
    return { status: 200, body, headers };
  });

  // https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook
  route("POST", "/app/hook/deliveries/:delivery_id/attempts", (ctx, params) => {
    const denied = requireJwt(ctx, DOCS.redeliver, false);
    if (denied) return denied;
    const original = hookDeliveries.find((d) => d.id === positiveInt(params["delivery_id"]));
    if (!original) return notFound(DOCS.redeliver);
    void sendDelivery(original.event, original.payload, original.guid, true);
    return { status: 202, body: {} };
  });

  // https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app
  route("POST", "/app/installations/:installation_id/access_tokens", (ctx, params) => {
    const denied = requireJwt(ctx, DOCS.createToken, false);
    if (denied) return denied;
    if (positiveInt(params["installation_id"]) === undefined) return notFound(DOCS.createToken);
    const requested = typeof ctx.body === "object" && ctx.body !== null ? (ctx.body as Record<string, unknown>)["permissions"] : undefined;
    return {
      status: 201,
      body: {
        token: `ghs_fake${randomBytes(16).toString("hex")}`,
        expires_at: isoNow(60 * 60 * 1000), // installation tokens expire after one hour
        permissions: typeof requested === "object" && requested !== null ? requested : clone(app.permissions),
        repository_selection: "all",
      },
    };
  });

  route("GET", "/repos/:owner/:repo", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.getRepo);
    if ("status" in repo) return repo;
    return { status: 200, body: clone(repo.repository) };
  });

  route("GET", "/repos/:owner/:repo/collaborators/:username/permission", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.permission);
    if ("status" in repo) return repo;
    const login = params["username"] ?? "";
    const level = permissionOf(repo, login);
    const view = PERMISSION_VIEW[level];
    const rank = PERMISSION_RANK[level];
    const user = {
      ...clone(userFor(login)),
      permissions: {
        admin: rank >= PERMISSION_RANK.admin,
        maintain: rank >= PERMISSION_RANK.maintain,
        push: rank >= PERMISSION_RANK.write,
        triage: rank >= PERMISSION_RANK.triage,
        pull: rank >= PERMISSION_RANK.read,
      },
      role_name: view.role_name,
    };
    return { status: 200, body: { permission: view.permission, role_name: view.role_name, user } };
  });

  // Comment routes come before `/issues/:number` routes only for readability; `:comment_id`
  // lives one segment deeper, so the patterns cannot collide.
  route("GET", "/repos/:owner/:repo/issues/comments/:comment_id", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.getComment);
    if ("status" in repo) return repo;
    const state = liveComment(positiveInt(params["comment_id"]) ?? 0);
    if (!state || state.issue.repo !== repo) return notFound(DOCS.getComment);
    return { status: 200, body: clone(state.comment) };
  });

  route("PATCH", "/repos/:owner/:repo/issues/comments/:comment_id", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.updateComment);
    if ("status" in repo) return repo;
    const state = liveComment(positiveInt(params["comment_id"]) ?? 0);
    if (!state || state.issue.repo !== repo) return notFound(DOCS.updateComment);
    const body = validateCommentBody(ctx, DOCS.updateComment);
    if (typeof body !== "string") return body;
    const previous = state.comment.body;
    state.comment.body = body;
    state.comment.updated_at = isoNow();
    state.history.push({ at: performance.now(), body, method: "PATCH" });
    const echo = prepareEcho("edited", state, previous);
    return { status: 200, body: clone(state.comment), ...(echo ? { afterSend: echo } : {}) };
  });

  route("DELETE", "/repos/:owner/:repo/issues/comments/:comment_id", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.deleteComment);
    if ("status" in repo) return repo;
    const state = liveComment(positiveInt(params["comment_id"]) ?? 0);
    if (!state || state.issue.repo !== repo) return notFound(DOCS.deleteComment);
    markDeleted(state);
    const echo = prepareEcho("deleted", state);
    return { status: 204, ...(echo ? { afterSend: echo } : {}) };
  });

  route("POST", "/repos/:owner/:repo/issues/comments/:comment_id/reactions", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.commentReaction);
    if ("status" in repo) return repo;
    const state = liveComment(positiveInt(params["comment_id"]) ?? 0);
    if (!state || state.issue.repo !== repo) return notFound(DOCS.commentReaction);
    return createReaction(ctx, DOCS.commentReaction, "comment", state.comment.id, state.issue, state.comment.reactions);
  });

  route("DELETE", "/repos/:owner/:repo/issues/comments/:comment_id/reactions/:reaction_id", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.deleteCommentReaction);
    if ("status" in repo) return repo;
    const state = liveComment(positiveInt(params["comment_id"]) ?? 0);
    if (!state || state.issue.repo !== repo) return notFound(DOCS.deleteCommentReaction);
    return deleteReaction("comment", state.comment.id, params["reaction_id"], DOCS.deleteCommentReaction);
  });

  route("GET", "/repos/:owner/:repo/issues/:issue_number", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.getIssue);
    if ("status" in repo) return repo;
    const issue = repo.issues.get(positiveInt(params["issue_number"]) ?? 0);
    if (!issue) return notFound(DOCS.getIssue);
    return { status: 200, body: clone(issue.issue) };
  });

  // https://docs.github.com/rest/issues/comments#list-issue-comments
  // https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api
  route("GET", "/repos/:owner/:repo/issues/:issue_number/comments", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.listComments);
    if ("status" in repo) return repo;
    const issue = repo.issues.get(positiveInt(params["issue_number"]) ?? 0);
    if (!issue) return notFound(DOCS.listComments);
    let all = issue.commentIds.map((id) => commentsById.get(id)).filter((c): c is CommentState => c !== undefined && !c.deleted);
    const since = ctx.query["since"];
    if (since !== undefined && !Number.isNaN(Date.parse(since))) {
      const threshold = Date.parse(since);
      all = all.filter((c) => Date.parse(c.comment.updated_at) >= threshold);
    }
    const perPage = Math.min(positiveInt(ctx.query["per_page"]) ?? 30, 100);
    const page = positiveInt(ctx.query["page"]) ?? 1;
    const lastPage = Math.max(1, Math.ceil(all.length / perPage));
    const slice = all.slice((page - 1) * perPage, page * perPage).map((c) => clone(c.comment));

    // Links repeat the request's own query (per_page etc.) with only `page` changed, as GitHub does.
    const pageUrl = (n: number) => {
      const search = new URLSearchParams(ctx.rawSearch);
      search.set("page", String(n));
      return `${apiBase}${ctx.path}?${search.toString()}`;
    };
    const links: string[] = [];
    if (page > 1) links.push(`<${pageUrl(Math.min(page - 1, lastPage))}>; rel="prev"`);
    if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
    if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
    return { status: 200, body: slice, ...(links.length > 0 ? { headers: { link: links.join(", ") } } : {}) };
  });

  route("POST", "/repos/:owner/:repo/issues/:issue_number/comments", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.createComment);
    if ("status" in repo) return repo;
    const issue = repo.issues.get(positiveInt(params["issue_number"]) ?? 0);
    if (!issue) return notFound(DOCS.createComment);
    const body = validateCommentBody(ctx, DOCS.createComment);
    if (typeof body !== "string") return body;
    // Every write through this API is made by the installation, i.e. the App's bot user.
    const state = createComment(issue, body, botUser, true);
    state.history.push({ at: performance.now(), body, method: "POST" });
    const echo = prepareEcho("created", state);
    return {
      status: 201,
      body: clone(state.comment),
      headers: { location: state.comment.url },
      ...(echo ? { afterSend: echo } : {}),
    };
  });

  route("POST", "/repos/:owner/:repo/issues/:issue_number/reactions", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.issueReaction);
    if ("status" in repo) return repo;
    const issue = repo.issues.get(positiveInt(params["issue_number"]) ?? 0);
    if (!issue) return notFound(DOCS.issueReaction);
    return createReaction(ctx, DOCS.issueReaction, "issue", issue.issue.id, issue, issue.issue.reactions);
  });

  route("DELETE", "/repos/:owner/:repo/issues/:issue_number/reactions/:reaction_id", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.deleteIssueReaction);
    if ("status" in repo) return repo;
    const issue = repo.issues.get(positiveInt(params["issue_number"]) ?? 0);
    if (!issue) return notFound(DOCS.deleteIssueReaction);
    return deleteReaction("issue", issue.issue.id, params["reaction_id"], DOCS.deleteIssueReaction);
  });

  // ---- repository contents ------------------------------------------------------------

  /** Resolves a ref as GitHub does for these endpoints: a branch (optionally `refs/heads/…`), `HEAD`, or a full or abbreviated sha. */
  function resolveRef(repo: RepoState, ref: string): GitCommit | undefined {
    const git = repo.git;
    if (!git) return undefined;
    const name = ref === "HEAD" ? repo.repository.default_branch : ref.replace(/^(?:refs\/)?heads\//, "");
    const branchHead = git.branches.get(name);
    if (branchHead) return git.commits.get(branchHead);
    if (!/^[0-9a-f]{7,40}$/i.test(ref)) return undefined;
    const matching = [...git.commits.values()].filter((commit) => commit.sha.startsWith(ref.toLowerCase()));
    return matching.length === 1 ? matching[0] : undefined;
  }

  /** GitHub answers 409 "Git Repository is empty." for reads of a repository without commits. */
  function emptyRepository(docs: string): Reply {
    return { status: 409, body: { message: "Git Repository is empty.", documentation_url: docs } };
  }

  function wantsMediaType(ctx: RequestContext, format: "raw" | "sha"): boolean {
    return new RegExp(`application/vnd\\.github(?:\\.v3)?\\.${format}\\b`).test(ctx.accept);
  }

  function commitTime(commit: GitCommit): string {
    return new Date(commit.time * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function seedCommit(repo: RepoState, files: Record<string, string | Buffer>, options: SeedRepoFilesOptions): SeededCommit {
    const git: GitState = repo.git ?? { commits: new Map(), branches: new Map(), blobs: new Map(), trees: new Map() };
    repo.git = git;
    const branch = options.defaultBranch ?? repo.repository.default_branch;
    const gitFiles: GitFile[] = [];
    for (const [path, value] of Object.entries(files)) {
      if (path === "" || path.startsWith("/") || path.endsWith("/") || path.split("/").includes("..")) throw new Error(`fake-github: bad file path ${JSON.stringify(path)}`);
      const content = typeof value === "string" ? Buffer.from(value, "utf8") : value;
      gitFiles.push({ path, size: content.byteLength, sha: gitBlobSha(content), content });
    }
    for (const [path, size] of Object.entries(options.hugeFiles ?? {})) {
      gitFiles.push({ path, size, sha: createHash("sha1").update(`huge ${size} ${path}`).digest("hex") });
    }
    const tree = buildTree(gitFiles);
    const parent = git.branches.get(branch);
    const parentCommit = parent === undefined ? undefined : git.commits.get(parent);
    const time = (parentCommit?.time ?? 1_700_000_000) + 60;
    const identity = `devbuddy-fake <fake@example.com> ${time} +0000`;
    const commitBody = Buffer.from(
      `tree ${tree.rootSha}\n${parent ? `parent ${parent}\n` : ""}author ${identity}\ncommitter ${identity}\n\nSeed ${gitFiles.length} files\n`,
    );
    const commit: GitCommit = {
      sha: gitObjectSha("commit", commitBody),
      treeSha: tree.rootSha,
      parents: parent ? [parent] : [],
      time,
      files: new Map(gitFiles.map((file) => [file.path, file])),
      tree,
      treeEntryLimit: options.truncated,
    };
    git.commits.set(commit.sha, commit);
    git.branches.set(branch, commit.sha);
    for (const file of gitFiles) git.blobs.set(file.sha, file);
    for (const [sha, dir] of tree.dirsBySha) git.trees.set(sha, { commit, dir });
    repo.repository.default_branch = branch;
    return { sha: commit.sha, treeSha: commit.treeSha };
  }

  function treeEntryJson(repo: RepoState, entry: GitTreeEntry): Record<string, unknown> {
    const kind = entry.type === "blob" ? "blobs" : "trees";
    return {
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.size === undefined ? {} : { size: entry.size }),
      url: `${repo.repository.url}/git/${kind}/${entry.sha}`,
    };
  }

  // https://docs.github.com/rest/commits/commits#get-a-commit
  route("GET", "/repos/:owner/:repo/commits/*ref", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.getCommit);
    if ("status" in repo) return repo;
    if (!repo.git) return emptyRepository(DOCS.getCommit);
    const ref = params["ref"] ?? "";
    const commit = resolveRef(repo, ref);
    if (!commit) return { status: 422, body: { message: `No commit found for SHA: ${ref}`, documentation_url: DOCS.getCommit } };
    // `application/vnd.github.sha`: the bare sha, no JSON and no newline.
    if (wantsMediaType(ctx, "sha")) {
      return { status: 200, raw: Buffer.from(commit.sha), headers: { "content-type": "application/vnd.github.sha; charset=utf-8" } };
    }
    const api = `${repo.repository.url}/commits/${commit.sha}`;
    const person = { name: "devbuddy-fake", email: "fake@example.com", date: commitTime(commit) };
    return {
      status: 200,
      body: {
        sha: commit.sha,
        node_id: Buffer.from(`Commit:${commit.sha}`).toString("base64"),
        commit: {
          author: person,
          committer: person,
          message: `Seed ${commit.files.size} files`,
          tree: { sha: commit.treeSha, url: `${repo.repository.url}/git/trees/${commit.treeSha}` },
          url: `${repo.repository.url}/git/commits/${commit.sha}`,
          comment_count: 0,
          verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
        },
        url: api,
        html_url: `${repo.repository.html_url}/commit/${commit.sha}`,
        comments_url: `${api}/comments`,
        author: null,
        committer: null,
        parents: commit.parents.map((sha) => ({ sha, url: `${repo.repository.url}/commits/${sha}`, html_url: `${repo.repository.html_url}/commit/${sha}` })),
        stats: { total: 0, additions: 0, deletions: 0 },
        files: [],
      },
    };
  });

  // https://docs.github.com/rest/git/trees#get-a-tree (a tree sha, a commit sha or a branch name)
  route("GET", "/repos/:owner/:repo/git/trees/*tree_sha", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.getTree);
    if ("status" in repo) return repo;
    if (!repo.git) return emptyRepository(DOCS.getTree);
    const ref = params["tree_sha"] ?? "";
    const byTree = repo.git.trees.get(ref);
    const commit = byTree?.commit ?? resolveRef(repo, ref);
    if (!commit) return notFound(DOCS.getTree);
    const dir = byTree?.dir ?? "";
    const treeSha = byTree ? ref : commit.treeSha;
    let entries: GitTreeEntry[];
    if (ctx.query["recursive"] === undefined) {
      entries = commit.tree.children.get(dir) ?? [];
    } else {
      const prefix = dir === "" ? "" : `${dir}/`;
      entries = commit.tree.listing.filter((entry) => entry.path.startsWith(prefix)).map((entry) => ({ ...entry, path: entry.path.slice(prefix.length) }));
    }
    const limit = ctx.query["recursive"] === undefined ? undefined : commit.treeEntryLimit;
    const truncated = limit !== undefined && entries.length > limit;
    if (truncated) entries = entries.slice(0, limit);
    return {
      status: 200,
      body: { sha: treeSha, url: `${repo.repository.url}/git/trees/${treeSha}`, tree: entries.map((entry) => treeEntryJson(repo, entry)), truncated },
    };
  });

  /** The git data API serves blobs up to 100 MB. */
  const MAX_API_BLOB_BYTES = 100 * 1024 * 1024;

  // https://docs.github.com/rest/git/blobs#get-a-blob
  route("GET", "/repos/:owner/:repo/git/blobs/:file_sha", (ctx, params) => {
    const repo = repoAccess(ctx, params, DOCS.getBlob);
    if ("status" in repo) return repo;
    const file = repo.git?.blobs.get((params["file_sha"] ?? "").toLowerCase());
    if (!file) return notFound(DOCS.getBlob);
    if (file.size > MAX_API_BLOB_BYTES) {
      return {
        status: 403,
        body: {
          message: "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API.",
          errors: [{ resource: "Blob", field: "data", code: "too_large" }],
          documentation_url: DOCS.getBlob,
        },
      };
    }
    const head = { sha: file.sha, node_id: Buffer.from(`Blob:${file.sha}`).toString("base64"), size: file.size, url: `${repo.repository.url}/git/blobs/${file.sha}` };
    const json = { "content-type": "application/json; charset=utf-8" };
    if (file.content) return { status: 200, body: { ...head, content: base64Lines(file.content), encoding: "base64" } };
    // A huge file's JSON is streamed: its bytes are generated as the base64 goes out.
    const prefix = JSON.stringify(head).slice(0, -1);
    const generate = function* (): Generator<Buffer> {
      yield Buffer.from(`${prefix},"content":"`);
      for (const chunk of fileChunks(file)) yield Buffer.from(JSON.stringify(base64Lines(chunk)).slice(1, -1));
      yield Buffer.from('","encoding":"base64"}');
    };
    return { status: 200, headers: json, raw: () => Readable.from(generate()) };
  });

  /** https://docs.github.com/rest/repos/contents#get-repository-content: files over 1 MB come without content. */
  const MAX_CONTENTS_JSON_BYTES = 1024 * 1024;

  function contentEntry(repo: RepoState, commit: GitCommit, ref: string, entry: GitTreeEntry, path: string): Record<string, unknown> {
    const self = `${repo.repository.url}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const git = `${repo.repository.url}/git/${entry.type === "blob" ? "blobs" : "trees"}/${entry.sha}`;
    const html = `${repo.repository.html_url}/${entry.type === "blob" ? "blob" : "tree"}/${ref}/${path}`;
    return {
      name: path.slice(path.lastIndexOf("/") + 1),
      path,
      sha: entry.sha,
      size: entry.size ?? 0,
      url: self,
      html_url: html,
      git_url: git,
      download_url: entry.type === "blob" ? `${url}/raw/${repo.repository.full_name}/${commit.sha}/${path}` : null,
      type: entry.type === "blob" ? "file" : "dir",
      _links: { self, git, html },
    };
  }

  // https://docs.github.com/rest/repos/contents#get-repository-content — Probot's
  // `context.config()` reads `.github/<name>.yml` here with the raw media type (and on a 404
  // the same path in the owner's `.github` repository).
  const getContent = (ctx: RequestContext, params: Params): Reply => {
    const repo = repoAccess(ctx, params, DOCS.getContent);
    if ("status" in repo) return repo;
    if (!repo.git) return { status: 404, body: { message: "This repository is empty.", documentation_url: DOCS.getContent } };
    const ref = ctx.query["ref"] ?? repo.repository.default_branch;
    const commit = resolveRef(repo, ref);
    if (!commit) return { status: 404, body: { message: `No commit found for the ref ${ref}`, documentation_url: DOCS.getContent } };
    const path = (params["path"] ?? "").replace(/^\/+|\/+$/g, "");
    const file = commit.files.get(path);
    if (file) {
      if (wantsMediaType(ctx, "raw")) {
        if (!file.content) return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, raw: () => Readable.from(fileChunks(file)) };
        return { status: 200, raw: file.content, headers: { "content-type": "text/plain; charset=utf-8" } };
      }
      const entry: GitTreeEntry = { path, type: "blob", mode: "100644", sha: file.sha, size: file.size };
      const small = file.content !== undefined && file.size <= MAX_CONTENTS_JSON_BYTES;
      return {
        status: 200,
        body: { ...contentEntry(repo, commit, ref, entry, path), content: small && file.content ? base64Lines(file.content) : "", encoding: small ? "base64" : "none" },
      };
    }
    const children = commit.tree.children.get(path);
    if (!children) return notFound(DOCS.getContent);
    // A directory is listed as JSON whatever the media type.
    return { status: 200, body: children.map((entry) => contentEntry(repo, commit, ref, entry, path === "" ? entry.path : `${path}/${entry.path}`)) };
  };
  route("GET", "/repos/:owner/:repo/contents", getContent);
  route("GET", "/repos/:owner/:repo/contents/*path", getContent);

  // https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar — a 302 to
  // codeload. GHES serves codeload at `/_codeload/` on its own host; so does the fake.
  const tarball = (ctx: RequestContext, params: Params): Reply => {
    const repo = repoAccess(ctx, params, DOCS.tarball);
    if ("status" in repo) return repo;
    const ref = params["ref"] ?? repo.repository.default_branch;
    const commit = resolveRef(repo, ref);
    if (!commit) return notFound(DOCS.tarball);
    const codeloadRef = commit.sha.startsWith(ref.toLowerCase()) && /^[0-9a-f]+$/i.test(ref) ? commit.sha : `refs/heads/${ref.replace(/^(?:refs\/)?heads\//, "")}`;
    // Codeload is another origin, so clients drop the Authorization header on the redirect; a token in the URL authorizes it.
    const token = ctx.auth ? `?token=${randomBytes(12).toString("hex").toUpperCase()}` : "";
    return { status: 302, headers: { location: `${url}/_codeload/${repo.repository.full_name}/legacy.tar.gz/${codeloadRef}${token}` } };
  };
  route("GET", "/repos/:owner/:repo/tarball", tarball);
  route("GET", "/repos/:owner/:repo/tarball/*ref", tarball);

  /** `GET /_codeload/{owner}/{repo}/legacy.tar.gz/{ref}`: the archive itself, streamed and gzip-compressed. */
  function codeload(path: string, query: Record<string, string>): Reply {
    const match = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/(.+)$/.exec(path);
    const repo = match ? findRepo(decodeURIComponent(match[1] ?? ""), decodeURIComponent(match[2] ?? "")) : undefined;
    const plain = { "content-type": "text/plain; charset=utf-8" };
    if (!match || !repo || (repo.repository.private && query["token"] === undefined)) return { status: 404, headers: plain, raw: Buffer.from("404: Not Found") };
    const commit = resolveRef(repo, decodeURIComponent(match[3] ?? ""));
    if (!commit) return { status: 404, headers: plain, raw: Buffer.from("404: Not Found") };
    const topDir = `${repo.repository.owner.login}-${repo.repository.name}-${commit.sha.slice(0, 7)}`;
    return {
      status: 200,
      headers: { "content-type": "application/x-gzip", "content-disposition": `attachment; filename=${topDir}.tar.gz` },
      raw: () => gzippedArchive(topDir, commit.sha, commit.time, commit.tree.listing, commit.files),
    };
  }

  // https://docs.github.com/rest/teams/members#get-team-membership-for-a-user
  route("GET", "/orgs/:org/teams/:team_slug/memberships/:username", (ctx, params) => {
    if (!ctx.auth) return { status: 401, body: { message: "Requires authentication", documentation_url: DOCS.teamMembership } };
    const team = teams.get(`${params["org"]}/${params["team_slug"]}`.toLowerCase());
    const membership = team?.members.get((params["username"] ?? "").toLowerCase());
    if (!team || !membership) return notFound(DOCS.teamMembership);
    return {
      status: 200,
      body: { url: `${apiBase}/organizations/1/team/${team.id}/memberships/${params["username"]}`, role: membership.role, state: membership.state },
    };
  });

  /**
   * GitHub's GraphQL endpoint, for the one query shape devbuddy sends: `nodes(ids: $ids)`
   * with `id` and `... on Minimizable { isMinimized }` (minimizedReason too). Unknown ids
   * come back as null with an error, as GitHub answers. Anything else is refused.
   * https://docs.github.com/graphql/reference/queries#nodes
   */
  function graphql(ctx: RequestContext): Reply {
    if (ctx.auth?.scheme !== "token" && ctx.auth?.scheme !== "bearer") {
      return { status: 401, body: { message: "This endpoint requires you to be authenticated.", documentation_url: "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql" } };
    }
    const input = (typeof ctx.body === "object" && ctx.body !== null ? ctx.body : {}) as { query?: unknown; variables?: { ids?: unknown } };
    const query = typeof input.query === "string" ? input.query : "";
    const ids = input.variables?.ids;
    if (!/\bnodes\s*\(\s*ids\s*:\s*\$ids\s*\)/.test(query) || !Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      return { status: 200, body: { errors: [{ message: "The fake GitHub answers only nodes(ids: $ids) queries with an ids variable." }] } };
    }
    if (ids.length > 100) {
      return { status: 200, body: { errors: [{ type: "EXCESSIVE_PAGINATION", message: "You may not request more than 100 node IDs; you requested " + ids.length + "." }] } };
    }
    const byNodeId = new Map([...commentsById.values()].filter((c) => !c.deleted).map((c) => [c.comment.node_id, c] as const));
    const errors: unknown[] = [];
    const nodes = (ids as string[]).map((id, i) => {
      const state = byNodeId.get(id);
      if (!state) {
        errors.push({ type: "NOT_FOUND", path: ["nodes", i], message: `Could not resolve to a node with the global id of '${id}'` });
        return null;
      }
      const node: Record<string, unknown> = { id };
      if (/\bisMinimized\b/.test(query)) node["isMinimized"] = state.minimized !== undefined;
      if (/\bminimizedReason\b/.test(query)) node["minimizedReason"] = state.minimized ?? null;
      return node;
    });
    return { status: 200, body: { data: { nodes }, ...(errors.length > 0 ? { errors } : {}) } };
  }

  function dispatch(ctx: RequestContext): Reply {
    if (ctx.bodyIsInvalidJson) {
      return { status: 400, body: { message: "Problems parsing JSON", documentation_url: DOCS.root } };
    }
    for (const r of routes) {
      if (r.method !== ctx.method) continue;
      const match = r.pattern.exec(ctx.path);
      if (!match) continue;
      const params: Params = {};
      let decodable = true;
      r.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(match[i + 1] ?? "");
        } catch {
          decodable = false;
        }
      });
      if (!decodable) return notFound();
      return r.handle(ctx, params);
    }
    return notFound();
  }

  // ---- HTTP plumbing -----------------------------------------------------------------

  function baseHeaders(requestId: string): Record<string, string> {
    // https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#checking-the-status-of-your-rate-limit
    return {
      "x-github-request-id": requestId,
      "x-github-media-type": "github.v3; format=json",
      "x-github-api-version-selected": "2022-11-28",
      "x-ratelimit-limit": String(RATE_LIMIT),
      "x-ratelimit-remaining": String(Math.max(0, RATE_LIMIT - rateLimitUsed)),
      "x-ratelimit-reset": String(rateLimitReset),
      "x-ratelimit-used": String(rateLimitUsed),
      "x-ratelimit-resource": "core",
    };
  }

  function send(res: ServerResponse, reply: Reply, requestId: string, record?: RecordedRequest): void {
    // The write has been applied whether or not the client is still there to hear about it,
    // so follow-up work (echo webhooks) must run either way, exactly once.
    let followedUp = false;
    const followUp = () => {
      if (followedUp) return;
      followedUp = true;
      reply.afterSend?.();
    };
    if (res.destroyed || res.writableEnded) {
      followUp();
      return;
    }
    res.once("close", followUp);
    const headers: Record<string, string> = { ...baseHeaders(requestId), ...reply.headers };
    if (typeof reply.raw === "function") {
      // Streamed bodies (archives, huge blobs) are produced as the client reads them; a
      // client that stops reading closes the socket and the source is destroyed with it.
      const source = reply.raw();
      source.on("data", (chunk: Buffer) => {
        if (record) record.bytesSent += chunk.byteLength;
      });
      res.writeHead(reply.status, headers);
      pipeline(source, res).catch(() => undefined);
      return;
    }
    if (reply.raw === undefined && reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end(followUp);
      return;
    }
    const payload = reply.raw ?? Buffer.from(JSON.stringify(reply.body));
    if (reply.raw === undefined) headers["content-type"] = "application/json; charset=utf-8";
    headers["content-length"] = String(payload.byteLength);
    if (record) record.bytesSent = payload.byteLength;
    res.writeHead(reply.status, headers);
    res.end(payload, followUp);
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const requestId = newRequestId();
    const method = (req.method ?? "GET").toUpperCase();
    const parsed = new URL(req.url ?? "/", "http://placeholder");
    const underPrefix = pathPrefix === "" || parsed.pathname === pathPrefix || parsed.pathname.startsWith(`${pathPrefix}/`);
    const path = underPrefix ? parsed.pathname.slice(pathPrefix.length) || "/" : parsed.pathname;
    const query: Record<string, string> = {};
    for (const [key, value] of parsed.searchParams) query[key] = value;
    const headers = flattenHeaders(req);

    // Record on arrival so in-flight (e.g. held) requests are visible; body and status follow.
    const record: RecordedRequest = { method, path, query, headers, body: undefined, at, status: 0, bytesSent: 0 };
    requests.push(record);

    const raw = await readBody(req);
    let body: unknown;
    let bodyIsInvalidJson = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        bodyIsInvalidJson = true;
      }
    }
    record.body = body;

    // Failure rules are consumed in arrival order, before any waiting, so tests are deterministic.
    const failureIndex = failures.findIndex((f) => matches(f.rule, method, path));
    const failure = failures[failureIndex];
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) failures.splice(failureIndex, 1);
    }

    for (const h of holds.filter((candidate) => matches(candidate.rule, method, path))) {
      await new Promise<void>((resolve) => h.waiters.push(resolve));
    }
    if (latencyMs > 0) await sleep(latencyMs);

    rateLimitUsed += 1;
    let reply: Reply;
    if (failure) {
      const { body: failureBody } = failure.rule;
      reply = {
        status: failure.rule.status,
        body: typeof failureBody === "function" ? (failureBody as (c: FailureContext) => unknown)({ requestId, method, path }) : failureBody,
        ...(failure.rule.headers ? { headers: failure.rule.headers } : {}),
      };
    } else if (method === "GET" && parsed.pathname.startsWith("/_codeload/")) {
      reply = codeload(parsed.pathname, query);
    } else if (method === "POST" && parsed.pathname === graphqlPath) {
      reply = bodyIsInvalidJson
        ? { status: 400, body: { message: "Problems parsing JSON", documentation_url: DOCS.root } }
        : graphql({ method, path, query, rawSearch: parsed.search, body, bodyIsInvalidJson, auth: parseAuth(headers["authorization"]), accept: headers["accept"] ?? "", requestId });
    } else if (!underPrefix) {
      reply = notFound();
    } else {
      reply = dispatch({
        method,
        path,
        query,
        rawSearch: parsed.search,
        body,
        bodyIsInvalidJson,
        auth: parseAuth(headers["authorization"]),
        accept: headers["accept"] ?? "",
        requestId,
      });
    }
    record.status = reply.status;
    send(res, reply, requestId, record);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the fake should be loud, not look like a GitHub outage.
      console.error("fake-github: handler crashed", error);
      send(res, { status: 500, body: { message: "fake-github internal error" } }, newRequestId());
    });
  });

  const port = await listenOnLoopback(server);
  host = `127.0.0.1:${port}`;
  url = `http://${host}`;
  apiBase = `${url}${pathPrefix}`;
  botUser = userFor(botLogin, "Bot");
  app = buildApp();

  // ---- public surface ------------------------------------------------------------------

  const fake: FakeGitHub = {
    url,
    host,
    apiBase,
    appId,
    appSlug,
    botLogin,
    botUser: clone(botUser),
    requests,
    echoes,

    async close() {
      if (closed) return;
      closed = true;
      // Let held requests run to completion against destroyed sockets rather than hang forever.
      for (const h of holds.splice(0)) for (const wake of h.waiters.splice(0)) wake();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },

    seedRepo(input) {
      return clone(ensureRepo(input.owner, input.repo, input.id, input.private).repository);
    },

    seedIssue(input) {
      return clone(createIssue(ensureRepo(input.owner, input.repo), input).issue);
    },

    addComment(input) {
      const repo = findRepo(input.owner, input.repo);
      const issue = repo?.issues.get(input.number);
      if (!issue) throw new Error(`fake-github: seedIssue ${input.owner}/${input.repo}#${input.number} before adding comments`);
      return clone(createComment(issue, input.body, userFor(input.user, input.userType), false).comment);
    },

    setPermission(owner, repo, login, permission) {
      ensureRepo(owner, repo).permissions.set(login.toLowerCase(), permission);
    },

    seedRepoFiles(owner, repo, files, options = {}) {
      return seedCommit(ensureRepo(owner, repo), files, options);
    },

    setTeamMember(org, teamSlug, login, membership = {}) {
      const key = `${org}/${teamSlug}`.toLowerCase();
      let team = teams.get(key);
      if (!team) {
        team = { id: newId(), members: new Map() };
        teams.set(key, team);
      }
      if (membership === null) team.members.delete(login.toLowerCase());
      else team.members.set(login.toLowerCase(), { state: membership.state ?? "active", role: membership.role ?? "member" });
    },

    issue(owner, repo, number) {
      const state = findRepo(owner, repo)?.issues.get(number);
      return state ? clone(state.issue) : undefined;
    },

    comments(owner, repo, number) {
      const issue = findRepo(owner, repo)?.issues.get(number);
      if (!issue) return [];
      return issue.commentIds.flatMap((id) => {
        const state = liveComment(id);
        return state ? [clone(state.comment)] : [];
      });
    },

    comment(id) {
      const state = liveComment(id);
      return state ? clone(state.comment) : undefined;
    },

    deleteComment(id) {
      const state = liveComment(id);
      if (!state) return false;
      markDeleted(state);
      return true;
    },

    minimizeComment(id, reason = "SPAM") {
      const state = liveComment(id);
      if (!state) return false;
      state.minimized = reason;
      return true;
    },

    reactions() {
      return reactionStates.map((r) => ({ ...r.record }));
    },

    bodyHistory(commentId) {
      return (commentsById.get(commentId)?.history ?? []).map((entry) => ({ ...entry }));
    },

    writes() {
      // GraphQL queries are reads, sent as POST.
      return requests.filter(
        (r) =>
          r.method !== "GET" &&
          r.method !== "HEAD" &&
          !(r.method === "POST" && /^\/app\/installations\/[^/]+\/access_tokens\/?$/.test(r.path)) &&
          !(r.method === "POST" && r.path === graphqlPath && !/\bmutation\b/.test(JSON.stringify(r.body ?? ""))),
      );
    },

    clearLog() {
      requests.length = 0; // in place: `requests` is a live array callers may hold on to
    },

    failNext(rule) {
      failures.push({ rule, remaining: rule.times ?? 1 });
    },

    hold(rule) {
      const active: ActiveHold = { rule, waiters: [] };
      holds.push(active);
      return {
        release() {
          const index = holds.indexOf(active);
          if (index >= 0) holds.splice(index, 1);
          for (const wake of active.waiters.splice(0)) wake();
        },
        get waiting() {
          return active.waiters.length;
        },
      };
    },

    deliverEchoesTo(target) {
      echoTarget = target;
    },

    hookDeliveries,

    deliver(event, payload, options = {}) {
      return sendDelivery(event, payload, options.deliveryId ?? randomUUID(), false);
    },

    async echoesDelivered() {
      // Deliveries may be queued while we wait; loop until the queue stops growing.
      let current: Promise<void>;
      do {
        current = echoQueue;
        await current;
      } while (current !== echoQueue);
    },
  };
  return fake;
}
