/** Repository contents and archives: `contents/{path}`, `tarball/{ref}` and the codeload host it redirects to. */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { branchName, resolveRef, type GitCommit } from "../git-commits.js";
import { base64Lines, fileChunks, type GitTreeEntry } from "../git-objects.js";
import { errorReply, notFound, wantsMediaType, type Params, type Reply, type RequestContext } from "../http.js";
import type { Router } from "../router.js";
import type { Schemas } from "../schemas.js";
import type { GitHubStore, RepoState } from "../store.js";
import { gzippedArchive } from "../tarball.js";
import { repoAccess } from "./repo-access.js";

const DOCS = {
  getContent: "https://docs.github.com/rest/repos/contents#get-repository-content",
  tarball: "https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar",
} as const;

/** https://docs.github.com/rest/repos/contents#get-repository-content: files over 1 MB come without content. */
const MAX_CONTENTS_JSON_BYTES = 1024 * 1024;

const PLAIN_TEXT = { "content-type": "text/plain; charset=utf-8" } as const;

type ContentEntry = Schemas["content-directory"][number];

function contentEntry(store: GitHubStore, repo: RepoState, commit: GitCommit, ref: string, entry: GitTreeEntry, path: string): ContentEntry {
  const { url: repoUrl, html_url: repoHtml, full_name: fullName } = repo.repository;
  const self = `${repoUrl}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = `${repoUrl}/git/${entry.type === "blob" ? "blobs" : "trees"}/${entry.sha}`;
  const html = `${repoHtml}/${entry.type === "blob" ? "blob" : "tree"}/${ref}/${path}`;
  return {
    name: path.slice(path.lastIndexOf("/") + 1),
    path,
    sha: entry.sha,
    size: entry.size ?? 0,
    url: self,
    html_url: html,
    git_url: git,
    download_url: entry.type === "blob" ? `${store.addresses.url}/raw/${fullName}/${commit.sha}/${path}` : null,
    type: entry.type === "blob" ? "file" : "dir",
    _links: { self, git, html },
  };
}

export function contentRoutes(router: Router, store: GitHubStore): void {
  // Probot's `context.config()` reads `.github/<name>.yml` here with the raw media type (and on
  // a 404 the same path in the owner's `.github` repository).
  const getContent = (ctx: RequestContext, params: Params): Reply => {
    const repo = repoAccess(store, ctx, params, DOCS.getContent);
    if ("status" in repo) return repo;
    if (!repo.git) return errorReply(404, "This repository is empty.", DOCS.getContent);
    const ref = ctx.query["ref"] ?? repo.repository.default_branch;
    const commit = resolveRef(repo.git, repo.repository.default_branch, ref);
    if (!commit) return errorReply(404, `No commit found for the ref ${ref}`, DOCS.getContent);
    const path = (params["path"] ?? "").replace(/^\/+|\/+$/g, "");
    const file = commit.files.get(path);
    if (file) {
      if (wantsMediaType(ctx, "raw")) {
        if (!file.content) return { status: 200, headers: PLAIN_TEXT, raw: () => Readable.from(fileChunks(file)) };
        return { status: 200, raw: file.content, headers: PLAIN_TEXT };
      }
      const entry: GitTreeEntry = { path, type: "blob", mode: "100644", sha: file.sha, size: file.size };
      const small = file.content !== undefined && file.size <= MAX_CONTENTS_JSON_BYTES;
      const body: Schemas["content-file"] = {
        ...contentEntry(store, repo, commit, ref, entry, path),
        type: "file",
        content: small && file.content ? base64Lines(file.content) : "",
        encoding: small ? "base64" : "none",
      };
      return { status: 200, body };
    }
    const children = commit.tree.children.get(path);
    if (!children) return notFound(DOCS.getContent);
    // A directory is listed as JSON whatever the media type.
    const body: Schemas["content-directory"] = children.map((entry) => contentEntry(store, repo, commit, ref, entry, path === "" ? entry.path : `${path}/${entry.path}`));
    return { status: 200, body };
  };
  router.route("GET", "/repos/:owner/:repo/contents", getContent);
  router.route("GET", "/repos/:owner/:repo/contents/*path", getContent);

  // A 302 to codeload. GHES serves codeload at `/_codeload/` on its own host; so does the fake.
  const tarball = (ctx: RequestContext, params: Params): Reply => {
    const repo = repoAccess(store, ctx, params, DOCS.tarball);
    if ("status" in repo) return repo;
    const ref = params["ref"] ?? repo.repository.default_branch;
    const commit = resolveRef(repo.git, repo.repository.default_branch, ref);
    if (!commit) return notFound(DOCS.tarball);
    const codeloadRef = commit.sha.startsWith(ref.toLowerCase()) && /^[0-9a-f]+$/i.test(ref) ? commit.sha : `refs/heads/${branchName(ref)}`;
    // Codeload is another origin, so clients drop the Authorization header on the redirect; a token in the URL authorizes it.
    const token = ctx.auth ? `?token=${randomBytes(12).toString("hex").toUpperCase()}` : "";
    return { status: 302, headers: { location: `${store.addresses.url}/_codeload/${repo.repository.full_name}/legacy.tar.gz/${codeloadRef}${token}` } };
  };
  router.route("GET", "/repos/:owner/:repo/tarball", tarball);
  router.route("GET", "/repos/:owner/:repo/tarball/*ref", tarball);
}

/** `GET /_codeload/{owner}/{repo}/legacy.tar.gz/{ref}`: the archive itself, streamed and gzip-compressed. */
export function codeload(store: GitHubStore, path: string, query: Record<string, string>): Reply {
  const notThere: Reply = { status: 404, headers: PLAIN_TEXT, raw: Buffer.from("404: Not Found") };
  const match = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/(.+)$/.exec(path);
  const repo = match ? store.findRepo(decodeURIComponent(match[1] ?? ""), decodeURIComponent(match[2] ?? "")) : undefined;
  if (!match || !repo || (repo.repository.private && query["token"] === undefined)) return notThere;
  const commit = resolveRef(repo.git, repo.repository.default_branch, decodeURIComponent(match[3] ?? ""));
  if (!commit) return notThere;
  const topDir = `${repo.repository.owner.login}-${repo.repository.name}-${commit.sha.slice(0, 7)}`;
  return {
    status: 200,
    headers: { "content-type": "application/x-gzip", "content-disposition": `attachment; filename=${topDir}.tar.gz` },
    raw: () => gzippedArchive(topDir, commit.sha, commit.time, commit.tree.listing, commit.files),
  };
}
