import { BOUNDARY, scanMarkdown, type Leaf } from "../markdown/document.js";

/**
 * Does a comment ask devbuddy for something? Only prose counts: a mention inside fenced
 * or indented code, inline code, a block quote (someone quoting an earlier request), HTML
 * (comments included), an image's alt text or an address GFM links by itself (a bare URL
 * or e-mail address) is not a request. Read with the one Markdown reader (src/markdown),
 * in time linear in the comment: this runs on the webhook path, before the permission
 * check, for anyone who can comment. Pure.
 */

export type MentionCommand = "answer" | "stop";

export interface Mention {
  readonly command: MentionCommand;
}

const STOP_WORDS = new Set(["stop", "cancel"]);

/**
 * The prose of a Markdown document: the words a reader sees, without code, quotes, HTML or
 * bare addresses. A table's `|` separates cells, so it reads as a space.
 */
export function visibleProse(markdown: string): string {
  const document = scanMarkdown(markdown);
  const out: string[] = [];
  for (const block of document.prose) {
    if (block.leaf.quoted) continue;
    const { text } = document.rendered(block, { altText: "skip", bareLinks: "skip" });
    const shown = text.replaceAll(BOUNDARY, " ");
    out.push(isTable(document.source, block.leaf) ? shown.replaceAll("|", " ") : shown);
  }
  return out.join("\n");
}

/** A GFM table: its second line is a delimiter row (`| --- | :-: |`) (https://github.github.com/gfm/#tables-extension-). */
function isTable(source: string, leaf: Leaf): boolean {
  const second = leaf.lines[1];
  if (!second) return false;
  const row = source.slice(second.start, second.end);
  return row.includes("-") && /^[|:\- \t]+$/.test(row) && (row.includes("|") || (leaf.lines[0] !== undefined && source.slice(leaf.lines[0].start, leaf.lines[0].end).includes("|")));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function mentionPattern(slug: string): RegExp {
  // GitHub logins are letters, digits and hyphens; "x@slug" is an e-mail address, "@slug-x"
  // another account, "@slug/team" a team, "@slug.com" a domain (GitHub links a mention
  // followed by a dot only when the dot ends the word). "@slug[bot]" names the App itself.
  return new RegExp(`(?<![\\w@./-])@${escapeRegExp(slug)}(?:\\[bot\\](?![\\w/-])|(?![\\w/[-])(?!\\.\\w))`, "gi");
}

/**
 * Cheap first test for the webhook path: false means the text cannot mention the App,
 * without reading its Markdown.
 */
export function mayMention(text: string | null | undefined, slug: string): boolean {
  return typeof text === "string" && text.toLowerCase().includes(`@${slug.toLowerCase()}`);
}

export function parseMention(markdown: string | null | undefined, slug: string): Mention | null {
  if (!markdown || !mayMention(markdown, slug)) return null;
  const prose = visibleProse(markdown);
  const pattern = mentionPattern(slug);
  if (!pattern.test(prose)) return null;
  const rest = prose
    .replace(mentionPattern(slug), " ")
    .replace(/[\s\p{P}]+/gu, " ")
    .trim()
    .toLowerCase();
  return { command: STOP_WORDS.has(rest) ? "stop" : "answer" };
}
