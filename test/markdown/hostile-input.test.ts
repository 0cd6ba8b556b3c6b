import { describe, expect, it } from "vitest";
import { renderComment, splitText } from "../../src/comments/comment-format.js";
import { defuseImages } from "../../src/comments/defuse-images.js";
import { hideComments } from "../../src/comments/hidden-text.js";
import { neutralizeMentions } from "../../src/comments/neutralize-mentions.js";
import { scanMarkdown } from "../../src/markdown/document.js";
import { parseMention } from "../../src/mentions/parse-mention.js";
import { extractTerms } from "../../src/planning/thread-terms.js";
import { verifyReferences, type CodeFacts } from "../../src/planning/verify-references.js";
import { growthRatio, linearBound } from "../helpers/growth.js";
import { expectLoopFree } from "../helpers/loop-delay.js";

/**
 * Issue 9: every function that reads Markdown from a stranger, a repository or the model
 * reads it in time linear in its length and never holds the event loop past 50 ms, on
 * 64 KB (a whole comment) of each pathological shape a reviewer tried or might try.
 */

const facts: CodeFacts = {
  htmlUrl: "https://github.com/acme/app",
  sha: "0123456789abcdef0123456789abcdef01234567",
  paths: new Set(["src/app.ts", "agent/ai.py"]),
  lineCount: () => 10,
  lookup: () => [],
};

function repeatTo(piece: string, size: number, prefix = ""): string {
  return prefix + piece.repeat(Math.max(1, Math.floor((size - prefix.length) / piece.length)));
}

function growingBackticks(size: number): string {
  let text = "";
  for (let k = 1; text.length < size; k++) text += `${"`".repeat(k)}a`;
  return text;
}

function nested(size: number): string {
  let text = "";
  for (let depth = 0; text.length < size; depth++) text += `${"> ".repeat(depth % 40)}${"  ".repeat(depth % 30)}- item @a \`x\` [l](u)\n`;
  return text;
}

const shapes: Array<[string, (size: number) => string]> = [
  ["[](", (n) => repeatTo("[](", n)],
  ["<!-- then [](", (n) => repeatTo("[](", n, "<!-- ")],
  ["[]( then <!--", (n) => `${repeatTo("[](", n - 4)}<!--`],
  ["backtick runs of growing length", growingBackticks],
  ["a_", (n) => repeatTo("a_", n)],
  ["- on one line", (n) => repeatTo("- ", n)],
  ["- then a word", (n) => `${repeatTo("- ", n - 5)}word`],
  ["*a", (n) => repeatTo("*a", n)],
  ["**a_", (n) => repeatTo("**a_", n)],
  ["&#", (n) => repeatTo("&#", n)],
  ["&#x4", (n) => repeatTo("&#x4", n)],
  ["<", (n) => repeatTo("<", n)],
  ['<a b="', (n) => repeatTo('<a b="', n)],
  ["<a ", (n) => repeatTo("<a ", n)],
  ["<!", (n) => repeatTo("<!", n)],
  ["[", (n) => repeatTo("[", n)],
  ["![", (n) => repeatTo("![", n)],
  ["[a][", (n) => repeatTo("[a][", n)],
  ["[a]: then [a]", (n) => repeatTo("[a]", n, "[a]: /u\n\n")],
  ["> ", (n) => repeatTo("> ", n)],
  ["> on lines", (n) => repeatTo("> x\n", n)],
  ["- nested list, then blank lines", (n) => `${"- ".repeat(n / 4)}x${"\n".repeat(n / 2)}`],
  ["nested quotes and lists", nested],
  ["letters a", (n) => "a".repeat(n)],
  ["a.", (n) => repeatTo("a.", n)],
  ["a/", (n) => repeatTo("a/", n)],
  ["aA", (n) => repeatTo("aA", n)],
  ["`a` repeated", (n) => repeatTo("`a` ", n)],
  ["```\\n repeated", (n) => repeatTo("```\n", n)],
  ["    code lines", (n) => repeatTo("    x\n", n)],
  ["<pre> lines", (n) => repeatTo("<pre>\n", n)],
  ["[x]: lines", (n) => repeatTo("[x]:\n", n)],
  ["https:// repeated", (n) => repeatTo("https://a", n)],
  ["www.a) repeated", (n) => `www.a${repeatTo(")", n)}`],
  ["(www.! repeated", (n) => repeatTo("(www.!", n)],
  ["(https://! repeated", (n) => repeatTo("(https://!", n)],
  ["@a repeated", (n) => repeatTo("@a ", n)],
  ["a@b.c@ repeated", (n) => repeatTo("a@b.c", n)],
  ["| a | table rows", (n) => `| a | b |\n| - | - |\n${repeatTo("| x | @y |\n", n)}`],
  ["![](https://x/) images", (n) => repeatTo("![a](https://evil.example/?q=1) ", n)],
  ["<img src> tags", (n) => repeatTo('<img src="https://evil.example/x"> ', n)],
];

const functions: Array<[string, (text: string) => unknown]> = [
  ["scanMarkdown (blocks, inline, rendered text)", (text) => {
    const document = scanMarkdown(text);
    for (const block of document.prose) document.rendered(block, { altText: "text", bareLinks: "text" });
    return document.closer();
  }],
  // Each with what its quick "nothing to do" test looks for, so the whole reader runs.
  ["hideComments", (text) => hideComments(`<!-- x -->\n\n${text}`)],
  ["neutralizeMentions", (text) => neutralizeMentions(`@a ${text}`)],
  ["parseMention", (text) => parseMention(`@devbuddy ${text}`, "devbuddy")],
  ["extractTerms", (text) => extractTerms([{ text, weight: 1 }])],
  ["verifyReferences", (text) => verifyReferences(text, facts)],
  ["splitText", (text) => splitText(text, 4_000)],
  ["renderComment", (text) => renderComment({ text, meta: { v: 1, run: "r", part: 1, state: "done" }, model: text.slice(0, 100) })],
  ["defuseImages", (text) => defuseImages(`![x](https://evil.example/) ${text}`, { githubHost: "github.com", allowedHosts: [] })],
];

describe.each(functions)("%s on hostile Markdown", (_name, run) => {
  it.each(shapes)("64 KB of %s: loop-free and linear", async (_shape, make) => {
    const text = make(64_000);
    await expectLoopFree(() => run(text));
    expect(growthRatio(run, make, 16_000)).toBeLessThan(linearBound());
  });
});
