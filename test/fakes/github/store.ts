/**
 * The fake's state: users, repositories, issues, comments, reactions and teams. Routes read and
 * change it; tests seed and inspect it through `FakeGitHub`.
 */
import { emptyGitState, seedCommit, type GitState, type SeededCommit, type SeedRepoFilesOptions } from "./git-commits.js";
import { buildApp, buildComment, buildIssue, buildRepository, buildUser, type Addresses } from "./rest-objects.js";
import type {
  AuthorAssociation,
  GitHubApp,
  GitHubComment,
  GitHubIssue,
  GitHubReaction,
  GitHubRepository,
  GitHubUser,
  ReactionContent,
  ReactionRollup,
  UserType,
} from "./schemas.js";
import { isoNow, legacyNodeId } from "./wire-format.js";

export type RepoPermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface SeedRepoInput {
  owner: string;
  repo: string;
  id?: number;
  private?: boolean;
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

export interface TeamMembershipInput {
  /** Default "active"; a "pending" member has been invited but has not accepted. */
  state?: "active" | "pending";
  /** Default "member". */
  role?: "member" | "maintainer";
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

export interface RepoState {
  key: string;
  repository: GitHubRepository;
  issues: Map<number, IssueState>;
  nextNumber: number;
  /** Explicitly granted permissions, keyed by lower-cased login. */
  permissions: Map<string, RepoPermission>;
  /** Files and commits, once `seedRepoFiles` was called; an empty repository before. */
  git: GitState | undefined;
}

export interface IssueState {
  issue: GitHubIssue;
  repo: RepoState;
  /** Comment ids in creation order (deleted ones included; filter on `deleted`). */
  commentIds: number[];
}

export interface CommentState {
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

interface TeamState {
  id: number;
  /** Keyed by lower-cased login. */
  members: Map<string, Required<TeamMembershipInput>>;
}

export class GitHubStore {
  readonly addresses: Addresses;
  readonly botUser: GitHubUser;
  readonly app: GitHubApp;

  #nextId = 1000;
  /** Keyed by lower-cased login (GitHub logins are case-insensitive). */
  readonly #users = new Map<string, GitHubUser>();
  /** Keyed by lower-cased "owner/repo". */
  readonly #repos = new Map<string, RepoState>();
  readonly #comments = new Map<number, CommentState>();
  readonly #reactions: ReactionState[] = [];
  /** Keyed by lower-cased "org/slug". */
  readonly #teams = new Map<string, TeamState>();

  constructor(addresses: Addresses, app: { id: number; slug: string }) {
    this.addresses = addresses;
    this.botUser = this.userFor(`${app.slug}[bot]`, "Bot");
    this.app = buildApp(addresses, app.id, app.slug, this.userFor(`${app.slug}-owner`));
  }

  newId(): number {
    return this.#nextId++;
  }

  /** Returns the (single, stable) user object for a login, registering it on first sight. */
  userFor(login: string, type?: UserType): GitHubUser {
    const key = login.toLowerCase();
    const existing = this.#users.get(key);
    if (existing) {
      if (type !== undefined && existing.type !== type) {
        const updated = buildUser(this.addresses, existing.login, existing.id, type);
        this.#users.set(key, updated);
        return updated;
      }
      return existing;
    }
    const user = buildUser(this.addresses, login, this.newId(), type ?? (login.endsWith("[bot]") ? "Bot" : "User"));
    this.#users.set(key, user);
    return user;
  }

  // ---- repositories --------------------------------------------------------------------

  findRepo(owner: string, name: string): RepoState | undefined {
    return this.#repos.get(`${owner}/${name}`.toLowerCase());
  }

  ensureRepo(owner: string, name: string, id?: number, isPrivate?: boolean): RepoState {
    const existing = this.findRepo(owner, name);
    if (existing) {
      if (isPrivate !== undefined) {
        existing.repository.private = isPrivate;
        existing.repository.visibility = isPrivate ? "private" : "public";
      }
      return existing;
    }
    const state: RepoState = {
      key: `${owner}/${name}`.toLowerCase(),
      repository: buildRepository(this.addresses, this.userFor(owner), name, id ?? this.newId(), isPrivate ?? false),
      issues: new Map(),
      nextNumber: 1,
      permissions: new Map(),
      git: undefined,
    };
    this.#repos.set(state.key, state);
    return state;
  }

  permissionOf(repo: RepoState, login: string): RepoPermission {
    const explicit = repo.permissions.get(login.toLowerCase());
    if (explicit) return explicit;
    // The owner of a user-owned repository is its admin.
    if (login.toLowerCase() === repo.repository.owner.login.toLowerCase()) return "admin";
    return "read";
  }

  /** Seeds `files` as one new commit on the repository's default branch (or `options.defaultBranch`, which becomes it). */
  seedFiles(repo: RepoState, files: Record<string, string | Buffer>, options: SeedRepoFilesOptions): SeededCommit {
    repo.git ??= emptyGitState();
    const branch = options.defaultBranch ?? repo.repository.default_branch;
    const seeded = seedCommit(repo.git, branch, files, options);
    repo.repository.default_branch = branch;
    return seeded;
  }

  // ---- issues and comments --------------------------------------------------------------

  createIssue(repo: RepoState, input: SeedIssueInput): IssueState {
    const number = input.number ?? repo.nextNumber;
    if (repo.issues.has(number)) throw new Error(`fake-github: issue #${number} already exists in ${repo.repository.full_name}`);
    repo.nextNumber = Math.max(repo.nextNumber, number + 1);
    const id = this.newId();
    const user = this.userFor(input.user, input.userType);
    const issue = buildIssue(this.addresses, repo.repository, { id, number, title: input.title, body: input.body, user, association: associationOf(repo, input.user) });
    const state: IssueState = { issue, repo, commentIds: [] };
    repo.issues.set(number, state);
    repo.repository.open_issues_count += 1;
    repo.repository.open_issues = repo.repository.open_issues_count;
    return state;
  }

  createComment(issueState: IssueState, body: string, author: GitHubUser, viaApp: boolean): CommentState {
    const repo = issueState.repo;
    const comment = buildComment(this.addresses, repo.repository, issueState.issue, {
      id: this.newId(),
      body,
      user: author,
      association: associationOf(repo, author.login),
      app: viaApp ? this.app : null,
    });
    const state: CommentState = { comment, issue: issueState, deleted: false, history: [] };
    this.#comments.set(comment.id, state);
    issueState.commentIds.push(comment.id);
    issueState.issue.comments += 1;
    issueState.issue.updated_at = comment.created_at; // a new comment bumps the issue's updated_at
    return state;
  }

  /** Any comment ever made, deleted ones included. */
  commentState(id: number): CommentState | undefined {
    return this.#comments.get(id);
  }

  /** undefined for unknown or deleted comments. */
  liveComment(id: number): CommentState | undefined {
    const state = this.#comments.get(id);
    return state && !state.deleted ? state : undefined;
  }

  /** The issue's comments that are not deleted, oldest first. */
  liveComments(issue: IssueState): CommentState[] {
    return issue.commentIds.flatMap((id) => {
      const state = this.liveComment(id);
      return state ? [state] : [];
    });
  }

  /** Every comment that is not deleted, by GraphQL node id. */
  liveCommentsByNodeId(): Map<string, CommentState> {
    return new Map([...this.#comments.values()].filter((c) => !c.deleted).map((c) => [c.comment.node_id, c] as const));
  }

  markDeleted(state: CommentState): void {
    state.deleted = true;
    state.issue.issue.comments -= 1;
    // Reactions disappear with their comment.
    for (let i = this.#reactions.length - 1; i >= 0; i--) {
      const r = this.#reactions[i];
      if (r && r.record.subject === "comment" && r.record.subjectId === state.comment.id) this.#reactions.splice(i, 1);
    }
  }

  // ---- reactions --------------------------------------------------------------------------

  /**
   * The bot's reaction `content` on the subject: the existing one if it already reacted so
   * (`created: false`), else a new one counted in the subject's rollup.
   */
  react(
    subject: ReactionRecord["subject"],
    subjectId: number,
    issueState: IssueState,
    rollup: ReactionRollup,
    content: ReactionContent,
  ): { reaction: GitHubReaction; created: boolean } {
    const user = this.botUser;
    const existing = this.#reactions.find(
      (r) => r.record.subject === subject && r.record.subjectId === subjectId && r.record.user === user.login && r.record.content === content,
    );
    if (existing) return { reaction: existing.reaction, created: false };
    const id = this.newId();
    const reaction: GitHubReaction = { id, node_id: legacyNodeId("Reaction", id), user, content, created_at: isoNow() };
    const repository = issueState.repo.repository;
    this.#reactions.push({
      reaction,
      rollup,
      record: {
        id,
        subject,
        subjectId,
        number: issueState.issue.number,
        owner: repository.owner.login,
        repo: repository.name,
        content,
        user: user.login,
        at: performance.now(),
      },
    });
    rollup[content] += 1;
    rollup.total_count += 1;
    return { reaction, created: true };
  }

  /** Removes the reaction from its subject's rollup; false when the subject has no such reaction. */
  unreact(subject: ReactionRecord["subject"], subjectId: number, reactionId: number | undefined): boolean {
    const index = this.#reactions.findIndex((r) => r.record.id === reactionId && r.record.subject === subject && r.record.subjectId === subjectId);
    const state = this.#reactions[index];
    if (!state) return false;
    this.#reactions.splice(index, 1);
    state.rollup[state.reaction.content] -= 1;
    state.rollup.total_count -= 1;
    return true;
  }

  reactionRecords(): ReactionRecord[] {
    return this.#reactions.map((r) => ({ ...r.record }));
  }

  // ---- teams ------------------------------------------------------------------------------

  setTeamMember(org: string, teamSlug: string, login: string, membership: TeamMembershipInput | null): void {
    const key = `${org}/${teamSlug}`.toLowerCase();
    let team = this.#teams.get(key);
    if (!team) {
      team = { id: this.newId(), members: new Map() };
      this.#teams.set(key, team);
    }
    if (membership === null) team.members.delete(login.toLowerCase());
    else team.members.set(login.toLowerCase(), { state: membership.state ?? "active", role: membership.role ?? "member" });
  }

  teamMembership(org: string, teamSlug: string, login: string): { teamId: number; membership: Required<TeamMembershipInput> } | undefined {
    const team = this.#teams.get(`${org}/${teamSlug}`.toLowerCase());
    const membership = team?.members.get(login.toLowerCase());
    return team && membership ? { teamId: team.id, membership } : undefined;
  }
}

/** https://docs.github.com/graphql/reference/enums#commentauthorassociation */
function associationOf(repo: RepoState, login: string): AuthorAssociation {
  if (login.toLowerCase() === repo.repository.owner.login.toLowerCase()) return "OWNER";
  const explicit = repo.permissions.get(login.toLowerCase());
  if (explicit && explicit !== "none" && explicit !== "read") return "COLLABORATOR";
  return "NONE";
}
