/** Who may see a repository through the REST API. */
import { notFound, requiresAuthentication, type Params, type Reply, type RequestContext } from "../http.js";
import type { GitHubStore, RepoState } from "../store.js";

/**
 * The repository a `/repos/:owner/:repo/…` route is about, or the answer instead of it: writes
 * need credentials, and a private repository is invisible (404, not 403) without them.
 */
export function repoAccess(store: GitHubStore, ctx: RequestContext, params: Params, docs: string): Reply | RepoState {
  const repo = store.findRepo(params["owner"] ?? "", params["repo"] ?? "");
  if (ctx.method !== "GET" && !ctx.auth) return requiresAuthentication(docs);
  if (!repo || (repo.repository.private && !ctx.auth)) return notFound(docs);
  return repo;
}
