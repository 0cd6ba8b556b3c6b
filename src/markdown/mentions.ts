/**
 * Where rendered text mentions someone, as GitHub links mentions: an `@` followed by a
 * login's first character, after any character that is not a word character (its
 * open-source MentionFilter: `(?:^|\W)@login`), so `-@alice` and `@@alice` ping too. Left
 * alone: an `@` glued to a word (an e-mail address), and one inside a path or URL (after `.`,
 * `/` or `:`). Right after an e-mail address, which GitHub turns into a link, an `@` starts
 * a new text again: `ops@example.com@alice`. Read by hand, one look back per `@`.
 */

function isWord(char: string | undefined): boolean {
  return char !== undefined && /\w/.test(char);
}

function isLoginStart(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9]/.test(char);
}

/** `text[0, end)` ends with an e-mail address: `[\w.+-]@[\w-]+(\.[\w-]+)+`. */
function endsWithEmail(text: string, end: number): boolean {
  let at = end;
  let dots = 0;
  let segment = 0;
  while (at > 0) {
    const char = text[at - 1] as string;
    if (char === "@") break;
    if (char === ".") {
      if (segment === 0) return false;
      dots++;
      segment = 0;
    } else if (isWord(char) || char === "-") segment++;
    else return false;
    at--;
  }
  if (at === 0 || segment === 0 || dots === 0) return false;
  const local = text[at - 2];
  return isWord(local) || local === "." || local === "+" || local === "-";
}

/** Indices of the `@`s in `text` that GitHub would link as mentions. */
export function mentionIndices(text: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    if (!isLoginStart(text[at + 1])) continue;
    const before = text[at - 1];
    if (before === undefined || !(isWord(before) || before === "." || before === "/" || before === ":") || endsWithEmail(text, at)) found.push(at);
  }
  return found;
}
