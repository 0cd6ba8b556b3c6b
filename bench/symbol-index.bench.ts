import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "vitest";
import { SymbolIndex } from "../src/code-index/symbol-index.js";
import { loadFixtureRepo } from "../test/helpers/fixture-repo.js";

/**
 * Building the symbol index of a repository the size devbuddy loads up front: how fast it
 * parses, and how long the event loop is blocked at a stretch meanwhile. Files are parsed in
 * worker threads (parse-pool.ts); the thread that answers webhooks (GitHub gives up after
 * 10 s) and streams every other answer receives the results and indexes them in slices, so
 * the longest block matters more than the total.
 *
 * The repository is the agent fixture's source files copied under many directories. Compare
 * the two numbers of one run: machines here are shared and noisy.
 */

function syntheticRepository(targetBytes: number): Array<{ path: string; text: string }> {
  const sources = Object.entries(loadFixtureRepo())
    .filter(([path]) => /\.(py|ts|go)$/.test(path))
    .map(([path, bytes]) => ({ path, text: bytes.toString("utf8") }));
  const files: Array<{ path: string; text: string }> = [];
  let bytes = 0;
  for (let copy = 0; bytes < targetBytes; copy++) {
    for (const source of sources) {
      files.push({ path: `pkg${copy}/${source.path}`, text: source.text });
      bytes += source.text.length;
    }
  }
  return files;
}

describe("symbol index", () => {
  for (const megabytes of [1, 8, 30]) {
    it(`indexes ${megabytes} MB of Python, TypeScript and Go`, async () => {
      const files = syntheticRepository(megabytes * 1_000_000);
      await SymbolIndex.build(files.slice(0, 10)); // grammars loaded, JIT warm
      // A 1 ms timer: the gaps between its ticks are how long the loop was blocked.
      const ticks: number[] = [];
      const timer = setInterval(() => ticks.push(performance.now()), 1);
      const started = performance.now();
      ticks.push(started);
      const index = await SymbolIndex.build(files);
      const elapsed = performance.now() - started;
      await sleep(2);
      clearInterval(timer);
      const gaps = ticks.slice(1).map((t, i) => t - (ticks[i] as number)).sort((a, b) => a - b);
      const longest = gaps.at(-1) ?? elapsed;
      const p99 = gaps[Math.floor((gaps.length - 1) * 0.99)] ?? longest;
      const definitions = index.allDefinitions().length;
      console.log(
        [
          `${files.length} files, ${megabytes} MB: built in ${elapsed.toFixed(0)} ms (${(megabytes / (elapsed / 1000)).toFixed(1)} MB/s), ${definitions} definitions`,
          `  longest event-loop block while building: ${longest.toFixed(0)} ms (p99 ${p99.toFixed(0)} ms, ${gaps.length} turns of the loop)`,
        ].join("\n"),
      );
    });
  }
});
