import { scanMarkdown, type Range } from "../markdown/document.js";

/**
 * What a reader of a comment does not see: HTML comments (`<!-- … -->`, whether a block or
 * inside a paragraph, in raw HTML too) and link reference definitions (`[//]: # (…)`,
 * wherever a paragraph may start: in a quote, in a list item, with the destination or the
 * title on the next line). They are where issue templates keep their instructions and where
 * someone could hide instructions for devbuddy, so they never reach the model. Code blocks
 * keep theirs (`<!-- -->` in an HTML sample is code), and `<details>` is shown to readers, so
 * it stays. Read with the one Markdown reader (src/markdown), in time linear in the text. Pure.
 */
export function hideComments(markdown: string): string {
  if (!markdown.includes("<!--") && !markdown.includes("]:")) return markdown;
  const document = scanMarkdown(markdown);
  const hidden: Range[] = [];
  for (const definition of document.definitions) {
    // A definition on lines of its own goes with its line ending; inside a quote or an item,
    // the next line's `> ` or indentation stays where it is.
    const lineStart = definition.start === 0 || markdown[definition.start - 1] === "\n";
    const end = lineStart && markdown[definition.end] === "\r" ? definition.end + 1 : definition.end;
    hidden.push({ start: definition.start, end: lineStart && markdown[end] === "\n" ? end + 1 : definition.end });
  }
  for (const block of document.prose) {
    for (const token of block.tokens) if (token.kind === "html" && token.html === "comment") hidden.push(document.sourceRange(block, token));
  }
  const raw = document.rawPieces();
  for (const piece of raw) if (piece.kind === "comment") hidden.push(piece);
  if (hidden.length === 0) return markdown;
  hidden.sort((a, b) => a.start - b.start);
  // A raw HTML line loses the spaces a comment leaves at its end.
  const rawLineEnds = new Set(raw.map((piece) => piece.end));
  const parts: string[] = [];
  let from = 0;
  for (const range of hidden) {
    if (range.end <= from) continue;
    parts.push(markdown.slice(from, Math.max(from, range.start)));
    from = range.end;
    if (rawLineEnds.has(range.end) && (range.end === markdown.length || markdown[range.end] === "\n" || markdown[range.end] === "\r")) trimEnd(parts);
  }
  parts.push(markdown.slice(from));
  return parts.join("");
}

/** Drops the spaces and tabs the parts end with (each part is looked at once). */
function trimEnd(parts: string[]): void {
  while (parts.length > 0) {
    const last = parts[parts.length - 1] as string;
    const trimmed = last.replace(/[ \t]+$/, "");
    if (trimmed.length > 0 || last.length === 0) {
      parts[parts.length - 1] = trimmed;
      if (trimmed.length > 0) return;
    }
    parts.pop();
  }
}
