import { isAsciiAlphanumeric, isAsciiLetter, isAsciiPunctuation, isWhitespace } from "./characters.js";
import { delimiterRun, processEmphasis, type DelimiterRun } from "./emphasis.js";
import { characterReference } from "./entities.js";
import { HtmlFinders, inlineHtml, type InlineHtmlKind } from "./html.js";
import { linkDestination, linkLabel, linkTitle, MAX_LABEL, normalizeLabel, skipSpaceAndNewline } from "./link-parts.js";

/**
 * Inline structure of one paragraph or heading (https://spec.commonmark.org/0.31.2/#inlines),
 * in one left-to-right pass with offsets into the paragraph's text:
 * - code spans: a run of N backticks closes at the next run of exactly N. The runs are
 *   listed once by length, and each length's list is read forward only, so backtick runs of
 *   many lengths cost no more than the text is long;
 * - links and images, inline (`[text](dest "title")`) or by reference; brackets are a stack,
 *   and "a link cannot contain a link" is a position mark, not a walk down the stack;
 * - autolinks (`<https://…>`, and GFM's bare `https://…` and `www.…`), raw HTML and comments,
 *   character references, backslash escapes;
 * - emphasis (`*`, `_`) and strikethrough (`~`): the marks that render as markup, which is
 *   how `_@alice_` shows an `@alice` of its own.
 * Pure.
 */

export type InlineToken =
  | { readonly kind: "code"; readonly start: number; readonly end: number; readonly ticks: number }
  | { readonly kind: "html"; readonly start: number; readonly end: number; readonly html: InlineHtmlKind }
  | { readonly kind: "autolink"; readonly start: number; readonly end: number; readonly bare: boolean }
  | { readonly kind: "escape"; readonly start: number; readonly end: number }
  | { readonly kind: "entity"; readonly start: number; readonly end: number; readonly value: string }
  | { readonly kind: "delimiter"; readonly start: number; readonly end: number }
  | { readonly kind: "break"; readonly start: number; readonly end: number }
  | LinkToken;

export interface LinkToken {
  readonly kind: "link";
  readonly image: boolean;
  /** `[` (or `!` of an image) at `start`, `]` at `close`, the whole link ends before `end`. */
  readonly start: number;
  readonly close: number;
  readonly end: number;
  /** An inline link's destination; a reference link's is its definition's. */
  readonly destination?: { readonly start: number; readonly end: number };
  /** The label a reference link was resolved by. */
  readonly label?: string;
}

/** Index after the bare URL starting at `at`, GFM's extended autolink (https://github.github.com/gfm/#autolinks-extension-), or -1. */
function bareAutolinkEnd(text: string, at: number): number {
  const head = text.slice(at, at + 8).toLowerCase();
  let domainAt: number;
  if (head.startsWith("www.")) domainAt = at + 4;
  else if (head.startsWith("https://")) domainAt = at + 8;
  else if (head.startsWith("http://")) domainAt = at + 7;
  else return -1;
  const before = text[at - 1];
  if (!(before === undefined || isWhitespace(before) || before === "*" || before === "_" || before === "~" || before === "(")) return -1;
  // A valid domain first (alphanumerics, `-`, `_`, `.`; checked loosely), so that a start
  // that is no link costs nothing: `(www.!` repeated would otherwise scan on each time.
  let domainEnd = domainAt;
  while (domainEnd < text.length && /[A-Za-z0-9._-]/.test(text[domainEnd] as string)) domainEnd++;
  if (domainEnd === domainAt) return -1;
  let end = domainEnd;
  while (end < text.length && !isWhitespace(text[end]) && text[end] !== "<") end++;
  // Trailing punctuation is not part of the link; nor is an unmatched `)`.
  let unmatched = 0;
  for (let i = at; i < end; i++) {
    if (text[i] === "(") unmatched--;
    else if (text[i] === ")") unmatched++;
  }
  for (;;) {
    const last = text[end - 1] as string;
    if ("?!.,:*_~'\"".includes(last)) end--;
    else if (last === ")" && unmatched > 0) {
      unmatched--;
      end--;
    } else if (last === ";") {
      let amp = end - 2;
      while (amp > domainAt && isAsciiAlphanumeric(text[amp])) amp--;
      if (text[amp] === "&" && amp < end - 2) end = amp;
      else break;
    } else break;
    if (end <= domainAt) return -1;
  }
  return end;
}

/** `<scheme:…>` or `<local@domain>` at `at`: index after the `>`, or -1 (https://spec.commonmark.org/0.31.2/#autolinks). */
function angleAutolinkEnd(text: string, at: number): number {
  let end = at + 1;
  if (isAsciiLetter(text[end])) {
    while (end - at - 1 < 33 && /[A-Za-z0-9+.-]/.test(text[end] ?? "")) end++;
    const scheme = end - at - 1;
    if (text[end] === ":" && scheme >= 2 && scheme <= 32) {
      for (end++; end < text.length; end++) {
        const char = text[end] as string;
        if (char === ">") return end + 1;
        if (char === "<" || char.charCodeAt(0) <= 0x20) return -1;
      }
      return -1;
    }
  }
  // E-mail: the HTML5 pattern, read by hand.
  end = at + 1;
  while (end < text.length && /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]/.test(text[end] as string)) end++;
  if (end === at + 1 || text[end] !== "@") return -1;
  let label = 0;
  let labels = 0;
  for (end++; end < text.length; end++) {
    const char = text[end] as string;
    if (isAsciiAlphanumeric(char) || (char === "-" && label > 0)) label++;
    else if (char === "." && label > 0 && text[end - 1] !== "-") {
      labels++;
      label = 0;
    } else if (char === ">" && label > 0 && text[end - 1] !== "-") return labels >= 0 ? end + 1 : -1;
    else return -1;
    if (label > 63) return -1;
  }
  return -1;
}

interface Bracket {
  readonly start: number;
  readonly image: boolean;
  /** How many delimiter runs came before it: those after it are the link text's. */
  readonly runs: number;
}

/** Backtick runs by length, each list read forward only. */
class BacktickRuns {
  readonly #byLength = new Map<number, number[]>();
  readonly #next = new Map<number, number>();

  constructor(text: string) {
    for (let at = text.indexOf("`"); at >= 0; ) {
      let end = at;
      while (text[end] === "`") end++;
      const list = this.#byLength.get(end - at);
      if (list) list.push(at);
      else this.#byLength.set(end - at, [at]);
      at = text.indexOf("`", end);
    }
  }

  /** The first run of exactly `length` backticks starting after `after`. */
  closer(length: number, after: number): number | undefined {
    const list = this.#byLength.get(length);
    if (!list) return undefined;
    let index = this.#next.get(length) ?? 0;
    while (index < list.length && (list[index] as number) <= after) index++;
    this.#next.set(length, index);
    return list[index];
  }
}

/** Scans the inline content of one paragraph or heading (`text` is its lines joined by `\n`). */
export function scanInline(text: string, definitions: { has(label: string): boolean }): InlineToken[] {
  const tokens: InlineToken[] = [];
  const backticks = new BacktickRuns(text);
  const finders = new HtmlFinders(text);
  const brackets: Bracket[] = [];
  const runs: DelimiterRun[] = [];
  const emphasis = (from: number): void => {
    for (const range of processEmphasis(runs, from)) tokens.push({ kind: "delimiter", ...range });
    runs.length = from;
  };
  /** Openers before this position are inactive: a link cannot contain a link. */
  let linkEnd = -1;
  /** Where the last unescaped `[` or `]` was: a reference label has none inside. */
  let lastBracket = -1;
  let at = 0;
  while (at < text.length) {
    const char = text[at] as string;
    if (char === "\\") {
      if (isAsciiPunctuation(text[at + 1])) {
        tokens.push({ kind: "escape", start: at, end: at + 2 });
        at += 2;
        continue;
      }
      if (text[at + 1] === "\n") tokens.push({ kind: "break", start: at, end: at + 1 });
      at++;
      continue;
    }
    if (char === "`") {
      let end = at;
      while (text[end] === "`") end++;
      const close = backticks.closer(end - at, end - 1);
      if (close !== undefined) {
        tokens.push({ kind: "code", start: at, end: close + end - at, ticks: end - at });
        at = close + end - at;
      } else at = end;
      continue;
    }
    if (char === "&") {
      const reference = characterReference(text, at);
      if (reference) {
        tokens.push({ kind: "entity", start: at, end: reference.end, value: reference.value });
        at = reference.end;
        continue;
      }
      at++;
      continue;
    }
    if (char === "<") {
      const autolink = angleAutolinkEnd(text, at);
      if (autolink >= 0) {
        tokens.push({ kind: "autolink", start: at, end: autolink, bare: false });
        at = autolink;
        continue;
      }
      const html = inlineHtml(text, at, finders);
      if (html) {
        tokens.push({ kind: "html", start: at, end: html.end, html: html.kind });
        at = html.end;
        continue;
      }
      at++;
      continue;
    }
    if (char === "[" || (char === "!" && text[at + 1] === "[")) {
      const image = char === "!";
      brackets.push({ start: at, image, runs: runs.length });
      lastBracket = at + (image ? 1 : 0);
      at += image ? 2 : 1;
      continue;
    }
    if (char === "]") {
      const opener = brackets.pop();
      const noBracketsInside = opener !== undefined && lastBracket === opener.start + (opener.image ? 1 : 0);
      lastBracket = at;
      if (!opener || (!opener.image && opener.start < linkEnd)) {
        at++;
        continue;
      }
      const link = linkAfter(text, at, opener, noBracketsInside, definitions);
      if (!link) {
        at++;
        continue;
      }
      tokens.push(link);
      emphasis(opener.runs);
      if (!opener.image) linkEnd = link.end;
      at = link.end;
      lastBracket = -1;
      continue;
    }
    if (char === "*" || char === "_" || char === "~") {
      let end = at;
      while (text[end] === char) end++;
      const run = delimiterRun(text, at, end);
      if (run) runs.push(run);
      at = end;
      continue;
    }
    if ((char === "h" || char === "H" || char === "w" || char === "W") && linkEnd < at) {
      const end = bareAutolinkEnd(text, at);
      if (end >= 0) {
        tokens.push({ kind: "autolink", start: at, end, bare: true });
        at = end;
        continue;
      }
    }
    if (char === "\n" && text[at - 1] === " " && text[at - 2] === " ") tokens.push({ kind: "break", start: at, end: at + 1 });
    at++;
  }
  emphasis(0);
  return tokens;
}

/** What makes `[…]` whose `]` is at `close` a link: `(dest "title")`, `[label]`, `[]`, or a defined label alone. */
function linkAfter(
  text: string,
  close: number,
  opener: Bracket,
  noBracketsInside: boolean,
  definitions: { has(label: string): boolean },
): LinkToken | undefined {
  const base = { kind: "link" as const, image: opener.image, start: opener.start, close };
  if (text[close + 1] === "(") {
    const destinationAt = skipSpaceAndNewline(text, close + 2);
    const destination = linkDestination(text, destinationAt, true);
    if (destination) {
      let at = skipSpaceAndNewline(text, destination.next);
      if (at > destination.next) {
        const title = linkTitle(text, at);
        if (title >= 0) at = skipSpaceAndNewline(text, title);
      }
      if (text[at] === ")") return { ...base, end: at + 1, destination: { start: destination.start, end: destination.end } };
    }
  }
  const textStart = opener.start + (opener.image ? 2 : 1);
  const collapsed = text[close + 1] === "[" && text[close + 2] === "]";
  const labelEnd = text[close + 1] === "[" && !collapsed ? linkLabel(text, close + 1) : -1;
  let label: string | undefined;
  let end = close + 1;
  if (labelEnd >= 0) {
    label = normalizeLabel(text.slice(close + 2, labelEnd - 1));
    end = labelEnd;
  } else if (noBracketsInside && close - textStart <= MAX_LABEL) {
    label = normalizeLabel(text.slice(textStart, close));
    if (collapsed) end = close + 3;
  }
  if (label === undefined || !definitions.has(label)) return undefined;
  return { ...base, end, label };
}

