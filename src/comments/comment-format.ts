import { z } from "zod";

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
 */

/** GitHub rejects longer bodies with 422 "body is too long (maximum is 65536 characters)". */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Room kept for the footer; the text of one comment may use the rest. */
export const FOOTER_RESERVE = 1_536;
export const MAX_PART_CHARS = GITHUB_COMMENT_LIMIT - FOOTER_RESERVE;

const FOOTER_SEPARATOR = "\n\n<!-- devbuddy:footer -->\n";
const META_PATTERN = /<!-- devbuddy:meta (\{.*\}) -->\s*$/;

export type PartState = "streaming" | "done" | "failed" | "stopped" | "interrupted";

export const metaSchema = z.object({
  v: z.literal(1),
  run: z.string().min(1).max(64),
  part: z.number().int().min(1),
  state: z.enum(["streaming", "done", "failed", "stopped", "interrupted"]),
  /** What the run answers: "c<comment id>" or "i<issue id>"; makes redelivered requests recognisable. */
  trigger: z.string().max(40).optional(),
});

export type PartMeta = z.infer<typeof metaSchema>;

export interface RenderInput {
  readonly text: string;
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
  const meta = `<!-- devbuddy:meta ${JSON.stringify(input.meta)} -->`;
  return `${input.text}${FOOTER_SEPARATOR}${notice}${statusLine(input)}\n${meta}`;
}

export interface ParsedComment {
  readonly text: string;
  readonly meta: PartMeta;
}

/** Reads back a body written by `renderComment`; null when it is not one. */
export function parseComment(body: string): ParsedComment | null {
  const at = body.lastIndexOf(FOOTER_SEPARATOR);
  if (at < 0) return null;
  const match = META_PATTERN.exec(body.slice(at));
  if (!match?.[1]) return null;
  let json: unknown;
  try {
    json = JSON.parse(match[1]);
  } catch {
    return null;
  }
  const meta = metaSchema.safeParse(json);
  return meta.success ? { text: body.slice(0, at), meta: meta.data } : null;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** A fence line: three or more backticks or tildes, indented by any amount (list items indent them). */
const FENCE_LINE = /^\s*(`{3,}|~{3,})/;
const TABLE_ROW = /^\s*\|/;

/**
 * Where a cut would split a fenced code block or a table: for each line, whether a fence is
 * open at its start, and whether it is a table row. Depends only on the text before each line.
 */
function blockMap(text: string): { readonly starts: number[]; readonly fenced: boolean[]; readonly row: boolean[] } {
  const starts: number[] = [];
  const fenced: boolean[] = [];
  const row: boolean[] = [];
  let open: { readonly char: string; readonly length: number } | undefined;
  let at = 0;
  for (const line of text.split("\n")) {
    starts.push(at);
    fenced.push(open !== undefined);
    row.push(open === undefined && TABLE_ROW.test(line));
    const fence = FENCE_LINE.exec(line)?.[1];
    if (fence && !open) open = { char: fence[0] as string, length: fence.length };
    else if (fence && open && fence[0] === open.char && fence.length >= open.length && line.trim() === fence) open = undefined;
    at += line.length + 1;
  }
  return { starts, fenced, row };
}

/** Can text be cut at `at` without splitting a fenced block or a table? */
function keepsBlocksWhole(map: ReturnType<typeof blockMap>, text: string, at: number): boolean {
  // The line the cut falls in (or starts): the last line starting at or before `at`.
  let line = map.starts.length - 1;
  while (line > 0 && (map.starts[line] as number) > at) line--;
  const atLineStart = map.starts[line] === at;
  if (map.fenced[line] === true) return false;
  if (!atLineStart) {
    // Mid-line: not in an opening fence line's block, not inside a table row.
    return !map.row[line] && !FENCE_LINE.test(text.slice(map.starts[line], at));
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
          if (!safeOnly || (map && keepsBlocksWhole(map, text, start + cut))) return cut;
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
