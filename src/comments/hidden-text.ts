import { rawHtmlPieces, type RawState } from "../markdown/html.js";
import { scanMarkdown, type Range } from "../markdown/document.js";

/**
 * What a reader of a comment does not see: HTML comments (`<!-- … -->`, whether a block or
 * inside a paragraph, in raw HTML too, and everything after one a raw HTML block leaves open
 * until something closes it, as a browser reads it), `<?…>` and `<!…>`, and link reference
 * definitions (`[//]: # (…)`, wherever a paragraph may start: in a quote, in a list item,
 * with the destination or the title on the next line). They are where issue templates keep
 * their instructions and where someone could hide instructions for devbuddy, so they never
 * reach the model. Code blocks keep theirs (`<!-- -->` in an HTML sample is code), and
 * `<details>` is shown to readers, so it stays. Read with the one Markdown reader
 * (src/markdown), in time linear in the text. Pure.
 */
export function hideComments(markdown: string): string {
  if (!markdown.includes("<!") && !markdown.includes("<?") && !markdown.includes("]:")) return markdown;
  const document = scanMarkdown(markdown);
  const hidden: Range[] = [];
  for (const definition of document.definitions) {
    // A definition on lines of its own goes with its line ending; inside a quote or an item,
    // the next line's `> ` or indentation stays where it is.
    const lineStart = definition.start === 0 || markdown[definition.start - 1] === "\n";
    const end = lineStart && markdown[definition.end] === "\r" ? definition.end + 1 : definition.end;
    hidden.push({ start: definition.start, end: lineStart && markdown[end] === "\n" ? end + 1 : definition.end });
  }
  const rawLineEnds = new Set<number>();
  const state: RawState = { until: "" };
  const prose = document.prose;
  let next = 0;
  for (const leaf of document.leaves) {
    const block = prose[next]?.leaf === leaf ? prose[next++] : undefined;
    if (leaf.kind === "html") {
      for (const line of leaf.lines) {
        for (const piece of rawHtmlPieces(markdown, line.start, line.end, state)) if (piece.kind === "comment") hidden.push(piece);
        rawLineEnds.add(line.end);
      }
      // The tags the renderer writes next (`</li>`, `<p>`) end a `<?…`/`<!…` a block left open; only `-->` ends a comment.
      if (state.until === ">") state.until = "";
      continue;
    }
    const first = leaf.lines[0];
    const last = leaf.lines[leaf.lines.length - 1];
    if (!first || !last) continue;
    let from = first.start;
    if (state.until !== "") {
      // A comment raw HTML left open hides what follows, until raw HTML (here: inline) closes it.
      const closing = block?.tokens.find((t) => t.kind === "html" && block.joined.text.slice(t.start, t.end).includes(state.until));
      if (!closing || !block) {
        hidden.push({ start: first.start, end: last.end });
        continue;
      }
      const raw = document.sourceRange(block, closing);
      from = markdown.indexOf(state.until, raw.start) + state.until.length;
      hidden.push({ start: first.start, end: from });
      state.until = "";
    }
    if (!block) continue;
    // Inline `<!-- … -->`, and `<?…?>`, `<!X…>`, `<![CDATA[…]]>`, which a browser hides too.
    for (const token of block.tokens) {
      if (token.kind !== "html" || token.html === "tag") continue;
      const range = document.sourceRange(block, token);
      if (range.end > from) hidden.push({ start: Math.max(from, range.start), end: range.end });
    }
  }
  if (hidden.length === 0) return markdown;
  hidden.sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let from = 0;
  for (const range of hidden) {
    if (range.end <= from) continue;
    parts.push(markdown.slice(from, Math.max(from, range.start)));
    from = range.end;
    // A raw HTML line loses the spaces a comment leaves at its end.
    if (rawLineEnds.has(range.end)) trimEnd(parts);
  }
  parts.push(markdown.slice(from));
  return parts.join("");
}

/** Drops the spaces and tabs the parts end with. */
function trimEnd(parts: string[]): void {
  while (parts.length > 0) {
    const last = parts[parts.length - 1] as string;
    let end = last.length;
    while (end > 0 && (last[end - 1] === " " || last[end - 1] === "\t")) end--;
    if (end > 0) {
      parts[parts.length - 1] = last.slice(0, end);
      return;
    }
    parts.pop();
  }
}
