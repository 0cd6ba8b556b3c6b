/**
 * What of a Markdown text is prose, as CommonMark reads it: paragraphs and headings apart from
 * code blocks (fenced, indented, inside list items) and HTML comments; inside prose, the code
 * spans (a run of N backticks closes only at the next run of exactly N) and link texts. Enough
 * to rewrite prose without touching code, which a reader copies. Pure.
 */

// Block structure, as far as CommonMark needs it to tell prose from code.
const FENCE = /^(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^(`{3,}|~{3,})\s*$/;
const THEMATIC_BREAK = /^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const HEADING = /^#{1,6}(?:[ \t]|$)/;
const LIST_MARKER = /^(?:[-+*]|(\d{1,9})[.)])(?=[ \t]|$)/;
const ESCAPABLE = /^[!-/:-@[-`{-~]$/;
// HTML blocks (https://spec.commonmark.org/0.31.2/#html-blocks), up to the next blank line:
// one that starts with a block-level tag (type 6, may interrupt a paragraph), or a line
// that is one complete tag (type 7, may not). Markdown is not read inside them: a backtick
// there is a backtick, and GitHub shows the text. (Types 1–5, `<pre>` and the like, end at
// their closing tag; they are taken as type 6 here, which ends them at a blank line.)
const HTML_BLOCK_TAG =
  /^<\/?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|pre|script|search|section|style|summary|table|tbody|td|textarea|tfoot|th|thead|title|tr|track|ul)(?=[\s/>]|$)/i;
const HTML_LONE_TAG = /^(?:<[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*\s*\/?>|<\/[A-Za-z][A-Za-z0-9-]*\s*>)\s*$/;

export interface CodeSpan {
  readonly start: number;
  readonly end: number;
  readonly ticks: number;
}

/** `[` at `open`, `]` at `close`, the link ending before `end`. */
export interface LinkText {
  readonly open: number;
  readonly close: number;
  readonly end: number;
  /** The destination of an inline link; a reference link's is elsewhere. */
  readonly target?: string;
}

function runLength(text: string, from: number): number {
  let end = from;
  while (text[end] === "`") end++;
  return end - from;
}

/** A run of N backticks closes only at the next run of exactly N. */
function closingRun(text: string, from: number, ticks: number): number | undefined {
  for (let at = text.indexOf("`", from); at >= 0; ) {
    const length = runLength(text, at);
    if (length === ticks) return at;
    at = text.indexOf("`", at + length);
  }
  return undefined;
}

function skipSpace(text: string, from: number): number {
  let at = from;
  while (at < text.length && /\s/.test(text[at] as string)) at++;
  return at;
}

/** What makes `[…]` a link: `(destination "title")` or `[label]` right after the `]` at `from - 1`. */
function linkTail(text: string, from: number): { readonly end: number; readonly target?: string } | undefined {
  if (text[from] === "[") {
    const close = text.indexOf("]", from + 1);
    return close >= 0 && !text.slice(from + 1, close).includes("[") ? { end: close + 1 } : undefined;
  }
  if (text[from] !== "(") return undefined;
  let at = skipSpace(text, from + 1);
  let target: string;
  if (text[at] === "<") {
    const close = text.indexOf(">", at);
    if (close < 0 || text.slice(at, close).includes("\n")) return undefined;
    target = text.slice(at + 1, close);
    at = close + 1;
  } else {
    const start = at;
    for (let depth = 0; at < text.length && !/\s/.test(text[at] as string); at++) {
      if (text[at] === "\\") at++;
      else if (text[at] === "(") depth++;
      else if (text[at] === ")") {
        if (depth === 0) break;
        depth--;
      }
    }
    target = text.slice(start, at);
  }
  at = skipSpace(text, at);
  const quote = text[at];
  if (quote === '"' || quote === "'" || quote === "(") {
    const close = text.indexOf(quote === "(" ? ")" : quote, at + 1);
    if (close < 0) return undefined;
    at = skipSpace(text, close + 1);
  }
  return text[at] === ")" ? { end: at + 1, target } : undefined;
}

/**
 * The code spans and link texts of one paragraph, left to right as CommonMark reads them:
 * escapes, code spans and HTML comments first, so that brackets inside them are text.
 */
/** A stretch of a paragraph, `end` exclusive. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

export interface InlineScan {
  readonly spans: readonly CodeSpan[];
  readonly links: readonly LinkText[];
  /** HTML comments: not shown. */
  readonly comments: readonly Range[];
}

export function scanInline(text: string): InlineScan {
  const spans: CodeSpan[] = [];
  const links: LinkText[] = [];
  const comments: Range[] = [];
  const openers: number[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at];
    if (char === "\\" && ESCAPABLE.test(text[at + 1] ?? "")) {
      at += 2;
      continue;
    }
    if (char === "`") {
      const ticks = runLength(text, at);
      const close = closingRun(text, at + ticks, ticks);
      if (close !== undefined) spans.push({ start: at, end: close + ticks, ticks });
      at = (close ?? at) + ticks;
      continue;
    }
    const commentEnd = text.startsWith("<!--", at) ? text.indexOf("-->", at + 2) : -1;
    if (commentEnd >= 0) {
      comments.push({ start: at, end: commentEnd + 3 });
      at = commentEnd + 3;
      continue;
    }
    if (char === "[") openers.push(at);
    const open = char === "]" ? openers.pop() : undefined;
    const tail = open === undefined ? undefined : linkTail(text, at + 1);
    if (open !== undefined && tail) {
      links.push({ open, close: at, ...tail });
      openers.length = 0; // a link cannot contain another: the brackets around this one are text
      at = tail.end;
      continue;
    }
    at++;
  }
  return { spans, links, comments };
}

export interface Chunk {
  readonly text: string;
  readonly prose: boolean;
  /**
   * What a non-prose line is: code (fenced or indented), an HTML comment, raw HTML (an HTML
   * block: shown as text by GitHub, Markdown not read), or anything else (blank, a break).
   */
  readonly kind: "prose" | "code" | "comment" | "html" | "other";
}

/** Where a line's first non-blank character is, and its column (tabs stop every 4, as in CommonMark). */
function firstNonBlank(text: string, startColumn = 0): { readonly index: number; readonly column: number } {
  let index = 0;
  let column = startColumn;
  for (; text[index] === " " || text[index] === "\t"; index++) {
    column = text[index] === "\t" ? column + 4 - (column % 4) : column + 1;
  }
  return { index, column };
}

type BlockStart = "fence" | "break" | "heading" | "quote" | "comment" | "html" | "list";

/** What a line (from its first non-blank character) opens, if anything that ends a paragraph. */
function blockStart(content: string, interruptsParagraph: boolean): BlockStart | undefined {
  const fence = FENCE.exec(content);
  if (fence && !(content.startsWith("`") && (fence[2] as string).includes("`"))) return "fence";
  if (THEMATIC_BREAK.test(content)) return "break";
  if (HEADING.test(content)) return "heading";
  if (content.startsWith(">")) return "quote";
  if (content.startsWith("<!--")) return "comment";
  if (HTML_BLOCK_TAG.test(content) || (!interruptsParagraph && HTML_LONE_TAG.test(content))) return "html";
  const marker = LIST_MARKER.exec(content);
  if (!marker) return undefined;
  // A new list may interrupt a paragraph only with a non-empty first item, numbered 1 if ordered.
  const empty = content.slice(marker[0].length).trim() === "";
  return interruptsParagraph && (empty || (marker[1] !== undefined && Number(marker[1]) !== 1)) ? undefined : "list";
}

/**
 * Splits a Markdown text into paragraphs of prose and lines that are not prose (code, HTML
 * comments, blank lines). List items are tracked by their content column, so that a fence or
 * an indented code block inside one is seen, and its continuation lines are not taken for code.
 */
export function splitBlocks(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let paragraph: string[] | undefined;
  const flush = (): void => {
    if (paragraph) chunks.push({ text: paragraph.join("\n"), prose: true, kind: "prose" });
    paragraph = undefined;
  };
  const verbatim = (line: string, kind: "code" | "comment" | "html" | "other"): void => {
    flush();
    chunks.push({ text: line, prose: false, kind });
  };
  /** Content columns of the open list items, outermost first. */
  const items: number[] = [];
  let fence: { readonly char: string; readonly length: number; readonly base: number } | undefined;
  let indentedBase: number | undefined;
  let inComment = false;
  let inHtml = false;
  /** The content column of the list item an open comment is in (0 outside lists). */
  let commentBase = 0;

  for (const line of text.split("\n")) {
    const blank = line.trim() === "";
    const first = firstNonBlank(line);
    // Like a fence, a comment inside a list item ends with the item.
    if (inComment && !blank && first.column < commentBase) inComment = false;
    if (inComment) {
      inComment = !line.includes("-->");
      verbatim(line, "comment");
      continue;
    }
    if (inHtml && !blank) {
      verbatim(line, "html");
      continue;
    }
    inHtml = false;
    // A fence inside a list item ends with the item.
    if (fence && !blank && first.column < fence.base) fence = undefined;
    if (fence) {
      const close = FENCE_CLOSE.exec(line.slice(first.index))?.[1];
      if (close && close[0] === fence.char && close.length >= fence.length && first.column - fence.base <= 3) fence = undefined;
      verbatim(line, "code");
      continue;
    }
    if (blank) {
      verbatim(line, "other");
      continue;
    }
    if (indentedBase !== undefined && first.column >= indentedBase + 4) {
      verbatim(line, "code");
      continue;
    }
    indentedBase = undefined;

    let { column } = first;
    let content = line.slice(first.index);
    let depth = items.length;
    while (depth > 0 && column < (items[depth - 1] as number)) depth--;
    let continues = paragraph !== undefined;
    for (;;) {
      const base = depth > 0 ? (items[depth - 1] as number) : 0;
      const start = column - base <= 3 ? blockStart(content, continues && depth === items.length) : undefined;
      if (start === undefined && continues) {
        // Paragraph continuation, lazy or not, whatever its indentation: the items stay open.
        paragraph?.push(line);
        break;
      }
      flush();
      items.length = depth;
      if (start === undefined) {
        // Indented code cannot interrupt a paragraph: only here, after a blank line or a block.
        if (column - base >= 4) {
          indentedBase = base;
          verbatim(line, "code");
        } else paragraph = [line];
        break;
      }
      if (start === "fence") {
        const opener = FENCE.exec(content)?.[1] as string;
        fence = { char: opener[0] as string, length: opener.length, base };
        verbatim(line, "code");
      } else if (start === "comment") {
        inComment = !content.includes("-->", 2);
        commentBase = base;
        verbatim(line, "comment");
      } else if (start === "html") {
        inHtml = true;
        verbatim(line, "html");
      } else if (start === "break") verbatim(line, "other");
      else if (start === "heading") chunks.push({ text: line, prose: true, kind: "prose" });
      else if (start === "quote") paragraph = [line];
      else {
        // A list item: what follows its marker is read again, inside the item.
        const marker = (LIST_MARKER.exec(content) as RegExpExecArray)[0];
        const after = content.slice(marker.length);
        const markerEnd = column + marker.length;
        const inner = firstNonBlank(after, markerEnd);
        if (inner.index === after.length) {
          items.push(markerEnd + 1);
          verbatim(line, "other");
          break;
        }
        // Five or more spaces after the marker: the item starts with indented code.
        items.push(inner.column - markerEnd > 4 ? markerEnd + 1 : inner.column);
        depth = items.length;
        column = inner.column;
        content = after.slice(inner.index);
        continues = false;
        continue;
      }
      break;
    }
  }
  flush();
  return chunks;
}

/** Whether an HTML comment begun on an earlier raw line is still open. */
export interface RawState {
  open: boolean;
}

/**
 * A raw line (an HTML comment or HTML block line) as shown and hidden stretches: comments
 * are hidden, the rest is text GitHub shows (tags included). `<!-->` and `<!--->` are empty
 * comments, as for CommonMark 0.31 and browsers. `state` carries an unclosed comment over to
 * the next raw line.
 */
export function rawSegments(line: string, state: RawState): Array<{ readonly text: string; readonly hidden: boolean }> {
  const segments: Array<{ text: string; hidden: boolean }> = [];
  let at = 0;
  while (at < line.length) {
    if (state.open) {
      const end = line.indexOf("-->", at);
      const stop = end < 0 ? line.length : end + 3;
      segments.push({ text: line.slice(at, stop), hidden: true });
      state.open = end < 0;
      at = stop;
      continue;
    }
    const start = line.indexOf("<!--", at);
    if (start < 0) {
      segments.push({ text: line.slice(at), hidden: false });
      break;
    }
    if (start > at) segments.push({ text: line.slice(at, start), hidden: false });
    const empty = /^<!---?>/.exec(line.slice(start, start + 6))?.[0];
    if (empty) {
      segments.push({ text: empty, hidden: true });
      at = start + empty.length;
      continue;
    }
    state.open = true;
    segments.push({ text: "<!--", hidden: true });
    at = start + 4;
  }
  return segments;
}
