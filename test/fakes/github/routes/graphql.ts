/**
 * GitHub's GraphQL endpoint, for the one query shape devbuddy sends: `nodes(ids: $ids)` with
 * `id` and `... on Minimizable { isMinimized }` (minimizedReason too). Unknown ids come back as
 * null with an error, as GitHub answers. Anything else is refused.
 * https://docs.github.com/graphql/reference/queries#nodes
 *
 * No published machine-readable types cover GraphQL responses in this project's dependencies,
 * so the shapes below are written from the reference.
 */
import { errorReply, type Reply, type RequestContext } from "../http.js";
import type { GitHubStore } from "../store.js";

const DOCS_AUTH = "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql";

/** GitHub refuses a `nodes` query for more ids than this (EXCESSIVE_PAGINATION). */
const MAX_NODE_IDS = 100;

/** https://spec.graphql.org/October2021/#sec-Errors (GitHub adds `type`) */
interface GraphQLError {
  type?: string;
  path?: Array<string | number>;
  message: string;
}

/** A node of the query's selection: its `id`, and `isMinimized`/`minimizedReason` when selected. */
interface MinimizableNode {
  id: string;
  isMinimized?: boolean;
  minimizedReason?: string | null;
}

interface GraphQLResponse {
  data?: { nodes: Array<MinimizableNode | null> };
  errors?: GraphQLError[];
}

function answer(body: GraphQLResponse): Reply {
  return { status: 200, body };
}

export function graphql(store: GitHubStore, ctx: RequestContext): Reply {
  if (ctx.auth?.scheme !== "token" && ctx.auth?.scheme !== "bearer") return errorReply(401, "This endpoint requires you to be authenticated.", DOCS_AUTH);
  const input = (typeof ctx.body === "object" && ctx.body !== null ? ctx.body : {}) as { query?: unknown; variables?: { ids?: unknown } };
  const query = typeof input.query === "string" ? input.query : "";
  const ids = input.variables?.ids;
  if (!/\bnodes\s*\(\s*ids\s*:\s*\$ids\s*\)/.test(query) || !Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
    return answer({ errors: [{ message: "The fake GitHub answers only nodes(ids: $ids) queries with an ids variable." }] });
  }
  if (ids.length > MAX_NODE_IDS) {
    return answer({ errors: [{ type: "EXCESSIVE_PAGINATION", message: `You may not request more than ${MAX_NODE_IDS} node IDs; you requested ${ids.length}.` }] });
  }
  const byNodeId = store.liveCommentsByNodeId();
  const errors: GraphQLError[] = [];
  const nodes = (ids as string[]).map((id, i): MinimizableNode | null => {
    const state = byNodeId.get(id);
    if (!state) {
      errors.push({ type: "NOT_FOUND", path: ["nodes", i], message: `Could not resolve to a node with the global id of '${id}'` });
      return null;
    }
    const node: MinimizableNode = { id };
    if (/\bisMinimized\b/.test(query)) node.isMinimized = state.minimized !== undefined;
    if (/\bminimizedReason\b/.test(query)) node.minimizedReason = state.minimized ?? null;
    return node;
  });
  return answer({ data: { nodes }, ...(errors.length > 0 ? { errors } : {}) });
}
