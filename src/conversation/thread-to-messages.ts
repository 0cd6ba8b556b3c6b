import { parseComment } from "../comments/comment-format.js";
import { hideComments } from "../comments/hidden-text.js";
import { sameLogin } from "../github/logins.js";
import { longestRun } from "../markdown/fences.js";
import { mapInSlices } from "../util/time-slice.js";
import type { ChatMessage } from "../streaming/stream-parts.js";

/**
 * The issue thread is the conversation: the issue and its comments in order become chat
 * messages. devbuddy's own earlier answers become `assistant` turns with the footer
 * stripped (so the model sees exactly what it wrote); everyone else's comments become
 * `user` turns that name the author, so "be more specific about X" revises the previous
 * answer with the whole thread in view. Pure.
 *
 * Delimiting: a person's text is quoted in a fenced block whose fence (a run of backticks)
 * is longer than any run of backticks inside it. The text cannot close the block, so it
 * cannot end its own turn, start another that names someone else ("Comment by maint:"),
 * or pass for a note from devbuddy. The issue title, on the heading line, is a JSON string
 * for the same reason. The system prompt tells the model what the blocks mean.
 *
 * Ordering: an answer is placed right after the comment that asked for it (its meta
 * `trigger`), not where GitHub lists it. When two requests come close together, the
 * first answer is created after the second request, yet it answers the first.
 *
 * Cut-off: the run sees the thread up to its own request. Later comments are later
 * requests (answered by their own runs, in turn) or discussion the answer cannot have seen.
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
  /** What the current run answers ("c<comment id>" or "i<issue id>"): nothing after it is included. */
  readonly currentTrigger?: string;
  readonly systemPrompt: string;
  /** Bodies already read for quoting (`hideAll`); others are read here. */
  readonly quoted?: ThreadQuotes;
  /** A long thread was read at both ends: `count` comments after comment `afterId` are missing. */
  readonly gap?: { readonly afterId: number; readonly count: number };
}

/** Backticks, at least three, one more than the longest run of them in `text`. */
function fenceFor(text: string): string {
  return "`".repeat(Math.max(3, longestRun(text, "`") + 1));
}

/**
 * Text as a JSON string on one line. JSON.stringify escapes \n and \r but leaves the other
 * Unicode line breaks (NEL, LINE and PARAGRAPH SEPARATOR) as they are.
 */
function oneLineString(text: string): string {
  return JSON.stringify(text).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A person's comment or issue, as the model gets it: a heading line naming the author, then
 * their text in a fence it cannot contain. Hidden text (HTML comments) is left out.
 */
function userTurn(heading: string, body: string, quoted: QuotedText | undefined): ChatMessage {
  const { text, fence } = quoted ?? quote(body);
  if (!text) return { role: "user", content: `${heading} (empty)` };
  return { role: "user", content: `${heading}\n${fence}\n${text}\n${fence}` };
}

/** A person's text as the model gets it: without hidden text, and the fence to quote it in. */
export interface QuotedText {
  readonly text: string;
  readonly fence: string;
}

function quote(body: string): QuotedText {
  const text = hideComments(body).trim();
  return { text, fence: fenceFor(text) };
}

interface Answer {
  readonly parts: Map<number, string>;
  /** The comment or issue it answers ("c<id>" / "i<id>"), when known. */
  readonly anchor: string | undefined;
}

const ISSUE_ANCHOR = "issue";

function anchorOf(trigger: string | undefined): string | undefined {
  if (trigger === undefined) return undefined;
  return trigger.startsWith("i") ? ISSUE_ANCHOR : trigger;
}

function assistantTurn(answer: Answer): ChatMessage | undefined {
  const text = [...answer.parts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, part]) => part)
    .join("");
  return text.trim().length > 0 ? { role: "assistant", content: text } : undefined;
}

export function threadToMessages(issue: ThreadIssue, comments: readonly ThreadEntry[], options: ThreadOptions): ChatMessage[] {
  const isOwn = (c: ThreadEntry): boolean => sameLogin(c.author, options.botLogin);

  // devbuddy's answers, one per run (a long answer spans several comments), keyed by the
  // comment that starts them; anchored ones also by what they answer.
  const answersByFirstComment = new Map<number, Answer>();
  const anchored = new Map<string, Answer[]>();
  const byRun = new Map<string, Answer>();
  for (const comment of comments) {
    if (!isOwn(comment)) continue;
    const parsed = parseComment(comment.body);
    if (!parsed) {
      answersByFirstComment.set(comment.id, { parts: new Map([[1, comment.body]]), anchor: undefined });
      continue;
    }
    if (parsed.meta.run === options.currentRunId) continue;
    const existing = byRun.get(parsed.meta.run);
    if (existing) {
      existing.parts.set(parsed.meta.part, parsed.text);
      continue;
    }
    const answer: Answer = { parts: new Map([[parsed.meta.part, parsed.text]]), anchor: anchorOf(parsed.meta.trigger) };
    byRun.set(parsed.meta.run, answer);
    answersByFirstComment.set(comment.id, answer);
    if (answer.anchor !== undefined) anchored.set(answer.anchor, [...(anchored.get(answer.anchor) ?? []), answer]);
  }
  const anchors = new Set([ISSUE_ANCHOR, ...comments.filter((c) => !isOwn(c)).map((c) => `c${c.id}`)]);

  const messages: ChatMessage[] = [{ role: "system", content: options.systemPrompt }];
  const emit = (answers: readonly Answer[] | undefined): void => {
    for (const answer of answers ?? []) {
      const turn = assistantTurn(answer);
      if (turn) messages.push(turn);
    }
  };

  messages.push(userTurn(`Issue #${issue.number} ${oneLineString(issue.title)}, opened by ${issue.author}:`, issue.body, options.quoted?.issue));
  emit(anchored.get(ISSUE_ANCHOR));
  if (anchorOf(options.currentTrigger) === ISSUE_ANCHOR) return messages;

  const gap = options.gap;
  for (const comment of comments) {
    if (isOwn(comment)) {
      const answer = answersByFirstComment.get(comment.id);
      // Answers to a comment in the thread were placed after it; the rest stay where they are.
      if (answer && (answer.anchor === undefined || !anchors.has(answer.anchor))) emit([answer]);
    } else {
      messages.push(userTurn(`Comment by ${comment.author}:`, comment.body, options.quoted?.comments.get(comment.id)));
      emit(anchored.get(`c${comment.id}`));
      if (options.currentTrigger === `c${comment.id}`) break;
    }
    if (gap && comment.id === gap.afterId) {
      messages.push({ role: "user", content: `[devbuddy: ${gap.count === 1 ? "1 comment" : `${gap.count} comments`} of this long thread ${gap.count === 1 ? "was" : "were"} not read here.]` });
    }
  }
  return messages;
}

/** The issue's and the people's comments' texts, read for quoting, by comment id. */
export interface ThreadQuotes {
  readonly issue: QuotedText;
  readonly comments: ReadonlyMap<number, QuotedText>;
}

/**
 * The thread's texts without their hidden text, read one comment at a time with the event
 * loop given a turn in between (a thread can be 500 comments of 65 KB each). Keyed by id,
 * not by text: 500 long texts of one length that differ only at the end would make a map
 * keyed by text compare them all with each other.
 */
export async function quoteThread(issue: ThreadIssue, comments: readonly ThreadEntry[]): Promise<ThreadQuotes> {
  const quoted = await mapInSlices([issue.body, ...comments.map((c) => c.body)], quote);
  return { issue: quoted[0] as QuotedText, comments: new Map(comments.map((c, i) => [c.id, quoted[i + 1] as QuotedText])) };
}
