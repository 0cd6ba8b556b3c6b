import { Lexer, type Token, type Tokens, type TokensList } from "marked";

/**
 * Does a comment ask devbuddy for something? Only prose counts: a mention inside fenced
 * or indented code, inline code, a block quote (someone quoting an earlier request), HTML
 * (comments included), an image's alt text or an address GFM links by itself (a bare URL
 * or e-mail address) is not a request. Uses marked's CommonMark/GFM lexer rather than
 * regular expressions over raw Markdown, which get nesting wrong. Pure.
 */

export type MentionCommand = "answer" | "stop";

export interface Mention {
  readonly command: MentionCommand;
}

// An image's alt text is not shown to readers, like the attributes of an HTML `<img>`.
const SKIPPED = new Set(["code", "codespan", "blockquote", "html", "image"]);
const STOP_WORDS = new Set(["stop", "cancel"]);

/**
 * A URL or e-mail address that GFM links without brackets (`https://x.test/?q=@slug`,
 * `<https://…>`, `www.…`, `me@slug.com`): its text is an address, not words addressed to anyone.
 * https://github.github.com/gfm/#autolinks-extension-
 */
function isAutolink(token: Token): boolean {
  return token.type === "link" && !token.raw.startsWith("[");
}

function collectProse(tokens: readonly Token[], out: string[]): void {
  for (const token of tokens) {
    if (SKIPPED.has(token.type) || isAutolink(token)) continue;
    if (token.type === "list") {
      for (const item of (token as Tokens.List).items) collectProse(item.tokens, out);
    } else if (token.type === "table") {
      const table = token as Tokens.Table;
      for (const cell of table.header) collectProse(cell.tokens, out);
      for (const row of table.rows) for (const cell of row) collectProse(cell.tokens, out);
    } else if ("tokens" in token && Array.isArray(token.tokens) && token.tokens.length > 0) {
      collectProse(token.tokens, out);
    } else if ("text" in token && typeof token.text === "string") {
      out.push(token.text);
    }
    if (token.type === "paragraph" || token.type === "heading") out.push("\n");
  }
}

/**
 * marked recurses once per level of nesting (quotes, list items, emphasis, link text), so a
 * few thousand levels (a few kilobytes of `> > > …` or `***…`, well within a comment's 65,536
 * characters) overflow the stack, at a depth that depends on the stack at hand. Counting the
 * levels makes the limit the same on every call; no comment a person writes comes near it.
 */
export const MAX_NESTING = 100;

export class NestingTooDeepError extends Error {
  constructor() {
    super(`Markdown nested more than ${MAX_NESTING} levels deep`);
    this.name = "NestingTooDeepError";
  }
}

/**
 * marked's inline lexing is quadratic on some text: its e-mail look-ahead scans to the end of
 * a run like `a_a_a_…` from every stop, and emphasis matching rescans long runs of `*` or `_`.
 * A 64 KB paragraph of either takes seconds, all that time blocking the event loop, for
 * anyone who can comment. So a paragraph longer than this is lexed in pieces of at most
 * this length, cut after a line break, else after a space, else anywhere. The pieces' tokens
 * go into one list, where marked joins adjacent text (so `x@slug` cut before the `@` is still
 * an address); only an inline construct (code span, emphasis, link) across a cut reads
 * differently.
 */
export const MAX_INLINE_CHARS = 4_096;

function inlineChunks(src: string): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (src.length - start > MAX_INLINE_CHARS) {
    const window = src.slice(start, start + MAX_INLINE_CHARS);
    const newline = window.lastIndexOf("\n");
    const space = window.lastIndexOf(" ");
    const cut = newline > 0 ? newline + 1 : space > 0 ? space + 1 : MAX_INLINE_CHARS;
    chunks.push(src.slice(start, start + cut));
    start += cut;
  }
  chunks.push(src.slice(start));
  return chunks;
}

class NestingLimitedLexer extends Lexer {
  #depth = 0;

  override blockTokens(src: string, tokens?: Token[], lastParagraphClipped?: boolean): Token[];
  override blockTokens(src: string, tokens?: TokensList, lastParagraphClipped?: boolean): TokensList;
  override blockTokens(src: string, tokens?: Token[], lastParagraphClipped?: boolean): Token[] {
    return this.#nested(() => super.blockTokens(src, tokens, lastParagraphClipped));
  }

  override inlineTokens(src: string, tokens: Token[] = []): Token[] {
    return this.#nested(() => {
      for (const chunk of inlineChunks(src)) super.inlineTokens(chunk, tokens);
      return tokens;
    });
  }

  #nested<T>(lex: () => T): T {
    if (this.#depth >= MAX_NESTING) throw new NestingTooDeepError();
    this.#depth++;
    try {
      return lex();
    } finally {
      this.#depth--;
    }
  }
}

/**
 * The prose of a Markdown document: the words a reader sees, without code, quotes, HTML or
 * bare addresses. Throws NestingTooDeepError past MAX_NESTING levels.
 */
export function visibleProse(markdown: string): string {
  const out: string[] = [];
  collectProse(new NestingLimitedLexer({ gfm: true }).lex(markdown), out);
  return out.join(" ");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function mentionPattern(slug: string): RegExp {
  // GitHub logins are letters, digits and hyphens; "x@slug" is an e-mail address, "@slug-x"
  // another account, "@slug/team" a team, "@slug.com" a domain (GitHub links a mention
  // followed by a dot only when the dot ends the word). "@slug[bot]" names the App itself.
  return new RegExp(`(?<![\\w@./-])@${escapeRegExp(slug)}(?:\\[bot\\](?![\\w/-])|(?![\\w/[-])(?!\\.\\w))`, "gi");
}

/**
 * Cheap first test for the webhook path: false means the text cannot mention the App,
 * without lexing it.
 */
export function mayMention(text: string | null | undefined, slug: string): boolean {
  return typeof text === "string" && text.toLowerCase().includes(`@${slug.toLowerCase()}`);
}

export function parseMention(markdown: string | null | undefined, slug: string): Mention | null {
  if (!markdown || !mayMention(markdown, slug)) return null;
  let prose: string;
  try {
    prose = visibleProse(markdown);
  } catch (error) {
    // Nesting no person writes is not a request; it must not fail the webhook either.
    if (error instanceof NestingTooDeepError) return null;
    throw error;
  }
  const pattern = mentionPattern(slug);
  if (!pattern.test(prose)) return null;
  const rest = prose
    .replace(mentionPattern(slug), " ")
    .replace(/[\s\p{P}]+/gu, " ")
    .trim()
    .toLowerCase();
  return { command: STOP_WORDS.has(rest) ? "stop" : "answer" };
}
