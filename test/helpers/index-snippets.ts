import { SymbolIndex, type CallSite } from "../../src/code-index/symbol-index.js";

/** Joins lines, so snippets keep their indentation readable. */
export const code = (...lines: string[]): string => `${lines.join("\n")}\n`;

/** The symbol index of inline files, keyed by path. */
export function indexOf(files: Record<string, string>): Promise<SymbolIndex> {
  return SymbolIndex.build(Object.entries(files).map(([path, text]) => ({ path, text })));
}

/** Confirmed and possible callers of the definition `qualifiedName` (in `path`, when several files define it), as "path:line". */
export function callersIn(index: SymbolIndex, qualifiedName: string, path?: string): { confirmed: string[]; possible: string[] } {
  const definition = index.lookup(qualifiedName).find((d) => d.qualifiedName === qualifiedName && (path === undefined || d.path === path));
  if (definition === undefined) throw new Error(`${qualifiedName} is not defined${path === undefined ? "" : ` in ${path}`}`);
  const { confirmed, possible } = index.callers(definition);
  const at = (list: readonly CallSite[]) => list.map((call) => `${call.path}:${call.line}`);
  return { confirmed: at(confirmed), possible: at(possible) };
}

/** `callersIn` over a fresh index of `files`. */
export async function callersOf(files: Record<string, string>, qualifiedName: string, path?: string) {
  return callersIn(await indexOf(files), qualifiedName, path);
}
