/** Commits, git trees and blobs of a seeded repository. */
import { Readable } from "node:stream";
import { resolveRef, SEED_AUTHOR } from "../git-commits.js";
import { base64Lines, fileChunks, type GitTreeEntry } from "../git-objects.js";
import { errorReply, notFound, wantsMediaType, type Reply } from "../http.js";
import type { Router } from "../router.js";
import type { Schemas } from "../schemas.js";
import type { GitHubStore, RepoState } from "../store.js";
import { isoTime } from "../wire-format.js";
import { repoAccess } from "./repo-access.js";

const DOCS = {
  getCommit: "https://docs.github.com/rest/commits/commits#get-a-commit",
  getTree: "https://docs.github.com/rest/git/trees#get-a-tree",
  getBlob: "https://docs.github.com/rest/git/blobs#get-a-blob",
} as const;

/** The git data API serves blobs up to 100 MB. */
const MAX_API_BLOB_BYTES = 100 * 1024 * 1024;

/** GitHub answers 409 "Git Repository is empty." for reads of a repository without commits. */
function emptyRepository(docs: string): Reply {
  return errorReply(409, "Git Repository is empty.", docs);
}

function treeEntryJson(repo: RepoState, entry: GitTreeEntry): Schemas["git-tree"]["tree"][number] {
  const kind = entry.type === "blob" ? "blobs" : "trees";
  return {
    path: entry.path,
    mode: entry.mode,
    type: entry.type,
    sha: entry.sha,
    ...(entry.size === undefined ? {} : { size: entry.size }),
    url: `${repo.repository.url}/git/${kind}/${entry.sha}`,
  };
}

export function gitRoutes(router: Router, store: GitHubStore): void {
  router.route("GET", "/repos/:owner/:repo/commits/*ref", (ctx, params) => {
    const repo = repoAccess(store, ctx, params, DOCS.getCommit);
    if ("status" in repo) return repo;
    if (!repo.git) return emptyRepository(DOCS.getCommit);
    const ref = params["ref"] ?? "";
    const commit = resolveRef(repo.git, repo.repository.default_branch, ref);
    if (!commit) return errorReply(422, `No commit found for SHA: ${ref}`, DOCS.getCommit);
    // `application/vnd.github.sha`: the bare sha, no JSON and no newline.
    if (wantsMediaType(ctx, "sha")) {
      return { status: 200, raw: Buffer.from(commit.sha), headers: { "content-type": "application/vnd.github.sha; charset=utf-8" } };
    }
    const { url: repoUrl, html_url: repoHtml } = repo.repository;
    const api = `${repoUrl}/commits/${commit.sha}`;
    const person = { ...SEED_AUTHOR, date: isoTime(commit.time * 1000) };
    const body: Schemas["commit"] = {
      sha: commit.sha,
      node_id: Buffer.from(`Commit:${commit.sha}`).toString("base64"),
      commit: {
        author: person,
        committer: person,
        message: commit.message,
        tree: { sha: commit.treeSha, url: `${repoUrl}/git/trees/${commit.treeSha}` },
        url: `${repoUrl}/git/commits/${commit.sha}`,
        comment_count: 0,
        verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
      },
      url: api,
      html_url: `${repoHtml}/commit/${commit.sha}`,
      comments_url: `${api}/comments`,
      author: null,
      committer: null,
      parents: commit.parents.map((sha) => ({ sha, url: `${repoUrl}/commits/${sha}`, html_url: `${repoHtml}/commit/${sha}` })),
      stats: { total: 0, additions: 0, deletions: 0 },
      files: [],
    };
    return { status: 200, body };
  });

  // A tree sha, a commit sha or a branch name.
  router.route("GET", "/repos/:owner/:repo/git/trees/*tree_sha", (ctx, params) => {
    const repo = repoAccess(store, ctx, params, DOCS.getTree);
    if ("status" in repo) return repo;
    if (!repo.git) return emptyRepository(DOCS.getTree);
    const ref = params["tree_sha"] ?? "";
    const byTree = repo.git.trees.get(ref);
    const commit = byTree?.commit ?? resolveRef(repo.git, repo.repository.default_branch, ref);
    if (!commit) return notFound(DOCS.getTree);
    const dir = byTree?.dir ?? "";
    const treeSha = byTree ? ref : commit.treeSha;
    const recursive = ctx.query["recursive"] !== undefined;
    let entries: GitTreeEntry[];
    if (recursive) {
      const prefix = dir === "" ? "" : `${dir}/`;
      entries = commit.tree.listing.filter((entry) => entry.path.startsWith(prefix)).map((entry) => ({ ...entry, path: entry.path.slice(prefix.length) }));
    } else {
      entries = commit.tree.children.get(dir) ?? [];
    }
    const limit = recursive ? commit.treeEntryLimit : undefined;
    const truncated = limit !== undefined && entries.length > limit;
    if (truncated) entries = entries.slice(0, limit);
    const body: Schemas["git-tree"] = {
      sha: treeSha,
      url: `${repo.repository.url}/git/trees/${treeSha}`,
      tree: entries.map((entry) => treeEntryJson(repo, entry)),
      truncated,
    };
    return { status: 200, body };
  });

  router.route("GET", "/repos/:owner/:repo/git/blobs/:file_sha", (ctx, params) => {
    const repo = repoAccess(store, ctx, params, DOCS.getBlob);
    if ("status" in repo) return repo;
    const file = repo.git?.blobs.get((params["file_sha"] ?? "").toLowerCase());
    if (!file) return notFound(DOCS.getBlob);
    if (file.size > MAX_API_BLOB_BYTES) {
      return errorReply(403, "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API.", DOCS.getBlob, [
        { resource: "Blob", field: "data", code: "too_large" },
      ]);
    }
    const head = { sha: file.sha, node_id: Buffer.from(`Blob:${file.sha}`).toString("base64"), size: file.size, url: `${repo.repository.url}/git/blobs/${file.sha}` };
    if (file.content) {
      const body: Schemas["blob"] = { ...head, content: base64Lines(file.content), encoding: "base64" };
      return { status: 200, body };
    }
    // A huge file's JSON is streamed: its bytes are generated as the base64 goes out.
    const prefix = JSON.stringify(head).slice(0, -1);
    const generate = function* (): Generator<Buffer> {
      yield Buffer.from(`${prefix},"content":"`);
      for (const chunk of fileChunks(file)) yield Buffer.from(JSON.stringify(base64Lines(chunk)).slice(1, -1));
      yield Buffer.from('","encoding":"base64"}');
    };
    return { status: 200, headers: { "content-type": "application/json; charset=utf-8" }, raw: () => Readable.from(generate()) };
  });
}
