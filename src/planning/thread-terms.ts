import { scanMarkdown } from "../markdown/document.js";
import { mapInSlices } from "../util/time-slice.js";

/**
 * The words of a thread that may name code: what the starting context searches the
 * repository for. Code spans are found with the one Markdown reader (src/markdown); the
 * rest is one hand-written pass over the text. Pure.
 *
 * Code spans, dotted names (`self.ai.call`), names written like code (`plan_steps`,
 * `CodeGenerator`, `generate()`), paths, and plain words of four letters or more. Each
 * term carries a weight: the request being answered counts most, then the issue, then
 * the rest of the thread.
 */

export interface Term {
  readonly text: string;
  /** Written like code (not a plain English word): worth a content search. */
  readonly code: boolean;
  readonly weight: number;
}

export interface WeightedText {
  readonly text: string;
  readonly weight: number;
}

const STOPWORDS = new Set(
  (
    "about above after again against also because been before being below between both could does doing down during each " +
    "from further have having here into itself just more most much must need needs only other over same should some such " +
    "than that their them then there these they this those through under until very want were what when where which while " +
    "will with would your please thanks thank make makes made like using used uses instead still every want wants take " +
    "plan plans step steps issue issues comment comments code file files method methods function functions class classes " +
    "devbuddy summarize summarise final specific forgot something anything nothing change changes add adds added implement " +
    "implementation enable support work works better first second third last next answer write writes written call calls"
  ).split(" "),
);

const EXTENSIONS = new Set(["py", "ts", "tsx", "js", "jsx", "mjs", "go", "rs", "java", "rb", "md", "yml", "yaml", "json", "toml"]);
/** Longer names are not terms (see `add`): not worth classifying. */
const MAX_TERM = 120;

type Terms = Map<string, { code: boolean; weight: number }>;

function add(terms: Terms, raw: string, code: boolean, weight: number): void {
  const text = raw.trim().replace(/\(\)$/, "").replace(/^(?:self|this)\./, "");
  if (text.length < 2 || text.length > MAX_TERM) return;
  const existing = terms.get(text);
  terms.set(text, { code: code || (existing?.code ?? false), weight: (existing?.weight ?? 0) + weight });
}

// Character classes by table: this runs over every character of a thread.
const LETTER = 1;
const DIGIT = 2;
const NAME = 4; // `_` and `$`
const PUNCT = 8; // `.`, `/`, `:`, `-`
const CLASSES = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const c = String.fromCharCode(code);
  CLASSES[code] = /[A-Za-z]/.test(c) ? LETTER : /[0-9]/.test(c) ? DIGIT : c === "_" || c === "$" ? NAME : "./:-".includes(c) ? PUNCT : 0;
}
const classOf = (c: string | undefined): number => (c === undefined ? 0 : (CLASSES[c.charCodeAt(0)] ?? 0));
const isTokenChar = (c: string | undefined): boolean => classOf(c) !== 0;
const isIdentifierStart = (c: string | undefined): boolean => (classOf(c) & (LETTER | NAME)) !== 0;
const isIdentifierChar = (c: string | undefined): boolean => (classOf(c) & (LETTER | DIGIT | NAME)) !== 0;
const isLetter = (c: string | undefined): boolean => classOf(c) === LETTER;

/** A name written like code: snake_case, camelCase, PascalCase, an acronym (`HTTPServer` no, `URLs` yes), or called. */
function looksLikeCode(name: string, called: boolean): boolean {
  return called || name.includes("_") || /[A-Za-z][a-z][A-Z]/.test(name) || /^[A-Z]{2,}[a-z]*$/.test(name) || /[A-Z][a-z]+[A-Z]/.test(name);
}

/** Dotted names (`self.ai.call`, `a::b`) and names written like code, in one token. */
function codeNames(token: string, followedByCall: boolean, weight: number, terms: Terms): void {
  let at = 0;
  while (at < token.length) {
    if (!isIdentifierStart(token[at]) || isIdentifierChar(token[at - 1])) {
      at++;
      continue;
    }
    const start = at;
    let segments = 0;
    let end = at;
    for (;;) {
      while (isIdentifierChar(token[end])) end++;
      segments++;
      const separator = token[end] === "." ? 1 : token.startsWith("::", end) ? 2 : 0;
      if (separator === 0 || !isIdentifierStart(token[end + separator])) break;
      end += separator;
    }
    const name = token.slice(start, end);
    if (name.length <= MAX_TERM && (segments > 1 || looksLikeCode(name, followedByCall && end === token.length))) add(terms, name, true, weight);
    at = end;
  }
}

/** Paths (`agent/ai.py`, `src/x/`) and file names of well-known kinds (`ai.py`) in one token. */
function paths(token: string, weight: number, terms: Terms): void {
  if (!token.includes("/")) {
    if (token.includes(".")) for (const part of token.split(/[:$]/)) fileName(part, weight, terms);
    return;
  }
  for (const part of token.split(/[:$]/)) {
    const segments = part.split("/");
    let run: string[] = [];
    const flush = (): void => {
      if (run.length >= 2) add(terms, run.join("/"), true, weight);
      else if (run.length === 1) fileName(run[0] as string, weight, terms);
      run = [];
    };
    for (const segment of segments) {
      if (segment === "") flush();
      else run.push(segment);
    }
    flush();
  }
}

function fileName(segment: string, weight: number, terms: Terms): void {
  if (segment.length > MAX_TERM) return;
  for (let dot = segment.indexOf("."); dot > 0; dot = segment.indexOf(".", dot + 1)) {
    let extensionEnd = dot + 1;
    while (isIdentifierChar(segment[extensionEnd]) && segment[extensionEnd] !== "_") extensionEnd++;
    if (!EXTENSIONS.has(segment.slice(dot + 1, extensionEnd)) || isIdentifierChar(segment[extensionEnd])) continue;
    let stem = dot;
    while (stem > 0 && /[\w-]/.test(segment[stem - 1] as string)) stem--;
    if (stem < dot) add(terms, segment.slice(stem, extensionEnd), true, weight);
  }
}

/** Plain words of four letters or more (hyphens allowed), and two- or three-letter acronyms (`AI`, `DB`). */
function words(token: string, weight: number, terms: Terms): void {
  for (let at = 0; at < token.length; ) {
    if (!isLetter(token[at])) {
      at++;
      continue;
    }
    let end = at;
    while (isLetter(token[end]) || token[end] === "-") end++;
    if (end - at >= 4 && end - at <= MAX_TERM) {
      const word = token.slice(at, end).toLowerCase();
      if (!STOPWORDS.has(word)) add(terms, word, false, weight * 0.5);
    }
    at = end;
  }
  for (let at = 0; at < token.length; ) {
    const isWord = (c: string | undefined): boolean => c !== "$" && isIdentifierChar(c);
    if (!isWord(token[at])) {
      at++;
      continue;
    }
    let end = at;
    while (end < token.length && isWord(token[end])) end++;
    const run = token.slice(at, Math.min(end, at + 4));
    if (end - at >= 2 && end - at <= 3 && /^[A-Z]+$/.test(run)) add(terms, run, true, weight);
    at = end;
  }
}

/**
 * Reads one text in a single pass: maximal runs of name characters (`[\w$./:-]`) are the
 * tokens, each classified by hand. Linear in the text, where a regular expression for paths
 * can backtrack for tens of seconds over one long run of name characters.
 */
function tokens(text: string, weight: number, terms: Terms): void {
  let at = 0;
  while (at < text.length) {
    if (!isTokenChar(text[at])) {
      at++;
      continue;
    }
    let start = at;
    let end = at;
    while (isTokenChar(text[end])) end++;
    // A mention of the App is not a term, nor is anyone's login.
    if (text[start - 1] === "@") {
      while (start < end && /[\w-]/.test(text[start] as string)) start++;
    }
    const token = text.slice(start, end);
    if (token.length > 0) {
      paths(token, weight, terms);
      codeNames(token, text[end] === "(", weight, terms);
      words(token, weight, terms);
    }
    at = end;
  }
}

function readText(terms: Terms, { text, weight }: WeightedText): void {
  for (const span of codeSpans(text)) {
    if (!/\s/.test(span.trim())) add(terms, span, true, weight * 2);
    codeNames(span, false, weight, terms);
  }
  tokens(text, weight, terms);
}

export function extractTerms(texts: readonly WeightedText[], max = 60): Term[] {
  const terms: Terms = new Map();
  for (const text of texts) readText(terms, text);
  return ranked(terms, max);
}

/** The same, one text at a time with the event loop given a turn in between: for a whole thread. */
export async function extractTermsYielding(texts: readonly WeightedText[], max = 60): Promise<Term[]> {
  const terms: Terms = new Map();
  await mapInSlices(texts, (text) => readText(terms, text));
  return ranked(terms, max);
}

function ranked(terms: Terms, max: number): Term[] {
  return [...terms.entries()]
    .map(([text, t]) => ({ text, code: t.code, weight: t.weight }))
    .sort((a, b) => b.weight - a.weight || a.text.localeCompare(b.text))
    .slice(0, max);
}

/** Inline code spans of the prose, as CommonMark finds them: one line, at most 200 characters. */
function codeSpans(text: string): string[] {
  if (!text.includes("`")) return [];
  const spans: string[] = [];
  const document = scanMarkdown(text);
  for (const block of document.prose) {
    for (const token of block.tokens) {
      if (token.kind !== "code") continue;
      const content = block.joined.text.slice(token.start + token.ticks, token.end - token.ticks);
      if (content.length >= 1 && content.length <= 200 && !content.includes("\n")) spans.push(content);
    }
  }
  return spans;
}
