import { renderRaw, scanMarkdown, type RenderedText } from "../markdown/document.js";
import { mentionIndices } from "../markdown/mentions.js";

/**
 * Text devbuddy posts must not ping anyone: `@alice`, `@acme/maintainers`, `@devbuddy`
 * itself (which would make the App answer its own comment if it did not ignore them). A
 * zero-width space after the `@` keeps the name readable and stops GitHub from linking and
 * notifying it, the way GitHub's own bots quote handles. Judged by what GitHub renders, not
 * by the characters written: `_@alice_` shows an `@alice` of its own, `&#64;carol` and
 * `&#x40;acme/security` show an `@`, `\@dave` too, and raw HTML shows its text. Code (fenced,
 * indented, inline) is left alone, where a `@decorator` must stay copyable, and so are
 * link destinations and tag attributes. Pure and idempotent.
 */

export const NEUTRAL = "\u200b";

function collect(view: RenderedText, into: number[]): void {
  if (!view.text.includes("@")) return;
  for (const at of mentionIndices(view.text)) into.push(view.after[at] as number);
}

export function neutralizeMentions(markdown: string): string {
  // Every way to show an `@` needs `@` or a character reference.
  if (!markdown.includes("@") && !markdown.includes("&")) return markdown;
  const document = scanMarkdown(markdown);
  const inserts: number[] = [];
  for (const block of document.prose) collect(document.rendered(block, { altText: "text", bareLinks: "text" }), inserts);
  for (const piece of document.rawPieces(false)) if (piece.kind === "text") collect(renderRaw(markdown, piece), inserts);
  if (inserts.length === 0) return markdown;
  inserts.sort((a, b) => a - b);
  let result = "";
  let from = 0;
  for (const at of inserts) {
    if (at < from) continue;
    result += markdown.slice(from, at) + NEUTRAL;
    from = at;
  }
  return result + markdown.slice(from);
}
