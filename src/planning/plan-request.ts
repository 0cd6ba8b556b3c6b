/**
 * What kind of answer a request asks for. Pure.
 *
 * "summarize into a final plan" (and close wordings) asks for a complete, self-contained
 * plan: one that a reader can follow without the earlier answers, because the thread's
 * corrections are folded in rather than referred to.
 */

export type PlanKind = "plan" | "final";

const FINAL = /\b(?:summari[sz]e|summary|final\s+plan|consolidate|wrap\s+(?:it\s+)?up|one\s+complete\s+plan)\b/i;

export function planKindOf(request: string): PlanKind {
  return FINAL.test(request) ? "final" : "plan";
}

export const FINAL_PLAN_INSTRUCTION = [
  "[devbuddy: this request asks for the final plan. Write one complete, self-contained plan that folds in every",
  "correction and decision from the thread. Do not refer to earlier answers (no \"as above\", no \"unchanged\"):",
  "repeat every step in full. End with the questions that are still open, if any.]",
].join(" ");
