import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract as tarExtract } from "tar-stream";
import type { InstallationReads } from "../github/installation.js";
import type { RepoRef } from "../github/refs.js";

/**
 * Reads a repository tarball (gzip-compressed tar, as GitHub's `tarball` endpoint serves
 * it) as a stream: only the files the caller accepts are kept in memory, every other
 * entry is drained as it passes, and reading stops as soon as a limit is reached.
 */

export interface ArchiveOptions {
  /** Called for each regular file in the archive (path relative to the repo root, size in bytes); only accepted files are kept. */
  readonly accept: (path: string, size: number) => boolean;
  /**
   * No accepted entry larger than this is kept. The size is the entry's tar header (what
   * the archive will actually stream), checked before a byte of it is buffered: the tree's
   * size, which `accept` may have been judged on, is only what GitHub's listing said.
   */
  readonly maxFileBytes: number;
  /** The size the tree listed for a path, when known: an entry whose header says otherwise is not kept either. */
  readonly expectedSize?: (path: string) => number | undefined;
  /** Stop keeping files after this many. */
  readonly maxFiles: number;
  /** Stop after this many bytes of kept file content. */
  readonly maxBytes: number;
  /** Abort the download after this many (compressed) bytes. */
  readonly maxDownloadBytes: number;
  readonly signal?: AbortSignal;
}

export interface ArchiveResult {
  readonly files: ReadonlyMap<string, Buffer>;
  /** False if any limit cut the archive short: files after that point were not seen. */
  readonly complete: boolean;
  /** Accepted entries not kept because their header size is over `maxFileBytes` or not the tree's: path → header size. */
  readonly oversized: ReadonlyMap<string, number>;
}

/** Thrown inside the pipeline to stop the download; never escapes `readTarGz`. */
class DownloadLimitReached extends Error {}

/**
 * GitHub's tarballs hold one top-level directory (`owner-repo-<sha7>/`); paths are made
 * relative to it. Entries outside it, and the directory itself, have no repository path.
 */
function repositoryPath(entryName: string): string | undefined {
  const slash = entryName.indexOf("/");
  if (slash === -1) return undefined;
  const path = entryName.slice(slash + 1);
  if (path === "" || path.split("/").some((segment) => segment === ".." || segment === ".")) return undefined;
  return path;
}

/**
 * Downloads the tarball of a commit and reads it (`readTarGz`). The download ends with the
 * reading: when a limit stops it early, the rest is not downloaded; when `options.signal`
 * aborts, neither goes on.
 */
export async function readArchive(api: Pick<InstallationReads, "archive">, repo: RepoRef, commit: string, options: ArchiveOptions): Promise<ArchiveResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const download = new AbortController();
  const onAbort = (): void => download.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await readTarGz(await api.archive(repo, commit, download.signal), options);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    download.abort(); // closes the connection when a limit ended reading early
  }
}

/**
 * `source` is the compressed body as it arrives (a fetch body is an async iterable of
 * chunks). Resolves with the kept files; rejects with the signal's reason when aborted,
 * or with the parse error of a corrupt archive.
 */
export async function readTarGz(source: AsyncIterable<Uint8Array>, options: ArchiveOptions): Promise<ArchiveResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const files = new Map<string, Buffer>();
  const oversized = new Map<string, number>();
  let keptBytes = 0;
  let complete = true;

  async function* metered(): AsyncGenerator<Uint8Array> {
    let downloaded = 0;
    for await (const chunk of source) {
      signal?.throwIfAborted();
      downloaded += chunk.byteLength;
      if (downloaded > options.maxDownloadBytes) throw new DownloadLimitReached();
      yield chunk;
    }
  }

  const input = Readable.from(metered());
  const gunzip = createGunzip();
  const extract = tarExtract();
  // pipe() does not forward errors: a failing download or corrupt gzip must end the extraction.
  input.on("error", (error: Error) => extract.destroy(error));
  gunzip.on("error", (error: Error) => extract.destroy(error));
  // The extraction is ended directly: a source stalled mid-read would delay an error sent down from the input.
  const onAbort = (): void => {
    extract.destroy(signal?.reason as Error);
    input.destroy(signal?.reason as Error);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  input.pipe(gunzip).pipe(extract);

  try {
    for await (const entry of extract) {
      const { header } = entry;
      const path = header.type === "file" || header.type === "contiguous-file" ? repositoryPath(header.name) : undefined;
      const size = header.size ?? 0;
      if (path === undefined || !options.accept(path, size)) {
        entry.resume(); // drained, not kept
        continue;
      }
      const expected = options.expectedSize?.(path);
      if (size > options.maxFileBytes || (expected !== undefined && size !== expected)) {
        oversized.set(path, size);
        entry.resume();
        continue;
      }
      if (files.size >= options.maxFiles || keptBytes + size > options.maxBytes) {
        complete = false;
        break;
      }
      // tar-stream ends an entry after its header's size; counted anyway, so that no parser
      // quirk can make one entry hold more than the limit.
      const chunks: Buffer[] = [];
      let held = 0;
      for await (const chunk of entry) {
        held += (chunk as Buffer).byteLength;
        if (held > size) break;
        chunks.push(chunk as Buffer);
      }
      if (held > size) {
        oversized.set(path, held);
        continue;
      }
      files.set(path, Buffer.concat(chunks));
      keptBytes += size;
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (!(error instanceof DownloadLimitReached)) throw error;
    complete = false;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Stops the download when we leave early: destroying the input closes the source.
    input.destroy();
    gunzip.destroy();
    extract.destroy();
  }
  return { files, complete, oversized };
}
