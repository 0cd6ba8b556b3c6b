import { decodeNamedCharacterReference } from "decode-named-character-reference";

/**
 * Entity and numeric character references (https://spec.commonmark.org/0.31.2/#entity-and-numeric-character-references):
 * `&amp;`, `&#64;`, `&#x40;` render as the character they name, so `&#64;carol` shows `@carol`.
 * Names come from the HTML5 list through `decode-named-character-reference` (the table
 * micromark uses), not a copy of it. Each reference is read in a bounded number of characters.
 */

export interface CharacterReference {
  /** Index after the reference. */
  readonly end: number;
  readonly value: string;
}

/** The longest entity name in HTML5 is 31 characters (`&CounterClockwiseContourIntegral;`). */
const MAX_NAME = 32;

function fromCodePoint(code: number): string {
  // https://spec.commonmark.org/0.31.2/#decimal-numeric-character: invalid code points become U+FFFD.
  return code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? "\uFFFD" : String.fromCodePoint(code);
}

/**
 * The reference at `at` (which holds `&`), as CommonMark reads it: a semicolon is required.
 * With `lenient`, as an HTML parser reads raw HTML: a numeric reference may end without one.
 */
export function characterReference(text: string, at: number, lenient = false): CharacterReference | undefined {
  if (text[at] !== "&") return undefined;
  if (text[at + 1] === "#") {
    const hex = text[at + 2] === "x" || text[at + 2] === "X";
    const first = at + (hex ? 3 : 2);
    let end = first;
    const limit = first + (hex ? 6 : 7);
    while (end < limit && end < text.length && (hex ? /[0-9a-fA-F]/ : /[0-9]/).test(text[end] as string)) end++;
    if (end === first) return undefined;
    const code = Number.parseInt(text.slice(first, end), hex ? 16 : 10);
    if (text[end] === ";") return { end: end + 1, value: fromCodePoint(code) };
    return lenient ? { end, value: fromCodePoint(code) } : undefined;
  }
  let end = at + 1;
  while (end < at + 1 + MAX_NAME && end < text.length && /[A-Za-z0-9]/.test(text[end] as string)) end++;
  if (end === at + 1 || text[end] !== ";") return undefined;
  const value = decodeNamedCharacterReference(text.slice(at + 1, end));
  return value === false ? undefined : { end: end + 1, value };
}
