/**
 * The words of a thread that may name code: what the starting context searches the
 * repository for. Pure.
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

const CODE_SPAN = /`([^`\n]{1,200})`/g;
const CODE_NAME = /[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)+|[A-Za-z_$][\w$]*(?=\()|[A-Za-z$]*_[\w$]*|[A-Za-z]+[a-z][A-Z][\w$]*|\b[A-Z]{2,}[a-z]*\b|[A-Z][a-z]+[A-Z][\w$]*/g;
const PATH = /(?:[\w.-]+\/)+[\w.-]+|[\w-]+\.(?:py|ts|tsx|js|jsx|mjs|go|rs|java|rb|md|ya?ml|json|toml)\b/g;
const WORD = /[A-Za-z][A-Za-z-]{3,}/g;

function add(terms: Map<string, { code: boolean; weight: number }>, raw: string, code: boolean, weight: number): void {
  const text = raw.trim().replace(/\(\)$/, "").replace(/^(?:self|this)\./, "");
  if (text.length < 2 || text.length > 120) return;
  const existing = terms.get(text);
  terms.set(text, { code: code || (existing?.code ?? false), weight: (existing?.weight ?? 0) + weight });
}

export function extractTerms(texts: readonly WeightedText[], max = 60): Term[] {
  const terms = new Map<string, { code: boolean; weight: number }>();
  for (const { text, weight } of texts) {
    // A mention of the App is not a term; neither are quoted replies' markers.
    const clean = text.replace(/@[\w-]+(?:\[bot\])?/g, " ");
    for (const match of clean.matchAll(CODE_SPAN)) {
      const span = match[1] as string;
      if (!/\s/.test(span.trim())) add(terms, span, true, weight * 2);
      for (const name of span.matchAll(CODE_NAME)) add(terms, name[0], true, weight);
    }
    for (const match of clean.matchAll(PATH)) add(terms, match[0], true, weight);
    for (const match of clean.matchAll(CODE_NAME)) add(terms, match[0], true, weight);
    for (const match of clean.matchAll(WORD)) {
      const word = match[0].toLowerCase();
      if (!STOPWORDS.has(word)) add(terms, word, false, weight * 0.5);
    }
    // Short all-caps names (AI, DB, UI) are too short for the word pattern but are classic class names.
    for (const match of clean.matchAll(/\b[A-Z]{2,3}\b/g)) add(terms, match[0], true, weight);
  }
  return [...terms.entries()]
    .map(([text, t]) => ({ text, code: t.code, weight: t.weight }))
    .sort((a, b) => b.weight - a.weight || a.text.localeCompare(b.text))
    .slice(0, max);
}
