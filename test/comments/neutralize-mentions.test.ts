import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEUTRAL, neutralizeMentions } from "../../src/comments/neutralize-mentions.js";
import { parseMention } from "../../src/mentions/parse-mention.js";
import { oracleHtml, renderedMentions } from "../markdown/oracle.js";

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

describe("neutralizeMentions judges by what GitHub renders (issue 9, defect 8)", () => {
  /** `@login`s the oracle's rendering of a text still shows as mentions. */
  const rendered = (text: string): string[] => renderedMentions(oracleHtml(text));

  it.each([
    ["emphasis with underscores", "_@alice_ please look"],
    ["strong emphasis with underscores", "__@bob__ please look"],
    ["a decimal character reference", "&#64;carol, have a look"],
    ["a hexadecimal character reference to a team", "cc &#x40;acme/security"],
    ["a named character reference", "&commat;dora"],
    ["an entity in the name", "@&#101;rin"],
    ["a backslash escape", "\\@fay"],
    ["link text", "[@gus](https://example.com)"],
    ["a reference link's text", "[@hal][x]\n\n[x]: https://example.com"],
    ["emphasis closed right before it", "_x_@ivy"],
    ["a code span right before it", "`x`@jo"],
    ["strikethrough", "~~@kim~~"],
    ["a raw HTML block's character reference", "<div>\n&#64;lee\n</div>"],
    ["a raw HTML block's reference without its semicolon", "<div>&#64mo</div>"],
    ["inline HTML right before it", "<b>@nat</b>"],
  ])("%s", (_label, text) => {
    expect(rendered(text).length).toBeGreaterThan(0);
    const out = neutralizeMentions(text);
    expect(rendered(out)).toEqual([]);
    expect(out.replaceAll(NEUTRAL, "")).toBe(text);
    expect(neutralizeMentions(out)).toBe(out);
  });
});
