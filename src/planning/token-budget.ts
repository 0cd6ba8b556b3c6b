import { countTokens as count } from "gpt-tokenizer/encoding/o200k_base";
import type { ChatMessage } from "../streaming/stream-parts.js";
import { TimeSlice } from "../util/time-slice.js";

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

/**
 * BPE merging in gpt-tokenizer is quadratic in the length of one pre-token, and a run
 * with no space (62 KB of CJK, of zero-width spaces, of combining marks) is one pre-token:
 * ~20 s. So text is counted in chunks of at most `CHUNK_CHARS`, cut just before a
 * whitespace (where the tokenizer's own pre-tokens start) or after punctuation when there
 * is one in the chunk's second half, else hard. The work is then linear in the text.
 * Pre-tokens never span a whitespace boundary, so cutting there changes nothing; a hard
 * cut can only split a merge, which makes the count higher, never lower.
 */
const CHUNK_CHARS = 256;

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0 || code === 0x3000 || (code >= 0x2000 && code <= 0x200b);
}

function isPunctuation(code: number): boolean {
  return (code >= 0x21 && code <= 0x2f) || (code >= 0x3a && code <= 0x40) || (code >= 0x5b && code <= 0x60) || (code >= 0x7b && code <= 0x7e) || (code >= 0x3001 && code <= 0x3002);
}

/** Where the chunk starting at `start` ends. */
function chunkEnd(text: string, start: number): number {
  const limit = start + CHUNK_CHARS;
  if (limit >= text.length) return text.length;
  const floor = start + CHUNK_CHARS / 2;
  for (let i = limit; i > floor; i--) if (isSpace(text.charCodeAt(i))) return i;
  for (let i = limit - 1; i > floor; i--) if (isPunctuation(text.charCodeAt(i))) return i + 1;
  // Never between the halves of a surrogate pair.
  const code = text.charCodeAt(limit);
  return code >= 0xdc00 && code <= 0xdfff ? limit - 1 : limit;
}

export function countTokens(text: string): number {
  if (text.length <= CHUNK_CHARS) return count(text, NO_SPECIAL);
  let tokens = 0;
  for (let start = 0; start < text.length; ) {
    const end = chunkEnd(text, start);
    tokens += count(text.slice(start, end), NO_SPECIAL);
    start = end;
  }
  return tokens;
}

/**
 * `countTokens`, handing the event loop back between chunks once `slice`'s time is up
 * (fitting a thread of 500 comments of 65 KB counts megabytes of text).
 */
export async function countTokensPausing(text: string, slice: TimeSlice): Promise<number> {
  let tokens = 0;
  for (let start = 0; start < text.length; ) {
    const end = Math.min(text.length, start + 16 * CHUNK_CHARS);
    // Cut where countTokens would, so the sum is the same.
    let cut = start;
    while (cut < end) cut = chunkEnd(text, cut);
    tokens += countTokens(text.slice(start, cut));
    start = cut;
    await slice.due();
  }
  return tokens;
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

async function messageTokensPausing(message: ChatMessage, slice: TimeSlice): Promise<number> {
  let tokens = MESSAGE_OVERHEAD + (await countTokensPausing(message.content, slice));
  if (message.role === "assistant") {
    for (const call of message.toolCalls ?? []) tokens += MESSAGE_OVERHEAD + countTokens(call.name) + (await countTokensPausing(call.arguments, slice));
  }
  return tokens;
}

/** The start and end of `text` within about `maxTokens`, and how many tokens were dropped between them. */
async function cutMiddle(text: string, maxTokens: number, slice: TimeSlice): Promise<{ head: string; tail: string; left: number }> {
  const total = await countTokensPausing(text, slice);
  // Characters per token of this text, to cut close to the target in one go.
  const ratio = text.length / Math.max(total, 1);
  const keep = Math.max(0, Math.floor(maxTokens * ratio * 0.95));
  const head = text.slice(0, Math.ceil(keep * 0.7));
  const tail = keep - head.length > 0 ? text.slice(text.length - (keep - head.length)) : "";
  return { head, tail, left: total - (await countTokensPausing(head, slice)) - (await countTokensPausing(tail, slice)) };
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
export async function truncateMiddle(text: string, maxTokens: number, what = "text", slice: TimeSlice = new TimeSlice()): Promise<string> {
  if ((await countTokensPausing(text, slice)) <= maxTokens) return text;
  const quoted = QUOTED_TURN.exec(text);
  if (quoted) {
    const [, heading = "", fence = "", inner = ""] = quoted;
    const note = (left: number): string => `[devbuddy: ${left} tokens of this ${what} left out to fit the context, where "[…]" stands.]`;
    const frame = countTokens(`${heading}\n${fence}\n\n[…]\n\n${fence}\n${note(999_999)}`);
    const { head, tail, left } = await cutMiddle(inner, Math.max(0, maxTokens - frame), slice);
    return `${heading}\n${fence}\n${head}\n[…]\n${tail}\n${fence}\n${note(left)}`;
  }
  const { head, tail, left } = await cutMiddle(text, maxTokens, slice);
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

/** Fits the thread, handing the event loop back every few ms (`slice`) while it counts. */
export async function fitConversation(parts: ConversationParts, budget: number, slice: TimeSlice = new TimeSlice()): Promise<FitReport> {
  // Each message is counted once, however often the fitting asks.
  const counted = new Map<ChatMessage, number>();
  const tokensOf = async (message: ChatMessage): Promise<number> => {
    let tokens = counted.get(message);
    if (tokens === undefined) {
      tokens = await messageTokensPausing(message, slice);
      counted.set(message, tokens);
    }
    return tokens;
  };
  const sumOf = async (messages: readonly ChatMessage[]): Promise<number> => {
    let sum = 0;
    for (const message of messages) sum += await tokensOf(message);
    return sum;
  };
  const fixed = [parts.system, ...parts.context, ...(parts.closing ? [parts.closing] : [])];
  const fixedTokens = await sumOf(fixed);
  const room = Math.max(0, budget - fixedTokens);
  const turns = [...parts.turns];
  const last = turns.length - 1;
  const latestPlan = turns.findLastIndex((m) => m.role === "assistant");

  // Turns that must stay, each capped to a share so that together they leave room.
  const kept = new Map<number, ChatMessage>();
  let truncatedTurns = 0;
  const keep = async (index: number, share: number, what: string): Promise<void> => {
    const message = turns[index];
    if (message === undefined || kept.has(index)) return;
    const cap = Math.floor(room * share);
    const content = await truncateMiddle(message.content, Math.max(cap - MESSAGE_OVERHEAD, 0), what, slice);
    if (content !== message.content) truncatedTurns++;
    kept.set(index, content === message.content ? message : withContent(message, content));
  };
  await keep(0, 0.3, "issue");
  await keep(last, 0.2, "comment");
  if (latestPlan > 0) await keep(latestPlan, 0.3, "plan");
  let used = await sumOf([...kept.values()]);

  // Then the newest turns, walking back, while they fit whole.
  for (let index = last - 1; index > 0; index--) {
    if (kept.has(index)) continue;
    const message = turns[index] as ChatMessage;
    const tokens = await tokensOf(message);
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
    tokens: await sumOf(messages),
    omittedTurns,
    truncatedTurns,
  };
}
