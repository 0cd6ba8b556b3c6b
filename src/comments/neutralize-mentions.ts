import { rawSegments, scanInline, splitBlocks, type Range, type RawState } from "./markdown-scan.js";

/**
 * Text devbuddy posts must not ping anyone the model names: `@alice`, `@acme/maintainers`,
 * `@devbuddy` itself (which would make the App answer its own comment if it did not ignore
 * them). A zero-width space after the `@` keeps the name readable and stops GitHub from
 * linking and notifying it, the way GitHub's own bots quote handles. Only prose is touched:
 * in code a `@decorator` must stay copyable. Pure and idempotent.
 */

export const NEUTRAL = "\u200b";

// GitHub links an @ after any character that is not a word character (its open-source
// MentionFilter: `(?:^|\W)@login`), so `-@alice` and `@@alice` ping too. Left alone: an @
// glued to a word (an e-mail address), and one inside a path or URL (after `.`, `/` or `:`),
// where a zero-width space would break the link. Right after an e-mail address, which GitHub
// turns into a link, an @ starts a new text again: `ops@example.com@alice`.
const MENTION = /(?:(?<![\w./:])|(?<=[\w.+-]@[\w-]+(?:\.[\w-]+)+))@(?=[A-Za-z0-9])/g;

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

/**
 * Raw HTML (an HTML block, the rest of a line an HTML comment is on): GitHub shows its text
 * and links mentions in it, backticks included, so only comments and the tags themselves
 * (their attributes are not text) are left alone.
 */
function neutralizeRaw(line: string, state: RawState): string {
  return rawSegments(line, state)
    .map((segment) => (segment.hidden ? segment.text : segment.text.replace(/<[^<>]*>|([^<]+)/g, (all, text?: string) => (text ? text.replace(MENTION, `@${NEUTRAL}`) : all))))
    .join("");
}

export function neutralizeMentions(markdown: string): string {
  if (!markdown.includes("@")) return markdown;
  const raw: RawState = { open: false };
  return splitBlocks(markdown)
    .map((chunk) => {
      if (chunk.prose) return neutralizeProse(chunk.text);
      return chunk.kind === "comment" || chunk.kind === "html" ? neutralizeRaw(chunk.text, raw) : chunk.text;
    })
    .join("\n");
}
