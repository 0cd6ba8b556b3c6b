import type { PatternProblem } from "../repository/glob.js";
import type { RepoRef } from "../github/refs.js";

/**
 * What the planner needs of the repository at one commit: the shape `RepoSnapshot`
 * provides. An interface of its own so the planner can be tested on an in-memory tree.
 */
export interface RepoView {
  readonly repo: RepoRef;
  readonly sha: string;
  readonly defaultBranch: string;
  readonly htmlUrl: string;
  /** Every file path of the commit's tree, read or not. */
  readonly allPaths: ReadonlySet<string>;
  /** Files that passed the path filter (not vendored, generated, binary, ignored, excluded or too large). */
  readonly eligible: readonly { readonly path: string; readonly size: number }[];
  /** Eligible text files whose content devbuddy holds. */
  readonly loaded: ReadonlyMap<string, string>;
  /** How many files were left out, and why. */
  readonly skipped: ReadonlyMap<string, number>;
  readonly treeTruncated: boolean;
  /** Files read whatever the path filters say (the repository's guidance for devbuddy), by path. */
  readonly pinned: ReadonlyMap<string, string>;
  /** Path patterns that match nothing because they are invalid or over the caps (src/repository/glob.ts); none when absent. */
  readonly patternProblems?: readonly PatternProblem[];
  /** Why a path is not readable ("vendored", "binary", "missing", …); undefined when it is. */
  skipReason(path: string): string | undefined;
  /** The text of an eligible file, fetched if it was not loaded; undefined otherwise. */
  read(path: string): Promise<string | undefined>;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
