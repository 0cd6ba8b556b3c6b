import { isDigit, isSpaceOrTab } from "./characters.js";
import { htmlBlockEnds, htmlBlockStart, rawTextTag, type HtmlBlockType } from "./html.js";
import { linkDefinition } from "./link-definitions.js";

/**
 * The block structure of a Markdown text, as CommonMark builds it
 * (https://spec.commonmark.org/0.31.2/#appendix-a-parsing-strategy): one pass over the lines,
 * each matched against the open containers (block quotes, list items), then against block
 * starts, with the leaf blocks (paragraphs, headings, code, HTML, thematic breaks) and link
 * reference definitions it finds, each with its source offsets. The container stack is a
 * plain array, so `- - - …` or `> > > …` nested 30,000 deep is a loop, not recursion; and a
 * blank line skips straight to the first container it ends, so blank lines under deep
 * nesting cost nothing per level. The work per line is proportional to the characters read.
 */

/** Part of one source line that belongs to a block: `[start, end)`, without the line ending. */
export interface SourceLine {
  readonly start: number;
  readonly end: number;
}

export type LeafKind = "paragraph" | "heading" | "fenced-code" | "indented-code" | "html" | "thematic-break";

export interface Leaf {
  readonly kind: LeafKind;
  /**
   * The block's content, line by line: for a paragraph or heading what inline parsing reads;
   * for a fenced code block its fence lines too (the first line is the opening fence).
   */
  readonly lines: readonly SourceLine[];
  /** Inside a block quote. */
  readonly quoted: boolean;
  /** Inside a list item. */
  readonly listed: boolean;
  readonly htmlType?: HtmlBlockType;
}

export interface Definition {
  /** The definition's source, from `[` to the end of its last line. */
  readonly start: number;
  readonly end: number;
  readonly label: string;
  readonly destinationStart: number;
  readonly destinationEnd: number;
}

/** What is still open where the text ends, as a block a footer would fall into. */
export type OpenBlock =
  | { readonly kind: "fence"; readonly char: string; readonly length: number; readonly nested: boolean }
  | { readonly kind: "html"; readonly type: HtmlBlockType; readonly tag: string; readonly nested: boolean };

export interface BlockScan {
  readonly leaves: readonly Leaf[];
  readonly definitions: readonly Definition[];
  readonly open: OpenBlock | undefined;
}

interface Quote {
  readonly kind: "quote";
}
interface Item {
  readonly kind: "item";
  /** Columns its content is indented by, from the column its container's content starts at. */
  readonly width: number;
  hasChild: boolean;
}
type Container = Quote | Item;

type OpenLeaf =
  | { kind: "paragraph"; lines: SourceLine[] }
  | { kind: "fenced-code"; lines: SourceLine[]; char: string; length: number; indent: number }
  | { kind: "indented-code"; lines: SourceLine[] }
  | { kind: "html"; lines: SourceLine[]; type: HtmlBlockType; tag: string };

const MAYBE_SPECIAL = /^[#`~*+_=<>0-9-]$/;

/** A paragraph's lines as one string, with the way back to source offsets. */
export class JoinedLines {
  readonly text: string;
  readonly lines: readonly SourceLine[];
  /** Where each line starts in `text`. */
  readonly starts: readonly number[];

  constructor(source: string, lines: readonly SourceLine[]) {
    this.lines = lines;
    const starts: number[] = [];
    let length = 0;
    for (const line of lines) {
      starts.push(length);
      length += line.end - line.start + 1;
    }
    this.starts = starts;
    this.text = lines.map((line) => source.slice(line.start, line.end)).join("\n");
  }

  /** The line holding index `at` of `text` (binary search). */
  lineOf(at: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] as number) <= at) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** The source offset of index `at` of `text` (a line's end maps to that source line's end). */
  toSource(at: number): number {
    const line = this.lineOf(at);
    const { start, end } = this.lines[line] as SourceLine;
    return Math.min(start + at - (this.starts[line] as number), end);
  }
}

class Parser {
  readonly leaves: Leaf[] = [];
  readonly definitions: Definition[] = [];
  readonly stack: Container[] = [];
  /** Indices in `stack` of the containers a blank line ends: block quotes, and list items still empty. */
  readonly blockers: number[] = [];
  leaf: OpenLeaf | undefined;

  // The line being read.
  line = "";
  lineStart = 0;
  offset = 0;
  column = 0;
  partialTab = false;
  nextNonspace = 0;
  nextNonspaceColumn = 0;
  indent = 0;
  blank = false;

  readonly source: string;

  constructor(source: string) {
    this.source = source;
  }

  /** How many block quotes and list items are open: kept as counts, so emitting a leaf costs nothing per level. */
  quotes = 0;
  items = 0;

  findNextNonspace(): void {
    let at = this.offset;
    let column = this.column;
    for (;;) {
      const char = this.line[at];
      if (char === " ") {
        at++;
        column++;
      } else if (char === "\t") {
        at++;
        column += 4 - (column % 4);
      } else break;
    }
    this.blank = at >= this.line.length;
    this.nextNonspace = at;
    this.nextNonspaceColumn = column;
    this.indent = column - this.column;
  }

  /** commonmark.js `advanceOffset`: by characters, or by columns (a tab may be consumed in part). */
  advanceOffset(count: number, columns: boolean): void {
    let left = count;
    while (left > 0 && this.offset < this.line.length) {
      if (this.line[this.offset] === "\t") {
        const toTab = 4 - (this.column % 4);
        if (columns) {
          this.partialTab = toTab > left;
          const advance = Math.min(toTab, left);
          this.column += advance;
          if (!this.partialTab) this.offset++;
          left -= advance;
        } else {
          this.partialTab = false;
          this.column += toTab;
          this.offset++;
          left--;
        }
      } else {
        this.partialTab = false;
        this.offset++;
        this.column++;
        left--;
      }
    }
  }

  advanceNextNonspace(): void {
    this.offset = this.nextNonspace;
    this.column = this.nextNonspaceColumn;
    this.partialTab = false;
  }

  /** The rest of the line from the current offset, as source offsets. */
  rest(from = this.offset): SourceLine {
    return { start: this.lineStart + from, end: this.lineStart + this.line.length };
  }

  // Leaves ------------------------------------------------------------------------------

  closeLeaf(): void {
    const leaf = this.leaf;
    this.leaf = undefined;
    if (!leaf) return;
    if (leaf.kind === "paragraph") {
      const lines = this.takeDefinitions(leaf.lines);
      if (lines.length > 0) this.emit("paragraph", lines);
      return;
    }
    if (leaf.kind === "indented-code") {
      // Trailing blank lines are not part of the block.
      let last = leaf.lines.length;
      while (last > 0 && this.isBlankSource(leaf.lines[last - 1] as SourceLine)) last--;
      this.emit("indented-code", leaf.lines.slice(0, last));
      return;
    }
    this.emit(leaf.kind, leaf.lines, leaf.kind === "html" ? leaf.type : undefined);
  }

  isBlankSource(line: SourceLine): boolean {
    return /^[ \t]*$/.test(this.source.slice(line.start, line.end));
  }

  emit(kind: LeafKind, lines: readonly SourceLine[], htmlType?: HtmlBlockType): void {
    this.leaves.push({ kind, lines, quoted: this.quotes > 0, listed: this.items > 0, ...(htmlType === undefined ? {} : { htmlType }) });
  }

  /** Reads the link reference definitions a paragraph starts with; returns the lines left. */
  takeDefinitions(lines: readonly SourceLine[]): SourceLine[] {
    const first = lines[0];
    if (!first || this.source[first.start] !== "[") return [...lines];
    const joined = new JoinedLines(this.source, lines);
    let at = 0;
    for (;;) {
      const found = joined.text[at] === "[" ? linkDefinition(joined.text, at) : undefined;
      if (!found) break;
      const endLine = joined.lineOf(Math.max(at, found.end - 1));
      const endsLine = found.end >= joined.text.length || joined.text[found.end - 1] === "\n";
      if (!endsLine) break;
      this.definitions.push({
        start: joined.toSource(at),
        end: (lines[endLine] as SourceLine).end,
        label: found.label,
        destinationStart: joined.toSource(found.destinationStart),
        destinationEnd: joined.toSource(found.destinationEnd),
      });
      at = found.end;
      if (at >= joined.text.length) return [];
    }
    return lines.slice(joined.lineOf(at));
  }

  // Containers --------------------------------------------------------------------------

  /** Closes the containers past `depth` (and the leaf, which is inside the innermost). */
  closeTo(depth: number): void {
    if (depth < this.stack.length) this.closeLeaf();
    while (this.stack.length > depth) {
      if ((this.stack.pop() as Container).kind === "quote") this.quotes--;
      else this.items--;
    }
    while (this.blockers.length > 0 && (this.blockers[this.blockers.length - 1] as number) >= this.stack.length) this.blockers.pop();
  }

  /** Something starts in the innermost container: an item there is no longer empty. */
  noteChild(): void {
    const top = this.stack[this.stack.length - 1];
    if (top?.kind === "item" && !top.hasChild) {
      top.hasChild = true;
      if (this.blockers[this.blockers.length - 1] === this.stack.length - 1) this.blockers.pop();
    }
  }

  push(container: Container): void {
    this.closeLeaf();
    this.noteChild();
    if (container.kind === "quote" || !container.hasChild) this.blockers.push(this.stack.length);
    if (container.kind === "quote") this.quotes++;
    else this.items++;
    this.stack.push(container);
  }

  openLeaf(leaf: OpenLeaf): void {
    this.closeLeaf();
    this.noteChild();
    this.leaf = leaf;
  }

  singleLine(kind: LeafKind, line: SourceLine): void {
    this.closeLeaf();
    this.noteChild();
    this.emit(kind, [line]);
  }

  // Lines -------------------------------------------------------------------------------

  readLine(line: string, lineStart: number): void {
    this.line = line;
    this.lineStart = lineStart;
    this.offset = 0;
    this.column = 0;
    this.partialTab = false;

    let matched = 0;
    if (/^[ \t]*$/.test(line)) {
      // A blank line continues every container but block quotes and empty list items.
      matched = this.blockers[0] ?? this.stack.length;
      this.offset = line.length;
      this.blank = true;
    } else {
      for (; matched < this.stack.length; matched++) {
        const container = this.stack[matched] as Container;
        this.findNextNonspace();
        if (container.kind === "quote") {
          if (this.indent > 3 || line[this.nextNonspace] !== ">") break;
          this.advanceNextNonspace();
          this.advanceOffset(1, false);
          if (isSpaceOrTab(line[this.offset])) this.advanceOffset(1, true);
        } else if (this.blank) {
          // Blank after the quotes' markers (`> `): an item goes on if it has begun.
          if (!container.hasChild) break;
          this.advanceNextNonspace();
        } else if (this.indent >= container.width) {
          this.advanceOffset(container.width, true);
        } else break;
      }
    }
    const allMatched = matched === this.stack.length;
    if (allMatched && this.leaf) {
      if (this.continueLeaf()) return;
      // Indented code that this line does not continue ends here; a paragraph may go on.
      if (this.leaf.kind !== "paragraph") this.closeLeaf();
    }

    let paragraphHere = allMatched && this.leaf?.kind === "paragraph";
    /** The innermost open block is a paragraph (possibly one this line may lazily continue). */
    let tipParagraph = this.leaf?.kind === "paragraph";
    let depth = matched;
    let opened = false;
    const enter = (): void => {
      if (!opened) this.closeTo(depth);
      opened = true;
    };

    for (;;) {
      this.findNextNonspace();
      const at = this.nextNonspace;
      const char = line[at];
      const indented = this.indent >= 4;
      if (!indented && !MAYBE_SPECIAL.test(char ?? "")) {
        this.advanceNextNonspace();
        break;
      }
      if (indented) {
        if (!tipParagraph && !this.blank) {
          this.advanceOffset(4, true);
          enter();
          this.openLeaf({ kind: "indented-code", lines: [] });
        } else this.advanceNextNonspace();
        break;
      }
      if (char === ">") {
        this.advanceNextNonspace();
        this.advanceOffset(1, false);
        if (isSpaceOrTab(line[this.offset])) this.advanceOffset(1, true);
        enter();
        this.push({ kind: "quote" });
        depth = this.stack.length;
        paragraphHere = false;
        tipParagraph = false;
        continue;
      }
      const heading = /^#{1,6}(?=[ \t]|$)/.exec(line.slice(at, at + 8));
      if (heading) {
        enter();
        this.singleLine("heading", this.atxContent(at + heading[0].length));
        return;
      }
      const fence = this.fenceAt(at);
      if (fence) {
        enter();
        this.openLeaf({ kind: "fenced-code", lines: [this.rest(at)], char: fence.char, length: fence.length, indent: this.indent });
        return;
      }
      const html = htmlBlockStart(line, at, tipParagraph && !this.blank);
      if (html !== undefined) {
        enter();
        this.openLeaf({ kind: "html", lines: [], type: html, tag: html === 1 ? rawTextTag(line, at) : "" });
        break;
      }
      if (paragraphHere && (char === "=" || char === "-") && /^(?:=+|-+)[ \t]*$/.test(line.slice(at))) {
        if (this.setextHeading()) return;
      }
      if (this.isThematicBreak(at)) {
        enter();
        this.singleLine("thematic-break", this.rest(at));
        return;
      }
      const item = this.listItem(at, paragraphHere);
      if (item) {
        enter();
        this.push(item);
        depth = this.stack.length;
        paragraphHere = false;
        tipParagraph = false;
        continue;
      }
      this.advanceNextNonspace();
      break;
    }

    if (!opened && !allMatched && !this.blank && this.leaf?.kind === "paragraph") {
      // A lazy continuation line: the paragraph goes on, its containers stay open.
      this.leaf.lines.push(this.rest());
      return;
    }
    if (!opened) this.closeTo(depth);
    if (this.leaf) {
      this.addToLeaf();
      return;
    }
    if (!this.blank) {
      this.openLeaf({ kind: "paragraph", lines: [this.rest()] });
    }
  }

  /** A line of the open leaf when every container matched; false when the leaf does not take it. */
  continueLeaf(): boolean {
    const leaf = this.leaf as OpenLeaf;
    this.findNextNonspace();
    switch (leaf.kind) {
      case "fenced-code": {
        const at = this.nextNonspace;
        if (this.indent <= 3 && this.line[at] === leaf.char) {
          let end = at;
          while (this.line[end] === leaf.char) end++;
          if (end - at >= leaf.length && /^[ \t]*$/.test(this.line.slice(end))) {
            leaf.lines.push(this.rest(at));
            this.closeLeaf();
            return true;
          }
        }
        for (let skip = leaf.indent; skip > 0 && isSpaceOrTab(this.line[this.offset]); skip--) this.advanceOffset(1, true);
        leaf.lines.push(this.rest());
        return true;
      }
      case "indented-code":
        if (this.indent >= 4) this.advanceOffset(4, true);
        else if (this.blank) this.advanceNextNonspace();
        else return false;
        leaf.lines.push(this.rest());
        return true;
      case "html":
        if (this.blank && leaf.type >= 6) {
          this.closeLeaf();
          return true;
        }
        this.addToLeaf();
        return true;
      case "paragraph":
        if (this.blank) {
          this.closeLeaf();
          return true;
        }
        return false;
    }
  }

  addToLeaf(): void {
    const leaf = this.leaf as OpenLeaf;
    if (leaf.kind === "paragraph") {
      if (!this.blank) leaf.lines.push(this.rest());
      return;
    }
    leaf.lines.push(this.rest());
    if (leaf.kind === "html" && leaf.type <= 5 && htmlBlockEnds(leaf.type, this.line.slice(this.offset))) this.closeLeaf();
  }

  /** An ATX heading's text: after the opening `#`s, without a closing sequence. */
  atxContent(from: number): SourceLine {
    let start = from;
    while (isSpaceOrTab(this.line[start])) start++;
    let end = this.line.length;
    while (end > start && isSpaceOrTab(this.line[end - 1])) end--;
    let hashes = end;
    while (hashes > start && this.line[hashes - 1] === "#") hashes--;
    if (hashes < end && (hashes === start || isSpaceOrTab(this.line[hashes - 1]))) {
      end = hashes;
      while (end > start && isSpaceOrTab(this.line[end - 1])) end--;
    }
    return { start: this.lineStart + start, end: this.lineStart + end };
  }

  fenceAt(at: number): { readonly char: string; readonly length: number } | undefined {
    const char = this.line[at];
    if (char !== "`" && char !== "~") return undefined;
    let end = at;
    while (this.line[end] === char) end++;
    if (end - at < 3) return undefined;
    // A backtick fence's info string cannot contain a backtick.
    if (char === "`" && this.line.indexOf("`", end) >= 0) return undefined;
    return { char, length: end - at };
  }

  /**
   * `***`, `- - -`, `___` alone on the rest of the line. Asked once per nesting level of a
   * line like `- - - … x`, so where the line stops being one is found once per line and
   * character, not once per level: the time stays linear in the line, however deep it nests.
   */
  isThematicBreak(at: number): boolean {
    const char = this.line[at];
    if (char !== "*" && char !== "-" && char !== "_") return false;
    if (this.#breakLine !== this.lineStart) {
      this.#breakLine = this.lineStart;
      this.#lastForeign.clear();
    }
    let lastForeign = this.#lastForeign.get(char);
    if (lastForeign === undefined) {
      lastForeign = this.line.length - 1;
      while (lastForeign >= 0 && (this.line[lastForeign] === char || isSpaceOrTab(this.line[lastForeign]))) lastForeign--;
      this.#lastForeign.set(char, lastForeign);
    }
    if (at <= lastForeign) return false;
    let count = 0;
    for (let i = at; i < this.line.length && count < 3; i++) if (this.line[i] === char) count++;
    return count >= 3;
  }

  #breakLine = -1;
  readonly #lastForeign = new Map<string, number>();

  /** `===` or `---` under a paragraph: it becomes a heading (unless it was all definitions). */
  setextHeading(): boolean {
    const leaf = this.leaf;
    if (leaf?.kind !== "paragraph") return false;
    const lines = this.takeDefinitions(leaf.lines);
    // All definitions: the paragraph stays open, empty, and the line is read on (commonmark.js).
    leaf.lines = lines;
    if (lines.length === 0) return false;
    this.leaf = undefined;
    this.emit("heading", lines);
    return true;
  }

  listItem(at: number, paragraphHere: boolean): Item | undefined {
    const line = this.line;
    let markerEnd: number;
    const char = line[at];
    if (char === "-" || char === "+" || char === "*") markerEnd = at + 1;
    else {
      let end = at;
      while (end - at < 9 && isDigit(line[end])) end++;
      if (end === at || (line[end] !== "." && line[end] !== ")")) return undefined;
      if (paragraphHere && line.slice(at, end) !== "1") return undefined;
      markerEnd = end + 1;
    }
    const after = line[markerEnd];
    if (!(after === undefined || isSpaceOrTab(after))) return undefined;
    if (paragraphHere && /^[ \t]*$/.test(line.slice(markerEnd))) return undefined;
    const markerOffset = this.indent;
    this.advanceNextNonspace();
    this.advanceOffset(markerEnd - at, true);
    const spacesStartColumn = this.column;
    const spacesStartOffset = this.offset;
    do {
      this.advanceOffset(1, true);
    } while (this.column - spacesStartColumn < 5 && isSpaceOrTab(line[this.offset]));
    const blankItem = this.offset >= line.length;
    const spaces = this.column - spacesStartColumn;
    let padding: number;
    if (spaces >= 5 || spaces < 1 || blankItem) {
      padding = markerEnd - at + 1;
      this.column = spacesStartColumn;
      this.offset = spacesStartOffset;
      this.partialTab = false;
      if (isSpaceOrTab(line[this.offset])) this.advanceOffset(1, true);
    } else padding = markerEnd - at + spaces;
    return { kind: "item", width: markerOffset + padding, hasChild: false };
  }

  finish(): OpenBlock | undefined {
    const leaf = this.leaf;
    const nested = this.stack.length > 0;
    let open: OpenBlock | undefined;
    if (leaf?.kind === "fenced-code") open = { kind: "fence", char: leaf.char, length: leaf.length, nested };
    else if (leaf?.kind === "html" && leaf.type <= 5) open = { kind: "html", type: leaf.type, tag: leaf.tag, nested };
    this.closeTo(0);
    this.closeLeaf();
    return open;
  }
}

/** Reads the blocks of a Markdown text. Lines end at `\n` (a `\r` before it is not content). */
export function scanBlocks(source: string): BlockScan {
  const parser = new Parser(source);
  let start = 0;
  while (start <= source.length) {
    let end = source.indexOf("\n", start);
    if (end < 0) end = source.length;
    const contentEnd = end > start && source[end - 1] === "\r" ? end - 1 : end;
    // The text after a final line ending is no line.
    if (!(start === source.length && start > 0)) parser.readLine(source.slice(start, contentEnd), start);
    start = end + 1;
  }
  const open = parser.finish();
  return { leaves: parser.leaves, definitions: parser.definitions, open };
}
