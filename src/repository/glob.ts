/**
 * Gitignore-syntax globs, matched in time linear in the pattern times the path: the one
 * matcher for `.gitignore`, `.gitattributes`, `paths.include`/`paths.exclude` and the
 * model's `list_files`/`search_code` globs. All of these are written by strangers (a
 * repository's files, its config, a model), so no pattern may make matching backtrack.
 *
 * Syntax, as gitignore(5) defines it (https://git-scm.com/docs/gitignore#_pattern_format):
 * `*` (no `/`), `?`, `[...]` classes (ranges, `!`/`^` negation, POSIX `[:alpha:]`), `\`
 * escapes, `**` as a whole segment (leading, inner or trailing), a leading
 * or inner `/` anchors the pattern to its directory, a trailing `/` matches directories
 * only. A `!` prefix is returned as `negated`; callers apply their rules in order.
 *
 * The pattern is compiled to tokens and run as an NFA over a set of states (Thompson's
 * construction: https://swtch.com/~rsc/regexp/regexp1.html), one pass over the path's
 * characters, so the cost is O(pattern × path) whatever the pattern.
 *
 * Caps, applied before compiling: a pattern is at most `MAX_PATTERN_CHARS` characters and
 * `MAX_WILDCARDS` wildcards (`*` runs, `?`, classes). A pattern over a cap, or an invalid
 * one (a reversed range `[z-a]`, an unclosed `[`, a trailing `\`), matches nothing and
 * comes back with a problem to show, as git ignores a pattern it cannot use.
 */

export const MAX_PATTERN_CHARS = 500;
export const MAX_WILDCARDS = 32;

const Kind = {
  Literal: 0,
  /** `?`: one character but `/`. */
  Any: 1,
  /** `[...]`: one character but `/`, in (or, negated, not in) the class. */
  Class: 2,
  /** `*`: any run of characters but `/`. */
  Star: 3,
  /** A trailing `**`: anything at all. */
  AnyAll: 4,
  /** A leading or inner `**` segment with its `/`: nothing, or any run ending in `/`, as in the regex `(.*\/)?`. */
  Dirs: 5,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface CharClass {
  readonly negated: boolean;
  readonly ranges: readonly (readonly [number, number])[];
  readonly named: readonly ((c: number) => boolean)[];
}

type Token =
  | { readonly kind: typeof Kind.Literal; readonly code: number }
  | { readonly kind: typeof Kind.Class; readonly set: CharClass }
  | { readonly kind: typeof Kind.Any | typeof Kind.Star | typeof Kind.AnyAll | typeof Kind.Dirs };

export interface Glob {
  /** The line as written, for notes. */
  readonly source: string;
  /** Written with a leading `!`: a match re-includes. */
  readonly negated: boolean;
  /** Written with a trailing `/`: matches directories only. */
  readonly dirOnly: boolean;
  /** Whether `path` (relative, `/`-separated, no leading or trailing `/`) matches. */
  matches(path: string): boolean;
  /**
   * Whether each level of `path` matches: its directories `a`, `a/b`, … then the path
   * itself, in one pass (a path's directories are the prefixes the NFA passes through).
   */
  matchesLevels(path: string): boolean[];
}

export type ParsedGlob = { readonly glob: Glob } | { readonly problem: string } | { readonly blank: true };

const SLASH = 0x2f;

const POSIX: Readonly<Record<string, (c: number) => boolean>> = {
  alnum: (c) => isAlpha(c) || isDigit(c),
  alpha: (c) => isAlpha(c),
  blank: (c) => c === 0x20 || c === 0x09,
  cntrl: (c) => c < 0x20 || c === 0x7f,
  digit: (c) => isDigit(c),
  graph: (c) => c > 0x20 && c < 0x7f,
  lower: (c) => c >= 0x61 && c <= 0x7a,
  print: (c) => c >= 0x20 && c < 0x7f,
  punct: (c) => c > 0x20 && c < 0x7f && !isAlpha(c) && !isDigit(c),
  space: (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d),
  upper: (c) => c >= 0x41 && c <= 0x5a,
  xdigit: (c) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
};

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function inClass(set: CharClass, c: number): boolean {
  let found = false;
  for (const [lo, hi] of set.ranges) {
    if (c >= lo && c <= hi) {
      found = true;
      break;
    }
  }
  if (!found) found = set.named.some((test) => test(c));
  return found !== set.negated;
}

class InvalidPattern extends Error {}

/**
 * One line of a `.gitignore` (or a `paths.*` entry, or a model's glob): blank and `#`
 * lines are `{ blank: true }`; trailing unescaped spaces are dropped, as git does.
 */
export function parseGlob(line: string): ParsedGlob {
  let text = line.endsWith("\r") ? line.slice(0, -1) : line;
  text = trimTrailingSpaces(text);
  if (text === "" || text.startsWith("#")) return { blank: true };
  if (text.length > MAX_PATTERN_CHARS) return { problem: `is longer than ${MAX_PATTERN_CHARS} characters` };
  let negated = false;
  if (text.startsWith("!")) {
    negated = true;
    text = text.slice(1);
  }
  let dirOnly = false;
  if (text.endsWith("/") && !isEscapedAt(text, text.length - 1)) {
    dirOnly = true;
    text = text.replace(/\/+$/, "");
  }
  if (text === "") return { blank: true };
  try {
    const tokens = compile(text);
    return {
      glob: {
        source: line,
        negated,
        dirOnly,
        matches: (path) => run(tokens, path, undefined),
        matchesLevels: (path) => {
          const levels: boolean[] = [];
          levels.push(run(tokens, path, levels));
          return levels;
        },
      },
    };
  } catch (error) {
    if (error instanceof InvalidPattern) return { problem: error.message };
    throw error;
  }
}

/** Git drops trailing spaces unless the last one is escaped (`foo\ `). */
function trimTrailingSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x20 && !isEscapedAt(text, end - 1)) end--;
  return text.slice(0, end);
}

/** Whether the character at `index` is preceded by an odd number of backslashes. */
function isEscapedAt(text: string, index: number): boolean {
  let slashes = 0;
  for (let i = index - 1; i >= 0 && text[i] === "\\"; i--) slashes++;
  return slashes % 2 === 1;
}

type Raw = { readonly kind: "sep" } | { readonly kind: "stars"; readonly count: number } | { readonly kind: "token"; readonly token: Token };

function compile(text: string): Token[] {
  const chars = Array.from(text);
  const raw: Raw[] = [];
  let wildcards = 0;
  let hasSlash = false;
  const wildcard = (): void => {
    if (++wildcards > MAX_WILDCARDS) throw new InvalidPattern(`has more than ${MAX_WILDCARDS} wildcards`);
  };
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    if (char === "\\") {
      const next = chars[++i];
      if (next === undefined) throw new InvalidPattern("ends in a lone backslash");
      if (next === "/") {
        hasSlash = true;
        raw.push({ kind: "sep" });
      } else raw.push({ kind: "token", token: { kind: Kind.Literal, code: next.codePointAt(0) ?? 0 } });
    } else if (char === "/") {
      hasSlash = true;
      raw.push({ kind: "sep" });
    } else if (char === "*") {
      let count = 1;
      while (chars[i + 1] === "*") {
        count++;
        i++;
      }
      wildcard();
      raw.push({ kind: "stars", count });
    } else if (char === "?") {
      wildcard();
      raw.push({ kind: "token", token: { kind: Kind.Any } });
    } else if (char === "[") {
      wildcard();
      const { set, end } = parseClass(chars, i);
      raw.push({ kind: "token", token: { kind: Kind.Class, set } });
      i = end;
    } else {
      raw.push({ kind: "token", token: { kind: Kind.Literal, code: char.codePointAt(0) ?? 0 } });
    }
  }

  const tokens: Token[] = [];
  // No slash before the end: the pattern matches at any depth, as if it began with `**/`.
  if (!hasSlash) tokens.push({ kind: Kind.Dirs });
  let start = 0;
  if (raw[0]?.kind === "sep") start = 1; // a leading `/` only anchors
  for (let i = start; i < raw.length; i++) {
    const item = raw[i] as Raw;
    if (item.kind === "sep") {
      tokens.push({ kind: Kind.Literal, code: SLASH });
      continue;
    }
    if (item.kind === "token") {
      tokens.push(item.token);
      continue;
    }
    const wholeSegment = item.count >= 2 && (i === start || raw[i - 1]?.kind === "sep") && (i === raw.length - 1 || raw[i + 1]?.kind === "sep");
    if (!wholeSegment) {
      tokens.push({ kind: Kind.Star });
    } else if (i === raw.length - 1) {
      tokens.push({ kind: Kind.AnyAll });
    } else {
      tokens.push({ kind: Kind.Dirs });
      i++; // the `/` after `**` is part of `(.*/)?`
    }
  }
  return tokens;
}

/** A `[...]` class starting at `open`, as git's wildmatch reads it. */
function parseClass(chars: readonly string[], open: number): { set: CharClass; end: number } {
  let i = open + 1;
  let negated = false;
  if (chars[i] === "!" || chars[i] === "^") {
    negated = true;
    i++;
  }
  const ranges: Array<readonly [number, number]> = [];
  const named: Array<(c: number) => boolean> = [];
  let first = true;
  for (; i < chars.length; i++) {
    let char = chars[i] as string;
    if (char === "]" && !first) return { set: { negated, ranges, named }, end: i };
    first = false;
    if (char === "[" && chars[i + 1] === ":") {
      const close = chars.indexOf(":", i + 2);
      if (close !== -1 && chars[close + 1] === "]") {
        const name = chars.slice(i + 2, close).join("");
        const test = POSIX[name];
        if (!test) throw new InvalidPattern(`has an unknown character class [:${name}:]`);
        named.push(test);
        i = close + 1;
        continue;
      }
    }
    if (char === "\\") {
      const next = chars[++i];
      if (next === undefined) break;
      char = next;
    }
    const lo = char.codePointAt(0) ?? 0;
    if (chars[i + 1] === "-" && chars[i + 2] !== undefined && chars[i + 2] !== "]") {
      let hiChar = chars[i + 2] as string;
      i += 2;
      if (hiChar === "\\") {
        const next = chars[++i];
        if (next === undefined) break;
        hiChar = next;
      }
      const hi = hiChar.codePointAt(0) ?? 0;
      if (hi < lo) throw new InvalidPattern(`has a reversed range ${char}-${hiChar}`);
      ranges.push([lo, hi]);
    } else {
      ranges.push([lo, lo]);
    }
  }
  throw new InvalidPattern("has a [ that is never closed");
}

/**
 * The NFA: state 2k is "before token k", 2k+1 is "inside token k" (only a `**` segment has an
 * inside: it has consumed characters but not yet the `/` that ends them). Each character
 * of the path moves every live state once, so the work is O(tokens × characters).
 */
function run(tokens: readonly Token[], path: string, dirLevels: boolean[] | undefined): boolean {
  const size = 2 * tokens.length + 2;
  const accept = 2 * tokens.length;
  let current: number[] = [];
  let next: number[] = [];
  const seen = new Int32Array(size).fill(-1);
  let generation = 0;
  const add = (list: number[], state: number): void => {
    // Skippable tokens (they may match nothing) add the state after them too.
    for (let s = state; ; ) {
      if (seen[s] === generation) return;
      seen[s] = generation;
      list.push(s);
      if (s % 2 === 1 || s === accept) return;
      const kind = (tokens[s / 2] as Token).kind;
      if (kind !== Kind.Star && kind !== Kind.AnyAll && kind !== Kind.Dirs) return;
      s += 2;
    }
  };
  add(current, 0);
  for (let at = 0; at < path.length; ) {
    const c = path.codePointAt(at) ?? 0;
    at += c > 0xffff ? 2 : 1;
    // At a `/`, what was read so far is a directory of the path: record whether it matched.
    if (c === SLASH && dirLevels) dirLevels.push(seen[accept] === generation);
    generation++;
    next.length = 0;
    for (const state of current) {
      if (state === accept) continue;
      const index = state >> 1;
      const token = tokens[index] as Token;
      switch (token.kind) {
        case Kind.Literal:
          if (c === token.code) add(next, state + 2);
          break;
        case Kind.Any:
          if (c !== SLASH) add(next, state + 2);
          break;
        case Kind.Class:
          if (c !== SLASH && inClass(token.set, c)) add(next, state + 2);
          break;
        case Kind.Star:
          if (c !== SLASH) add(next, state);
          break;
        case Kind.AnyAll:
          add(next, state);
          break;
        case Kind.Dirs:
          add(next, 2 * index + 1);
          if (c === SLASH) add(next, 2 * index + 2);
          break;
      }
    }
    if (next.length === 0) {
      // Nothing can match any more: no deeper directory matches either.
      if (dirLevels) for (let slash = path.indexOf("/", at); slash !== -1; slash = path.indexOf("/", slash + 1)) dirLevels.push(false);
      return false;
    }
    [current, next] = [next, current];
  }
  return seen[accept] === generation;
}

/** Where a pattern came from, for the note an unusable one produces. */
export interface PatternProblem {
  readonly origin: string;
  readonly pattern: string;
  readonly problem: string;
}

/**
 * An ordered list of gitignore rules (one file, or one list of `paths.*` entries): the
 * last rule that matches has the say. `test` returns "ignored", "unignored" (a `!` rule
 * matched last) or undefined (no rule matched).
 */
export class GlobRules {
  readonly #globs: readonly Glob[];
  readonly problems: readonly PatternProblem[];

  constructor(lines: readonly string[], origin: string) {
    const globs: Glob[] = [];
    const problems: PatternProblem[] = [];
    lines.forEach((line, index) => {
      const parsed = parseGlob(line);
      if ("glob" in parsed) globs.push(parsed.glob);
      else if ("problem" in parsed) problems.push({ origin: `${origin}${lines.length > 1 ? ` line ${index + 1}` : ""}`, pattern: line, problem: parsed.problem });
    });
    this.#globs = globs;
    this.problems = problems;
  }

  static fromText(text: string, origin: string): GlobRules {
    return new GlobRules(text.split("\n"), origin);
  }

  get size(): number {
    return this.#globs.length;
  }

  /** The last rule's opinion on `path` itself (a directory when `isDir`). */
  test(path: string, isDir: boolean): Opinion {
    for (let i = this.#globs.length - 1; i >= 0; i--) {
      const glob = this.#globs[i] as Glob;
      if (glob.dirOnly && !isDir) continue;
      if (glob.matches(path)) return glob.negated ? "unignored" : "ignored";
    }
    return undefined;
  }

  /**
   * The rules' opinion on each level of a file's path: its directories `a`, `a/b`, … and
   * last the file itself. One pass over the path per rule, so O(rules × pattern × path).
   */
  levels(path: string): Opinion[] {
    let depth = 0;
    for (let slash = path.indexOf("/"); slash !== -1; slash = path.indexOf("/", slash + 1)) depth++;
    const opinions: Opinion[] = Array.from({ length: depth + 1 }, () => undefined);
    // Last rule first: the first one to match a level has the say there.
    let open = depth + 1;
    for (let i = this.#globs.length - 1; i >= 0 && open > 0; i--) {
      const glob = this.#globs[i] as Glob;
      const matched = glob.matchesLevels(path);
      for (let level = 0; level <= depth; level++) {
        if (opinions[level] !== undefined || !matched[level]) continue;
        if (glob.dirOnly && level === depth) continue; // the last level is the file
        opinions[level] = glob.negated ? "unignored" : "ignored";
        open--;
      }
    }
    return opinions;
  }

  /**
   * Whether a file is ignored, as git decides it: a file inside an ignored directory is
   * ignored whatever later rules say about the file, because git never looks inside.
   */
  ignores(path: string): boolean {
    return isIgnored(this.levels(path));
  }
}

export type Opinion = "ignored" | "unignored" | undefined;

/** Git walks down from the root and never enters an ignored directory. */
export function isIgnored(levels: readonly Opinion[]): boolean {
  for (let level = 0; level < levels.length - 1; level++) if (levels[level] === "ignored") return true;
  return levels.at(-1) === "ignored";
}

/** The note for patterns that match nothing because they cannot be used. */
export function patternNotice(problems: readonly PatternProblem[]): string | undefined {
  if (problems.length === 0) return undefined;
  const shown = problems.slice(0, 5).map((p) => {
    const pattern = p.pattern.length > 60 ? `${p.pattern.slice(0, 57)}…` : p.pattern;
    return `- ${p.origin}: \`${pattern.replaceAll("`", "'")}\` ${p.problem}`;
  });
  if (problems.length > 5) shown.push(`- … and ${problems.length - 5} more`);
  return ["⚠️ Some path patterns could not be used, so they matched nothing (as git does with them):", ...shown].join("\n");
}
