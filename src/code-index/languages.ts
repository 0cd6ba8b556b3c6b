import { createRequire } from "node:module";
import { Language, Parser } from "web-tree-sitter";

/**
 * Which tree-sitter grammar reads a file, and the grammars themselves. Grammars are WASM
 * files shipped inside their npm packages; each is loaded at most once per process, on first
 * use, and shared by every parse (parsing is synchronous, so one parser per language is
 * never used by two parses at once).
 */

/** Languages read through their grammar's tags query only (src/code-index/tags.ts): no type inference. */
export type TaggedLanguage = "java" | "rust" | "ruby" | "csharp";

export type SourceLanguage = "python" | "typescript" | "tsx" | "javascript" | "go" | TaggedLanguage;

const TAGGED: ReadonlySet<SourceLanguage> = new Set<TaggedLanguage>(["java", "rust", "ruby", "csharp"]);

export function isTagged(language: SourceLanguage): language is TaggedLanguage {
  return TAGGED.has(language);
}

const BY_EXTENSION: ReadonlyMap<string, SourceLanguage> = new Map([
  [".py", "python"],
  [".ts", "typescript"], // also .d.ts
  [".mts", "typescript"],
  [".cts", "typescript"],
  [".tsx", "tsx"],
  [".js", "javascript"],
  [".mjs", "javascript"],
  [".cjs", "javascript"],
  // tree-sitter-javascript parses JSX itself; the TSX grammar would reject some plain JS.
  [".jsx", "javascript"],
  [".go", "go"],
  [".java", "java"],
  [".rs", "rust"],
  [".rb", "ruby"],
  [".rake", "ruby"],
  [".cs", "csharp"],
]);

/** The language of a repository path, by its extension; undefined when no grammar reads it. */
export function languageOf(path: string): SourceLanguage | undefined {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  // A dot file such as ".ts" has no extension, it is all name.
  if (dot <= 0) return undefined;
  return BY_EXTENSION.get(name.slice(dot).toLowerCase());
}

const WASM_FILES: Readonly<Record<SourceLanguage, string>> = {
  python: "tree-sitter-python/tree-sitter-python.wasm",
  typescript: "tree-sitter-typescript/tree-sitter-typescript.wasm",
  tsx: "tree-sitter-typescript/tree-sitter-tsx.wasm",
  javascript: "tree-sitter-javascript/tree-sitter-javascript.wasm",
  go: "tree-sitter-go/tree-sitter-go.wasm",
  java: "tree-sitter-java/tree-sitter-java.wasm",
  rust: "tree-sitter-rust/tree-sitter-rust.wasm",
  ruby: "tree-sitter-ruby/tree-sitter-ruby.wasm",
  csharp: "tree-sitter-c-sharp/tree-sitter-c_sharp.wasm",
};

const require = createRequire(import.meta.url);
let runtime: Promise<void> | undefined;
const parsers = new Map<SourceLanguage, Promise<Parser>>();

function startRuntime(): Promise<void> {
  runtime ??= Parser.init().catch((cause: unknown) => {
    runtime = undefined;
    throw new Error("Could not start the web-tree-sitter runtime (web-tree-sitter.wasm)", { cause });
  });
  return runtime;
}

async function createParser(language: SourceLanguage): Promise<Parser> {
  await startRuntime();
  let grammar: Language;
  try {
    grammar = await Language.load(require.resolve(WASM_FILES[language]));
  } catch (cause) {
    throw new Error(`Could not load the tree-sitter grammar for ${language} (${WASM_FILES[language]}); is its npm package installed?`, { cause });
  }
  const parser = new Parser();
  parser.setLanguage(grammar);
  return parser;
}

/** The process-wide parser for a language, created on first use. */
export function parserFor(language: SourceLanguage): Promise<Parser> {
  let parser = parsers.get(language);
  if (parser === undefined) {
    parser = createParser(language);
    // A failed load is forgotten: the next use tries again instead of getting the old rejection.
    parser.catch(() => parsers.delete(language));
    parsers.set(language, parser);
  }
  return parser;
}
