import { isUtf8 } from "node:buffer";
import ignore, { type Ignore } from "ignore";

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

function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot + 1).toLowerCase();
}

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
 * matches the files inside a matching directory (`docs/` matches nothing; `docs/**` does).
 * https://git-scm.com/docs/gitattributes#_description
 */
function attributePattern(pattern: string): ((path: string) => boolean) | undefined {
  if (pattern.endsWith("/")) return undefined;
  const anchored = pattern.includes("/");
  const body = pattern.startsWith("/") ? pattern.slice(1) : pattern;
  let source = "";
  for (let i = 0; i < body.length; i++) {
    const char = body[i] ?? "";
    if (body.startsWith("**/", i) && (i === 0 || body[i - 1] === "/")) {
      source += "(?:.*/)?";
      i += 2;
    } else if (body.startsWith("**", i) && i === body.length - 2 && body[i - 1] === "/") {
      source += ".*";
      i += 1;
    } else if (char === "*") {
      source += "[^/]*";
      if (body[i + 1] === "*") i += 1;
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const close = body.indexOf("]", i + 2);
      if (close === -1) {
        source += "\\[";
      } else {
        const inner = body.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\");
        source += `[${inner}]`;
        i = close;
      }
    } else if (char === "\\" && i + 1 < body.length) {
      source += (body[i + 1] ?? "").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      i += 1;
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  const regex = new RegExp(`^${source}$`);
  return anchored ? (path) => regex.test(path) : (path) => regex.test(path.slice(path.lastIndexOf("/") + 1));
}

function parseGitattributes(text: string): AttributeRule[] {
  const rules: AttributeRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [pattern, ...tokens] = line.split(/\s+/);
    // Negative patterns are forbidden in .gitattributes; git ignores such lines.
    if (pattern === undefined || pattern.startsWith("!")) continue;
    const matches = attributePattern(pattern);
    if (!matches) continue;
    const attributes = new Map<string, AttributeState>();
    for (const token of tokens) {
      if (token.startsWith("-")) attributes.set(token.slice(1), false);
      else if (token.startsWith("!")) attributes.set(token.slice(1), undefined);
      else if (token.includes("=")) {
        const [name = "", value = ""] = token.split("=", 2);
        attributes.set(name, value !== "false");
      } else attributes.set(token, true);
    }
    rules.push({ matches, attributes });
  }
  return rules;
}

// ---------------------------------------------------------------------------------------
// The filter
// ---------------------------------------------------------------------------------------

interface IgnoreFile {
  /** "" for the root, else "dir/sub/" (with the trailing slash). */
  readonly prefix: string;
  readonly rules: Ignore;
}

/** Git matches paths case-sensitively on the platforms GitHub runs (core.ignorecase=false). */
const gitignore = (patterns: string | readonly string[]): Ignore => ignore({ ignorecase: false }).add(patterns);

export class PathFilter {
  readonly #include: Ignore | undefined;
  readonly #exclude: Ignore;
  readonly #ignoreFiles: readonly IgnoreFile[];
  readonly #attributes: readonly AttributeRule[];
  readonly #maxFileBytes: number;

  /** gitignoreFiles: contents of .gitignore files by their directory ("" = root); gitattributes: root .gitattributes text. */
  constructor(options: PathFilterOptions, gitignoreFiles: ReadonlyMap<string, string> = new Map(), gitattributes = "") {
    this.#include = options.include && options.include.length > 0 ? gitignore(options.include) : undefined;
    this.#exclude = gitignore(options.exclude ?? []);
    // Shallower files first: a deeper .gitignore has the last word on its own directory.
    this.#ignoreFiles = [...gitignoreFiles]
      .map(([dir, text]) => ({ prefix: dir.replace(/^\/+|\/+$/g, "") === "" ? "" : `${dir.replace(/^\/+|\/+$/g, "")}/`, rules: gitignore(text) }))
      .sort((a, b) => a.prefix.split("/").length - b.prefix.split("/").length);
    this.#attributes = parseGitattributes(gitattributes);
    this.#maxFileBytes = options.maxFileBytes;
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
   * Every .gitignore on the way down to the file applies, relative to its own directory;
   * the last one with an opinion (ignore, or a `!` re-include) wins, as in git.
   */
  #ignored(path: string): boolean {
    let ignored = false;
    for (const file of this.#ignoreFiles) {
      if (!path.startsWith(file.prefix)) continue;
      const result = file.rules.test(path.slice(file.prefix.length));
      if (result.ignored) ignored = true;
      else if (result.unignored) ignored = false;
    }
    return ignored;
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
