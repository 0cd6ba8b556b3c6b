import { parseComment } from "../comments/comment-format.js";
import { sameLogin } from "../github/logins.js";

/**
 * Two Apps that answer each other loop: devbuddy answers a bot, the bot answers devbuddy
 * with another mention, and so on, each turn costing a model run. A repository may allow a
 * bot to ask (`triggers.bots`), but not without end: after this many answers to bots in a
 * row, with no person writing in between, a bot's next request is not answered. A comment
 * by a person (any author that is not a bot) ends the chain.
 */
export const MAX_BOT_ANSWERS_IN_A_ROW = 3;

export interface ChainComment {
  readonly author: string;
  readonly authorType: string;
  readonly body: string;
}

/** devbuddy's answers (a long one spans several comments) since the last comment by a person. */
export function answersSinceLastPerson(comments: readonly ChainComment[], botLogin: string): number {
  const runs = new Set<string>();
  for (let i = comments.length - 1; i >= 0; i--) {
    const comment = comments[i] as ChainComment;
    if (sameLogin(comment.author, botLogin)) runs.add(parseComment(comment.body)?.meta.run ?? `comment ${i}`);
    else if (comment.authorType !== "Bot") break;
  }
  return runs.size;
}
