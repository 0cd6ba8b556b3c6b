import { isSpaceOrTab } from "./characters.js";
import { linkDestination, linkLabel, linkTitle, normalizeLabel, skipSpaceAndNewline } from "./link-parts.js";

/**
 * Link reference definitions (https://spec.commonmark.org/0.31.2/#link-reference-definitions):
 * `[label]: destination "title"`, where the destination and the title may each start on
 * the next line. They render as nothing, which is why `[//]: # (…)` hides remarks. They
 * are read at the start of a paragraph only (one cannot interrupt a paragraph), wherever the
 * paragraph is: in a block quote, in a list item.
 */

export interface DefinitionMatch {
  /** Index after the definition (after its line ending, when it has one). */
  readonly end: number;
  readonly label: string;
  readonly destinationStart: number;
  readonly destinationEnd: number;
}

function lineEndAfterSpaces(text: string, at: number): number {
  let end = at;
  while (isSpaceOrTab(text[end])) end++;
  if (end >= text.length) return end;
  if (text[end] === "\r") end++;
  return text[end] === "\n" ? end + 1 : end >= text.length ? end : -1;
}

/** The definition that starts at `at` in a paragraph's text, or undefined. */
export function linkDefinition(text: string, at: number): DefinitionMatch | undefined {
  const labelEnd = linkLabel(text, at);
  if (labelEnd < 0 || text[labelEnd] !== ":") return undefined;
  const label = normalizeLabel(text.slice(at + 1, labelEnd - 1));
  if (label === "") return undefined;
  const destinationAt = skipSpaceAndNewline(text, labelEnd + 1);
  const destination = linkDestination(text, destinationAt, false);
  if (!destination) return undefined;
  const found = { label, destinationStart: destination.start, destinationEnd: destination.end };
  const beforeTitle = destination.next;
  const titleAt = skipSpaceAndNewline(text, beforeTitle);
  if (titleAt > beforeTitle) {
    const titleEnd = linkTitle(text, titleAt);
    if (titleEnd >= 0) {
      const end = lineEndAfterSpaces(text, titleEnd);
      if (end >= 0) return { ...found, end };
    }
  }
  // No title (or one followed by more text on its line): the definition ends with the destination's line.
  const end = lineEndAfterSpaces(text, beforeTitle);
  return end >= 0 ? { ...found, end } : undefined;
}
