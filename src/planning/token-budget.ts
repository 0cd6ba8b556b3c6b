import { countTokens as count } from "gpt-tokenizer/encoding/o200k_base";
import type { ChatMessage } from "../streaming/stream-parts.js";

/**
 * Fitting a thread into the model's context. Tokens are counted with o200k_base (the
 * GPT-4o/4.1 encoding); for other models it is an estimate, which is why budgets leave
 * headroom rather than aim at the exact window.
 *
 * What is kept, in order of priority: the system prompt, the issue, the latest plan
 * devbuddy wrote, the request being answered, then the newest turns, walking back. Older
 * turns in between are left out (the model is told where and how many), and a single
 * turn too large for its share is cut in the middle, keeping its start and end.
 */

// Text is data: a literal "<|endoftext|>" in an issue must count, not throw.
const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

export function countTokens(text: string): number {
  return count(text, NO_SPECIAL);
}

/** Per-message framing the chat format adds (role, separators); OpenAI documents ~3–4. */
const MESSAGE_OVERHEAD = 4;

export function messageTokens(message: ChatMessage): number {
  let tokens = MESSAGE_OVERHEAD + countTokens(message.content);
  if (message.role === "assistant") {
    for (const call of message.toolCalls ?? []) tokens += MESSAGE_OVERHEAD + countTokens(call.name) + countTokens(call.arguments);
  }
  return tokens;
}

/** The start and end of `text` within about `maxTokens`, and how many tokens were dropped between them. */
function cutMiddle(text: string, maxTokens: number): { head: string; tail: string; left: number } {
  const total = countTokens(text);
  // Characters per token of this text, to cut close to the target in one go.
  const ratio = text.length / Math.max(total, 1);
  const keep = Math.max(0, Math.floor(maxTokens * ratio * 0.95));
  const head = text.slice(0, Math.ceil(keep * 0.7));
  const tail = keep - head.length > 0 ? text.slice(text.length - (keep - head.length)) : "";
  return { head, tail, left: total - countTokens(head) - countTokens(tail) };
}

/**
 * A person's turn as `threadToMessages` writes it: a heading line, then their text in a
 * fence of backticks longer than any run inside it.
 */
const QUOTED_TURN = /^([^\n]*)\n(`{3,})\n([\s\S]*)\n\2$/;

/**
 * Cuts text to about `maxTokens`, keeping its beginning and end (where issues state the
 * request and comments their conclusion), with a marker that says how much is missing.
 * A person's quoted turn keeps its heading and fences, and the marker goes after the
 * block, where devbuddy's notes are: inside it, it would read as that person's words.
 */
export function truncateMiddle(text: string, maxTokens: number, what = "text"): string {
  if (countTokens(text) <= maxTokens) return text;
  const quoted = QUOTED_TURN.exec(text);
  if (quoted) {
    const [, heading = "", fence = "", inner = ""] = quoted;
    const note = (left: number): string => `[devbuddy: ${left} tokens of this ${what} left out to fit the context, where "[…]" stands.]`;
    const frame = countTokens(`${heading}\n${fence}\n\n[…]\n\n${fence}\n${note(999_999)}`);
    const { head, tail, left } = cutMiddle(inner, Math.max(0, maxTokens - frame));
    return `${heading}\n${fence}\n${head}\n[…]\n${tail}\n${fence}\n${note(left)}`;
  }
  const { head, tail, left } = cutMiddle(text, maxTokens);
  return `${head}\n\n[… ${left} tokens of this ${what} left out to fit the context …]\n\n${tail}`;
}

export interface ConversationParts {
  readonly system: ChatMessage;
  /** Repository context placed right after the system prompt. */
  readonly context: readonly ChatMessage[];
  /** The thread in order: the issue first, the request being answered last. */
  readonly turns: readonly ChatMessage[];
  /** An instruction after the thread (e.g. "write the final plan"). */
  readonly closing?: ChatMessage;
}

export interface FitReport {
  readonly messages: ChatMessage[];
  readonly tokens: number;
  /** Thread turns left out entirely. */
  readonly omittedTurns: number;
  /** Turns kept but cut in the middle. */
  readonly truncatedTurns: number;
}

function withContent(message: ChatMessage, content: string): ChatMessage {
  return { ...message, content } as ChatMessage;
}

export function fitConversation(parts: ConversationParts, budget: number): FitReport {
  const fixed = [parts.system, ...parts.context, ...(parts.closing ? [parts.closing] : [])];
  const fixedTokens = fixed.reduce((sum, m) => sum + messageTokens(m), 0);
  const room = Math.max(0, budget - fixedTokens);
  const turns = [...parts.turns];
  const last = turns.length - 1;
  const latestPlan = turns.findLastIndex((m) => m.role === "assistant");

  // Turns that must stay, each capped to a share so that together they leave room.
  const kept = new Map<number, ChatMessage>();
  let truncatedTurns = 0;
  const keep = (index: number, share: number, what: string): void => {
    const message = turns[index];
    if (message === undefined || kept.has(index)) return;
    const cap = Math.floor(room * share);
    const content = truncateMiddle(message.content, Math.max(cap - MESSAGE_OVERHEAD, 0), what);
    if (content !== message.content) truncatedTurns++;
    kept.set(index, withContent(message, content));
  };
  keep(0, 0.3, "issue");
  keep(last, 0.2, "comment");
  if (latestPlan > 0) keep(latestPlan, 0.3, "plan");
  let used = [...kept.values()].reduce((sum, m) => sum + messageTokens(m), 0);

  // Then the newest turns, walking back, while they fit whole.
  for (let index = last - 1; index > 0; index--) {
    if (kept.has(index)) continue;
    const message = turns[index] as ChatMessage;
    const tokens = messageTokens(message);
    if (used + tokens > room) break;
    kept.set(index, message);
    used += tokens;
  }

  const messages: ChatMessage[] = [parts.system, ...parts.context];
  let omittedTurns = 0;
  let gap = 0;
  const flushGap = (): void => {
    if (gap === 0) return;
    messages.push({
      role: "user",
      content: `[devbuddy: ${gap} earlier message${gap === 1 ? "" : "s"} of this thread left out here to fit the model's context.]`,
    });
    omittedTurns += gap;
    gap = 0;
  };
  turns.forEach((_, index) => {
    const message = kept.get(index);
    if (message === undefined) {
      gap++;
      return;
    }
    flushGap();
    messages.push(message);
  });
  flushGap();
  if (parts.closing) messages.push(parts.closing);
  return {
    messages,
    tokens: messages.reduce((sum, m) => sum + messageTokens(m), 0),
    omittedTurns,
    truncatedTurns,
  };
}
