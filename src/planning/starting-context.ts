import type { CallSite, Definition, SymbolIndex } from "../code-index/symbol-index.js";
import { extensionOf } from "../repository/extension.js";
import { shortSha, type RepoView } from "./repo-view.js";
import type { Term } from "./thread-terms.js";
import { countTokens } from "./token-budget.js";

/**
 * The repository context devbuddy builds before the first model call, so the plan does
 * not depend on the model finding things by itself: an overview of what was read, the
 * definitions that match the thread's words with every call site the parser found, and
 * excerpts of the best-matching files. Pure; fits in `maxTokens`.
 *
 * Call sites come from the symbol index (tree-sitter), with the receiver's type inferred
 * where the code states it: `self.notifier.call()` is a call of `Notifier.call`, not of
 * `AI.call`, however alike the names.
 */

export interface StartingContextInput {
  readonly view: RepoView;
  readonly index: SymbolIndex;
  readonly terms: readonly Term[];
  readonly maxTokens: number;
}

export interface StartingContext {
  readonly text: string;
  readonly tokens: number;
  /** Qualified names of the definitions whose call sites are listed. */
  readonly symbols: readonly string[];
  /** Files shown as excerpts. */
  readonly files: readonly string[];
  /** Parts that did not fit the budget. */
  readonly leftOut: readonly string[];
}

const MAX_SYMBOLS = 12;
/** Constructors run when their class is instantiated: the class's own entry lists those calls. */
const CONSTRUCTORS = new Set(["__init__", "constructor", "new"]);
const TYPE_KINDS = new Set(["interface", "type", "enum"]);
const MAX_CALLERS = 15;
const MAX_POSSIBLE = 5;
/** What "no call found" cannot rule out. */
export const UNSEEN = " (calls through callbacks, interfaces or receivers whose type the code does not show may be missed)";
const MAX_EXCERPT_FILES = 6;
const MAX_EXCERPT_LINES = 80;
const MAX_LISTED_PATHS = 300;

const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  py: "Python", ts: "TypeScript", tsx: "TypeScript", mts: "TypeScript", cts: "TypeScript", js: "JavaScript",
  jsx: "JavaScript", mjs: "JavaScript", cjs: "JavaScript", go: "Go", rs: "Rust", java: "Java", kt: "Kotlin", rb: "Ruby",
  php: "PHP", cs: "C#", c: "C", h: "C", cpp: "C++", hpp: "C++", swift: "Swift", md: "Markdown",
};

const SKIP_LABELS: Readonly<Record<string, string>> = {
  excluded: "excluded by config",
  ignored: "git-ignored",
  vendored: "vendored",
  generated: "generated",
  binary: "binary",
  "too-large": "too large",
  "over-budget": "over the reading budget",
};

/** A file's lines; the newline that ends the last line does not start another. */
/** The lines of a text; a Windows line end (CRLF) counts as one, without its `\r`. */
export function linesOf(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export function lineNumbered(text: string, start = 1, end?: number): string {
  const lines = linesOf(text);
  const last = Math.min(end ?? lines.length, lines.length);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = Math.max(start, 1); n <= last; n++) out.push(`${String(n).padStart(width)}| ${lines[n - 1] ?? ""}`);
  return out.join("\n");
}

function fence(path: string): string {
  return extensionOf(path) || "text";
}

export function overview(view: RepoView, index: SymbolIndex): string {
  const languages = new Map<string, number>();
  for (const path of view.loaded.keys()) {
    const name = LANGUAGE_NAMES[extensionOf(path)];
    if (name) languages.set(name, (languages.get(name) ?? 0) + 1);
  }
  const langText = [...languages.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
  const skipped = [...view.skipped.entries()]
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${SKIP_LABELS[reason] ?? reason}`)
    .join(", ");
  const lines = [
    `Repository ${view.repo.owner}/${view.repo.repo} at commit ${shortSha(view.sha)} (head of ${view.defaultBranch}).`,
    `Files read: ${view.loaded.size} of ${view.allPaths.size}${langText ? ` (${langText})` : ""}; parsed for symbols: ${index.fileCount}.`,
  ];
  if (skipped) lines.push(`Not read: ${skipped}.`);
  if (view.treeTruncated) lines.push("The file tree is larger than GitHub lists in one response; some paths are missing from it.");
  return lines.join("\n");
}

interface Scored<T> {
  readonly item: T;
  score: number;
}

function definitionKey(d: Definition): string {
  return `${d.path}:${d.startLine}:${d.qualifiedName}`;
}

/** Definitions ranked by how strongly the thread's terms point at them. */
export function rankDefinitions(index: SymbolIndex, terms: readonly Term[]): Definition[] {
  const scores = new Map<string, Scored<Definition>>();
  const bump = (d: Definition, by: number): void => {
    const key = definitionKey(d);
    const entry = scores.get(key) ?? { item: d, score: 0 };
    entry.score += by;
    scores.set(key, entry);
  };
  const all = index.allDefinitions();
  for (const term of terms) {
    const exact = index.lookup(term.text);
    for (const d of exact) bump(d, (term.code ? 3 : 1.5) * term.weight);
    const parts = term.text.split(/\.|::/);
    if (parts.length > 1) {
      // `self.ai.call` names AI.call through its last two segments.
      for (const d of index.lookup(parts.slice(-2).join("."))) bump(d, 3 * term.weight);
    }
    if (!term.code && term.text.length >= 5 && exact.length === 0) {
      const stem = term.text.toLowerCase().replace(/(?:ing|ed|es|s)$/, "");
      for (const d of all) if (d.name.toLowerCase().includes(stem)) bump(d, 0.5 * term.weight);
    }
  }
  // A class the thread names brings its members along (a little behind it).
  for (const { item, score } of [...scores.values()]) {
    if (item.kind !== "class" && item.kind !== "interface") continue;
    for (const member of index.definitionsIn(item.path)) {
      if (member.qualifiedName.startsWith(`${item.qualifiedName}.`) && !CONSTRUCTORS.has(member.name)) bump(member, score * 0.5);
    }
  }
  return [...scores.values()]
    .sort((a, b) => b.score - a.score || a.item.path.localeCompare(b.item.path) || a.item.startLine - b.item.startLine)
    .map((s) => s.item);
}

function siteLine(site: CallSite): string {
  const where = site.enclosing ? ` in \`${site.enclosing}\`` : " at module level";
  return `  - ${site.path}:${site.line}${where}: \`${site.text.replaceAll("`", "'")}\``;
}

function symbolSection(index: SymbolIndex, d: Definition, complete: boolean): string {
  const lines = [`- ${d.kind} \`${d.qualifiedName}\` — ${d.path}:${d.startLine}-${d.endLine}: \`${d.signature.replaceAll("`", "'")}\``];
  if (d.kind === "class" || d.kind === "interface") {
    const members = index.definitionsIn(d.path).filter((m) => m.qualifiedName.startsWith(`${d.qualifiedName}.`));
    if (members.length > 0) lines.push(`  members: ${members.map((m) => `\`${m.name}\` (L${m.startLine}-${m.endLine})`).join(", ")}`);
  }
  if (TYPE_KINDS.has(d.kind) || CONSTRUCTORS.has(d.name)) return lines.join("\n");
  const { confirmed, possible } = index.callers(d);
  const what = d.kind === "class" ? "instantiated" : "called";
  const scope = complete ? "in all files devbuddy parsed" : "in the files devbuddy parsed (not the whole repository)";
  // "No call found", never "nowhere": calls through callbacks, interfaces, macros or receivers
  // of unknown type are not all seen.
  if (confirmed.length === 0) lines.push(`  ${what}: no call ${possible.length === 0 ? "found" : "confirmed"} ${scope}${possible.length === 0 ? UNSEEN : ""}.`);
  else {
    lines.push(`  ${what} from ${confirmed.length} place${confirmed.length === 1 ? "" : "s"} ${scope}:`);
    for (const site of confirmed.slice(0, MAX_CALLERS)) lines.push(siteLine(site));
    if (confirmed.length > MAX_CALLERS) lines.push(`  - … ${confirmed.length - MAX_CALLERS} more (use find_symbol)`);
  }
  if (possible.length > 0) {
    lines.push(`  possibly ${what} here (devbuddy could not tell the receiver's type; check before relying on it):`);
    for (const site of possible.slice(0, MAX_POSSIBLE)) lines.push(siteLine(site));
    if (possible.length > MAX_POSSIBLE) lines.push(`  - … ${possible.length - MAX_POSSIBLE} more (use find_symbol)`);
  }
  return lines.join("\n");
}

function rankFiles(view: RepoView, ranked: readonly Definition[], terms: readonly Term[]): string[] {
  const scores = new Map<string, number>();
  const bump = (path: string, by: number): void => {
    if (view.loaded.has(path)) scores.set(path, (scores.get(path) ?? 0) + by);
  };
  ranked.slice(0, MAX_SYMBOLS).forEach((d, i) => bump(d.path, (MAX_SYMBOLS - i) / 2));
  for (const term of terms) {
    const needle = term.text.toLowerCase();
    for (const path of view.loaded.keys()) {
      const lower = path.toLowerCase();
      const name = lower.split("/").pop() ?? "";
      const stem = name.replace(/\.[^.]+$/, "");
      // Directory names match too much ("agent" is every file of agent/): only the file's own name counts.
      if (lower === needle || stem === needle || name === needle) bump(path, 3 * term.weight);
      else if (needle.length >= 4 && name.includes(needle)) bump(path, term.weight);
    }
  }
  return [...scores.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([path]) => path);
}

function excerpt(view: RepoView, path: string, definitions: readonly Definition[]): string | undefined {
  const text = view.loaded.get(path);
  if (text === undefined) return undefined;
  const total = linesOf(text).length;
  const spans = definitions
    .filter((d) => d.path === path && d.kind !== "class")
    .map((d) => [d.startLine, Math.min(d.endLine, d.startLine + MAX_EXCERPT_LINES - 1)] as const);
  const ranges = spans.length > 0 ? spans : [[1, Math.min(total, MAX_EXCERPT_LINES)] as const];
  const merged: Array<[number, number]> = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1] + 3) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  const body = merged.map(([a, b]) => lineNumbered(text, a, b)).join("\n   …\n");
  const shown = merged.map(([a, b]) => `${a}-${b}`).join(", ");
  return `#### ${path} (lines ${shown} of ${total})\n\`\`\`${fence(path)}\n${body}\n\`\`\``;
}

export function buildStartingContext(input: StartingContextInput): StartingContext {
  const { view, index, terms, maxTokens } = input;
  const complete = view.loaded.size === view.eligible.length && !view.treeTruncated;
  const sections: string[] = [];
  const leftOut: string[] = [];
  let tokens = 0;
  const tryAdd = (text: string, what: string): boolean => {
    const cost = countTokens(text) + 1;
    if (tokens + cost > maxTokens) {
      leftOut.push(what);
      return false;
    }
    sections.push(text);
    tokens += cost;
    return true;
  };

  tryAdd(`## Repository context (built by devbuddy before this conversation)\n${overview(view, index)}`, "overview");

  const ranked = rankDefinitions(index, terms);
  const symbols: string[] = [];
  if (ranked.length > 0) {
    tryAdd("### Definitions matching the thread, with their call sites (found by parsing the code)", "symbols heading");
    for (const d of ranked.slice(0, MAX_SYMBOLS)) {
      if (tryAdd(symbolSection(index, d, complete), `symbol ${d.qualifiedName}`)) symbols.push(d.qualifiedName);
    }
  }

  const paths = view.eligible.map((f) => f.path);
  const listed = paths.length <= MAX_LISTED_PATHS ? paths : paths.slice(0, MAX_LISTED_PATHS);
  const more = paths.length > listed.length ? `\n… and ${paths.length - listed.length} more (use list_files)` : "";
  tryAdd(`### Files devbuddy can read\n${listed.join("\n")}${more}`, "file list");

  const files: string[] = [];
  for (const path of rankFiles(view, ranked, terms).slice(0, MAX_EXCERPT_FILES)) {
    const text = excerpt(view, path, ranked.slice(0, MAX_SYMBOLS));
    if (text && tryAdd(text, `excerpt ${path}`)) files.push(path);
  }
  const text = sections.join("\n\n");
  return { text, tokens, symbols, files, leftOut };
}
