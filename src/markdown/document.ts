import { scanBlocks, JoinedLines, type Definition, type Leaf, type OpenBlock, type SourceLine } from "./blocks.js";
import { characterReference } from "./entities.js";
import { htmlBlockCloser, rawHtmlPieces, type RawPiece, type RawState } from "./html.js";
import { scanInline, type InlineToken } from "./inline.js";

/**
 * devbuddy's one Markdown reader: what of a text is prose (and what a reader sees of it),
 * what is code, raw HTML, hidden (HTML comments, link reference definitions) or a link's
 * destination, with source offsets, and what is still open where the text ends. Every
 * reader of Markdown in the App (mentions, hidden text, term extraction, reference
 * checking, neutralizing, comment splitting) goes through here. Linear in the text. Pure.
 */

export type { Definition, Leaf, OpenBlock, SourceLine } from "./blocks.js";
export type { InlineToken, LinkToken } from "./inline.js";

/** A paragraph or heading with its inline tokens (offsets into `joined.text`). */
export interface ProseBlock {
  readonly leaf: Leaf;
  readonly joined: JoinedLines;
  readonly tokens: readonly InlineToken[];
}

/** A source range. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

/** Text as a reader sees it, and where in the source each of its characters ends. */
export interface RenderedText {
  readonly text: string;
  /** For character `i` of `text`: the source offset right after what shows it (insert there to follow it). */
  readonly after: readonly number[];
}

/**
 * Stands for markup between two stretches of text (a code span, a tag, an emphasis mark): a
 * new text node starts after it, so `<em>x</em>@alice` mentions as `@alice` would.
 */
export const BOUNDARY = "\u0001";

export interface RenderOptions {
  /** An image's alt text: shown as words (`"text"`) or left out, as GitHub's mention filter does (`"skip"`). */
  readonly altText: "text" | "skip";
  /** A bare `https://…`/`www.…` that GFM links: read as text, or left out (its text is an address). */
  readonly bareLinks: "text" | "skip";
}

export class MarkdownDocument {
  readonly leaves: readonly Leaf[];
  readonly definitions: readonly Definition[];
  readonly open: OpenBlock | undefined;
  readonly source: string;
  readonly #labels = new Map<string, Definition>();
  #prose: ProseBlock[] | undefined;

  constructor(source: string) {
    this.source = source;
    const blocks = scanBlocks(source);
    this.leaves = blocks.leaves;
    this.definitions = blocks.definitions;
    this.open = blocks.open;
    // The first definition of a label wins (https://spec.commonmark.org/0.31.2/#example-204).
    for (const definition of blocks.definitions) if (!this.#labels.has(definition.label)) this.#labels.set(definition.label, definition);
  }

  /** Paragraphs and headings, with their inline structure (scanned once, on first use). */
  get prose(): readonly ProseBlock[] {
    this.#prose ??= this.leaves
      .filter((leaf) => leaf.kind === "paragraph" || leaf.kind === "heading")
      .map((leaf) => {
        const joined = new JoinedLines(this.source, leaf.lines);
        return { leaf, joined, tokens: scanInline(joined.text, this.#labels) };
      });
    return this.#prose;
  }

  /** The definition a reference link's label names. */
  definition(label: string): Definition | undefined {
    return this.#labels.get(label);
  }

  /** Source range of a token of a prose block. */
  sourceRange(block: ProseBlock, range: Range): Range {
    return { start: block.joined.toSource(range.start), end: block.joined.toSource(range.end) };
  }

  /**
   * The raw HTML of HTML blocks, line by line, as a browser reads them: text it shows, tags,
   * hidden stretches (comments, `<?…>`, `<!…>`). With `carry`, a comment left open runs on
   * into the next HTML block, as it may in a browser (what hides text takes that view);
   * without, each block starts afresh (what neutralizes text takes that view: whatever may
   * be shown is treated as shown).
   */
  rawPieces(carry: boolean): RawPiece[] {
    let state: RawState = { until: "" };
    const pieces: RawPiece[] = [];
    for (const leaf of this.leaves) {
      if (leaf.kind !== "html") continue;
      if (!carry) state = { until: "" };
      for (const line of leaf.lines) pieces.push(...rawHtmlPieces(this.source, line.start, line.end, state));
    }
    return pieces;
  }

  /** What raw HTML leaves open where the text ends, as a browser reads it (`-->`, `>`), or "". */
  rawOpenAtEnd(): "" | "-->" | ">" {
    const state: RawState = { until: "" };
    for (const leaf of this.leaves) {
      if (leaf.kind !== "html") continue;
      for (const line of leaf.lines) rawHtmlPieces(this.source, line.start, line.end, state);
    }
    return state.until;
  }

  /** What a reader sees of a prose block, character by character, mapped back to the source. */
  rendered(block: ProseBlock, options: RenderOptions): RenderedText {
    const { joined } = block;
    const content = joined.text;
    const skips: Array<{ readonly start: number; readonly end: number; readonly token: InlineToken | undefined }> = [];
    for (const token of block.tokens) {
      if (token.kind === "link") {
        if (token.image && options.altText === "skip") skips.push({ start: token.start, end: token.end, token: undefined });
        else {
          skips.push({ start: token.start, end: token.start + (token.image ? 2 : 1), token: undefined });
          skips.push({ start: token.close, end: token.end, token: undefined });
        }
      } else if (!(token.kind === "autolink" && token.bare && options.bareLinks === "text")) {
        skips.push({ start: token.start, end: token.end, token });
      }
    }
    skips.sort((a, b) => a.start - b.start);
    let text = "";
    const after: number[] = [];
    const literal = (from: number, to: number): void => {
      if (from >= to) return;
      // Within one line, source offsets follow content offsets: one search per line, not per character.
      let line = joined.lineOf(from);
      for (let at = from; at < to; ) {
        const lineStart = joined.starts[line] as number;
        const lineEnd = Math.min(to, (joined.starts[line + 1] ?? content.length + 1) - 1);
        const source = (joined.lines[line] as SourceLine).start - lineStart;
        text += content.slice(at, lineEnd);
        for (; at < lineEnd; at++) after.push(source + at + 1);
        if (at < to) {
          // The line break between two lines of the block.
          text += "\n";
          after.push(joined.toSource(at) + 1);
          at++;
        }
        line++;
      }
    };
    let cursor = 0;
    for (const skip of skips) {
      if (skip.start < cursor) continue;
      literal(cursor, skip.start);
      const token = skip.token;
      const end = joined.toSource(skip.end);
      if (token?.kind === "escape") {
        text += content[token.start + 1];
        after.push(end);
      } else if (token?.kind === "entity") {
        for (const char of token.value) {
          text += char;
          after.push(end);
        }
      } else if (token?.kind === "break") {
        text += "\n";
        after.push(end);
      } else {
        text += BOUNDARY;
        after.push(end);
      }
      cursor = skip.end;
    }
    literal(cursor, content.length);
    return { text, after };
  }

  /** What to append so that nothing after the text falls into a block it left open (a fence, an HTML block, a comment). */
  closer(): string {
    const open = this.open;
    const newline = this.source.length === 0 || this.source.endsWith("\n") ? "" : "\n";
    // Inside a quote or a list item, the blank line before a footer already ends the container and what it holds.
    if (open && !open.nested) {
      if (open.kind === "fence") return `${newline}${open.char.repeat(open.length)}`;
      return htmlBlockCloser(open.type, open.tag);
    }
    return this.rawOpenAtEnd();
  }
}

/**
 * Raw HTML text as a browser shows it: character references decoded, the way an HTML parser
 * reads them (a numeric one needs no `;`).
 */
export function renderRaw(source: string, range: Range): RenderedText {
  let text = "";
  const after: number[] = [];
  for (let at = range.start; at < range.end; ) {
    const reference = source[at] === "&" ? characterReference(source.slice(at, Math.min(range.end, at + 40)), 0, true) : undefined;
    if (reference) {
      for (const char of reference.value) {
        text += char;
        after.push(at + reference.end);
      }
      at += reference.end;
    } else {
      text += source[at];
      after.push(at + 1);
      at++;
    }
  }
  return { text, after };
}

export function scanMarkdown(source: string): MarkdownDocument {
  return new MarkdownDocument(source);
}
