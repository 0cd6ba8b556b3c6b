/**
 * Delimiters that text put between them cannot close. A code fence or code span of N
 * backticks ends only at a run of exactly N (https://spec.commonmark.org/0.31.2/#code-spans,
 * https://spec.commonmark.org/0.31.2/#fenced-code-blocks), so a delimiter one longer than
 * the longest run inside is safe; the `<<<`/`>>>` markers of the system prompt follow the
 * same rule.
 */

/** The longest run of `char` (one UTF-16 unit) in `text`; one pass, no backtracking. */
export function longestRun(text: string, char: string): number {
  if (char.length !== 1) throw new RangeError(`longestRun counts one character, not ${JSON.stringify(char)}`);
  const code = char.charCodeAt(0);
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = text.charCodeAt(i) === code ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}
