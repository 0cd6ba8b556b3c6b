import { serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { SymbolIndex } from "../../src/code-index/symbol-index.js";
import { serializedBytes } from "../../src/repository/held-bytes.js";

/**
 * What a symbol index holds is measured, not estimated (issue 9, defect 15): every file's
 * whole analysis (definitions, call sites, imports), as V8 serializes it.
 */

describe("measuring a symbol index", () => {
  it("counts each file's call sites and imports, not only its definitions, and grows with them", async () => {
    const calls = (n: number) => `from agent.ai import AI\n\ndef run(ai: AI):\n${"    ai.call('x')\n".repeat(n)}`;
    const files = (n: number) => [
      { path: "agent/ai.py", text: "class AI:\n    def call(self, prompt):\n        return prompt\n" },
      { path: "agent/run.py", text: calls(n) },
    ];
    const measure = async (n: number) => {
      const index = await SymbolIndex.build(files(n));
      return {
        whole: await serializedBytes(files(n).map((f) => index.analysisOf(f.path))),
        definitions: files(n).reduce((sum, f) => sum + serialize(index.definitionsIn(f.path)).byteLength, 0),
      };
    };
    const few = await measure(10);
    const many = await measure(1_000);
    // The same definitions either way (a longer function's end line takes a byte more); the
    // 990 extra call sites are what the index holds more.
    expect(Math.abs(many.definitions - few.definitions)).toBeLessThan(8);
    expect(many.whole - few.whole).toBeGreaterThan(990 * 20);
    expect(few.whole).toBeGreaterThan(few.definitions);
  });
});
