/**
 * Repository archives as `git archive` (and so GitHub's codeload) writes them, generated lazily:
 * nothing beyond the current chunk is held.
 */
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { buildTree, fileChunks, gitFile, type GitFile, type GitTreeEntry } from "./git-objects.js";

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** One ustar header block. https://www.gnu.org/software/tar/manual/html_node/Standard.html */
function tarHeader(fields: { name: string; prefix?: string; mode: number; size: number; mtime: number; typeflag: string }): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, "utf8");
  block.write(octal(fields.mode, 8), 100);
  block.write(octal(0, 8), 108); // uid: git archive writes root
  block.write(octal(0, 8), 116); // gid
  block.write(octal(fields.size, 12), 124);
  block.write(octal(fields.mtime, 12), 136);
  block.write("        ", 148); // the checksum is computed with its own field as spaces
  block.write(fields.typeflag, 156);
  block.write("ustar\0", 257);
  block.write("00", 263);
  block.write("root", 265);
  block.write("root", 297);
  block.write(fields.prefix ?? "", 345, 155, "utf8");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${octal(sum, 7)} `, 148);
  return block;
}

/** A pax record, `<length> <key>=<value>\n`, whose length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  while (Buffer.byteLength(body) + String(length).length !== length) length = Buffer.byteLength(body) + String(length).length;
  return `${length}${body}`;
}

function padding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

/** Header blocks for `name`: ustar's prefix/name split when it fits, else a pax `path` record first. */
function* entryHeader(name: string, fields: { mode: number; size: number; mtime: number; typeflag: string }): Generator<Buffer> {
  if (Buffer.byteLength(name) <= 100) {
    yield tarHeader({ ...fields, name });
    return;
  }
  for (let slash = name.indexOf("/"); slash !== -1; slash = name.indexOf("/", slash + 1)) {
    const prefix = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== "") {
      yield tarHeader({ ...fields, name: rest, prefix });
      return;
    }
  }
  const pax = Buffer.from(paxRecord("path", name));
  yield tarHeader({ name: "PaxHeader", mode: 0o644, size: pax.byteLength, mtime: fields.mtime, typeflag: "x" });
  yield pax;
  yield padding(pax.byteLength);
  yield tarHeader({ ...fields, name: name.slice(0, 100) });
}

/**
 * The archive's tar stream: a pax global header carrying the commit id, then one top-level
 * directory holding the tree, directories before their contents, padded to tar's 10,240-byte
 * records.
 */
function* tarEntries(
  topDir: string,
  commitSha: string,
  mtime: number,
  listing: readonly GitTreeEntry[],
  files: ReadonlyMap<string, GitFile>,
): Generator<Buffer> {
  let written = 0;
  const emit = function* (chunks: Iterable<Buffer>): Generator<Buffer> {
    for (const chunk of chunks) {
      written += chunk.byteLength;
      yield chunk;
    }
  };
  const comment = Buffer.from(paxRecord("comment", commitSha));
  yield* emit([tarHeader({ name: "pax_global_header", mode: 0o666, size: comment.byteLength, mtime, typeflag: "g" }), comment, padding(comment.byteLength)]);
  yield* emit(entryHeader(`${topDir}/`, { mode: 0o775, size: 0, mtime, typeflag: "5" }));
  for (const entry of listing) {
    if (entry.type === "tree") {
      yield* emit(entryHeader(`${topDir}/${entry.path}/`, { mode: 0o775, size: 0, mtime, typeflag: "5" }));
      continue;
    }
    const file = files.get(entry.path) as GitFile;
    yield* emit(entryHeader(`${topDir}/${entry.path}`, { mode: 0o664, size: file.size, mtime, typeflag: "0" }));
    yield* emit(fileChunks(file));
    yield* emit([padding(file.size)]);
  }
  yield* emit([Buffer.alloc(1024)]);
  yield* emit([Buffer.alloc((10240 - (written % 10240)) % 10240)]);
}

/** The gzip-compressed archive codeload serves (see `tarEntries`). */
export function gzippedArchive(topDir: string, commitSha: string, mtime: number, listing: readonly GitTreeEntry[], files: ReadonlyMap<string, GitFile>): Readable {
  return Readable.from(tarEntries(topDir, commitSha, mtime, listing, files)).pipe(createGzip());
}

/** A gzip-compressed archive of these files, as GitHub serves a commit holding exactly them. */
export function repositoryTarball(topDir: string, commitSha: string, mtime: number, files: readonly { path: string; content: Buffer }[]): Readable {
  const gitFiles = files.map((file) => gitFile(file.path, file.content));
  const tree = buildTree(gitFiles);
  return gzippedArchive(topDir, commitSha, mtime, tree.listing, new Map(gitFiles.map((file) => [file.path, file])));
}
