import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mayMention, parseMention } from "../../src/mentions/parse-mention.js";

/**
 * Hostile input for mention parsing, built from Markdown pieces: where a mention counts,
 * where it never does, and that no comment (however large or deeply nested) breaks it.
 */

const SLUG = "devbuddy";
const ANSWER = { command: "answer" } as const;
const STOP = { command: "stop" } as const;
const RUNS = { numRuns: 1_000 };

// Words are lower-case letters only, so the slug is mentioned only where a generator puts it.
const word = fc.stringMatching(/^[a-z]{1,8}$/);
const words = fc.array(word, { minLength: 1, maxLength: 6 }).map((w) => w.join(" "));
const sentence = fc.tuple(words, fc.constantFrom("", ".", ",", "!", "?", ":")).map(([w, p]) => w + p);
const prose = fc.array(sentence, { maxLength: 3 }).map((s) => s.join(" "));

/** `text` with each letter in either case. */
function anyCase(text: string): fc.Arbitrary<string> {
  return fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((upper) => [...text].map((c, i) => (upper[i] === true ? c.toUpperCase() : c)).join(""));
}

const mention = fc.tuple(anyCase(SLUG), fc.constantFrom("", "[bot]", "[BOT]")).map(([slug, bot]) => `@${slug}${bot}`);
/** Words around a mention: `words @devbuddy words`. */
const mentioning = fc.tuple(words, mention, words).map(([a, m, b]) => `${a} ${m} ${b}`);

/** Blocks that never mention devbuddy: the rest of a realistic comment. */
const quietBlock = fc.oneof(
  prose.filter((p) => p.length > 0),
  words.map((w) => "```\n" + w + "\n```"),
  words.map((w) => `> ${w}`),
  words.map((w) => `<!-- ${w} -->`),
  words.map((w) => `<div>${w}</div>`),
  words.map((w) => `    ${w}`),
  words.map((w) => `\`${w}\` and devbuddy without the at sign`),
);

/** Places blocks among quiet ones, separated by blank lines, in any order. */
function documentWith(blocks: fc.Arbitrary<readonly string[]>): fc.Arbitrary<string> {
  return fc
    .tuple(blocks, fc.array(quietBlock, { maxLength: 4 }))
    .chain(([placed, quiet]) => fc.shuffledSubarray([...placed, ...quiet], { minLength: placed.length + quiet.length }))
    .map((all) => all.join("\n\n"));
}

describe("parseMention, for any comment: a mention in prose counts", () => {
  // What may come right before and after a mention in a sentence.
  const opening = fc.constantFrom(" ", " (", ' "', " '", " *", " **", " ~~", ", ");
  const closing = fc.constantFrom("", ".", ",", "!", "?", ":", ";", ")", "'s", "…", "*", '"');
  const line = fc.tuple(prose, opening, mention, closing, prose).map(([a, open, m, close, b]) => `${a}${open}${m}${close} ${b}`);
  // Markdown around that line that keeps it prose.
  const container = fc.constantFrom<(text: string) => string>(
    (t) => t,
    (t) => `# ${t}`,
    (t) => `### ${t}`,
    (t) => `${t}\n===`,
    (t) => `- ${t}`,
    (t) => `1. ${t}`,
    (t) => `- [ ] ${t}`,
    (t) => `- outer\n  - ${t}`,
    (t) => `**${t}**`,
    (t) => `*${t}*`,
    (t) => `~~${t}~~`,
    (t) => `[${t}](https://example.com)`,
    (t) => `| head |\n| --- |\n| ${t} |`,
    (t) => `| ${t} |\n| --- |\n| cell |`,
    (t) => `first line\n${t}`,
    (t) => `<details><summary>more</summary>\n\n${t}\n\n</details>`,
  );
  const mentionBlock = fc.tuple(container, line).map(([wrap, text]) => wrap(text));

  it("counts a mention in a sentence, in any case, inside any prose Markdown, among other blocks", () => {
    fc.assert(
      fc.property(documentWith(mentionBlock.map((b) => [b])), (doc) => {
        expect(parseMention(doc, SLUG)).not.toBeNull();
      }),
      RUNS,
    );
  });

  it("matches the slug whatever the case of the configured slug", () => {
    fc.assert(
      fc.property(anyCase(SLUG), documentWith(mentionBlock.map((b) => [b])), (slug, doc) => {
        expect(parseMention(doc, slug)).not.toBeNull();
      }),
      RUNS,
    );
  });
});

describe("parseMention, for any comment: a mention that is not prose never counts", () => {
  const email = fc
    .tuple(fc.stringMatching(/^[a-z0-9]([a-z0-9._+-]{0,6}[a-z0-9])?$/), mention, fc.constantFrom("", ".com", ".io"))
    .map(([local, m, tld]) => `${local}${m}${tld}`);
  // GFM links a bare URL up to the next space, whatever it holds. (Not "/x(@devbuddy": marked ends
  // the URL at an unbalanced parenthesis, where GitHub does not.)
  const url = fc
    .tuple(
      fc.constantFrom("https://example.com", "http://github.com/acme", "https://x.test/a/b", "www.example.com"),
      fc.constantFrom("/", "/?q=", "/?a=1&user=", "/#", "/x=", "/x,", "/(x)", "/~", "/x:", "/!", "/%40", "/a+"),
      mention,
      fc.constantFrom("", "/issues", "?tab=repos", ")", "&x=1"),
    )
    .map(([base, joint, m, rest]) => `${base}${joint}${m}${rest}`);
  const inline = fc.oneof(
    mentioning.map((t) => `\`${t}\``),
    mentioning.map((t) => `\`\` ${t} \`\``),
    mentioning.map((t) => `<!-- ${t} -->`),
    email,
    url,
    url.map((u) => `<${u.startsWith("www.") ? `https://${u}` : u}>`),
    fc.tuple(words, mention).map(([w, m]) => `[${w}](https://example.com/${m})`),
    fc.tuple(words, mentioning).map(([w, t]) => `[${w}](https://example.com "${t}")`),
    mentioning.map((t) => `![${t}](diagram.png)`),
    mentioning.map((t) => `<a title="${t}">link</a>`),
  );
  // An inline spot inside an otherwise quiet sentence.
  const inlineBlock = fc.tuple(prose, inline, prose).map(([a, spot, b]) => `${a} ${spot} ${b}`.trim());
  const lines = fc.array(fc.oneof(words, mentioning), { minLength: 1, maxLength: 3 }).map((l) => [...l, "x"]).chain((l) =>
    fc.shuffledSubarray(l, { minLength: l.length }),
  );
  const withMention = lines.filter((l) => l.some((x) => x.includes("@")));
  const block = fc.oneof(
    fc
      .tuple(fc.constantFrom("```", "````", "~~~", "~~~~~"), fc.constantFrom("", "ts", "text"), withMention)
      .map(([fence, info, body]) => [`${fence}${info}`, ...body, fence].join("\n")),
    withMention.map((body) => body.map((l) => `    ${l}`).join("\n")),
    withMention.map((body) => body.map((l) => `\t${l}`).join("\n")),
    fc.tuple(fc.constantFrom("> ", "> > ", ">"), withMention).map(([q, body]) => body.map((l) => `${q}${l}`).join("\n")),
    withMention.map((body) => `> quoted\n${body.join("\n")}`),
    // A paragraph at the margin ends the list, so indented code after it is code again.
    withMention.map((body) => `- item\n\n  > ${body.join("\n  > ")}\n\nafter the list`),
    withMention.map((body) => ["<div>", ...body, "</div>"].join("\n")),
    withMention.map((body) => `<details>${body.join(" ")}</details>`),
    withMention.map((body) => ["<!--", ...body, "-->"].join("\n")),
    withMention.map((body) => `<!-- ${body.join("\n")} -->`),
  );

  it("ignores mentions inside inline code, HTML comments and attributes, URLs, e-mail addresses and image alt text", () => {
    fc.assert(
      fc.property(documentWith(fc.array(inlineBlock, { minLength: 1, maxLength: 3 })), (doc) => {
        expect(parseMention(doc, SLUG)).toBeNull();
      }),
      RUNS,
    );
  });

  it("ignores mentions inside fenced or indented code, block quotes, HTML blocks and HTML comments", () => {
    fc.assert(
      fc.property(documentWith(fc.array(block, { minLength: 1, maxLength: 3 })), (doc) => {
        expect(parseMention(doc, SLUG)).toBeNull();
      }),
      RUNS,
    );
  });

  it("ignores all of those together, and still counts one mention in prose next to them", () => {
    const spots = fc.array(fc.oneof(inlineBlock, block), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(spots, mentioning, (hostile, real) => {
        expect(parseMention(hostile.join("\n\n"), SLUG)).toBeNull();
        expect(parseMention([...hostile, real].join("\n\n"), SLUG)).toEqual(ANSWER);
      }),
      RUNS,
    );
  });
});

describe("parseMention, for any comment: only devbuddy's own login counts", () => {
  // Another account, a team or an address: the slug is only part of a longer name.
  const longer = fc.oneof(
    fc.tuple(anyCase(SLUG), fc.stringMatching(/^[a-z0-9_]{1,4}$/)).map(([s, rest]) => `@${s}${rest}`),
    fc.tuple(anyCase(SLUG), fc.stringMatching(/^[a-z0-9]{1,4}$/)).map(([s, rest]) => `@${s}-${rest}`),
    // Not "[bot]_x_": that is emphasis after a mention of the App, as GitHub reads it too.
    fc.tuple(anyCase(SLUG), fc.stringMatching(/^[a-z0-9]{1,4}$/)).map(([s, rest]) => `@${s}[bot]${rest}`),
    fc.tuple(mention, word).map(([m, team]) => `${m}/${team}`),
    fc.tuple(fc.constantFrom("@", "x", "9", "_", ".", "/", "-"), mention).map(([before, m]) => `${before}${m}`),
    anyCase(SLUG),
  );
  const line = fc.tuple(prose, longer, fc.constantFrom("", ".", ",", "!"), prose).map(([a, name, p, b]) => `${a} ${name}${p} ${b}`);

  it("does not take a longer login, a team, or the slug run into other text for a mention", () => {
    fc.assert(
      fc.property(documentWith(fc.array(line, { minLength: 1, maxLength: 3 })), (doc) => {
        expect(parseMention(doc, SLUG)).toBeNull();
      }),
      RUNS,
    );
  });

  it("does not take @devbuddy for a slug that only starts with devbuddy", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(-?[a-z0-9]){1,4}$/), mentioning, (rest, text) => {
        expect(parseMention(text, `${SLUG}${rest}`)).toBeNull();
      }),
      RUNS,
    );
  });
});

describe("parseMention, for any comment: stop or answer", () => {
  const stopWord = fc.oneof(anyCase("stop"), anyCase("cancel"));
  const gap = fc.constantFrom(" ", "  ", ", ", ": ", " — ", "\t", "\n", "\n\n", "! ");
  const trail = fc.constantFrom("", ".", "!", "!!!", "?", "…", " ", "\n");
  const stopRequest = fc.oneof(
    fc.tuple(mention, gap, stopWord, trail).map(([m, g, s, t]) => `${m}${g}${s}${t}`),
    fc.tuple(stopWord, gap, mention, trail).map(([s, g, m, t]) => `${s}${g}${m}${t}`),
  );
  // What may come with a stop without changing it: blocks that are not prose, even ones that mention devbuddy.
  const notProse = fc.oneof(
    mentioning.map((t) => "```\n" + t + "\n```"),
    mentioning.map((t) => `> ${t}`),
    mentioning.map((t) => `<!-- ${t} -->`),
    words.map((w) => `    ${w}`),
    mention.map((m) => `> ${m} please continue`),
  );

  it("reads a mention with only stop or cancel as a stop, whatever code, quotes or hidden text come with it", () => {
    fc.assert(
      fc.property(stopRequest, fc.array(notProse, { maxLength: 3 }), (request, extra) => {
        expect(parseMention([request, ...extra].join("\n\n"), SLUG)).toEqual(STOP);
      }),
      RUNS,
    );
  });

  it("reads any other word next to a stop as a request for an answer", () => {
    const other = word.filter((w) => w !== "stop" && w !== "cancel");
    fc.assert(
      fc.property(stopRequest, other, fc.boolean(), (request, extra, first) => {
        const text = first ? `${extra} ${request}` : `${request} ${extra}`;
        expect(parseMention(text, SLUG)).toEqual(ANSWER);
      }),
      RUNS,
    );
  });
});

// Markdown pieces that make structure, plus the ways to write an @ that are not an @.
const piece = fc.oneof(
  fc.constantFrom(
    "@devbuddy", "@DevBuddy", "@devbuddy[bot]", "devbuddy", "@", "&#64;", "&#x40;", "&commat;", "\\@", "@@",
    "`", "``", "```", "~~~", "\n", "\n\n", "    ", "\t", "> ", "- ", "1. ", "# ", "[", "](", ")", "![", "<", ">",
    "<!--", "-->", "<div>", "</div>", "*", "**", "_", "~~", "|", "---", "===", " ", ".", ",", "stop", "cancel",
    "https://", "www.", "\r\n", "\\", "&", ";",
  ),
  word,
);
const markdown = fc.array(piece, { maxLength: 40 }).map((p) => p.join(""));

describe("mayMention", () => {
  it("never rules out a comment that parseMention reads as a mention", () => {
    // The webhook path drops a comment when mayMention is false, before parsing it.
    fc.assert(
      fc.property(markdown, anyCase(SLUG), (text, slug) => {
        if (parseMention(text, slug) !== null) expect(mayMention(text, slug)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe("parseMention, for any input", () => {
  const verdict = (text: string): unknown => {
    const result = parseMention(text, SLUG);
    expect([null, ANSWER, STOP]).toContainEqual(result);
    return result;
  };

  it("never throws, returns null, an answer or a stop, and gives the same verdict twice", () => {
    const text = fc.oneof(markdown, fc.string({ unit: "binary", maxLength: 300 }), fc.string({ unit: "grapheme", maxLength: 100 }));
    fc.assert(
      fc.property(text, (t) => {
        expect(verdict(t)).toEqual(verdict(t));
      }),
      { numRuns: 3_000 },
    );
  });

  it("survives huge and deeply nested Markdown up to GitHub's comment size", () => {
    // Openers nest one level deeper each (marked recurses per level); "a_", "a!" and runs of "*"
    // or "_" made marked's inline lexing quadratic before paragraphs were lexed in pieces.
    const opener = fc.constantFrom("> ", "*", "_", "**", "~~", "[", "![", "- ", "1. ", "> - ", "<", "<a ", "`", "(", "|", "<!--", "\\", "&#64;", "a_", "a!", "a*");
    const nested = fc
      .tuple(opener, fc.integer({ min: 1, max: 20_000 }), mention, fc.boolean())
      .map(([open, depth, m, closeIt]) => {
        const head = open.repeat(depth);
        return `${head}${m}${closeIt ? [...open].reverse().join("").repeat(depth) : ""}`.slice(0, 65_536);
      });
    fc.assert(
      fc.property(nested, (t) => {
        expect(verdict(t)).toEqual(verdict(t));
      }),
      {
        numRuns: 150,
        // Depths that overflowed the stack before nesting was limited.
        examples: [["> ".repeat(20_000) + "@devbuddy"], ["*".repeat(3_000) + "@devbuddy" + "*".repeat(3_000)]],
      },
    );
  });

  it("reads a long comment the same wherever its request is: pasted logs do not change it, more words do", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_000 }), mention, fc.boolean(), (blocks, m, first) => {
        const place = (filler: string): string => (first ? `${m} stop\n\n${filler}` : `${filler}\n\n${m} stop`);
        expect(parseMention(place("```\nlog line 42: request failed\n```\n\n".repeat(blocks).trim()), SLUG)).toEqual(STOP);
        expect(parseMention(place("Some words of a long comment.\n\n".repeat(blocks).trim()), SLUG)).toEqual(ANSWER);
      }),
      { numRuns: 40 },
    );
  });
});
