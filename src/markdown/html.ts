import { ForwardFinder, isAsciiAlphanumeric, isAsciiLetter, isLineEnd, isSpaceOrTab } from "./characters.js";

/**
 * Raw HTML as CommonMark reads it: the seven kinds of HTML block with their start and end
 * conditions (https://spec.commonmark.org/0.31.2/#html-blocks) and inline raw HTML
 * (https://spec.commonmark.org/0.31.2/#raw-html). Hand-written scans: each tag is read
 * once, and the searches for an end marker (`-->`, `?>`, `]]>`, a closing quote) resume where
 * the last one stopped, so `<!--` or `<a b="` repeated costs no more than the text is long.
 */

const BLOCK_TAGS = new Set(
  (
    "address article aside base basefont blockquote body caption center col colgroup dd details dialog dir div dl dt " +
    "fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr html iframe legend li link " +
    "main menu menuitem nav noframes ol optgroup option p param search section summary table tbody td tfoot th thead " +
    "title tr track ul"
  ).split(" "),
);
/** Type 1: their content is not HTML; they end at their closing tag, not at a blank line. */
const RAW_TEXT_TAGS = new Set(["pre", "script", "style", "textarea"]);

export type HtmlBlockType = 1 | 2 | 3 | 4 | 5 | 6 | 7;

function tagName(text: string, at: number): { readonly name: string; readonly end: number } | undefined {
  if (!isAsciiLetter(text[at])) return undefined;
  let end = at + 1;
  while (isAsciiAlphanumeric(text[end]) || text[end] === "-") end++;
  return { name: text.slice(at, end).toLowerCase(), end };
}

/** Searches that resume, one per end marker: what keeps repeated failed openers linear. */
export class HtmlFinders {
  readonly comment: ForwardFinder;
  readonly instruction: ForwardFinder;
  readonly cdata: ForwardFinder;
  readonly greater: ForwardFinder;
  readonly doubleQuote: ForwardFinder;
  readonly singleQuote: ForwardFinder;

  constructor(text: string) {
    this.comment = new ForwardFinder(text, "-->");
    this.instruction = new ForwardFinder(text, "?>");
    this.cdata = new ForwardFinder(text, "]]>");
    this.greater = new ForwardFinder(text, ">");
    this.doubleQuote = new ForwardFinder(text, '"');
    this.singleQuote = new ForwardFinder(text, "'");
  }
}

function skipWhitespace(text: string, at: number, multiline: boolean): number {
  let end = at;
  for (;;) {
    const char = text[end];
    if (isSpaceOrTab(char) || (multiline && (char === "\n" || char === "\r"))) end++;
    else return end;
  }
}

/** `<name attr="v" …>` or `<name … />`: the index after it, or -1. */
function openTagEnd(text: string, at: number, finders: HtmlFinders, multiline: boolean): number {
  const name = tagName(text, at + 1);
  if (!name) return -1;
  let end = name.end;
  for (;;) {
    const space = skipWhitespace(text, end, multiline);
    if (text[space] === ">") return space + 1;
    if (text[space] === "/" && text[space + 1] === ">") return space + 2;
    // An attribute needs whitespace before it.
    if (space === end || !/[A-Za-z_:]/.test(text[space] ?? "")) return -1;
    end = space + 1;
    while (/[A-Za-z0-9_.:-]/.test(text[end] ?? "")) end++;
    const beforeValue = skipWhitespace(text, end, multiline);
    if (text[beforeValue] !== "=") continue;
    const value = skipWhitespace(text, beforeValue + 1, multiline);
    const quote = text[value];
    if (quote === '"' || quote === "'") {
      const close = (quote === '"' ? finders.doubleQuote : finders.singleQuote).next(value + 1);
      if (close < 0 || (!multiline && /[\n\r]/.test(text.slice(value + 1, close)))) return -1;
      end = close + 1;
    } else {
      let unquoted = value;
      while (unquoted < text.length && !/[\s"'=<>`]/.test(text[unquoted] as string)) unquoted++;
      if (unquoted === value) return -1;
      end = unquoted;
    }
  }
}

function closingTagEnd(text: string, at: number, multiline: boolean): number {
  const name = tagName(text, at + 2);
  if (!name) return -1;
  const space = skipWhitespace(text, name.end, multiline);
  return text[space] === ">" ? space + 1 : -1;
}

export type InlineHtmlKind = "tag" | "comment" | "other";

/** Inline raw HTML at `at` (a `<`): its end and kind, or undefined when it is not one (then `<` is text). */
export function inlineHtml(text: string, at: number, finders: HtmlFinders): { readonly end: number; readonly kind: InlineHtmlKind } | undefined {
  const next = text[at + 1];
  if (next === "/") {
    const end = closingTagEnd(text, at, true);
    return end < 0 ? undefined : { end, kind: "tag" };
  }
  if (next === "?") {
    const close = finders.instruction.next(at + 2);
    return close < 0 ? undefined : { end: close + 2, kind: "other" };
  }
  if (next === "!") {
    if (text.startsWith("<!--", at)) {
      // `<!-->` and `<!--->` are (empty) comments too.
      if (text[at + 4] === ">") return { end: at + 5, kind: "comment" };
      if (text.startsWith("->", at + 4)) return { end: at + 6, kind: "comment" };
      const close = finders.comment.next(at + 4);
      return close < 0 ? undefined : { end: close + 3, kind: "comment" };
    }
    if (text.startsWith("<![CDATA[", at)) {
      const close = finders.cdata.next(at + 9);
      return close < 0 ? undefined : { end: close + 3, kind: "other" };
    }
    if (isAsciiLetter(text[at + 2])) {
      const close = finders.greater.next(at + 3);
      return close < 0 ? undefined : { end: close + 1, kind: "other" };
    }
    return undefined;
  }
  const end = openTagEnd(text, at, finders, true);
  return end < 0 ? undefined : { end, kind: "tag" };
}

/**
 * Which HTML block a line starts, from `at` (its first non-blank character), or undefined.
 * Type 7 (a lone complete tag) cannot interrupt a paragraph.
 */
export function htmlBlockStart(line: string, at: number, interruptsParagraph: boolean): HtmlBlockType | undefined {
  if (line[at] !== "<") return undefined;
  if (line.startsWith("<!--", at)) return 2;
  if (line[at + 1] === "?") return 3;
  if (line.startsWith("<![CDATA[", at)) return 5;
  if (line[at + 1] === "!" && isAsciiLetter(line[at + 2])) return 4;
  const closing = line[at + 1] === "/";
  const name = tagName(line, at + (closing ? 2 : 1));
  if (!name) return undefined;
  const after = line[name.end];
  if (!closing && RAW_TEXT_TAGS.has(name.name) && (isSpaceOrTab(after) || isLineEnd(after) || after === ">")) return 1;
  if (BLOCK_TAGS.has(name.name) && (isSpaceOrTab(after) || isLineEnd(after) || after === ">" || line.startsWith("/>", name.end))) return 6;
  // The spec's text excludes pre, script, style and textarea here; cmark, cmark-gfm (GitHub) and
  // commonmark.js do not, and only an open tag of theirs is type 1 anyway.
  if (interruptsParagraph) return undefined;
  const finders = new HtmlFinders(line);
  const end = closing ? closingTagEnd(line, at, false) : openTagEnd(line, at, finders, false);
  return end >= 0 && /^[ \t]*\r?$/.test(line.slice(end)) ? 7 : undefined;
}

const RAW_TEXT_CLOSE = /<\/(?:pre|script|style|textarea)>/i;

/** Whether a line of an HTML block of types 1–5 meets its end condition (types 6 and 7 end at a blank line). */
export function htmlBlockEnds(type: HtmlBlockType, line: string): boolean {
  switch (type) {
    case 1:
      return RAW_TEXT_CLOSE.test(line);
    case 2:
      return line.includes("-->");
    case 3:
      return line.includes("?>");
    case 4:
      return line.includes(">");
    case 5:
      return line.includes("]]>");
    default:
      return false;
  }
}

/** What devbuddy appends to close an HTML block of types 1–5 left open at the end of a text. */
export function htmlBlockCloser(type: HtmlBlockType, opener: string): string {
  switch (type) {
    case 1:
      return `</${opener}>`;
    case 2:
      return "-->";
    case 3:
      return "?>";
    case 4:
      return ">";
    case 5:
      return "]]>";
    default:
      return "";
  }
}

/** The tag name a type-1 block starts with (`pre`, `script`, `style`, `textarea`). */
export function rawTextTag(line: string, at: number): string {
  return tagName(line, at + 1)?.name ?? "pre";
}

/** A stretch of raw HTML: text a browser shows, a tag (its attributes are not text), or hidden (a comment). */
export interface RawPiece {
  readonly start: number;
  readonly end: number;
  readonly kind: "text" | "tag" | "comment";
}

/**
 * What a browser is reading through: nothing, a comment (until `-->`), or a "bogus comment"
 * (`<?…`, `<!X…`, `<![CDATA[…` in HTML: until the next `>`,
 * https://html.spec.whatwg.org/multipage/parsing.html#bogus-comment-state). Carried from
 * one raw line to the next.
 */
export interface RawState {
  until: "" | "-->" | ">";
}

/**
 * The pieces of one line of an HTML block, `[start, end)` of `text`, as a browser reads them.
 * A comment left open carries over to the next raw line through `state`.
 */
export function rawHtmlPieces(text: string, start: number, end: number, state: RawState): RawPiece[] {
  const pieces: RawPiece[] = [];
  const line = text.slice(start, end);
  const finders = new HtmlFinders(line);
  let at = 0;
  let textStart = 0;
  const flush = (until: number): void => {
    if (until > textStart) pieces.push({ start: start + textStart, end: start + until, kind: "text" });
  };
  const hide = (from: number, terminator: "-->" | ">", searchFrom: number): void => {
    const close = (terminator === "-->" ? finders.comment : finders.greater).next(searchFrom);
    const stop = close < 0 ? line.length : close + terminator.length;
    pieces.push({ start: start + from, end: start + stop, kind: "comment" });
    state.until = close < 0 ? terminator : "";
    at = stop;
    textStart = stop;
  };
  if (state.until !== "") hide(0, state.until, 0);
  while (at < line.length) {
    const open = line.indexOf("<", at);
    if (open < 0) break;
    if (line.startsWith("<!--", open)) {
      flush(open);
      // `<!-->` and `<!--->` are (empty) comments too.
      if (line[open + 4] === ">" || line.startsWith("->", open + 4)) {
        const stop = open + (line[open + 4] === ">" ? 5 : 6);
        pieces.push({ start: start + open, end: start + stop, kind: "comment" });
        at = stop;
        textStart = stop;
      } else hide(open, "-->", open + 4);
      continue;
    }
    if (line[open + 1] === "?" || (line[open + 1] === "!" && (isAsciiLetter(line[open + 2]) || line[open + 2] === "["))) {
      flush(open);
      hide(open, ">", open + 2);
      continue;
    }
    const tag = inlineHtml(line, open, finders);
    if (tag) {
      flush(open);
      pieces.push({ start: start + open, end: start + tag.end, kind: "tag" });
      at = tag.end;
      textStart = tag.end;
      continue;
    }
    at = open + 1;
  }
  flush(line.length);
  return pieces;
}
