/** The GraphQL endpoint, for the `nodes(ids:)` query devbuddy sends to learn which comments are hidden. */
import { describe, expect, it } from "vitest";
import { gh, seedIssue, TOKEN, withFakeGitHub } from "./harness.js";

withFakeGitHub();

const QUERY = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Minimizable { isMinimized minimizedReason } } }";

/** POSTs to GHES's GraphQL endpoint (`/api/graphql`, beside `/api/v3`). */
async function graphql(body: string | object, auth: string | null = `token ${TOKEN}`): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth !== null) headers["authorization"] = auth;
  const res = await fetch(`${gh.url}/api/graphql`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

describe("fake GitHub: GraphQL", () => {
  it("answers nodes(ids:) with each comment's minimized state, and null with an error for an unknown or deleted id", async () => {
    seedIssue();
    const shown = gh.addComment({ owner: "acme", repo: "widgets", number: 1, body: "fine", user: "bob" });
    const hidden = gh.addComment({ owner: "acme", repo: "widgets", number: 1, body: "old", user: "bob" });
    const gone = gh.addComment({ owner: "acme", repo: "widgets", number: 1, body: "bye", user: "bob" });
    gh.minimizeComment(hidden.id, "OUTDATED");
    gh.deleteComment(gone.id);

    const res = await graphql({ query: QUERY, variables: { ids: [shown.node_id, hidden.node_id, gone.node_id] } });
    expect(res).toEqual({
      status: 200,
      json: {
        data: {
          nodes: [
            { id: shown.node_id, isMinimized: false, minimizedReason: null },
            { id: hidden.node_id, isMinimized: true, minimizedReason: "OUTDATED" },
            null,
          ],
        },
        errors: [{ type: "NOT_FOUND", path: ["nodes", 2], message: `Could not resolve to a node with the global id of '${gone.node_id}'` }],
      },
    });
    // Only the fields the query selects.
    const bare = await graphql({ query: "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", variables: { ids: [hidden.node_id] } });
    expect(bare.json).toEqual({ data: { nodes: [{ id: hidden.node_id }] } });
  });

  it("refuses more than 100 ids, other queries, unauthenticated calls and invalid JSON as GitHub does", async () => {
    const many = await graphql({ query: QUERY, variables: { ids: Array.from({ length: 101 }, (_, i) => `id${i}`) } });
    expect(many).toEqual({
      status: 200,
      json: { errors: [{ type: "EXCESSIVE_PAGINATION", message: "You may not request more than 100 node IDs; you requested 101." }] },
    });
    const other = await graphql({ query: "{ viewer { login } }" });
    expect(other.status).toBe(200);
    expect(other.json.errors).toHaveLength(1);
    expect(other.json.data).toBeUndefined();
    expect(await graphql({ query: QUERY, variables: { ids: [] } }, null)).toMatchObject({ status: 401, json: { message: "This endpoint requires you to be authenticated." } });
    expect(await graphql("{")).toMatchObject({ status: 400, json: { message: "Problems parsing JSON" } });
  });

  it("counts a query as a read and a mutation as a write", async () => {
    await graphql({ query: QUERY, variables: { ids: [] } });
    expect(gh.writes()).toEqual([]);
    await graphql({ query: 'mutation { minimizeComment(input: { subjectId: "x", classifier: SPAM }) { clientMutationId } }' });
    expect(gh.writes().map((r) => [r.method, r.path])).toEqual([["POST", "/api/graphql"]]);
  });
});
