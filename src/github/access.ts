import type { ProbotOctokit } from "probot";
import { isGitHubError } from "./errors.js";
import type { RepoRef } from "./refs.js";
import { call } from "./request.js";

/** Who someone is to a repository: their role in it, and the teams they belong to. */

export type RepoPermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

const ROLES: readonly string[] = ["admin", "maintain", "write", "triage", "read", "none"] satisfies readonly RepoPermission[];

/**
 * The repository role of a user. `permission` is the legacy level (maintain reads as
 * "write", triage as "read"); `role_name` carries the precise role.
 * https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user
 */
export async function permission(octokit: ProbotOctokit, repo: RepoRef, login: string): Promise<RepoPermission> {
  const { data } = await call(`Reading ${login}'s permission on ${repo.owner}/${repo.repo}`, () =>
    octokit.rest.repos.getCollaboratorPermissionLevel({ owner: repo.owner, repo: repo.repo, username: login }),
  );
  const role = (data as { role_name?: string }).role_name;
  if (role && ROLES.includes(role)) return role as RepoPermission;
  return ROLES.includes(data.permission) ? (data.permission as RepoPermission) : "none";
}

/**
 * Whether `login` is an active member of the team (a pending invitation is not).
 * https://docs.github.com/rest/teams/members#get-team-membership-for-a-user
 */
export async function teamMember(octokit: ProbotOctokit, org: string, teamSlug: string, login: string): Promise<boolean> {
  try {
    const { data } = await call(`Reading ${login}'s membership of ${org}/${teamSlug}`, () =>
      octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: teamSlug, username: login }),
    );
    return data.state === "active";
  } catch (error) {
    // GitHub answers 404 both for a non-member and for a team the App cannot see.
    if (isGitHubError(error, "not-found")) return false;
    throw error;
  }
}
