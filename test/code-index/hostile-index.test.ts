import { afterAll, describe, expect, it } from "vitest";
import { ParseFailures, ParsePool } from "../../src/code-index/parse-pool.js";
import { SymbolIndex } from "../../src/code-index/symbol-index.js";
import { parseComment } from "../../src/comments/comment-format.js";
import { RepoTools } from "../../src/planning/repo-tools.js";
import { REQUEST, setup } from "../helpers/answer-harness.js";
import { loadFixtureRepo } from "../helpers/fixture-repo.js";
import { growthRatio, linearBound } from "../helpers/growth.js";
import { expectLoopFree, LOOP_BOUND_MS, startLoopMonitor } from "../helpers/loop-delay.js";
import { memoryRepoView } from "../helpers/memory-repo-view.js";

/**
 * A repository's files are untrusted input (issue 9, defect 4): no file may hold the event
 * loop, and one file that defeats the parser costs that file only.
 */

/** `count` Python classes, each a subclass of the one before, each calling the root's method. */
function chain(count: number): string {
  const lines = ["class C0:", "    def m(self):", "        return 1", ""];
  for (let i = 1; i < count; i++) lines.push(`class C${i}(C${i - 1}):`, "    def run(self):", "        self.m()", "");
  return lines.join("\n");
}

/** About `bytes` of Python: many small functions calling each other. */
function largePython(bytes: number): string {
  const parts: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const part = `def f${i}(a, b):\n    return g${i}(a) + h(b)\n\n`;
    parts.push(part);
    size += part.length;
  }
  return parts.join("");
}

/**
 * A member chain 60,000 deep, one link a line (a single 120 KB line would be skipped as
 * minified): reading its receiver overflows the stack, a RangeError in the walk of the tree.
 */
const DEEP = `x = (y\n${"    .a\n".repeat(60_000)}    .f())\n`;

const pools: ParsePool[] = [];
const pool = (options: ConstructorParameters<typeof ParsePool>[0] = {}): ParsePool => {
  const made = new ParsePool(options);
  pools.push(made);
  return made;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

describe("callers() in a long inheritance chain", () => {
  it("grows linearly with the chain", async () => {
    const indexes = new Map<string, SymbolIndex>();
    for (const count of [1_000, 4_000]) {
      const text = chain(count);
      indexes.set(text, await SymbolIndex.build([{ path: "chain.py", text }]));
    }
    const ratio = growthRatio(
      (text) => {
        const index = indexes.get(text) as SymbolIndex;
        return index.callers(index.lookup("C0.m")[0]!);
      },
      (size) => chain(size),
      1_000,
    );
    expect(ratio).toBeLessThan(linearBound());
    const index = indexes.get(chain(4_000)) as SymbolIndex;
    // Every subclass's self.m() runs C0.m: all confirmed.
    expect(index.callers(index.lookup("C0.m")[0]!).confirmed).toHaveLength(3_999);
  });

  it("answers five find_symbol calls of a 4,000-class chain without holding the loop", async () => {
    const view = memoryRepoView({ "chain.py": chain(4_000), "app.py": "def main():\n    pass\n" });
    const index = await SymbolIndex.build([...view.loaded].map(([path, text]) => ({ path, text })));
    const tools = new RepoTools(view, index, { files: 10, readBytes: 10_000_000 });
    // An unrelated delivery arrives as the calls start: it is answered within the bound.
    const monitor = await startLoopMonitor();
    const arrived = performance.now();
    const answered = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - arrived), 0));
    const results = [];
    for (const name of ["C0.m", "C3999.run", "C2000", "m", "C0.m"]) results.push(await tools.execute({ id: name, name: "find_symbol", arguments: JSON.stringify({ name }) }));
    const delay = monitor.stop();
    expect(await answered).toBeLessThan(LOOP_BOUND_MS);
    expect(delay.maxMs).toBeLessThan(LOOP_BOUND_MS);
    expect(results[0]?.content).toContain("called from 3999 place(s):");
  });
});

describe("parsing in worker threads", () => {
  it("parses a 500 KB file without holding the event loop", async () => {
    const text = largePython(500_000);
    const index = await expectLoopFree(() => SymbolIndex.build([{ path: "big.py", text }, { path: "app.py", text: "def main():\n    f1(1, 2)\n" }]));
    // Parsed in full, on another thread: on this one it takes most of a second.
    expect(index.unparsed.size).toBe(0);
    expect(index.lookup("f9000").map((d) => `${d.path}:${d.startLine}`)).toEqual(["big.py:27001"]);
    expect(index.lookup("f1")[0]?.path).toBe("big.py");
  });

  it("skips a file nested 60,000 levels, names it, and indexes the rest", async () => {
    const failures = new ParseFailures();
    const index = await SymbolIndex.build(
      [
        { path: "deep.py", text: DEEP },
        { path: "app.py", text: "def main():\n    helper()\n\ndef helper():\n    pass\n" },
      ],
      { failures },
    );
    expect([...index.unparsed]).toEqual([["deep.py", "nested too deeply to parse"]]);
    expect(index.callers(index.lookup("helper")[0]!).confirmed.map((c) => `${c.path}:${c.line}`)).toEqual(["app.py:2"]);
  });

  it("does not parse a file that failed before again", async () => {
    const parsed: string[] = [];
    class CountingPool extends ParsePool {
      override parse(path: string, text: string) {
        parsed.push(path);
        return super.parse(path, text);
      }
    }
    const counting = new CountingPool({ threads: 1 });
    pools.push(counting);
    const failures = new ParseFailures();
    const files = [
      { path: "deep.py", text: DEEP },
      { path: "app.py", text: "def main():\n    pass\n" },
    ];
    await SymbolIndex.build(files, { pool: counting, failures });
    const again = await SymbolIndex.build(files, { pool: counting, failures });
    expect(parsed).toEqual(["app.py", "deep.py", "app.py"]);
    expect([...again.unparsed]).toEqual([["deep.py", "nested too deeply to parse"]]);
    // Changed content is a new file: it is tried.
    await SymbolIndex.build([{ path: "deep.py", text: "x = 1\n" }], { pool: counting, failures });
    expect(parsed.at(-1)).toBe("deep.py");
  });

  it("skips a file whose worker runs out of memory, and the next file gets a new worker", async () => {
    const small = pool({ threads: 1, maxHeapMb: 16 });
    const index = await SymbolIndex.build(
      [
        { path: "a/huge.py", text: largePython(6_000_000) },
        { path: "b/app.py", text: "def main():\n    pass\n" },
      ],
      { pool: small, failures: new ParseFailures() },
    );
    expect([...index.unparsed]).toEqual([["a/huge.py", "parsing it ran out of memory"]]);
    expect(index.lookup("main").map((d) => d.path)).toEqual(["b/app.py"]);
  }, 60_000);

  it("skips a file that takes longer than its budget, ending its worker", async () => {
    const hurried = pool({ threads: 1, fileBudgetMs: 300 });
    const index = await SymbolIndex.build([{ path: "slow.py", text: largePython(3_000_000) }], { pool: hurried, failures: new ParseFailures() });
    expect([...index.unparsed]).toEqual([["slow.py", "took longer than 0.3 s to parse"]]);
  }, 60_000);
});

describe("an answer on a repository with a file nested 60,000 levels", () => {
  it("is still grounded, and names the file in the not-read note", async () => {
    const { github, model, clock, start } = setup({ repository: false });
    const sha = github.seedFiles({ ...loadFixtureRepo(), "agent/deep.py": DEEP });
    const finished = start(REQUEST);
    const call = await model.call(0);
    call.text("1. Change `AI.call` in `agent/ai.py`.").finish();
    await clock.advance(20_000);
    await finished();
    const body = github.bodies()[0] as string;
    expect(parseComment(body)?.text).toBe(`1. Change [\`AI.call\`](https://github.test/o/r/blob/${sha}/agent/ai.py#L13-L24) in [\`agent/ai.py\`](https://github.test/o/r/blob/${sha}/agent/ai.py).`);
    expect(body).toContain(
      "📦 Not read for this answer: 1 file devbuddy could not parse (`agent/deep.py`: nested too deeply to parse). A name defined only there is marked unverified.",
    );
    expect(body).not.toContain("could not read the repository");
  });
});
