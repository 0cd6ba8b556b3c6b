/** GitHub's REST objects as the fake builds them: every URL points back at the fake. */
import { randomBytes } from "node:crypto";
import type { AuthorAssociation, GitHubApp, GitHubComment, GitHubIssue, GitHubRepository, GitHubUser, ReactionRollup, UserType } from "./schemas.js";
import { isoNow, legacyNodeId } from "./wire-format.js";

/** Where the fake listens; every URL in its JSON embeds it. */
export interface Addresses {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  /** `url + pathPrefix` */
  apiBase: string;
}

/** A user (or an App's bot) as GitHub embeds it everywhere. */
export function buildUser(addresses: Addresses, login: string, id: number, type: UserType): GitHubUser {
  const { url, apiBase } = addresses;
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

/** The App as `GET /app` and `performed_via_github_app` show it. */
export function buildApp(addresses: Addresses, id: number, slug: string, owner: GitHubUser): GitHubApp {
  const now = isoNow();
  const { url } = addresses;
  return {
    id,
    slug,
    node_id: legacyNodeId("Integration", id),
    client_id: `Iv1.${randomBytes(8).toString("hex")}`,
    owner,
    name: slug,
    description: "Fake GitHub App served by the devbuddy test fake.",
    external_url: `${url}/apps/${slug}`,
    html_url: `${url}/apps/${slug}`,
    created_at: now,
    updated_at: now,
    permissions: { issues: "write", metadata: "read", pull_requests: "write" },
    events: ["issue_comment", "issues"],
    installations_count: 1,
  };
}

/** A new, empty repository with every `*_url` template and counter GitHub sends. */
export function buildRepository(addresses: Addresses, owner: GitHubUser, name: string, id: number, isPrivate: boolean): GitHubRepository {
  const { url, host, apiBase } = addresses;
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

/** An open issue without comments, labels or assignees. */
export function buildIssue(
  addresses: Addresses,
  repository: GitHubRepository,
  fields: { id: number; number: number; title: string; body: string; user: GitHubUser; association: AuthorAssociation },
): GitHubIssue {
  const { id, number } = fields;
  const api = `${addresses.apiBase}/repos/${repository.full_name}/issues/${number}`;
  const now = isoNow();
  return {
    url: api,
    repository_url: repository.url,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: `${repository.html_url}/issues/${number}`,
    id,
    node_id: legacyNodeId("Issue", id),
    number,
    title: fields.title,
    user: fields.user,
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
    author_association: fields.association,
    active_lock_reason: null,
    body: fields.body,
    reactions: emptyRollup(`${api}/reactions`),
    timeline_url: `${api}/timeline`,
    performed_via_github_app: null,
    state_reason: null,
  };
}

/** A comment on `issue`; `app` is the App that wrote it through the API, null for a person in the UI. */
export function buildComment(
  addresses: Addresses,
  repository: GitHubRepository,
  issue: GitHubIssue,
  fields: { id: number; body: string; user: GitHubUser; association: AuthorAssociation; app: GitHubApp | null },
): GitHubComment {
  const { id } = fields;
  const api = `${addresses.apiBase}/repos/${repository.full_name}/issues/comments/${id}`;
  const now = isoNow();
  return {
    url: api,
    html_url: `${issue.html_url}#issuecomment-${id}`,
    issue_url: issue.url,
    id,
    node_id: legacyNodeId("IssueComment", id),
    user: fields.user,
    created_at: now,
    updated_at: now,
    author_association: fields.association,
    body: fields.body,
    reactions: emptyRollup(`${api}/reactions`),
    performed_via_github_app: fields.app,
  };
}

function emptyRollup(reactionsUrl: string): ReactionRollup {
  return { url: reactionsUrl, total_count: 0, "+1": 0, "-1": 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 };
}
