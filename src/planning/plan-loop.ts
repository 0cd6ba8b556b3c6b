import { setImmediate as nextTurn } from "node:timers/promises";
import type { ModelClient, StreamOptions } from "../streaming/model-client.js";
import { ModelError, type ChatMessage, type FinishReason, type TokenUsage, type ToolCall, type ToolSpec } from "../streaming/stream-parts.js";
import type { Logger } from "../util/logger.js";
import { describeCall, type ToolResult } from "./repo-tools.js";
import { countTokens, messageTokens } from "./token-budget.js";

/**
 * The model's turn: stream, run the tools it asks for, stream again, until it writes
 * the plan or the rounds run out. Text of every round goes to `onText` as it arrives
 * (the live comment); each tool call is announced through `onActivity` first.
 *
 * Bounded: at most `maxToolRounds` rounds may call tools, at most `MAX_CALLS_PER_ROUND` calls each; the round after that is asked
 * with tool_choice "none", with a note that the reading budget is spent. A model that
 * calls tools anyway then ends the loop: its text so far is the answer. Every request is
 * resent whole, so the prompt is bounded too: a tool result that would take it past
 * `maxPromptTokens` is not returned, and the tools are withdrawn.
 *
 * What the model writes in a round that then calls tools ("Let me look at the AI class.")
 * is thinking aloud, not the plan: it is kept, folded under the plan in a `<details>`
 * block, so the plan still starts with its summary line and nothing is lost.
 */

/** What runs the model's tool calls (`RepoTools`). */
export interface ToolRunner {
  readonly specs: readonly ToolSpec[];
  execute(call: ToolCall): Promise<ToolResult>;
}

export interface PlanLoopInput {
  readonly model: ModelClient;
  readonly messages: readonly ChatMessage[];
  /** Undefined for models without tool support: one plain round. */
  readonly tools?: ToolRunner;
  readonly maxToolRounds: number;
  /** Prompt tokens any one request may carry, tool results included. */
  readonly maxPromptTokens: number;
  /**
   * Tokens the whole answer may cost (every request's prompt and output). Once the next
   * request would pass it, the tools are withdrawn: that request writes the plan.
   */
  readonly maxRunTokens?: number;
  readonly streamOptions?: Omit<StreamOptions, "tools" | "toolChoice">;
  readonly signal: AbortSignal;
  readonly log: Logger;
  onText(text: string): void;
  onActivity(activity: string | undefined): void;
}

export interface PlanLoopResult {
  readonly text: string;
  readonly finish?: FinishReason;
  /** Tokens of every round: as the server reported them, or counted here when it did not (`usageEstimated`). */
  readonly usage: TokenUsage;
  readonly usageEstimated: boolean;
  readonly failure?: ModelError;
  /** Model requests made. */
  readonly rounds: number;
  readonly toolCalls: number;
  /** Which limit ended the reading, if one did. */
  readonly limit?: "rounds" | "files" | "bytes" | "tokens" | "run-tokens";
}

/**
 * Tool calls run per model response. The model can ask for any number in one response (100
 * searches of 30 MB held the event loop for 10 s); the ones past this get a result saying so,
 * since every call needs an answer.
 */
export const MAX_CALLS_PER_ROUND = 8;

export function notRunText(asked: number): string {
  return `Error: not run. This response asked for ${asked} tool calls; devbuddy runs at most ${MAX_CALLS_PER_ROUND} per response, the first ${MAX_CALLS_PER_ROUND}. Ask again for the ones you still need.`;
}

/** Finished tool calls shown in the status line. */
const TRAIL = 3;

const TOKENS_SPENT =
  "Error: not returned, because this answer's context budget is spent. Write the plan with what you have read.";

const BUDGET_SPENT =
  "[devbuddy: the reading budget for this answer is spent; no more tools. Write the answer now from what you have read, and say what you could not check.]";

function addUsage(total: TokenUsage | undefined, more: TokenUsage | undefined): TokenUsage | undefined {
  if (!more) return total;
  if (!total) return more;
  return { promptTokens: total.promptTokens + more.promptTokens, completionTokens: total.completionTokens + more.completionTokens };
}

export async function runPlanLoop(input: PlanLoopInput): Promise<PlanLoopResult> {
  const messages: ChatMessage[] = [...input.messages];
  /** Text of rounds that went on to call tools. */
  const asides: string[] = [];
  const compose = (plan: string): string => foldAsides(plan, asides);
  /** Per round: what the server reported, else counted here (the request's prompt, the round's output). */
  const usage = { promptTokens: 0, completionTokens: 0 };
  let usageEstimated = false;
  let toolCalls = 0;
  let limit: PlanLoopResult["limit"];
  const tools = input.tools;
  // What was read so far stays in the status line until the plan streams: edits are
  // coalesced, so a tool call that takes a moment might otherwise never be seen.
  const trail: string[] = [];
  const withTrail = (now: string): string => [...trail.slice(-TRAIL), now].join(" · ");
  let promptTokens = messages.reduce((sum, m) => sum + messageTokens(m), 0);
  const add = (message: ChatMessage): void => {
    messages.push(message);
    promptTokens += messageTokens(message);
  };

  const end = (rounds: number, rest: Pick<PlanLoopResult, "text"> & Partial<Pick<PlanLoopResult, "failure" | "finish">>): PlanLoopResult => ({
    ...rest,
    rounds,
    toolCalls,
    usage: { ...usage },
    usageEstimated,
    ...(limit ? { limit } : {}),
  });

  for (let round = 0; ; round++) {
    const spent = usage.promptTokens + usage.completionTokens;
    if (round > 0 && input.maxRunTokens !== undefined && spent + promptTokens > input.maxRunTokens) limit ??= "run-tokens";
    const mayCallTools = tools !== undefined && round < input.maxToolRounds && limit !== "tokens" && limit !== "run-tokens";
    if (tools && !mayCallTools && round > 0) {
      limit ??= "rounds";
      add({ role: "user", content: BUDGET_SPENT });
    }
    const options: StreamOptions = {
      ...input.streamOptions,
      ...(tools ? { tools: tools.specs, toolChoice: mayCallTools ? "auto" : "none" } : {}),
    };
    let roundText = "";
    const calls: ToolCall[] = [];
    let finish: FinishReason | undefined;
    const roundPrompt = promptTokens;
    let reported: TokenUsage | undefined;
    const countOutput = (): void => {
      if (reported) {
        usage.promptTokens += reported.promptTokens;
        usage.completionTokens += reported.completionTokens;
        return;
      }
      usageEstimated = true;
      usage.promptTokens += roundPrompt;
      usage.completionTokens += countTokens(roundText) + calls.reduce((sum, c) => sum + countTokens(c.name) + countTokens(c.arguments), 0);
    };
    try {
      for await (const part of input.model.stream(messages, input.signal, options)) {
        if (part.type === "text-delta") {
          if (roundText.length === 0) input.onActivity(undefined);
          roundText += part.text;
          input.onText(compose(roundText));
        } else if (part.type === "tool-call") {
          calls.push(part.call);
        } else {
          finish = part.reason;
          reported = addUsage(reported, part.usage);
        }
      }
    } catch (error) {
      const failure = error instanceof ModelError ? error : new ModelError("server", "The model request failed unexpectedly.", { cause: error });
      countOutput();
      return end(round + 1, { text: compose(roundText), failure });
    }
    countOutput();

    if (calls.length === 0 || !tools || !mayCallTools) {
      if (calls.length > 0) input.log.warn({ calls: calls.map((c) => c.name) }, "the model asked for tools after they were withdrawn; ending with its text");
      return end(round + 1, { text: compose(roundText), ...(finish === undefined ? {} : { finish }) });
    }

    if (roundText.trim().length > 0) asides.push(roundText.trim());
    add({ role: "assistant", content: roundText, toolCalls: calls });
    for (const [n, call] of calls.entries()) {
      if (input.signal.aborted) break;
      if (n >= MAX_CALLS_PER_ROUND) {
        add({ role: "tool", toolCallId: call.id, content: notRunText(calls.length) });
        continue;
      }
      // Each call gets the event loop after the one before: other answers and webhooks go on between them.
      if (n > 0) await nextTurn();
      const words = describeCall(call);
      input.onActivity(withTrail(words.doing));
      const result = await tools.execute(call);
      trail.push(words.done);
      toolCalls++;
      // The result must leave room for the note that closes the reading.
      const reply: ChatMessage = { role: "tool", toolCallId: call.id, content: result.content };
      const fits = promptTokens + messageTokens(reply) + messageTokens({ role: "user", content: BUDGET_SPENT }) <= input.maxPromptTokens;
      const hit = fits ? result.limit : "tokens";
      if (hit) limit = hit;
      input.log.debug({ tool: call.name, ok: result.ok && fits, bytes: result.content.length, limit: hit }, "tool call");
      add(fits ? reply : { role: "tool", toolCallId: call.id, content: TOKENS_SPENT });
    }
    input.onActivity(withTrail("thinking…"));
    if (input.signal.aborted) {
      const failure = new ModelError("aborted", "The request to the model was cancelled.");
      return end(round + 1, { text: compose(""), failure });
    }
  }
}

const ASIDES_SUMMARY = "<details><summary>Notes devbuddy made while reading</summary>";

/** The plan, then what the model said between tool calls, collapsed; just the notes when there is no plan yet. */
export function foldAsides(plan: string, asides: readonly string[]): string {
  if (asides.length === 0) return plan;
  const notes = asides.join("\n\n");
  if (plan.trim().length === 0) return notes;
  return `${plan.trimEnd()}\n\n${ASIDES_SUMMARY}\n\n${notes}\n\n</details>`;
}
