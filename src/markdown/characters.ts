/**
 * Character classes as CommonMark defines them (https://spec.commonmark.org/0.31.2/#characters-and-lines).
 * Each test looks at one character: nothing here can backtrack.
 */

export function isSpaceOrTab(char: string | undefined): boolean {
  return char === " " || char === "\t";
}

/** A line ending or the end of the text. */
export function isLineEnd(char: string | undefined): boolean {
  return char === undefined || char === "\n" || char === "\r";
}

const UNICODE_WHITESPACE = /^[\t\n\f\r\p{Zs}]$/u;
/** Unicode punctuation and symbols: CommonMark 0.31 counts both for flanking. */
const UNICODE_PUNCTUATION = /^[\p{P}\p{S}]$/u;
const ASCII_PUNCTUATION = /^[!-/:-@[-`{-~]$/;

/** Start or end of the text counts as whitespace for flanking (https://spec.commonmark.org/0.31.2/#left-flanking-delimiter-run). */
export function isWhitespace(char: string | undefined): boolean {
  return char === undefined || UNICODE_WHITESPACE.test(char);
}

export function isPunctuation(char: string | undefined): boolean {
  return char !== undefined && UNICODE_PUNCTUATION.test(char);
}

/** What a backslash may escape (https://spec.commonmark.org/0.31.2/#backslash-escapes). */
export function isAsciiPunctuation(char: string | undefined): boolean {
  return char !== undefined && ASCII_PUNCTUATION.test(char);
}

export function isAsciiAlphanumeric(char: string | undefined): boolean {
  if (char === undefined) return false;
  const code = char.charCodeAt(0);
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

export function isAsciiLetter(char: string | undefined): boolean {
  return isAsciiAlphanumeric(char) && !(char !== undefined && char >= "0" && char <= "9");
}

export function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= "0" && char <= "9";
}

/** The next occurrence of `needle` at or after a position, for positions that only grow: each search resumes the last. */
export class ForwardFinder {
  readonly #text: string;
  readonly #needle: string;
  #from = -1;
  #found = -1;

  constructor(text: string, needle: string) {
    this.#text = text;
    this.#needle = needle;
  }

  /** Index of the first `needle` at or after `from`, or -1. Linear over all calls with non-decreasing `from`; correct for any `from`. */
  next(from: number): number {
    if (this.#from >= 0 && from >= this.#from && (this.#found < 0 || from <= this.#found)) return this.#found;
    this.#from = from;
    this.#found = this.#text.indexOf(this.#needle, from);
    return this.#found;
  }
}
