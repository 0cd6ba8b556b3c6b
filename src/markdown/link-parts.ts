import { isAsciiPunctuation, isSpaceOrTab } from "./characters.js";

/**
 * The parts links and link reference definitions share: a label, a destination, a title
 * (https://spec.commonmark.org/0.31.2/#links). Each is read left to right once, and bounded:
 * a label by 999 characters, a destination's parenthesis nesting by 32 (as cmark), so
 * `[](` repeated is read in time linear in its length.
 */

export const MAX_LABEL = 999;
export const MAX_PAREN_NESTING = 32;

/** `[label]` at `at`: the index after its `]`, or -1. A label has no unescaped brackets. */
export function linkLabel(text: string, at: number): number {
  if (text[at] !== "[") return -1;
  let end = at + 1;
  let blank = true;
  while (end < text.length && end - at - 1 <= MAX_LABEL) {
    const char = text[end];
    if (char === "\\" && isAsciiPunctuation(text[end + 1])) {
      end += 2;
      blank = false;
      continue;
    }
    if (char === "[") return -1;
    if (char === "]") return blank || end - at - 1 > MAX_LABEL ? -1 : end + 1;
    if (!/\s/.test(char as string)) blank = false;
    end++;
  }
  return -1;
}

/** Label matching: case-folded, inner whitespace collapsed (https://spec.commonmark.org/0.31.2/#matches). */
export function normalizeLabel(label: string): string {
  return label.trim().replace(/[ \t\r\n]+/g, " ").toLowerCase().toUpperCase();
}

/** Spaces or tabs, and at most one line ending among them. */
export function skipSpaceAndNewline(text: string, at: number): number {
  let end = at;
  while (isSpaceOrTab(text[end])) end++;
  if (text[end] === "\r") end++;
  if (text[end] === "\n") end++;
  while (isSpaceOrTab(text[end])) end++;
  return end;
}

export interface Destination {
  /** The destination as written (without `<` `>`). */
  readonly start: number;
  readonly end: number;
  /** Index after it (after `>` for `<…>`). */
  readonly next: number;
}

function isControlOrSpace(char: string): boolean {
  const code = char.charCodeAt(0);
  return code <= 0x20 || code === 0x7f;
}

/** A link destination at `at`; `allowEmpty` for an inline link's `()`. */
export function linkDestination(text: string, at: number, allowEmpty: boolean): Destination | undefined {
  if (text[at] === "<") {
    for (let end = at + 1; end < text.length; end++) {
      const char = text[end];
      if (char === "\\" && isAsciiPunctuation(text[end + 1])) end++;
      else if (char === ">") return { start: at + 1, end, next: end + 1 };
      else if (char === "<" || char === "\n" || char === "\r") return undefined;
    }
    return undefined;
  }
  let end = at;
  let depth = 0;
  while (end < text.length) {
    const char = text[end] as string;
    if (char === "\\" && isAsciiPunctuation(text[end + 1])) end += 2;
    else if (char === "(") {
      if (++depth > MAX_PAREN_NESTING) return undefined;
      end++;
    } else if (char === ")") {
      if (depth === 0) break;
      depth--;
      end++;
    } else if (isControlOrSpace(char)) break;
    else end++;
  }
  if (depth !== 0) return undefined;
  if (end === at && !(allowEmpty && text[end] === ")")) return undefined;
  return { start: at, end, next: end };
}

/** A link title at `at` (`"…"`, `'…'` or `(…)`): the index after it, or -1. */
export function linkTitle(text: string, at: number): number {
  const open = text[at];
  const close = open === "(" ? ")" : open;
  if (open !== '"' && open !== "'" && open !== "(") return -1;
  for (let end = at + 1; end < text.length; end++) {
    const char = text[end];
    if (char === "\\" && isAsciiPunctuation(text[end + 1])) end++;
    else if (char === close) return end + 1;
    else if (open === "(" && char === "(") return -1;
  }
  return -1;
}
