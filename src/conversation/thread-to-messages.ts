import { parseComment } from "../comments/comment-format.js";
import type { ChatMessage } from "../streaming/stream-parts.js";

/**
 * The issue thread is the conversation: the issue and its comments in order become chat
 * messages. devbuddy's own earlier answers become `assistant` turns with the footer
 * stripped (so the model sees exactly what it wrote); everyone else's comments become
 * `user` turns that start with the author's login, so "be more specific about X" revises
 * the previous answer with the whole thread in view. Pure.
 */

export interface ThreadIssue {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly author: string;
}

export interface ThreadEntry {
  readonly id: number;
  readonly author: string;
  readonly authorType: string;
  readonly body: string;
}

export interface ThreadOptions {
  /** devbuddy's login, `<slug>[bot]`. */
  readonly botLogin: string;
  /** The run being answered now: its own comments (already posted) are left out. */
  readonly currentRunId: string;
  readonly systemPrompt: string;
}

function userTurn(author: string, label: string, body: string): ChatMessage {
  return { role: "user", content: `${label} by ${author}:\n\n${body.trim() || "(empty)"}` };
}

export function threadToMessages(issue: ThreadIssue, comments: readonly ThreadEntry[], options: ThreadOptions): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: "system", content: options.systemPrompt },
    userTurn(issue.author, `Issue #${issue.number}: ${issue.title}\nOpened`, issue.body),
  ];
  let lastRun: string | undefined;
  for (const comment of comments) {
    const own = comment.author.toLowerCase() === options.botLogin.toLowerCase();
    if (!own) {
      messages.push(userTurn(comment.author, "Comment", comment.body));
      lastRun = undefined;
      continue;
    }
    const parsed = parseComment(comment.body);
    if (parsed?.meta.run === options.currentRunId) continue;
    const text = parsed ? parsed.text : comment.body;
    const previous = messages[messages.length - 1];
    // A long answer spans several comments of one run: they are one assistant turn.
    if (parsed && lastRun === parsed.meta.run && previous?.role === "assistant") {
      messages[messages.length - 1] = { role: "assistant", content: previous.content + text };
    } else if (text.trim().length > 0) {
      messages.push({ role: "assistant", content: text });
    }
    lastRun = parsed?.meta.run;
  }
  return messages;
}
