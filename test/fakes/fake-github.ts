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
 *  2. JSON shapes match GitHub's published OpenAPI schemas (`github/schemas.ts`), so schema
 *     validation in the app sees the same thing it sees in production.
 *  3. Tests can inspect every request and every body ever written, inject failures, and stall
 *     requests in flight.
 *
 * Everything is in memory; nothing here touches the network beyond 127.0.0.1. This file is
 * the entry tests import: it composes the parts under `github/` (state, git objects, one file
 * of routes per resource, fault injection, webhooks) into one `FakeGitHub`.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { Faults, type FailureRule, type Hold, type HoldRule } from "./github/failures.js";
import type { SeededCommit, SeedRepoFilesOptions } from "./github/git-commits.js";
import { RateLimitCounter } from "./github/rate-limit.js";
import { isWrite, type RecordedRequest } from "./github/request-log.js";
import { Router } from "./github/router.js";
import { appRoutes } from "./github/routes/app.js";
import { codeload, contentRoutes } from "./github/routes/contents.js";
import { gitRoutes } from "./github/routes/git.js";
import { graphql } from "./github/routes/graphql.js";
import { hookDeliveryRoutes } from "./github/routes/hook-deliveries.js";
import { issueRoutes } from "./github/routes/issues.js";
import { repoRoutes } from "./github/routes/repos.js";
import { teamRoutes } from "./github/routes/teams.js";
import type { GitHubComment, GitHubIssue, GitHubRepository, GitHubUser } from "./github/schemas.js";
import { serve } from "./github/server.js";
import {
  GitHubStore,
  type AddCommentInput,
  type BodyWrite,
  type ReactionRecord,
  type RepoPermission,
  type SeedIssueInput,
  type SeedRepoInput,
  type TeamMembershipInput,
} from "./github/store.js";
import { AppWebhooks, type EchoRecord, type EchoTarget, type HookDeliveryRecord } from "./github/webhooks.js";
import { clone } from "./github/wire-format.js";
import { listenOnLoopback } from "./listen.js";

export type { FailureContext, FailureRule, Hold, HoldRule } from "./github/failures.js";
export type { SeededCommit, SeedRepoFilesOptions } from "./github/git-commits.js";
export { gitBlobSha } from "./github/git-objects.js";
export { primaryRateLimit, secondaryRateLimit } from "./github/rate-limit.js";
export type { RecordedRequest } from "./github/request-log.js";
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
export type {
  AddCommentInput,
  BodyWrite,
  ReactionRecord,
  RepoPermission,
  SeedIssueInput,
  SeedRepoInput,
  TeamMembershipInput,
} from "./github/store.js";
export { repositoryTarball } from "./github/tarball.js";
export type { EchoRecord, EchoTarget, HookDeliveryRecord } from "./github/webhooks.js";

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

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const appSlug = options.appSlug ?? "devbuddy";
  const appId = options.appId ?? 1;
  const pathPrefix = (options.pathPrefix ?? "/api/v3").replace(/\/+$/, "");
  // Octokit's GraphQL endpoint: /api/graphql on GitHub Enterprise Server, /graphql on api.github.com.
  const graphqlPath = pathPrefix === "" ? "/graphql" : `${pathPrefix.replace(/\/v3$/, "")}/graphql`;

  // Every URL in GitHub's JSON embeds the address, so the state is built once the port is known.
  const server = createServer();
  const port = await listenOnLoopback(server);
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const apiBase = `${url}${pathPrefix}`;

  const store = new GitHubStore({ url, host, apiBase }, { id: appId, slug: appSlug });
  const webhooks = new AppWebhooks(appId, store.botUser, () => store.newId());
  const faults = new Faults();
  const requests: RecordedRequest[] = [];

  const router = new Router();
  appRoutes(router, store, options.allowTokenForApp ?? true);
  hookDeliveryRoutes(router, webhooks, apiBase);
  repoRoutes(router, store);
  issueRoutes(router, store, webhooks);
  gitRoutes(router, store);
  contentRoutes(router, store);
  teamRoutes(router, store);
  serve(
    server,
    {
      pathPrefix,
      graphqlPath,
      rest: (ctx) => router.dispatch(ctx),
      graphql: (ctx) => graphql(store, ctx),
      codeload: (path, query) => codeload(store, path, query),
    },
    { latencyMs: options.latencyMs ?? 0, requests, faults, rateLimit: new RateLimitCounter() },
  );

  let closed = false;
  const issueOf = (owner: string, repo: string, number: number) => store.findRepo(owner, repo)?.issues.get(number);

  return {
    url,
    host,
    apiBase,
    appId,
    appSlug,
    botLogin: store.botUser.login,
    botUser: clone(store.botUser),
    requests,
    echoes: webhooks.echoes,
    hookDeliveries: webhooks.hookDeliveries,

    async close() {
      if (closed) return;
      closed = true;
      webhooks.close();
      faults.releaseAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },

    seedRepo(input) {
      return clone(store.ensureRepo(input.owner, input.repo, input.id, input.private).repository);
    },

    seedIssue(input) {
      return clone(store.createIssue(store.ensureRepo(input.owner, input.repo), input).issue);
    },

    addComment(input) {
      const issue = issueOf(input.owner, input.repo, input.number);
      if (!issue) throw new Error(`fake-github: seedIssue ${input.owner}/${input.repo}#${input.number} before adding comments`);
      return clone(store.createComment(issue, input.body, store.userFor(input.user, input.userType), false).comment);
    },

    setPermission(owner, repo, login, permission) {
      store.ensureRepo(owner, repo).permissions.set(login.toLowerCase(), permission);
    },

    seedRepoFiles(owner, repo, files, seedOptions = {}) {
      return store.seedFiles(store.ensureRepo(owner, repo), files, seedOptions);
    },

    setTeamMember(org, teamSlug, login, membership = {}) {
      store.setTeamMember(org, teamSlug, login, membership);
    },

    issue(owner, repo, number) {
      const state = issueOf(owner, repo, number);
      return state ? clone(state.issue) : undefined;
    },

    comments(owner, repo, number) {
      const issue = issueOf(owner, repo, number);
      return issue ? store.liveComments(issue).map((state) => clone(state.comment)) : [];
    },

    comment(id) {
      const state = store.liveComment(id);
      return state ? clone(state.comment) : undefined;
    },

    deleteComment(id) {
      const state = store.liveComment(id);
      if (!state) return false;
      store.markDeleted(state);
      return true;
    },

    minimizeComment(id, reason = "SPAM") {
      const state = store.liveComment(id);
      if (!state) return false;
      state.minimized = reason;
      return true;
    },

    reactions() {
      return store.reactionRecords();
    },

    bodyHistory(commentId) {
      return (store.commentState(commentId)?.history ?? []).map((entry) => ({ ...entry }));
    },

    writes() {
      return requests.filter((request) => isWrite(request, graphqlPath));
    },

    clearLog() {
      requests.length = 0; // in place: `requests` is a live array callers may hold on to
    },

    failNext(rule) {
      faults.failNext(rule);
    },

    hold(rule) {
      return faults.hold(rule);
    },

    deliverEchoesTo(target) {
      webhooks.target = target;
    },

    deliver(event, payload, deliverOptions = {}) {
      return webhooks.deliver(event, payload, deliverOptions.deliveryId ?? randomUUID(), false);
    },

    echoesDelivered() {
      return webhooks.echoesDelivered();
    },
  };
}
