import type { ProbotOctokit } from "probot";
import { z } from "zod";
import { GitHubError, toGitHubError } from "./errors.js";
import type { RepoRef } from "./refs.js";
import { bodyStream, call, readAtMost } from "./request.js";

/**
 * A repository's code as GitHub serves it: the repository, a ref's commit, the commit's
 * tree, a blob, and the tarball of a commit (as a stream; `src/repository/archive.ts`
 * reads it).
 */

export interface RepoInfo {
  readonly defaultBranch: string;
  readonly htmlUrl: string;
}

export interface TreeEntry {
  readonly path: string;
  /** "commit" is a submodule. */
  readonly type: "blob" | "tree" | "commit";
  /** Git's file mode: "100644", "100755", "120000" (symlink), "040000", "160000". */
  readonly mode: string;
  readonly sha: string;
  /** Blobs only. */
  readonly size?: number;
}

export interface RepoTree {
  /** The root tree's sha (not the commit's). */
  readonly sha: string;
  readonly entries: readonly TreeEntry[];
  /** GitHub cut the listing short (over 100,000 entries or 7 MB): some paths are missing. */
  readonly truncated: boolean;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** https://docs.github.com/rest/git/blobs#get-a-blob */
const blobSchema = z.object({
  content: z.string(),
  encoding: z.enum(["base64", "utf-8"]),
  size: z.number().int().nonnegative().nullable(),
});

/** Base64 text for `bytes` bytes with GitHub's line breaks (escaped as `\n` in JSON), plus the other fields. */
function blobResponseLimit(bytes: number): number {
  const base64 = 4 * Math.ceil(bytes / 3);
  return base64 + 2 * Math.ceil(base64 / 60) + 16 * 1024;
}

/** https://docs.github.com/rest/repos/repos#get-a-repository */
export async function repository(octokit: ProbotOctokit, repo: RepoRef): Promise<RepoInfo> {
  const { data } = await call(`Reading ${repo.owner}/${repo.repo}`, () => octokit.rest.repos.get({ owner: repo.owner, repo: repo.repo }));
  return { defaultBranch: data.default_branch, htmlUrl: data.html_url };
}

/**
 * The `application/vnd.github.sha` media type answers with just the 40-hex sha instead
 * of the commit with its diff, which can be large.
 * https://docs.github.com/rest/commits/commits#get-a-commit
 */
export async function commitSha(octokit: ProbotOctokit, repo: RepoRef, ref: string): Promise<string> {
  const what = `Resolving ${ref} in ${repo.owner}/${repo.repo}`;
  const { data } = await call(what, () => octokit.rest.repos.getCommit({ owner: repo.owner, repo: repo.repo, ref, mediaType: { format: "sha" } }));
  // Octokit decodes the body by its content type: text, bytes, or (unexpectedly) JSON.
  const raw: unknown = data;
  const text =
    typeof raw === "string"
      ? raw
      : raw instanceof ArrayBuffer
        ? Buffer.from(raw).toString("utf8")
        : typeof raw === "object" && raw !== null && "sha" in raw
          ? String(raw.sha)
          : "";
  const sha = text.trim();
  if (!SHA.test(sha)) throw new GitHubError(`${what} failed: the answer was not a commit sha`, { kind: "permanent" });
  return sha;
}

/** https://docs.github.com/rest/git/trees#get-a-tree */
export async function tree(octokit: ProbotOctokit, repo: RepoRef, commit: string): Promise<RepoTree> {
  const { data } = await call(`Reading the tree of ${repo.owner}/${repo.repo}@${commit}`, () =>
    octokit.rest.git.getTree({ owner: repo.owner, repo: repo.repo, tree_sha: commit, recursive: "1" }),
  );
  const entries: TreeEntry[] = [];
  for (const entry of data.tree) {
    if (entry.type !== "blob" && entry.type !== "tree" && entry.type !== "commit") continue;
    entries.push({
      path: entry.path,
      type: entry.type,
      mode: entry.mode,
      sha: entry.sha,
      ...(entry.size === undefined ? {} : { size: entry.size }),
    });
  }
  return { sha: data.sha, entries, truncated: data.truncated };
}

/**
 * The JSON answer carries the blob base64-encoded; reading stops once the body is longer
 * than a blob of `maxBytes` can be, so an oversized blob is never downloaded whole.
 * https://docs.github.com/rest/git/blobs#get-a-blob
 */
export async function blob(octokit: ProbotOctokit, repo: RepoRef, blobSha: string, maxBytes: number): Promise<Buffer> {
  const what = `Reading blob ${blobSha} of ${repo.owner}/${repo.repo}`;
  const tooLarge = (size?: number): GitHubError =>
    new GitHubError(`${what}: the blob is ${size === undefined ? "larger than" : `${size} bytes, over`} the limit of ${maxBytes} bytes`, {
      kind: "permanent",
    });
  const controller = new AbortController();
  try {
    const response = await call(what, () =>
      octokit.rest.git.getBlob({
        owner: repo.owner,
        repo: repo.repo,
        file_sha: blobSha,
        request: { parseSuccessResponseBody: false, signal: controller.signal },
      }),
    );
    const body = await call(what, () => readAtMost(bodyStream(response.data, what), blobResponseLimit(maxBytes)));
    if (!body) throw tooLarge();
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch (error) {
      throw new GitHubError(`${what} failed: the answer was not JSON`, { kind: "transient", cause: error });
    }
    const parsed = blobSchema.safeParse(json);
    if (!parsed.success) throw new GitHubError(`${what} failed: unexpected answer (${parsed.error.issues[0]?.message ?? "invalid"})`, { kind: "permanent" });
    const { content, encoding, size } = parsed.data;
    if (size !== null && size > maxBytes) throw tooLarge(size);
    const bytes = Buffer.from(content, encoding === "base64" ? "base64" : "utf8");
    if (bytes.byteLength > maxBytes) throw tooLarge(bytes.byteLength);
    return bytes;
  } finally {
    controller.abort(); // closes the connection if the body was left unread
  }
}

/**
 * The gzip-compressed tarball of a commit, as it arrives: GitHub answers `tarball/{ref}`
 * with a 302 to codeload, which fetch follows. The download runs until the body has been
 * read to its end, or `signal` aborts (the reader aborts it when it stops early); a
 * failure while streaming is a `GitHubError`, or the signal's reason once it has aborted.
 * https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar
 */
export async function tarball(octokit: ProbotOctokit, repo: RepoRef, commit: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
  const what = `Downloading the archive of ${repo.owner}/${repo.repo}@${commit}`;
  signal.throwIfAborted();
  const response = await call(what, () =>
    octokit.rest.repos.downloadTarballArchive({
      owner: repo.owner,
      repo: repo.repo,
      ref: commit,
      request: { parseSuccessResponseBody: false, signal },
    }),
  ).catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error;
  });
  const body = bodyStream(response.data, what);
  return (async function* streamed(): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      yield* body;
    } catch (error) {
      throw signal.aborted ? signal.reason : toGitHubError(error, what);
    }
  })();
}
