/**
 * The JSON the fake sends, typed by GitHub's published OpenAPI description
 * (`@octokit/openapi-types`, generated from https://github.com/github/rest-api-description).
 *
 * The published schemas describe every variant GitHub may send, so many fields are optional or
 * nullable there. The fake always sends some of them; the types below say so (`Present`), and
 * narrow ids to JSON numbers (the schemas allow `bigint` for ids past 2^53, which the fake never
 * reaches). Everything else is the published type itself, so a field the fake forgets or
 * misspells fails the typecheck.
 */
import type { components } from "@octokit/openapi-types";

export type Schemas = components["schemas"];

/** `T` with its fields `K` always present (their published nullability kept). */
type Present<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

/** `T` with the fields of `U` replaced by `U`'s narrower types. */
type Narrowed<T, U extends { [P in keyof U]: P extends keyof T ? unknown : never }> = Omit<T, keyof U> & U;

export type UserType = "User" | "Bot";

/** https://docs.github.com/rest/reactions/reactions#about-reactions */
export type ReactionContent = Schemas["reaction"]["content"];

/** Every reaction GitHub accepts; the record's type makes the list complete. */
const REACTION_NAMES: Record<ReactionContent, true> = {
  "+1": true,
  "-1": true,
  laugh: true,
  confused: true,
  heart: true,
  hooray: true,
  rocket: true,
  eyes: true,
};
export const REACTION_CONTENTS = Object.keys(REACTION_NAMES) as readonly ReactionContent[];

/** https://docs.github.com/graphql/reference/enums#commentauthorassociation */
export type AuthorAssociation = Schemas["author-association"];

/** GitHub's "simple user" object. */
export type GitHubUser = Narrowed<Schemas["simple-user"], { id: number; type: UserType }>;

/** The "reaction rollup" embedded in issues and comments. */
export type ReactionRollup = Schemas["reaction-rollup"];

/** https://docs.github.com/rest/apps/apps#get-the-authenticated-app */
export type GitHubApp = Narrowed<
  Present<NonNullable<Schemas["integration"]>, "slug" | "client_id" | "installations_count">,
  { owner: GitHubUser; permissions: Record<string, string> }
>;

/** The repository object as it appears in webhook payloads and repository listings. */
export type GitHubRepository = Narrowed<
  Present<Schemas["repository"], "visibility" | "topics" | "is_template" | "allow_forking" | "has_discussions">,
  { id: number; owner: GitHubUser; visibility: "public" | "private"; created_at: string; updated_at: string; pushed_at: string }
>;

/** https://docs.github.com/rest/issues/issues#get-an-issue */
export type GitHubIssue = Narrowed<
  Present<Schemas["issue"], "body" | "active_lock_reason" | "timeline_url" | "performed_via_github_app" | "state_reason">,
  {
    id: number;
    user: GitHubUser;
    state: "open" | "closed";
    labels: never[];
    assignee: GitHubUser | null;
    assignees: GitHubUser[];
    author_association: AuthorAssociation;
    reactions: ReactionRollup;
  }
>;

/** https://docs.github.com/rest/issues/comments#get-an-issue-comment */
export type GitHubComment = Narrowed<
  Present<Schemas["issue-comment"], "body" | "performed_via_github_app">,
  { id: number; user: GitHubUser; author_association: AuthorAssociation; reactions: ReactionRollup }
>;

/** https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment */
export type GitHubReaction = Narrowed<Schemas["reaction"], { user: GitHubUser }>;
