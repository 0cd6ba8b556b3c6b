/** Team membership, which a team-based access rule asks about. */
import { notFound, requiresAuthentication } from "../http.js";
import type { Router } from "../router.js";
import type { Schemas } from "../schemas.js";
import type { GitHubStore } from "../store.js";

const DOCS_MEMBERSHIP = "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user";

export function teamRoutes(router: Router, store: GitHubStore): void {
  router.route("GET", "/orgs/:org/teams/:team_slug/memberships/:username", (ctx, params) => {
    if (!ctx.auth) return requiresAuthentication(DOCS_MEMBERSHIP);
    const username = params["username"] ?? "";
    const found = store.teamMembership(params["org"] ?? "", params["team_slug"] ?? "", username);
    if (!found) return notFound(DOCS_MEMBERSHIP);
    const body: Schemas["team-membership"] = {
      url: `${store.addresses.apiBase}/organizations/1/team/${found.teamId}/memberships/${username}`,
      role: found.membership.role,
      state: found.membership.state,
    };
    return { status: 200, body };
  });
}
