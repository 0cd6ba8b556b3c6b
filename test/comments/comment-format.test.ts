import { describe, expect, it } from "vitest";
import { growthRatio, linearBound } from "../helpers/growth.js";
import { expectLoopFree } from "../helpers/loop-delay.js";
import { oracleHtml, renderedMentions, shownText } from "../markdown/oracle.js";
import {
  FOOTER_RESERVE,
  GITHUB_COMMENT_LIMIT,
  MAX_PART_CHARS,
  parseComment,
  renderComment,
  splitText,
  type PartMeta,
  type RenderInput,
} from "../../src/comments/comment-format.js";

const SEPARATOR = "\n\n<!-- devbuddy:footer -->\n";

function meta(overrides: Partial<PartMeta> = {}): PartMeta {
  return { v: 1, run: "run-1", part: 1, state: "done", ...overrides };
}

function metaLine(m: PartMeta): string {
  return `<!-- devbuddy:meta ${JSON.stringify(m)} -->`;
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Text shaped like model output: words, spaces, line and paragraph breaks, emoji, long unbroken runs. */
function randomText(seed: number, length: number): string {
  const next = random(seed);
  const pieces = ["word", "the", "Orchestrator", "a", "plan", "😀", "👍🏽", "中文", "é", "\n", "\n\n", " ", " ", " ", "- ", "1. ", "`x`"];
  let text = "";
  while (text.length < length) {
    const roll = next();
    if (roll < 0.03) {
      // An unbroken run longer than most windows, with an emoji now and then.
      const run = Math.floor(next() * 150);
      for (let i = 0; i < run; i++) text += next() < 0.2 ? "🚀" : "x";
    } else {
      text += pieces[Math.floor(next() * pieces.length)] ?? "";
    }
  }
  return text;
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

describe("limits", () => {
  it("keeps room for the footer inside GitHub's limit", () => {
    expect(GITHUB_COMMENT_LIMIT).toBe(65_536);
    expect(MAX_PART_CHARS + FOOTER_RESERVE).toBe(GITHUB_COMMENT_LIMIT);
  });

  it("a full-size part with the largest realistic footer fits in one GitHub comment", () => {
    const body = renderComment({
      text: "x".repeat(MAX_PART_CHARS),
      meta: meta({ run: "r".repeat(64), part: 999, state: "failed", trigger: "c".repeat(40) }),
      notice:
        "⚠️ This answer is incomplete: the model service failed after part of the answer was written. " +
        "It answered with an error it did not explain. Mention me again to retry.\nA second line of the notice.",
      model: "gpt-4.1-mini-2025-04-14",
      previousUrl: "https://github.com/some-organisation/some-repository/issues/123456#issuecomment-1234567890",
      nextUrl: "https://github.com/some-organisation/some-repository/issues/123456#issuecomment-1234567891",
      parts: 1000,
    });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
  });
});

describe("renderComment", () => {
  it("writes the text, the footer separator, the status line and the meta comment", () => {
    expect(renderComment({ text: "Hello", meta: meta() })).toBe(
      'Hello\n\n<!-- devbuddy:footer -->\n<sub>devbuddy</sub>\n<!-- devbuddy:meta {"v":1,"run":"run-1","part":1,"state":"done"} -->',
    );
  });

  it("names the model in the status line and keeps the trigger in the meta", () => {
    expect(renderComment({ text: "Plan", meta: meta({ trigger: "c42" }), model: "gpt-4.1" })).toBe(
      'Plan\n\n<!-- devbuddy:footer -->\n<sub>devbuddy · gpt-4.1</sub>\n<!-- devbuddy:meta {"v":1,"run":"run-1","part":1,"state":"done","trigger":"c42"} -->',
    );
  });

  it("shows ⏳ thinking… while streaming with no text yet", () => {
    const body = renderComment({ text: "", meta: meta({ state: "streaming" }), model: "gpt-4.1" });
    expect(body).toBe(
      '\n\n<!-- devbuddy:footer -->\n<sub>⏳ thinking… · devbuddy · gpt-4.1</sub>\n<!-- devbuddy:meta {"v":1,"run":"run-1","part":1,"state":"streaming"} -->',
    );
  });

  it("shows ⏳ writing… while streaming once text has arrived", () => {
    expect(renderComment({ text: "Step 1", meta: meta({ state: "streaming" }) })).toContain(
      `${SEPARATOR}<sub>⏳ writing… · devbuddy</sub>\n`,
    );
  });

  it("shows the current activity instead, when given", () => {
    expect(renderComment({ text: "", meta: meta({ state: "streaming" }), activity: "reading the thread" })).toContain(
      `${SEPARATOR}<sub>⏳ reading the thread · devbuddy</sub>\n`,
    );
    expect(renderComment({ text: "Step 1", meta: meta({ state: "streaming" }), activity: "retrying" })).toContain(
      "<sub>⏳ retrying · devbuddy</sub>",
    );
  });

  it.each(["done", "failed", "stopped", "interrupted"] as const)("shows no ⏳ once the part is %s", (state) => {
    const body = renderComment({ text: "", meta: meta({ state }), activity: "ignored when not streaming" });
    expect(body).toContain(`${SEPARATOR}<sub>devbuddy</sub>\n`);
    expect(body).not.toContain("⏳");
    expect(body).not.toContain("ignored when not streaming");
  });

  it("quotes a notice above the status line", () => {
    const body = renderComment({
      text: "Partial plan",
      meta: meta({ state: "stopped" }),
      notice: "⏹️ Stopped at the request of @alice.",
    });
    expect(body).toBe(
      // Issue 9: the footer is neutralized too, so a notice naming someone pings no one.
      'Partial plan\n\n<!-- devbuddy:footer -->\n> ⏹️ Stopped at the request of @\u200balice.\n\n<sub>devbuddy</sub>\n<!-- devbuddy:meta {"v":1,"run":"run-1","part":1,"state":"stopped"} -->',
    );
  });

  it("quotes every line of a multi-line notice", () => {
    const body = renderComment({ text: "T", meta: meta({ state: "failed" }), notice: "first line\nsecond line\n\nfourth line" });
    expect(body).toContain(`${SEPARATOR}> first line\n> second line\n> \n> fourth line\n\n<sub>devbuddy</sub>\n`);
  });

  it("adds no quote for an empty notice", () => {
    expect(renderComment({ text: "T", meta: meta(), notice: "" })).toBe(renderComment({ text: "T", meta: meta() }));
  });

  it("links the previous and next comments and numbers the parts", () => {
    const body = renderComment({
      text: "middle",
      meta: meta({ part: 2 }),
      model: "m",
      parts: 3,
      previousUrl: "https://github.com/o/r/issues/1#issuecomment-10",
      nextUrl: "https://github.com/o/r/issues/1#issuecomment-12",
    });
    expect(body).toContain(
      "<sub>devbuddy · m · part 2 of 3 · continued from [the previous comment](https://github.com/o/r/issues/1#issuecomment-10)" +
        " · continued in [the next comment](https://github.com/o/r/issues/1#issuecomment-12)</sub>",
    );
  });

  it("links only the comments that exist", () => {
    const first = renderComment({ text: "a", meta: meta({ part: 1 }), nextUrl: "https://x/2" });
    expect(first).toContain("<sub>devbuddy · continued in [the next comment](https://x/2)</sub>");
    expect(first).not.toContain("previous comment");
    const last = renderComment({ text: "b", meta: meta({ part: 2 }), previousUrl: "https://x/1" });
    expect(last).toContain("<sub>devbuddy · continued from [the previous comment](https://x/1)</sub>");
    expect(last).not.toContain("next comment");
  });

  it("does not say 'part 1 of 1', nor number parts before the total is known", () => {
    expect(renderComment({ text: "a", meta: meta(), parts: 1 })).toContain("<sub>devbuddy</sub>");
    expect(renderComment({ text: "a", meta: meta({ part: 2 }) })).toContain("<sub>devbuddy</sub>");
  });

  it("ends with the meta comment", () => {
    const m = meta({ run: "abc", part: 3, state: "interrupted", trigger: "i7" });
    expect(renderComment({ text: "x", meta: m, notice: "n", parts: 3 }).endsWith(`\n${metaLine(m)}`)).toBe(true);
  });
});

describe("parseComment round trip", () => {
  const texts: Array<[string, string]> = [
    ["plain text", "Hello world"],
    ["empty text", ""],
    ["a single newline", "\n"],
    ["a trailing newline", "Plan:\n1. do it\n"],
    ["two trailing newlines", "Plan\n\n"],
    ["many trailing newlines", "Plan\n\n\n\n"],
    ["leading and trailing whitespace", "  \n  indented\t \n "],
    ["CRLF line endings", "a\r\nb\r\n"],
    ["the footer marker", "see <!-- devbuddy:footer --> here"],
    ["the footer separator itself", `before${SEPARATOR}after`],
    ["the footer separator at the end", `ends with${SEPARATOR}`],
    ["the separator without its last newline at the end", "ends with\n\n<!-- devbuddy:footer -->"],
    ["a fake meta comment", `${metaLine(meta({ run: "fake", part: 9 }))}`],
    ["a fake footer and meta", `quoted:${SEPARATOR}<sub>devbuddy</sub>\n${metaLine(meta({ run: "fake", state: "failed" }))}`],
    ["a fake footer and meta followed by newline", `x${SEPARATOR}${metaLine(meta({ run: "fake" }))}\n`],
    ["other HTML comments", "<!-- devbuddy:meta not json -->\n<!-- -->"],
    ["unicode", "héllo 😀 👍🏽 中文 👨‍👩‍👧 \u200b\u0000 \uFEFF"],
    ["Markdown with code and quotes", "# Plan\n\n```ts\nconst x = 1;\n```\n\n> note\n\n| a | b |\n|---|---|\n"],
  ];

  it.each(texts)("returns the exact text: %s", (_label, text) => {
    const m = meta({ run: "run-7", part: 2, state: "done", trigger: "c123" });
    const parsed = parseComment(renderComment({ text, meta: m, model: "gpt-4.1", notice: "⚠️ note\nline 2", parts: 3 }));
    expect(parsed).toEqual({ text, meta: m });
  });

  it.each(texts)("returns the exact text while streaming: %s", (_label, text) => {
    const m = meta({ state: "streaming" });
    expect(parseComment(renderComment({ text, meta: m, activity: "thinking" }))).toEqual({ text, meta: m });
  });

  it("returns the exact text for a long random text", () => {
    const text = randomText(1, 20_000);
    const m = meta();
    expect(parseComment(renderComment({ text, meta: m }))).toEqual({ text, meta: m });
  });

  it.each(["streaming", "done", "failed", "stopped", "interrupted"] as const)("reads back state %s", (state) => {
    const m = meta({ state });
    expect(parseComment(renderComment({ text: "t", meta: m }))?.meta).toEqual(m);
  });

  it("reads back meta without a trigger as meta without a trigger", () => {
    const parsed = parseComment(renderComment({ text: "t", meta: meta() }));
    expect(parsed?.meta).toEqual({ v: 1, run: "run-1", part: 1, state: "done" });
    expect(parsed !== null && "trigger" in parsed.meta).toBe(false);
  });

  it("is not fooled by notices, models or links that look like a footer", () => {
    const m = meta({ run: "real" });
    const fake = `${SEPARATOR}${metaLine(meta({ run: "fake" }))}`;
    const body = renderComment({ text: "answer", meta: m, notice: fake, previousUrl: "https://x/<!--", nextUrl: "https://y/-->" });
    expect(parseComment(body)).toEqual({ text: "answer", meta: m });
  });

  it("survives trailing whitespace GitHub might add", () => {
    const m = meta();
    expect(parseComment(`${renderComment({ text: "t\n", meta: m })}\n`)).toEqual({ text: "t\n", meta: m });
  });
});

describe("parseComment rejects bodies it did not write", () => {
  it.each([
    ["an empty body", ""],
    ["an ordinary comment", "@devbuddy please write a plan"],
    ["a meta comment without the footer separator", `text\n${metaLine(meta())}`],
    ["a footer marker without the separator's blank line", `text\n<!-- devbuddy:footer -->\n<sub>devbuddy</sub>\n${metaLine(meta())}`],
    ["a footer without a meta comment", `text${SEPARATOR}<sub>devbuddy</sub>`],
    ["a footer whose meta is not last", `text${SEPARATOR}${metaLine(meta())}\nmore text`],
    ["a meta comment before the footer", `${metaLine(meta())}${SEPARATOR}<sub>devbuddy</sub>`],
  ])("returns null for %s", (_label, body) => {
    expect(parseComment(body)).toBeNull();
  });

  const valid = renderComment({ text: "answer", meta: meta({ trigger: "c1" }) });
  const validJson = JSON.stringify(meta({ trigger: "c1" }));

  it("accepts the untampered body", () => {
    expect(parseComment(valid)).toEqual({ text: "answer", meta: meta({ trigger: "c1" }) });
  });

  it.each([
    ["broken JSON", '{"v":1,"run":"run-1",'],
    ["JSON that is not an object", '{"v":1} {"x":2}'],
    ["another version", '{"v":2,"run":"run-1","part":1,"state":"done"}'],
    ["the version as a string", '{"v":"1","run":"run-1","part":1,"state":"done"}'],
    ["no version", '{"run":"run-1","part":1,"state":"done"}'],
    ["an empty run", '{"v":1,"run":"","part":1,"state":"done"}'],
    ["a run longer than 64 characters", `{"v":1,"run":"${"r".repeat(65)}","part":1,"state":"done"}`],
    ["a numeric run", '{"v":1,"run":7,"part":1,"state":"done"}'],
    ["part 0", '{"v":1,"run":"run-1","part":0,"state":"done"}'],
    ["a negative part", '{"v":1,"run":"run-1","part":-1,"state":"done"}'],
    ["a fractional part", '{"v":1,"run":"run-1","part":1.5,"state":"done"}'],
    ["a part given as a string", '{"v":1,"run":"run-1","part":"1","state":"done"}'],
    ["an unknown state", '{"v":1,"run":"run-1","part":1,"state":"finished"}'],
    ["no state", '{"v":1,"run":"run-1","part":1}'],
    ["a trigger longer than 40 characters", `{"v":1,"run":"run-1","part":1,"state":"done","trigger":"${"c".repeat(41)}"}`],
    ["a numeric trigger", '{"v":1,"run":"run-1","part":1,"state":"done","trigger":5}'],
  ])("returns null for tampered meta: %s", (_label, json) => {
    const body = valid.replace(validJson, json);
    expect(body).not.toBe(valid);
    expect(parseComment(body)).toBeNull();
  });

  it("accepts the boundary values of the schema", () => {
    const m = meta({ run: "r".repeat(64), part: 1, trigger: "c".repeat(40) });
    expect(parseComment(renderComment({ text: "", meta: m }))).toEqual({ text: "", meta: m });
  });
});

describe("parseComment on hostile comments (issue 9)", () => {
  // Any comment in a thread is read back to see whether it is devbuddy's: a stranger's can
  // end in 65 KB of meta lookalikes, on which the old backtracking pattern was quadratic.
  const lookalikes = (size: number): string => `${SEPARATOR}${"<!-- devbuddy:meta {} -->x".repeat(Math.floor(size / 26))}`;

  it("reads 65 KB of meta lookalikes in linear time, without holding the loop, and finds no meta", async () => {
    expect(await expectLoopFree(() => parseComment(lookalikes(65_000)))).toBeNull();
    expect(growthRatio((body) => parseComment(body), lookalikes, 16_000)).toBeLessThan(linearBound());
  });

  it("still reads the meta when trailing white space follows it, and refuses a meta split over lines", () => {
    const body = `${renderComment({ text: "answer", meta: meta() })}\n\n  `;
    expect(parseComment(body)).toEqual({ text: "answer", meta: meta() });
    expect(parseComment(`answer${SEPARATOR}<!-- devbuddy:meta {"v":1,\n"run":"r","part":1,"state":"done"} -->`)).toBeNull();
  });

  it("reads back exactly the text of a part that reopened a fence", () => {
    const body = renderComment({ text: "code()\n```\n\nprose", reopen: "```\n", meta: meta({ part: 2 }) });
    expect(body.startsWith("```\ncode()")).toBe(true);
    expect(parseComment(body)).toEqual({ text: "code()\n```\n\nprose", meta: meta({ part: 2 }) });
  });
});

describe("splitText", () => {
  it("returns one part for text that fits", () => {
    expect(splitText("", 10)).toEqual([""]);
    expect(splitText("short", 10)).toEqual(["short"]);
    expect(splitText("0123456789", 10)).toEqual(["0123456789"]);
  });

  it("splits text one character too long", () => {
    expect(splitText("0123456789a", 10)).toEqual(["0123456789", "a"]);
  });

  it("cuts after a paragraph break rather than a later line break or space", () => {
    //           0         1         2
    //           012345678901234567890123
    const text = "aaaaaaaaaaa\n\nbb\ncc ddeeeeeeeeeeeeeeeee";
    expect(splitText(text, 20)).toEqual(["aaaaaaaaaaa\n\n", "bb\ncc ddeeeeeeeeeeee", "eeeee"]);
  });

  it("cuts after a line break rather than a later space", () => {
    const text = "aaaaaaaaaaaa\nbb cc dddddddddddddd";
    expect(splitText(text, 20)).toEqual(["aaaaaaaaaaaa\n", "bb cc dddddddddddddd"]);
  });

  it("ignores a paragraph break in the first half of the window", () => {
    const text = "aaa\n\nbbbbbbbbbbbb\ncccccccccc";
    expect(splitText(text, 20)).toEqual(["aaa\n\nbbbbbbbbbbbb\n", "cccccccccc"]);
  });

  it("ignores a line break in the first half of the window and takes a space", () => {
    const text = "aa\nbbbbbbbbbb cccccccccccc";
    expect(splitText(text, 20)).toEqual(["aa\nbbbbbbbbbb ", "cccccccccccc"]);
  });

  it("cuts at the window's end when the only boundary is in the first half", () => {
    const text = "aa bbbbbbbbbbbbbbbbbbbbbbbbb";
    expect(splitText(text, 20)).toEqual(["aa bbbbbbbbbbbbbbbbb", "bbbbbbbb"]);
  });

  it("takes the last boundary of its kind in the window", () => {
    expect(splitText("aaaaaa bb cc dddddd", 15)).toEqual(["aaaaaa bb cc ", "dddddd"]);
  });

  it("counts the middle of the window as its second half", () => {
    expect(splitText("aaaaa bbbbbbbbbb", 10)).toEqual(["aaaaa ", "bbbbbbbbbb"]);
    expect(splitText("aaaa bbbbbbbbbbb", 10)).toEqual(["aaaa bbbbb", "bbbbbb"]);
  });

  it("keeps a paragraph break whole when it ends the window", () => {
    expect(splitText("aaaaaaaa\n\nbbbb", 10)).toEqual(["aaaaaaaa\n\n", "bbbb"]);
  });

  it("never cuts inside a surrogate pair", () => {
    expect(splitText("a😀😀", 4)).toEqual(["a😀", "😀"]);
    expect(splitText("😀😀😀", 2)).toEqual(["😀", "😀", "😀"]);
    expect(splitText("x😀😀😀", 2)).toEqual(["x", "😀", "😀", "😀"]);
    expect(splitText("abc👍🏽def", 4)).toEqual(["abc", "👍🏽", "def"]);
  });

  it("throws for max below 2", () => {
    expect(() => splitText("abc", 1)).toThrow(RangeError);
    expect(() => splitText("abc", 0)).toThrow(RangeError);
    expect(() => splitText("", -5)).toThrow(RangeError);
    expect(splitText("abc", 2)).toEqual(["ab", "c"]);
  });

  it("uses MAX_PART_CHARS by default", () => {
    expect(splitText("x".repeat(MAX_PART_CHARS))).toEqual(["x".repeat(MAX_PART_CHARS)]);
    expect(splitText("x".repeat(MAX_PART_CHARS + 1))).toEqual(["x".repeat(MAX_PART_CHARS), "x"]);
  });

  describe("on random text", () => {
    const cases: Array<[number, number]> = [
      [11, 2],
      [12, 3],
      [13, 7],
      [14, 40],
      [15, 101],
      [16, 500],
    ];

    it.each(cases)("seed %i, max %i: parts concatenate to the text, fit, and keep surrogate pairs whole", (seed, max) => {
      const text = randomText(seed, 5_000);
      const parts = splitText(text, max);
      expect(parts.join("")).toBe(text);
      expect(parts.length).toBeGreaterThan(1);
      for (const [index, part] of parts.entries()) {
        expect(part.length).toBeLessThanOrEqual(max);
        expect(part.length).toBeGreaterThan(0);
        expect(isHigh(part.charCodeAt(part.length - 1)) && index < parts.length - 1).toBe(false);
        expect(isLow(part.charCodeAt(0))).toBe(false);
      }
    });

    it.each(cases)("seed %i, max %i: parts already cut never change as the text grows", (seed, max) => {
      const text = randomText(seed, 3_000);
      const full = splitText(text, max);
      for (let length = 0; length <= text.length; length++) {
        const parts = splitText(text.slice(0, length), max);
        const settled = parts.slice(0, -1);
        expect(settled).toEqual(full.slice(0, settled.length));
        expect(parts.join("")).toBe(text.slice(0, length));
      }
    });

    it("produces more than a few cuts at boundaries, not only hard cuts", () => {
      const text = randomText(21, 5_000);
      const parts = splitText(text, 100);
      const atBoundary = parts.slice(0, -1).filter((part) => part.endsWith(" ") || part.endsWith("\n"));
      expect(atBoundary.length).toBeGreaterThan(parts.length / 2);
    });
  });
});

describe("RenderInput with split parts", () => {
  it("round-trips every part of a long answer and rebuilds the text", () => {
    const text = randomText(31, 2_000);
    const parts = splitText(text, 300);
    const bodies = parts.map((part, index) => {
      const input: RenderInput = {
        text: part,
        meta: meta({ run: "long", part: index + 1 }),
        parts: parts.length,
        ...(index > 0 ? { previousUrl: `https://x/${index}` } : {}),
        ...(index < parts.length - 1 ? { nextUrl: `https://x/${index + 2}` } : {}),
      };
      return renderComment(input);
    });
    const parsed = bodies.map((body) => parseComment(body));
    expect(parsed.map((p) => p?.meta.part)).toEqual(parts.map((_, index) => index + 1));
    expect(parsed.map((p) => p?.text ?? "<null>").join("")).toBe(text);
    expect(bodies[1]).toContain(`part 2 of ${parts.length}`);
  });
});

describe("the footer renders as devbuddy's, whatever the text above it (issue 9, defects 8 and 12)", () => {
  const meta = { v: 1, run: "run-1", part: 1, state: "failed" } as const;
  const notice = "⚠️ This answer is incomplete. NOTICE";

  it.each([
    ["a backtick fence", "Plan:\n\n```ts\nconst x = 1;"],
    ["a tilde fence with a longer opener", "~~~~~\ncode\n~~~"],
    ["a fence that ends without a line break", "```\n"],
    ["a <pre> block", "<pre>\nlog output"],
    ["a <script> block", "<script>\nlet a"],
    ["a <textarea> block", "<textarea>\ntext"],
    ["an HTML comment block", "Intro\n\n<!-- note to self"],
    ["an HTML comment inside an HTML block", "<div><!-- note"],
    ["a processing instruction", "<?php echo 1;"],
    ["a declaration", "<!DOCTYPE html"],
    ["a CDATA section", "<![CDATA[ data"],
    ["a fence in a quote", "> ```\n> code"],
    ["a fence in a list item", "- step\n\n  ```\n  code"],
  ])("closes %s before the footer, and reads back exactly the text", (_label, text) => {
    const body = renderComment({ text, meta, notice, model: "gpt-test" });
    const html = oracleHtml(body);
    // The notice is a quote and the status line a paragraph, not code or hidden raw HTML.
    expect(html).toMatch(/<blockquote>\s*<p>⚠️ This answer is incomplete\. NOTICE<\/p>/);
    expect(shownText(html)).toContain("devbuddy · gpt-test");
    expect(html).toContain('<!-- devbuddy:meta {"v":1');
    const parsed = parseComment(body);
    expect(parsed?.text).toBe(text);
    expect(parsed?.meta).toEqual(meta);
  });

  it("adds nothing to a text that leaves nothing open", () => {
    const text = "Done.\n\n```\ncode\n```";
    expect(renderComment({ text, meta })).toBe(`${text}\n\n<!-- devbuddy:footer -->\n<sub>devbuddy</sub>\n<!-- devbuddy:meta {"v":1,"run":"run-1","part":1,"state":"failed"} -->`);
  });

  it("pings no one from the notes, the notice or the status line, which a repository's config can set", () => {
    const body = renderComment({
      text: "",
      meta,
      notes: ['⚠️ .github/devbuddy.yml: users.allow is not a list of logins (found "@frank").', "cc &#64;heidi and _@ivan_"],
      notice: "⏹️ Stopped at the request of @judy.",
      model: "@grace",
      usage: "@kate",
      activity: "asking @leo",
    });
    expect(renderedMentions(oracleHtml(body))).toEqual([]);
    expect(body.replaceAll("\u200b", "")).toContain('(found "@frank")');
    expect(body.replaceAll("\u200b", "")).toContain("devbuddy · @grace");
  });
});
