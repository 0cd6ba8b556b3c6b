import { HtmlRenderer, Parser, type Node } from "commonmark";
import { mentionIndices } from "../../src/markdown/mentions.js";

/**
 * commonmark.js, the CommonMark reference implementation, as the independent reader the
 * scanner is checked against (test only): its tree with source positions, and its HTML.
 */

export function oracleTree(markdown: string): Node {
  return new Parser().parse(markdown);
}

export function oracleHtml(markdown: string): string {
  return new HtmlRenderer().render(oracleTree(markdown));
}

/** 1-based line numbers inside code blocks and HTML blocks, as the oracle reads the text. */
export function oracleLines(markdown: string, type: "code_block" | "html_block"): Set<number> {
  const lines = new Set<number>();
  const walker = oracleTree(markdown).walker();
  for (let event = walker.next(); event; event = walker.next()) {
    const node = event.node;
    if (!event.entering || node.type !== type || !node.sourcepos) continue;
    const [[first], [last]] = node.sourcepos as [[number, number], [number, number]];
    for (let line = first; line <= last; line++) lines.add(line);
  }
  return lines;
}

/**
 * What a browser shows of HTML, text nodes apart (each markup stretch becomes U+0001):
 * read left to right as an HTML tokenizer does, without comments, `<?…>`/`<!…>` bogus
 * comments and tags.
 */
export function shownText(html: string): string {
  let out = "";
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf("<", at);
    if (open < 0) break;
    out += html.slice(at, open);
    let end: number;
    if (html.startsWith("<!--", open)) {
      const close = html.indexOf("-->", open + 4);
      end = close < 0 ? html.length : close + 3;
    } else if (html[open + 1] === "?" || html[open + 1] === "!" || /^<\/?[A-Za-z]/.test(html.slice(open, open + 3))) {
      const close = html.indexOf(">", open + 1);
      end = close < 0 ? html.length : close + 1;
    } else {
      out += "<";
      at = open + 1;
      continue;
    }
    out += "\u0001";
    at = end;
  }
  return out + html.slice(at);
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

/**
 * The `@login`s a browser would show as mentions in rendered HTML, judged as GitHub's
 * mention filter does: text outside `<code>`, `<pre>` and tags, each text node on its own.
 */
export function renderedMentions(html: string): string[] {
  const text = shownText(html.replace(/<pre>[\s\S]*?<\/pre>/g, "\u0001").replace(/<code>[\s\S]*?<\/code>/g, "\u0001"))
    // Numeric references need no `;` in HTML.
    .replace(/&(?:(#x[0-9a-f]+|#[0-9]+);?|(amp|lt|gt|quot);)/gi, (_, numeric: string | undefined, named: string | undefined) => decode(numeric ?? named ?? ""));
  return mentionIndices(text).map((at) => /^@[\w-]*/.exec(text.slice(at))?.[0] ?? "@");
}

function decode(name: string): string {
  if (name.startsWith("#x") || name.startsWith("#X")) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
  if (name.startsWith("#")) return String.fromCodePoint(Number(name.slice(1)));
  return NAMED[name.toLowerCase()] ?? "";
}
