import { isUtf8 } from "node:buffer";
import { extensionOf } from "./extension.js";
import { GlobRules, isIgnored, parseGlob, type Opinion, type ParsedGlob, type PatternProblem } from "./glob.js";

/**
 * Which files of a repository devbuddy reads. Pure: the caller supplies the repository's
 * `.gitignore` and `.gitattributes` texts; nothing here touches GitHub.
 *
 * The rules follow what a reviewer of the repository would skip: what the configuration
 * excludes, what the repository itself ignores, vendored and generated code, binaries and
 * files too large to be worth a model's context.
 */

export type SkipReason = "excluded" | "ignored" | "vendored" | "generated" | "binary" | "too-large";

export interface PathFilterOptions {
  /** .gitignore-syntax patterns; when given, only matching paths are read. */
  readonly include?: readonly string[];
  /** .gitignore-syntax patterns of paths never read. */
  readonly exclude?: readonly string[];
  readonly maxFileBytes: number;
}

/** Directory names whose contents are third-party code (Linguist's vendor list, abridged). */
const VENDORED_DIRS = new Set(["node_modules", "vendor", "third_party", "third-party", "bower_components", ".venv", "venv", "site-packages"]);

/**
 * Build output directories. `dist` is output wherever it appears; `build`, `out` and
 * `target` only at the root, because nested directories with those names are often real
 * source (`internal/build/`, a Java package `target`), and hiding real code from the
 * planner is worse than showing it some output.
 */
const OUTPUT_DIRS_ANYWHERE = new Set(["dist"]);
const OUTPUT_DIRS_AT_ROOT = new Set(["build", "out", "target"]);

/** Lockfiles: machine-written, huge, and never what an issue is about. */
const LOCKFILES = new Set([
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lock",
  "bun.lockb",
  "deno.lock",
  "poetry.lock",
  "Pipfile.lock",
  "uv.lock",
  "pdm.lock",
  "Cargo.lock",
  "go.sum",
  "composer.lock",
  "Gemfile.lock",
  "Podfile.lock",
  "mix.lock",
  "flake.lock",
  "pubspec.lock",
  "Package.resolved",
  "packages.lock.json",
  "gradle.lockfile",
]);

const GENERATED_SUFFIXES = [".min.js", ".min.css", ".min.mjs", ".map"];

const BINARY_EXTENSIONS = new Set(
  [
    // images
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "psd", "avif", "heic", "xcf",
    // archives and packages
    "zip", "tar", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "jar", "war", "ear", "whl", "egg", "deb", "rpm", "dmg", "iso", "apk",
    // fonts
    "ttf", "otf", "woff", "woff2", "eot",
    // documents
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp",
    // executables, libraries, bytecode
    "exe", "dll", "so", "dylib", "a", "lib", "o", "obj", "bin", "class", "pyc", "pyo", "wasm", "node",
    // media
    "mp3", "mp4", "m4a", "wav", "ogg", "flac", "avi", "mov", "mkv", "webm",
    // data and models
    "sqlite", "sqlite3", "db", "parquet", "npy", "npz", "pkl", "pt", "pth", "onnx", "h5", "tflite",
  ],
);

/** Prose files may have long lines (one paragraph per line) without being minified. */
const PROSE_EXTENSIONS = new Set(["md", "markdown", "mdx", "rst", "txt", "adoc"]);

// ---------------------------------------------------------------------------------------
// .gitattributes
// ---------------------------------------------------------------------------------------

/** An attribute's state on a line: set (`attr`, `attr=true`), unset (`-attr`, `attr=false`), or reset (`!attr`). */
type AttributeState = boolean | undefined;

interface AttributeRule {
  readonly matches: (path: string) => boolean;
  readonly attributes: ReadonlyMap<string, AttributeState>;
}

/**
 * A .gitattributes pattern as git matches it: like .gitignore, except that a pattern never
 * matches the files inside a matching directory (`docs/` matches nothing; `docs/**` does),
 * and negative patterns are forbidden (git ignores such lines).
 * https://git-scm.com/docs/gitattributes#_description
 */
function attributePattern(pattern: string): ParsedGlob {
  if (pattern.startsWith("!")) return { problem: "is negative, which .gitattributes does not allow" };
  return parseGlob(pattern);
}

function parseGitattributes(text: string, problems: PatternProblem[]): AttributeRule[] {
  const rules: AttributeRule[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [pattern, ...tokens] = line.split(/[ \t]+/);
    if (pattern === undefined) return;
    const parsed = attributePattern(pattern);
    if ("problem" in parsed) {
      problems.push({ origin: `.gitattributes line ${index + 1}`, pattern, problem: parsed.problem });
      return;
    }
    if ("blank" in parsed) return;
    const { glob } = parsed;
    // A directory-only pattern (`docs/`) names no file.
    if (glob.dirOnly) return;
    const attributes = new Map<string, AttributeState>();
    for (const token of tokens) {
      if (token.startsWith("-")) attributes.set(token.slice(1), false);
      else if (token.startsWith("!")) attributes.set(token.slice(1), undefined);
      else if (token.includes("=")) {
        const [name = "", value = ""] = token.split("=", 2);
        attributes.set(name, value !== "false");
      } else attributes.set(token, true);
    }
    rules.push({ matches: (path) => glob.matches(path), attributes });
  });
  return rules;
}

// ---------------------------------------------------------------------------------------
// The filter
// ---------------------------------------------------------------------------------------

interface IgnoreFile {
  /** "" for the root, else "dir/sub/" (with the trailing slash). */
  readonly prefix: string;
  readonly rules: GlobRules;
}

/**
 * Git matches paths case-sensitively on the platforms GitHub runs (core.ignorecase=false);
 * so does `GlobRules`.
 */
export class PathFilter {
  readonly #include: GlobRules | undefined;
  readonly #exclude: GlobRules;
  readonly #ignoreFiles: readonly IgnoreFile[];
  readonly #attributes: readonly AttributeRule[];
  readonly #maxFileBytes: number;
  /** Patterns that match nothing because they are invalid or over the caps (see glob.ts), to say so in the answer. */
  readonly problems: readonly PatternProblem[];

  /** gitignoreFiles: contents of .gitignore files by their directory ("" = root); gitattributes: root .gitattributes text. */
  constructor(options: PathFilterOptions, gitignoreFiles: ReadonlyMap<string, string> = new Map(), gitattributes = "") {
    const problems: PatternProblem[] = [];
    const rulesOf = (lines: readonly string[], origin: string): GlobRules => {
      const rules = new GlobRules(lines, origin);
      problems.push(...rules.problems);
      return rules;
    };
    this.#include = options.include && options.include.length > 0 ? rulesOf(options.include, "`paths.include`") : undefined;
    this.#exclude = rulesOf(options.exclude ?? [], "`paths.exclude`");
    // Shallower files first: a deeper .gitignore has the last word on its own directory.
    this.#ignoreFiles = [...gitignoreFiles]
      .map(([dir, text]) => {
        const bare = dir.replace(/^\/+|\/+$/g, "");
        const prefix = bare === "" ? "" : `${bare}/`;
        return { prefix, rules: rulesOf(text.split("\n"), `${prefix}.gitignore`) };
      })
      .sort((a, b) => a.prefix.split("/").length - b.prefix.split("/").length);
    this.#attributes = parseGitattributes(gitattributes, problems);
    this.#maxFileBytes = options.maxFileBytes;
    this.problems = problems;
  }

  /** Why `path` (relative to the repository root) is not read, by its path and size alone; undefined when it is. */
  skipReason(path: string, size: number): SkipReason | undefined {
    if ((this.#include && !this.#include.ignores(path)) || this.#exclude.ignores(path)) return "excluded";
    if (this.#ignored(path)) return "ignored";
    const attributes = this.#attributesOf(path);
    if (attributes.get("linguist-vendored") ?? isVendoredPath(path)) return "vendored";
    if (attributes.get("linguist-generated") ?? isGeneratedPath(path)) return "generated";
    if (attributes.get("binary") ?? BINARY_EXTENSIONS.has(extensionOf(path))) return "binary";
    if (size > this.#maxFileBytes) return "too-large";
    return undefined;
  }

  /**
   * Git walks down from the root: a directory that is ignored is never entered, so nothing
   * inside it can be re-included. At each level every .gitignore above it applies, relative
   * to its own directory; the deepest one with an opinion (ignore, or a `!` re-include)
   * wins, and within a file the last matching line.
   * https://git-scm.com/docs/gitignore#_description
   */
  #ignored(path: string): boolean {
    const depth = path.split("/").length - 1;
    const combined: Opinion[] = Array.from({ length: depth + 1 }, () => undefined);
    for (const file of this.#ignoreFiles) {
      if (!path.startsWith(file.prefix)) continue;
      const offset = file.prefix === "" ? 0 : file.prefix.split("/").length - 1;
      file.rules.levels(path.slice(file.prefix.length)).forEach((opinion, level) => {
        if (opinion !== undefined) combined[offset + level] = opinion;
      });
    }
    return isIgnored(combined);
  }

  /** Later .gitattributes lines override earlier ones, attribute by attribute. */
  #attributesOf(path: string): Map<string, boolean> {
    const state = new Map<string, AttributeState>();
    for (const rule of this.#attributes) {
      if (!rule.matches(path)) continue;
      for (const [name, value] of rule.attributes) state.set(name, value);
    }
    const defined = new Map<string, boolean>();
    for (const [name, value] of state) if (value !== undefined) defined.set(name, value);
    return defined;
  }
}

function isVendoredPath(path: string): boolean {
  return path
    .split("/")
    .slice(0, -1)
    .some((dir) => VENDORED_DIRS.has(dir));
}

function isGeneratedPath(path: string): boolean {
  const segments = path.split("/");
  const name = segments.at(-1) ?? "";
  const dirs = segments.slice(0, -1);
  if (dirs.some((dir) => OUTPUT_DIRS_ANYWHERE.has(dir))) return true;
  if (dirs[0] !== undefined && OUTPUT_DIRS_AT_ROOT.has(dirs[0])) return true;
  if (LOCKFILES.has(name)) return true;
  const lower = name.toLowerCase();
  return GENERATED_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

// ---------------------------------------------------------------------------------------
// Content checks (after a file is loaded)
// ---------------------------------------------------------------------------------------

const BINARY_SNIFF_BYTES = 8 * 1024;

/** Control characters that text does not contain (tab, newlines, form feed and escape are text). */
function isControl(byte: number): boolean {
  return byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c && byte !== 0x0b && byte !== 0x1b;
}

/**
 * Git's own heuristic, a NUL in the first 8 KB, plus (for what is not UTF-8) many control
 * characters. Text in a legacy encoding (a Latin-1 "é" in a comment) is still text.
 */
export function looksBinary(content: Buffer): boolean {
  const head = content.subarray(0, BINARY_SNIFF_BYTES);
  if (head.includes(0)) return true;
  if (isUtf8(content)) return false;
  let controls = 0;
  for (const byte of head) if (isControl(byte)) controls++;
  return controls > head.length * 0.05;
}

/** A text file's characters: UTF-8 (without a byte-order mark), else Latin-1, which any byte sequence is. */
export function decodeText(content: Buffer): string {
  const text = isUtf8(content) ? content.toString("utf8") : content.toString("latin1");
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}

const HEADER_LINES = 5;
const MINIFIED_SAMPLE_CHARS = 64 * 1024;
const MINIFIED_AVERAGE_LINE = 300;
const MINIFIED_LONGEST_LINE = 2000;
const COMMENT_LEADER = /^\s*(?:\/\/|\/\*|\*|#|<!--|--|;|%)/;

/**
 * Generated by a tool, by its header, or minified, by its line lengths.
 * "@generated" (Meta, Cargo, Poetry) and "DO NOT EDIT" (Go, protoc) are markers anywhere
 * in the header; the looser "generated by" counts only in a comment, because prose such as
 * a README's opening lines says it too. Prose files are exempt from the line-length test:
 * one paragraph per line is a normal way to write Markdown.
 */
export function looksGenerated(path: string, text: string): boolean {
  const header = text.split("\n", HEADER_LINES);
  for (const line of header) {
    if (line.includes("@generated") || line.includes("DO NOT EDIT")) return true;
    if (COMMENT_LEADER.test(line) && /\bgenerated by\b/i.test(line)) return true;
  }
  if (PROSE_EXTENSIONS.has(extensionOf(path))) return false;
  const sample = text.slice(0, MINIFIED_SAMPLE_CHARS);
  const lines = sample.split("\n");
  if (lines.length > 1 && lines.at(-1) === "") lines.pop(); // the final newline ends a line, it does not start one
  if (lines.some((line) => line.length > MINIFIED_LONGEST_LINE)) return true;
  return sample.length / lines.length > MINIFIED_AVERAGE_LINE;
}
