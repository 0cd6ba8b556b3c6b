import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitText } from "../../src/comments/comment-format.js";

/** Fence lines in a part: an odd count means a code block is cut in two. */
const fences = (part: string): number => part.split("\n").filter((line) => /^\s*```/.test(line)).length;

describe("splitText keeps fenced code and tables whole", () => {
  it("moves a cut that would fall inside a code block to before it", () => {
    const code = ["```ts", ...Array.from({ length: 6 }, (_, i) => `const line${i} = ${i};`), "```"].join("\n");
    const text = `${"Intro words here. ".repeat(3)}\n\n${code}\n\nAfter the code.`;
    const parts = splitText(text, 120);
    expect(parts.join("")).toBe(text);
    expect(parts.map(fences)).toEqual(parts.map((p) => (p.includes("```") ? 2 : 0)));
    expect(parts[1]?.startsWith("```ts")).toBe(true);
  });

  it("moves a cut that would fall between two rows of a table to before the table", () => {
    const table = ["| name | value |", "| --- | --- |", ...Array.from({ length: 6 }, (_, i) => `| row${i} | ${i} |`)].join("\n");
    const text = `${"Some text before. ".repeat(3)}\n\n${table}\n\nAfter.`;
    const parts = splitText(text, 120);
    expect(parts.join("")).toBe(text);
    expect(parts.filter((p) => p.includes("| name |"))).toHaveLength(1);
    expect(parts.find((p) => p.includes("| name |"))).toContain("| row5 | 5 |");
  });

  it("cuts inside a block only when the block alone is longer than a part", () => {
    const code = ["```", ...Array.from({ length: 40 }, (_, i) => `line ${i}`), "```"].join("\n");
    const parts = splitText(code, 100);
    expect(parts.join("")).toBe(code);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.every((p) => p.length <= 100)).toBe(true);
  });

  describe("for any answer of paragraphs, code blocks and tables each shorter than half a part", () => {
    const MAX = 200;
    const words = fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 12 }).map((w) => w.join(" "));
    const paragraph = fc.array(words, { minLength: 1, maxLength: 3 }).map((lines) => lines.join("\n"));
    const codeBlock = fc.array(words, { minLength: 1, maxLength: 4 }).map((lines) => ["```", ...lines, "```"].join("\n")).filter((b) => b.length < MAX / 2);
    const table = fc.array(words, { minLength: 1, maxLength: 4 }).map((rows) => ["| a | b |", "| - | - |", ...rows.map((r) => `| ${r} |`)].join("\n")).filter((t) => t.length < MAX / 2);
    const answer = fc.array(fc.oneof(paragraph, codeBlock, table), { minLength: 1, maxLength: 20 }).map((blocks) => blocks.join("\n\n"));

    it("never splits a code block or a table, and loses nothing", () => {
      fc.assert(
        fc.property(answer, (text) => {
          const parts = splitText(text, MAX);
          if (parts.join("") !== text || parts.some((p) => p.length > MAX)) return false;
          if (parts.some((p) => fences(p) % 2 !== 0)) return false;
          // No cut between two table rows.
          for (let i = 1; i < parts.length; i++) {
            const before = (parts[i - 1] as string).replace(/\n$/, "").split("\n").at(-1) ?? "";
            const after = (parts[i] as string).split("\n")[0] ?? "";
            if (/^\s*\|/.test(before) && /^\s*\|/.test(after)) return false;
          }
          return true;
        }),
        { numRuns: 1_000 },
      );
    });

    it("never changes a part once the text has grown past it (streaming)", () => {
      fc.assert(
        fc.property(answer, fc.double({ min: 0, max: 1, noNaN: true }), (text, share) => {
          const prefix = text.slice(0, Math.floor(text.length * share));
          const early = splitText(prefix, MAX);
          const late = splitText(text, MAX);
          return early.slice(0, -1).every((part, i) => late[i] === part);
        }),
        { numRuns: 1_000 },
      );
    });
  });
});
