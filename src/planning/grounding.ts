import { SymbolIndex } from "../code-index/symbol-index.js";
import type { RepoView } from "./repo-view.js";
import { linesOf } from "./starting-context.js";
import type { CodeFacts } from "./verify-references.js";

/**
 * The repository as the planner knows it: a view of one commit and its symbol index.
 * The index is built once per view object; a cached snapshot (the same commit, read
 * again for a revision) reuses it. A file that fails to parse is left out of the index
 * (`SymbolIndex.unparsed`), not the repository; should the build itself fail (no worker
 * could start), that failure is kept for the view too: trying again on every run of the
 * same commit would cost the same and fail the same.
 */

export interface Grounding {
  readonly view: RepoView;
  readonly index: SymbolIndex;
}

const indexes = new WeakMap<RepoView, Promise<SymbolIndex>>();

export function indexFor(view: RepoView): Promise<SymbolIndex> {
  const cached = indexes.get(view);
  if (cached) return cached;
  const index = SymbolIndex.build([...view.loaded].map(([path, text]) => ({ path, text })));
  indexes.set(view, index);
  return index;
}

export function factsFor(grounding: Grounding): CodeFacts {
  const { view, index } = grounding;
  return {
    htmlUrl: view.htmlUrl,
    sha: view.sha,
    paths: view.allPaths,
    lineCount: (path) => {
      const text = view.loaded.get(path);
      return text === undefined ? undefined : linesOf(text).length;
    },
    lookup: (name) => index.lookup(name),
    inherited: (owner, name) => index.inheritedMember(owner, name),
  };
}

/** When the repository could not be read, nothing can be verified: every reference is marked. */
export function unverifiableFacts(htmlUrl: string): CodeFacts {
  return { htmlUrl, sha: "unknown", paths: new Set(), lineCount: () => undefined, lookup: () => [] };
}
