/** A repository and a user's permission on it. */
import type { Router } from "../router.js";
import type { Schemas } from "../schemas.js";
import type { GitHubStore, RepoPermission } from "../store.js";
import { clone } from "../wire-format.js";
import { repoAccess } from "./repo-access.js";

const DOCS = {
  getRepo: "https://docs.github.com/rest/repos/repos#get-a-repository",
  permission: "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user",
} as const;

/**
 * GitHub's permission endpoint reports the legacy base role in `permission` (maintain → write,
 * triage → read) and the actual role in `role_name`.
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

export function repoRoutes(router: Router, store: GitHubStore): void {
  // The full repository object: the one of webhook payloads and listings, plus its watcher and network counts.
  router.route("GET", "/repos/:owner/:repo", (ctx, params) => {
    const repo = repoAccess(store, ctx, params, DOCS.getRepo);
    if ("status" in repo) return repo;
    const body: Schemas["full-repository"] = { ...clone(repo.repository), subscribers_count: 0, network_count: 0 };
    return { status: 200, body };
  });

  router.route("GET", "/repos/:owner/:repo/collaborators/:username/permission", (ctx, params) => {
    const repo = repoAccess(store, ctx, params, DOCS.permission);
    if ("status" in repo) return repo;
    const login = params["username"] ?? "";
    const level = store.permissionOf(repo, login);
    const view = PERMISSION_VIEW[level];
    const rank = PERMISSION_RANK[level];
    const user = {
      ...clone(store.userFor(login)),
      permissions: {
        admin: rank >= PERMISSION_RANK.admin,
        maintain: rank >= PERMISSION_RANK.maintain,
        push: rank >= PERMISSION_RANK.write,
        triage: rank >= PERMISSION_RANK.triage,
        pull: rank >= PERMISSION_RANK.read,
      },
      role_name: view.role_name,
    };
    const body: Schemas["repository-collaborator-permission"] = { permission: view.permission, role_name: view.role_name, user };
    return { status: 200, body };
  });
}
