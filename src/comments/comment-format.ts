import { z } from "zod";
import { scanMarkdown } from "../markdown/document.js";
import { neutralizeMentions } from "./neutralize-mentions.js";

/**
 * How devbuddy's comments look, and how to read them back. Pure functions only.
 *
 * A comment body is the model's text, unchanged, followed by a footer that devbuddy
 * owns entirely:
 *
 *     <model text>
 *     \n\n<!-- devbuddy:footer -->\n
 *     [notice]            e.g. "⚠️ This answer is incomplete: …"
 *     <sub>status line</sub>
 *     <!-- devbuddy:meta {"v":1,"run":"…","part":1,"state":"done"} -->
 *
 * Everything from the footer separator on is stripped when the thread is read back, so
 * a later turn sees exactly what the model wrote.
 *
 * Two things keep the footer what devbuddy means it to be, whatever the text above it:
 * - a text that ends inside a block (a fence, an HTML block such as `<pre>`, an HTML
 *   comment) gets that block closed before the separator, or the notice, the status line
 *   and the meta would render as code or vanish; the meta says how many characters that
 *   closing took (`close`), so reading back still gives exactly the text;
 * - the footer itself is neutralized (src/comments/neutralize-mentions.ts): a config value
 *   quoted in a note (`found "@frank"`) or a model name (`devbuddy · @grace`) pings no one.
 */

/** GitHub rejects longer bodies with 422 "body is too long (maximum is 65536 characters)". */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Room kept for the footer; the text of one comment may use the rest. */
export const FOOTER_RESERVE = 1_536;
export const MAX_PART_CHARS = GITHUB_COMMENT_LIMIT - FOOTER_RESERVE;

/**
 * The longest closing devbuddy appends: it comes out of FOOTER_RESERVE. A fence opened with
 * more backticks than this (no one writes one) is left open.
 */
const MAX_CLOSER = 256;

const FOOTER_SEPARATOR = "\n\n<!-- devbuddy:footer -->\n";
const META_OPEN = "<!-- devbuddy:meta ";
const META_CLOSE = " -->";

export type PartState = "streaming" | "done" | "failed" | "stopped" | "interrupted";

export const metaSchema = z.object({
  v: z.literal(1),
  run: z.string().min(1).max(64),
  part: z.number().int().min(1),
  state: z.enum(["streaming", "done", "failed", "stopped", "interrupted"]),
  /** What the run answers: "c<comment id>" or "i<issue id>"; makes redelivered requests recognisable. */
  trigger: z.string().max(40).optional(),
  /** Characters devbuddy appended after the text to close a block the text left open. */
  close: z.number().int().min(1).max(MAX_CLOSER).optional(),
  /** Characters devbuddy put before the text to reopen a fence the previous part was cut inside. */
  open: z.number().int().min(1).max(MAX_CLOSER + 1).optional(),
});

export type PartMeta = z.infer<typeof metaSchema>;

export interface RenderInput {
  readonly text: string;
  /** Put before the text: the opening of a fence the previous part was cut inside (`reopener`). */
  readonly reopen?: string;
  readonly meta: PartMeta;
  /** A plainly worded notice shown above the status line (errors, interruptions). */
  readonly notice?: string;
  /** Facts about the answer shown above the notice (invalid config, what was left out, references checked). */
  readonly notes?: readonly string[];
  /** Model name or other short facts for the status line. */
  readonly model?: string;
  /** What the answer cost, e.g. "≈12.3k tokens": shown after the model, discreetly. */
  readonly usage?: string;
  /** Set while streaming: what devbuddy is doing now. */
  readonly activity?: string;
  readonly previousUrl?: string;
  readonly nextUrl?: string;
  /** Total parts, once known. */
  readonly parts?: number;
}

function statusLine(input: RenderInput): string {
  const bits: string[] = [];
  if (input.meta.state === "streaming") {
    bits.push(`⏳ ${input.activity ?? (input.text.length === 0 ? "thinking…" : "writing…")}`);
  }
  bits.push(input.model ? `devbuddy · ${input.model}` : "devbuddy");
  if (input.usage) bits.push(input.usage);
  if (input.parts !== undefined && input.parts > 1) bits.push(`part ${input.meta.part} of ${input.parts}`);
  if (input.previousUrl) bits.push(`continued from [the previous comment](${input.previousUrl})`);
  if (input.nextUrl) bits.push(`continued in [the next comment](${input.nextUrl})`);
  return `<sub>${bits.join(" · ")}</sub>`;
}

export function renderComment(input: RenderInput): string {
  const quote = (text: string): string => `> ${text.replace(/\n/g, "\n> ")}\n\n`;
  const notes = (input.notes ?? []).map(quote).join("");
  const notice = notes + (input.notice ? quote(input.notice) : "");
  const reopen = input.reopen ?? "";
  const needed = scanMarkdown(reopen + input.text).closer();
  const closer = needed.length <= MAX_CLOSER ? needed : "";
  const { close: _closed, open: _opened, ...rest } = input.meta;
  const fields = { ...rest, ...(closer ? { close: closer.length } : {}), ...(reopen ? { open: reopen.length } : {}) };
  const meta = `<!-- devbuddy:meta ${JSON.stringify(fields)} -->`;
  return `${reopen}${input.text}${closer}${FOOTER_SEPARATOR}${neutralizeMentions(`${notice}${statusLine(input)}`)}\n${meta}`;
}

/**
 * What a part must start with when the text before it (the earlier parts) ends inside a
 * fenced code block: the fence again, so the rest of the code renders as code (not as
 * prose, where an `@name` in it would ping and an image in it would load), or "" when it
 * does not. Only a fence at the top level is reopened; one inside a list or a quote stays
 * cut (rare: only a block longer than a whole part is cut inside).
 */
export function reopener(before: string): string {
  const open = scanMarkdown(before).open;
  if (open?.kind !== "fence" || open.nested || open.length > MAX_CLOSER) return "";
  return `${open.char.repeat(open.length)}\n`;
}

export interface ParsedComment {
  readonly text: string;
  readonly meta: PartMeta;
}

/** Reads back a body written by `renderComment`; null when it is not one. */
export function parseComment(body: string): ParsedComment | null {
  const at = body.lastIndexOf(FOOTER_SEPARATOR);
  if (at < 0) return null;
  // Read by position, not by a pattern: any comment in a thread can end in 65 KB of
  // "<!-- devbuddy:meta {" lookalikes, and a backtracking pattern is quadratic on them.
  const footer = body.slice(at + FOOTER_SEPARATOR.length);
  const start = footer.lastIndexOf(META_OPEN);
  if (start < 0) return null;
  const rest = footer.slice(start + META_OPEN.length).trimEnd();
  const raw = rest.endsWith(META_CLOSE) ? rest.slice(0, -META_CLOSE.length) : "";
  if (!raw.startsWith("{") || !raw.endsWith("}") || raw.includes("\n")) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const meta = metaSchema.safeParse(json);
  if (!meta.success) return null;
  const { close, open, ...data } = meta.data;
  return { text: body.slice(open ?? 0, Math.max(open ?? 0, at - (close ?? 0))), meta: data };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

const TABLE_ROW = /^[ \t]*\|/;

/** Where a cut would split a fenced code block or a table, line by line, as the one Markdown reader sees it. */
interface BlockMap {
  /** Where each line starts. */
  readonly starts: readonly number[];
  /** A fence is open at the line's start (it is a code line or the closing fence). */
  readonly fenced: readonly boolean[];
  /** The line opens a fence. */
  readonly opener: readonly boolean[];
  /** A table row outside code. */
  readonly row: readonly boolean[];
}

function lineOf(starts: readonly number[], at: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] as number) <= at) low = mid;
    else high = mid - 1;
  }
  return low;
}

function blockMap(text: string): BlockMap {
  const starts: number[] = [0];
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) starts.push(at + 1);
  const fenced = new Array<boolean>(starts.length).fill(false);
  const opener = new Array<boolean>(starts.length).fill(false);
  for (const leaf of scanMarkdown(text).leaves) {
    if (leaf.kind !== "fenced-code") continue;
    leaf.lines.forEach((line, i) => {
      const index = lineOf(starts, line.start);
      if (i === 0) opener[index] = true;
      else fenced[index] = true;
    });
  }
  const row = starts.map((start, i) => {
    if (fenced[i]) return false;
    const end = starts[i + 1] ?? text.length + 1;
    return TABLE_ROW.test(text.slice(start, Math.min(end - 1, start + 64)));
  });
  return { starts, fenced, opener, row };
}

/** Can text be cut at `at` without splitting a fenced code block or a table? */
function keepsBlocksWhole(map: BlockMap, at: number): boolean {
  const line = lineOf(map.starts, at);
  if (map.fenced[line] === true) return false;
  if (map.starts[line] !== at) {
    // Mid-line: not in an opening fence line, not inside a table row.
    return !map.row[line] && !map.opener[line];
  }
  return !(map.row[line] === true && map.row[line - 1] === true);
}

/**
 * Splits text into parts of at most `max` characters whose concatenation is the text.
 * Cuts after a paragraph break, else a line break, else a space, else anywhere (never
 * inside a surrogate pair). A cut that would split a fenced code block or a table moves
 * before it, even if that makes a short part; only a block longer than a whole part is
 * cut inside. A cut depends only on the text before it and the part's window, so while
 * text streams in, parts already cut never change.
 */
export function splitText(text: string, max: number = MAX_PART_CHARS): string[] {
  if (max < 2) throw new RangeError("max must be at least 2");
  const parts: string[] = [];
  const map = text.length > max ? blockMap(text) : undefined;
  let start = 0;
  while (text.length - start > max) {
    const window = text.slice(start, start + max);
    const cutAt = (minimum: number, safeOnly: boolean): number => {
      for (const boundary of ["\n\n", "\n", " "]) {
        for (let at = window.lastIndexOf(boundary); at >= minimum; at = window.lastIndexOf(boundary, at - 1)) {
          const cut = at + boundary.length;
          if (!safeOnly || (map && keepsBlocksWhole(map, start + cut))) return cut;
          if (at === 0) break;
        }
      }
      return -1;
    };
    let cut = cutAt(max / 2, true);
    if (cut < 0) {
      // The boundaries of the window's second half are all inside a block: cut before it, if
      // the window has room for that, else inside it after all.
      const inside = cutAt(max / 2, false);
      if (inside >= 0) {
        const before = cutAt(1, true);
        cut = before >= 0 ? before : inside;
      }
    }
    if (cut < 0) {
      cut = max;
      if (isHighSurrogate(window.charCodeAt(max - 1))) cut = max - 1;
    }
    parts.push(text.slice(start, start + cut));
    start += cut;
  }
  parts.push(text.slice(start));
  return parts;
}
