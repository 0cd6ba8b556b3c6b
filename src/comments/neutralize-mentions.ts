import { scanInline, splitBlocks, type Range } from "./markdown-scan.js";

/**
 * Text devbuddy posts must not ping anyone the model names: `@alice`, `@acme/maintainers`,
 * `@devbuddy` itself (which would make the App answer its own comment if it did not ignore
 * them). A zero-width space after the `@` keeps the name readable and stops GitHub from
 * linking and notifying it, the way GitHub's own bots quote handles. Only prose is touched:
 * in code a `@decorator` must stay copyable. Pure and idempotent.
 */

export const NEUTRAL = "\u200b";

// GitHub's rule: an @ not glued to a word (e-mail addresses) nor inside a path or URL, followed
// by a login (letters, digits, hyphens) and optionally /team. Right after an e-mail address,
// which GitHub turns into a link, an @ starts a new text again: `ops@example.com@alice`.
const MENTION = /(?:(?<![\w@./:-])|(?<=[\w.+-]@[\w-]+(?:\.[\w-]+)+))@(?=[A-Za-z0-9])/g;

function outside(text: string, skipped: readonly Range[]): string {
  let result = "";
  let from = 0;
  for (const range of [...skipped].sort((a, b) => a.start - b.start)) {
    if (range.start < from) continue;
    result += text.slice(from, range.start).replace(MENTION, `@${NEUTRAL}`) + text.slice(range.start, range.end);
    from = range.end;
  }
  return result + text.slice(from).replace(MENTION, `@${NEUTRAL}`);
}

function neutralizeProse(paragraph: string): string {
  if (!paragraph.includes("@")) return paragraph;
  const { spans, links, comments } = scanInline(paragraph);
  // Code spans and comments are not rendered as text; a link's destination is a URL.
  const skipped: Range[] = [...spans, ...comments, ...links.map((link) => ({ start: link.close, end: link.end }))];
  return outside(paragraph, skipped);
}

export function neutralizeMentions(markdown: string): string {
  if (!markdown.includes("@")) return markdown;
  return splitBlocks(markdown)
    .map((chunk) => (chunk.prose ? neutralizeProse(chunk.text) : chunk.text))
    .join("\n");
}
