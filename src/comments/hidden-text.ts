import { scanInline, splitBlocks } from "./markdown-scan.js";

/**
 * What a reader of a comment does not see: HTML comments (`<!-- … -->`, whether a block or
 * inside a paragraph). They are where issue templates keep their instructions and where
 * someone could hide instructions for devbuddy, so they never reach the model. Code blocks
 * keep theirs (`<!-- -->` in an HTML sample is code), and `<details>` is shown to readers, so
 * it stays. Pure.
 */
export function hideComments(markdown: string): string {
  if (!markdown.includes("<!--")) return markdown;
  let open = false; // inside a comment that began on an earlier line
  const lines = splitBlocks(markdown).map((chunk) => {
    if (chunk.kind === "prose") return removeInline(chunk.text);
    if (chunk.kind !== "comment") return chunk.text;
    let line = chunk.text;
    if (open) {
      const end = line.indexOf("-->");
      if (end < 0) return "";
      line = line.slice(end + 3);
      open = false;
    }
    line = line.replace(/<!--[\s\S]*?-->/g, "");
    const start = line.indexOf("<!--");
    if (start >= 0) {
      open = true;
      line = line.slice(0, start);
    }
    return line.trimEnd();
  });
  return lines.join("\n");
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
