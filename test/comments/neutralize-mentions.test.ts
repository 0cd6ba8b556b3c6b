import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEUTRAL, neutralizeMentions } from "../../src/comments/neutralize-mentions.js";
import { parseMention } from "../../src/mentions/parse-mention.js";

const Z = NEUTRAL;

describe("neutralizeMentions", () => {
  it("stops people, teams and devbuddy itself from being pinged, and keeps them readable", () => {
    expect(neutralizeMentions("Ask @alice and @acme/maintainers; (@bob), —@carol. Then @devbuddy again.")).toBe(
      `Ask @${Z}alice and @${Z}acme/maintainers; (@${Z}bob), —@${Z}carol. Then @${Z}devbuddy again.`,
    );
  });

  it("leaves e-mail addresses, URLs and paths alone", () => {
    const text = "Mail ops@example.com, see https://github.com/@alice or https://x.test/a/@b and node_modules/@types/node.";
    expect(neutralizeMentions(text)).toBe(text);
  });

  it("does not touch code: spans, fences, fences inside list items, indented code, HTML comments, link targets", () => {
    const text = [
      "Use `@dataclass` and ``@property``.",
      "",
      "    @indented_code",
      "",
      "```python",
      "@dataclass",
      "class A: ...",
      "```",
      "",
      "1. Step:",
      "    ```ts",
      "    @Component({})",
      "    ```",
      "",
      "<!-- @hidden -->",
      "[the docs](https://example.com/@scope/pkg)",
    ].join("\n");
    expect(neutralizeMentions(text)).toBe(text);
  });

  it("neutralizes in quotes, lists, headings, tables and link texts, where GitHub would link", () => {
    expect(neutralizeMentions("> @alice said\n\n- @bob\n\n## @carol\n\n| who |\n| --- |\n| @dave |\n\n[@erin](https://x.test)")).toBe(
      `> @${Z}alice said\n\n- @${Z}bob\n\n## @${Z}carol\n\n| who |\n| --- |\n| @${Z}dave |\n\n[@${Z}erin](https://x.test)`,
    );
  });
});

describe("neutralizeMentions, for any text", () => {
  // Markdown-ish text: the characters that make structure, mentions and the words around them.
  const piece = fc.oneof(
    fc.constantFrom("@alice", "@devbuddy", "@acme/team", "a@b.c", "`", "``", "```", "\n", "\n\n", "    ", "> ", "- ", "1. ", "#", "[", "](", ")", "<!--", "-->", "*", "|", " "),
    fc.stringMatching(/^[a-z]{1,6}$/),
  );
  const markdown = fc.array(piece, { maxLength: 40 }).map((pieces) => pieces.join(""));

  it("loses nothing: taking the zero-width spaces out gives the text back", () => {
    fc.assert(fc.property(markdown, (text) => neutralizeMentions(text).replaceAll(Z, "") === text), { numRuns: 2_000 });
  });

  it("is idempotent", () => {
    fc.assert(fc.property(markdown, (text) => neutralizeMentions(neutralizeMentions(text)) === neutralizeMentions(text)), { numRuns: 1_000 });
  });

  it("leaves no mention that marked (GitHub's Markdown, independently parsed) would show as one", () => {
    fc.assert(
      fc.property(markdown, (text) => {
        const out = neutralizeMentions(text);
        return parseMention(out, "alice") === null && parseMention(out, "devbuddy") === null;
      }),
      { numRuns: 2_000 },
    );
  });
});
