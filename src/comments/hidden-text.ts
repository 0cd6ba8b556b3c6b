import { rawSegments, scanInline, splitBlocks, type RawState } from "./markdown-scan.js";

/**
 * What a reader of a comment does not see: HTML comments (`<!-- … -->`, whether a block or
 * inside a paragraph, in raw HTML too) and link reference definitions (`[//]: # (…)`). They are where issue templates keep their instructions and where
 * someone could hide instructions for devbuddy, so they never reach the model. Code blocks
 * keep theirs (`<!-- -->` in an HTML sample is code), and `<details>` is shown to readers, so
 * it stays. Pure.
 */
export function hideComments(markdown: string): string {
  if (!markdown.includes("<!--") && !LINK_DEFINITION_HINT.test(markdown)) return markdown;
  const raw: RawState = { open: false };
  const lines = splitBlocks(markdown).map((chunk) => {
    if (chunk.kind === "prose") return removeDefinitions(removeInline(chunk.text));
    if (chunk.kind !== "comment" && chunk.kind !== "html") return chunk.text;
    return rawSegments(chunk.text, raw)
      .filter((segment) => !segment.hidden)
      .map((segment) => segment.text)
      .join("")
      .trimEnd();
  });
  return lines.join("\n");
}

// A link reference definition renders as nothing (https://spec.commonmark.org/0.31.2/#link-reference-definitions):
// `[//]: # (…)` and `[comment]: <> (…)` are the usual ways to hide a remark in Markdown.
const LINK_DEFINITION_HINT = /^ {0,3}\[[^\]\n]+\]:/m;
const LINK_DEFINITION = /^ {0,3}\[(?:[^\]\\\n]|\\.)+\]:[ \t]*(?:<[^>\n]*>|\S+)(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*$/;

/**
 * Drops the link reference definitions a paragraph starts with: a reader never sees them.
 * (One cannot interrupt a paragraph: further down, the same line is text.)
 */
function removeDefinitions(paragraph: string): string {
  if (!LINK_DEFINITION_HINT.test(paragraph)) return paragraph;
  const lines = paragraph.split("\n");
  let first = 0;
  while (first < lines.length && LINK_DEFINITION.test(lines[first] as string)) first++;
  return lines.slice(first).join("\n");
}

function removeInline(paragraph: string): string {
  const { comments } = scanInline(paragraph);
  let result = "";
  let from = 0;
  for (const comment of comments) {
    result += paragraph.slice(from, comment.start);
    from = comment.end;
  }
  return result + paragraph.slice(from);
}
