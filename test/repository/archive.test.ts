import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { pack as tarPack } from "tar-stream";
import { describe, expect, it } from "vitest";
import { readTarGz, type ArchiveOptions } from "../../src/repository/archive.js";
import { repositoryTarball } from "../fakes/fake-github.js";

const TOP = "acme-widgets-1a2b3c4";
const SHA = "1a2b3c4d5e6f70819203a4b5c6d7e8f901234567";

const unlimited: ArchiveOptions = { accept: () => true, maxFiles: 1000, maxBytes: 1e9, maxFileBytes: 1e9, maxDownloadBytes: 1e9 };

/** A GitHub-shaped tarball (pax global header, top directory, directory entries) as a byte source. */
function tarball(files: Record<string, string | Buffer>): Readable {
  const list = Object.entries(files).map(([path, content]) => ({ path, content: typeof content === "string" ? Buffer.from(content) : content }));
  return repositoryTarball(TOP, SHA, 1_700_000_000, list);
}

/** Wraps a source to see how much of it was read, and whether it was closed. */
function observed(source: AsyncIterable<Uint8Array>): { source: AsyncIterable<Uint8Array>; readonly pulled: number; readonly closed: boolean } {
  let pulled = 0;
  let closed = false;
  async function* wrap(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of source) {
        pulled += chunk.byteLength;
        yield chunk;
      }
    } finally {
      closed = true;
    }
  }
  return {
    source: wrap(),
    get pulled() {
      return pulled;
    },
    get closed() {
      return closed;
    },
  };
}

/** Small chunks, so limits are checked at a fine grain as on a slow network. */
async function* inChunks(bytes: Buffer, size = 16 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("readTarGz", () => {
  it("strips the top-level directory and keeps only regular files, skipping the pax global header and directories", async () => {
    const seen: Array<[string, number]> = [];
    const result = await readTarGz(tarball({ "README.md": "# hi\n", "agent/ai.py": "class AI: ...\n", "web/src/api.ts": "export {};\n" }), {
      ...unlimited,
      accept: (path, size) => {
        seen.push([path, size]);
        return true;
      },
    });
    expect(seen).toEqual([
      ["README.md", 5],
      ["agent/ai.py", 14],
      ["web/src/api.ts", 11],
    ]);
    expect(result.complete).toBe(true);
    expect([...result.files.keys()]).toEqual(["README.md", "agent/ai.py", "web/src/api.ts"]);
    expect(result.files.get("agent/ai.py")?.toString()).toBe("class AI: ...\n");
  });

  it("reads archives from another writer: symlinks skipped, long paths kept whole", async () => {
    const pack = tarPack();
    const longPath = `${"deep/".repeat(30)}file.py`;
    pack.entry({ name: `${TOP}/`, type: "directory" });
    pack.entry({ name: `${TOP}/link.py`, type: "symlink", linkname: "agent/ai.py" });
    pack.entry({ name: `${TOP}/${longPath}`, type: "file" }, "print('deep')\n");
    pack.entry({ name: "stray.txt", type: "file" }, "outside the top directory\n");
    pack.finalize();
    const result = await readTarGz(inChunks(gzipSync(await collect(pack))), unlimited);
    expect([...result.files.keys()]).toEqual([longPath]);
    expect(result.files.get(longPath)?.toString()).toBe("print('deep')\n");
  });

  it("drains rejected entries without keeping them, and reads on past them", async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const result = await readTarGz(tarball({ "a.py": "a\n", "assets/big.bin": big, "z.py": "z\n" }), {
      ...unlimited,
      accept: (path) => !path.endsWith(".bin"),
    });
    expect([...result.files.keys()]).toEqual(["a.py", "z.py"]);
    expect(result.complete).toBe(true);
  });

  it("stops at maxFiles, reporting that it was cut short; exactly maxFiles is complete", async () => {
    const files = { "a.py": "a", "b.py": "b", "c.py": "c", "d.py": "d" };
    const cut = await readTarGz(tarball(files), { ...unlimited, maxFiles: 2 });
    expect([...cut.files.keys()]).toEqual(["a.py", "b.py"]);
    expect(cut.complete).toBe(false);
    const exact = await readTarGz(tarball(files), { ...unlimited, maxFiles: 4 });
    expect(exact.files.size).toBe(4);
    expect(exact.complete).toBe(true);
    // Rejected files do not count towards maxFiles.
    const filtered = await readTarGz(tarball(files), { ...unlimited, maxFiles: 2, accept: (path) => path !== "a.py" });
    expect([...filtered.files.keys()]).toEqual(["b.py", "c.py"]);
    expect(filtered.complete).toBe(false);
  });

  it("stops before the file that would exceed maxBytes", async () => {
    const result = await readTarGz(tarball({ "a.py": "x".repeat(40), "b.py": "x".repeat(40), "c.py": "x".repeat(40) }), { ...unlimited, maxBytes: 100 });
    expect([...result.files.keys()]).toEqual(["a.py", "b.py"]);
    expect(result.complete).toBe(false);
  });

  it("aborts the download once more than maxDownloadBytes arrived, and closes the source", async () => {
    const compressed = await collect(tarball({ "a.py": "a\n", "data/noise.bin": randomBytes(4 * 1024 * 1024), "z.py": "z\n" }));
    const source = observed(inChunks(compressed));
    const result = await readTarGz(source.source, { ...unlimited, maxDownloadBytes: 512 * 1024 });
    expect(result.complete).toBe(false);
    expect(result.files.has("a.py")).toBe(true);
    expect(result.files.has("z.py")).toBe(false);
    expect(source.pulled).toBeLessThanOrEqual(512 * 1024 + 16 * 1024);
    await expect.poll(() => source.closed).toBe(true);
  });

  it("closes the source when a limit ends reading early", async () => {
    const compressed = await collect(tarball({ "a.py": "a", "b.bin": randomBytes(2 * 1024 * 1024), "c.py": "c" }));
    const source = observed(inChunks(compressed));
    const result = await readTarGz(source.source, { ...unlimited, maxFiles: 1 });
    expect(result.complete).toBe(false);
    await expect.poll(() => source.closed).toBe(true);
    expect(source.pulled).toBeLessThan(compressed.byteLength);
  });

  it("rejects with the signal's reason when aborted, mid-download or before", async () => {
    const controller = new AbortController();
    async function* stalls(): AsyncGenerator<Uint8Array> {
      yield (await collect(tarball({ "a.py": "a" }))).subarray(0, 20);
      await new Promise(() => undefined); // the network goes quiet
    }
    const reading = readTarGz(stalls(), { ...unlimited, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("run cancelled")), 20);
    await expect(reading).rejects.toThrow("run cancelled");
    await expect(readTarGz(tarball({}), { ...unlimited, signal: controller.signal })).rejects.toThrow("run cancelled");
  });

  it("rejects a corrupt archive", async () => {
    await expect(readTarGz(inChunks(Buffer.from("this is not gzip at all")), unlimited)).rejects.toThrow(/header/i);
  });

  it("checks each entry's header size before buffering it: the tree said 30 bytes, the tarball holds 8 MB", async () => {
    const big = randomBytes(8 * 1024 * 1024);
    const source = observed(tarball({ "src/small.py": "x = 1\n", "src/liar.py": big, "src/after.py": "y = 2\n" }));
    const treeSizes = new Map([
      ["src/small.py", 6],
      ["src/liar.py", 30],
      ["src/after.py", 6],
    ]);
    const result = await readTarGz(source.source, { ...unlimited, maxFileBytes: 100_000, accept: (path) => treeSizes.has(path), expectedSize: (path) => treeSizes.get(path) });
    expect([...result.files.keys()].sort()).toEqual(["src/after.py", "src/small.py"]);
    expect(result.oversized).toEqual(new Map([["src/liar.py", big.byteLength]]));
    expect(result.complete).toBe(true);
    // Drained past, not kept: the whole archive was read to reach the file after it.
    expect(source.closed).toBe(true);
  });

  it("keeps no entry over maxFileBytes, whatever the tree said, and no entry whose header disagrees with the tree", async () => {
    const result = await readTarGz(tarball({ "a.py": "a".repeat(2000), "b.py": "b".repeat(100), "c.py": "c".repeat(10) }), {
      ...unlimited,
      maxFileBytes: 1000,
      expectedSize: (path) => (path === "b.py" ? 99 : undefined),
    });
    expect([...result.files.keys()]).toEqual(["c.py"]);
    expect(result.oversized).toEqual(
      new Map([
        ["a.py", 2000],
        ["b.py", 100],
      ]),
    );
  });
});
