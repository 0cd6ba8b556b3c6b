/**
 * GitHub logins. GitHub treats a login case-insensitively (`Octocat` and `octocat` are one
 * account), so every comparison of two logins goes through `sameLogin`. A GitHub App acts
 * through a bot account named `<slug>[bot]`.
 */

/** True when `a` and `b` name the same account. */
export function sameLogin(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The login an App with this slug comments as. */
export function appLogin(slug: string): string {
  return `${slug}[bot]`;
}

/** True when `a` and `b` name the same bot, each written with or without its `[bot]` suffix. */
export function sameBot(a: string, b: string): boolean {
  return sameLogin(withoutBotSuffix(a), withoutBotSuffix(b));
}

function withoutBotSuffix(login: string): string {
  return login.replace(/\[bot\]$/i, "");
}
