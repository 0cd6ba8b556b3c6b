import { isPunctuation, isWhitespace } from "./characters.js";

/**
 * Which `*`, `_` and `~` render as emphasis (or GFM strikethrough) and which as themselves:
 * CommonMark's "process emphasis" (https://spec.commonmark.org/0.31.2/#phase-2-inline-structure),
 * with its `openers_bottom` marks, so a closer never searches past where an earlier one
 * failed and the whole run stays linear (`*a` or `a_` repeated 32,000 times included).
 */

export interface DelimiterRun {
  readonly char: string;
  readonly start: number;
  readonly length: number;
  readonly canOpen: boolean;
  readonly canClose: boolean;
}

/** A delimiter run at `[start, end)` of `text`, or undefined when it can neither open nor close. */
export function delimiterRun(text: string, start: number, end: number): DelimiterRun | undefined {
  const char = text[start] as string;
  const before = text[start - 1];
  const after = text[end];
  const left = !isWhitespace(after) && (!isPunctuation(after) || isWhitespace(before) || isPunctuation(before));
  const right = !isWhitespace(before) && (!isPunctuation(before) || isWhitespace(after) || isPunctuation(after));
  let canOpen = left;
  let canClose = right;
  if (char === "_") {
    // `_` inside a word neither opens nor closes (https://spec.commonmark.org/0.31.2/#can-open-emphasis).
    canOpen = left && (!right || isPunctuation(before));
    canClose = right && (!left || isPunctuation(after));
  }
  // GFM strikethrough: one or two tildes (https://github.github.com/gfm/#strikethrough-extension-).
  if (char === "~" && end - start > 2) return undefined;
  return canOpen || canClose ? { char, start, length: end - start, canOpen, canClose } : undefined;
}

interface Entry {
  readonly run: DelimiterRun;
  /** Characters not yet used, from `first`. */
  left: number;
  first: number;
  prev: number;
  next: number;
}

/**
 * Matches the runs `runs[from…]` (in text order) and returns the ranges they render as
 * markup; the rest of their characters are text.
 */
export function processEmphasis(runs: readonly DelimiterRun[], from: number): Array<{ readonly start: number; readonly end: number }> {
  const used: Array<{ start: number; end: number }> = [];
  const entries: Entry[] = [];
  for (let i = from; i < runs.length; i++) {
    const run = runs[i] as DelimiterRun;
    entries.push({ run, left: run.length, first: run.start, prev: entries.length - 1, next: entries.length + 1 });
  }
  const end = entries.length;
  const remove = (index: number): void => {
    const entry = entries[index] as Entry;
    if (entry.prev >= 0) (entries[entry.prev] as Entry).next = entry.next;
    if (entry.next < end) (entries[entry.next] as Entry).prev = entry.prev;
  };
  const bottoms = new Map<string, number>();
  let closerIndex = 0;
  while (closerIndex < end) {
    const closer = entries[closerIndex] as Entry;
    if (!closer.run.canClose) {
      closerIndex = closer.next;
      continue;
    }
    const key = `${closer.run.char}${closer.run.canOpen ? 1 : 0}${closer.run.length % 3}`;
    const floor = bottoms.get(key) ?? -1;
    let openerIndex = closer.prev;
    for (; openerIndex > floor && openerIndex >= 0; openerIndex = (entries[openerIndex] as Entry).prev) {
      const opener = entries[openerIndex] as Entry;
      if (opener.run.char !== closer.run.char || !opener.run.canOpen) continue;
      if (closer.run.char === "~") {
        if (opener.left === closer.left) break;
        continue;
      }
      const both = opener.run.canClose || closer.run.canOpen;
      const sum = opener.run.length + closer.run.length;
      if (both && sum % 3 === 0 && !(opener.run.length % 3 === 0 && closer.run.length % 3 === 0)) continue;
      break;
    }
    if (openerIndex > floor && openerIndex >= 0) {
      const opener = entries[openerIndex] as Entry;
      const use = closer.run.char === "~" ? closer.left : closer.left >= 2 && opener.left >= 2 ? 2 : 1;
      used.push({ start: opener.first + opener.left - use, end: opener.first + opener.left });
      used.push({ start: closer.first, end: closer.first + use });
      opener.left -= use;
      closer.left -= use;
      closer.first += use;
      // What lies between them is text now.
      opener.next = closerIndex;
      closer.prev = openerIndex;
      if (opener.left === 0) remove(openerIndex);
      if (closer.left === 0) {
        remove(closerIndex);
        closerIndex = closer.next;
      }
    } else {
      bottoms.set(key, closer.prev);
      const next = closer.next;
      if (!closer.run.canOpen) remove(closerIndex);
      closerIndex = next;
    }
  }
  return used;
}
