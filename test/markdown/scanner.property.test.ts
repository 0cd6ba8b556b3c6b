import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hideComments } from "../../src/comments/hidden-text.js";
import { neutralizeMentions } from "../../src/comments/neutralize-mentions.js";
import { scanMarkdown } from "../../src/markdown/document.js";
import { parseMention } from "../../src/mentions/parse-mention.js";
import { oracleHtml, oracleLines, oracleTree, renderedMentions, shownText } from "./oracle.js";

/**
 * The scanner's decisions against commonmark.js's parse of the same text, on generated and
 * adversarial Markdown: which lines are code and raw HTML, what a link reference definition
 * hides, and that no mention survives in what the oracle renders.
 */

const RUNS = { numRuns: Number(process.env.ORACLE_RUNS ?? 1_500) };

const word = fc.constantFrom("a", "bc", "word", "x1", "@alice", "@bob/team", "_@carol_", "__@dan__", "&#64;erin", "&#x40;acme/sec", "\\@fay", "*@gus*", "`@code`", "[@hal](u)", "![@ivy](i.png)", "<b>@jo</b>", "<!-- @kim -->", "a@b.co", "x_@y", "&commat;zed",
  "_x_@lee", "**a**@mo", "`a`@nat", "[a](b)@oz", "@&#97;bby", "[x][y]", "[y]", "`", "``", "*", "_", "**", "~~@pat~~", "<x@y.co>", "<https://h/@q>", "\\", "](", "[", "!", "&", "<", "@", "a_b_", "***@rae***", "x*@sam*", "(@tom)", "-@uma", "@@vic");
const inline = fc.array(word, { minLength: 1, maxLength: 5 }).map((w) => w.join(" "));
const prefix = fc.constantFrom("", "", "> ", "- ", "1. ", "  ", "    ", "\t", "> > ", "- > ", ">     ", "-   ", "* ", "+ ", "2) ");
const lineKind = fc.oneof(
  { weight: 6, arbitrary: inline },
  { weight: 1, arbitrary: fc.constantFrom("```", "~~~", "````", "``` js", "~~~~~", "```", "   ```") },
  { weight: 1, arbitrary: fc.constantFrom("<div>", "</div>", "<pre>", "</pre>", "<script>", "</script>", "<!--", "-->", "<?x", "?>", "<!X", "<![CDATA[", "]]>", "<textarea>", "</textarea>", "<custom-tag>", "<a href=\"x\">", "<style>", "</style>") },
  { weight: 1, arbitrary: fc.constantFrom("***", "---", "===", "# h @a", "## @b ##", "", "", "[x]: /u", "[x]: /u 'SECRET'", "[y]:", "/u", '"SECRET"', "(SECRET)", "[z]: <>", "- [w]: # (SECRET)", "> [v]: # (SECRET)") },
);
const line = fc.tuple(prefix, lineKind).map(([p, l]) => p + l);
const markdown = fc.array(line, { minLength: 1, maxLength: 14 }).map((lines) => lines.join("\n"));

/** 1-based line numbers of the scanner's leaves of one kind (for fences, without their fence lines). */
function scannerLines(text: string, kind: "code" | "html"): Set<number> {
  const starts = [0];
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) starts.push(at + 1);
  const lineOf = (offset: number): number => {
    let line = 0;
    while (line + 1 < starts.length && (starts[line + 1] as number) <= offset) line++;
    return line + 1;
  };
  const lines = new Set<number>();
  for (const leaf of scanMarkdown(text).leaves) {
    const wanted = kind === "html" ? leaf.kind === "html" : leaf.kind === "fenced-code" || leaf.kind === "indented-code";
    if (!wanted) continue;
    for (const sourceLine of leaf.lines) lines.add(lineOf(sourceLine.start));
  }
  return lines;
}

describe("the scanner reads blocks as commonmark.js does", () => {
  it("puts the same lines in code blocks and in HTML blocks", () => {
    fc.assert(
      fc.property(markdown, (text) => {
        expect([...scannerLines(text, "code")].sort()).toEqual([...oracleLines(text, "code_block")].sort());
        expect([...scannerLines(text, "html")].sort()).toEqual([...oracleLines(text, "html_block")].sort());
      }),
      RUNS,
    );
  });

  it("hides what a link reference definition hides, and only that", () => {
    // SECRET is left in the text exactly where a browser shows it in the oracle's HTML.
    fc.assert(
      fc.property(markdown, (text) => {
        // A definition's destination or title reaches the HTML only as a link's attribute.
        const shown = shownText(oracleHtml(text));
        expect(hideComments(text).includes("SECRET")).toBe(shown.includes("SECRET"));
      }),
      RUNS,
    );
  });
});

describe("neutralizeMentions, judged by what the oracle renders", () => {
  it("leaves no rendered @login outside code", () => {
    fc.assert(
      fc.property(markdown, (text) => {
        expect(renderedMentions(oracleHtml(neutralizeMentions(text)))).toEqual([]);
      }),
      RUNS,
    );
  });

  it("changes nothing the oracle renders but the zero-width spaces", () => {
    fc.assert(
      fc.property(markdown, (text) => {
        expect(oracleHtml(neutralizeMentions(text)).replaceAll("\u200b", "")).toBe(oracleHtml(text));
      }),
      RUNS,
    );
  });
});

describe("parseMention finds a request where the oracle's tree has one", () => {
  const slugWord = fc.constantFrom("@devbuddy", "_@devbuddy_", "**@devbuddy**", "`@devbuddy`", "[@devbuddy](u)", "![@devbuddy](i.png)", "<b>@devbuddy</b>", "<!-- @devbuddy -->", "x@devbuddy", "\\@devbuddy", "@devbuddy-x", "@devbuddy.", "*@devbuddy*");
  const mentionLine = fc.tuple(prefix, fc.array(fc.oneof(word, slugWord), { minLength: 1, maxLength: 4 })).map(([p, w]) => p + w.join(" "));
  const doc = fc.array(fc.oneof(line, mentionLine), { minLength: 1, maxLength: 10 }).map((lines) => lines.join("\n"));
  const pattern = /(?<![\w@./-])@devbuddy(?![\w/[-])(?!\.\w)/i;

  /** Text of the oracle's prose: outside quotes, code, raw HTML and image descriptions; link text counts. */
  function oracleProse(markdown: string): string {
    const out: string[] = [];
    const walker = oracleTree(markdown).walker();
    for (let event = walker.next(); event; event = walker.next()) {
      const node = event.node;
      if (!event.entering) {
        if (node.type === "paragraph" || node.type === "heading" || node.type === "emph" || node.type === "strong" || node.type === "link") out.push(" ");
        continue;
      }
      if (node.type !== "text") {
        if (node.type === "softbreak" || node.type === "linebreak" || node.type === "code" || node.type === "html_inline") out.push(" ");
        continue;
      }
      let inside = false;
      for (let parent = node.parent; parent; parent = parent.parent) if (parent.type === "block_quote" || parent.type === "image") inside = true;
      out.push(inside ? " " : (node.literal ?? ""));
    }
    return out.join("");
  }

  it("counts a mention exactly when the oracle shows one in prose", () => {
    fc.assert(
      fc.property(doc, (text) => {
        expect(parseMention(text, "devbuddy") !== null).toBe(pattern.test(oracleProse(text)));
      }),
      RUNS,
    );
  });
});
