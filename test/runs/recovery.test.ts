import { describe, expect, it } from "vitest";
import { parseComment, renderComment, type RenderInput } from "../../src/comments/comment-format.js";
import { GAVE_UP_NOTICE, planRecovery } from "../../src/runs/recovery.js";
import type { RunRecord, WrittenPart } from "../../src/state/run-journal.js";
import { MENTION_EVENT } from "../helpers/payloads.js";

const EVENT = MENTION_EVENT;

const run = (over: Partial<RunRecord>): RunRecord => ({
  runId: "r1",
  event: EVENT,
  phase: "answering",
  attempt: 1,
  parts: [],
  startedAt: 0,
  instance: "dead",
  ...over,
});

const url = (id: number) => `https://github.com/acme/app/issues/3#issuecomment-${id}`;
const part = (id: number, index: number, input: Partial<RenderInput>): WrittenPart => ({
  id,
  url: url(id),
  input: { text: "", meta: { v: 1, run: "r1", part: index, state: "streaming", trigger: "c11" }, model: "gpt-x", ...input },
});

describe("planRecovery", () => {
  it("closes a cut-off answer with exactly the text it showed, its notes kept, the activity gone and the notice added", () => {
    const recovery = planRecovery(
      run({ parts: [part(50, 1, { text: "Half of the plan", notes: ["✂️ 3 comments skipped."], activity: "reading src/ai.ts…", usage: "1.2k tokens" })] }),
      "⏸️ Interrupted.",
    );
    expect(recovery.kind).toBe("close");
    if (recovery.kind !== "close") return;
    expect(recovery.edits).toHaveLength(1);
    const [edit] = recovery.edits;
    expect(edit?.commentId).toBe(50);
    expect(parseComment(edit?.body ?? "")).toEqual({ text: "Half of the plan", meta: { v: 1, run: "r1", part: 1, state: "interrupted", trigger: "c11" } });
    expect(edit?.body).toBe(
      renderComment({
        text: "Half of the plan",
        meta: { v: 1, run: "r1", part: 1, state: "interrupted", trigger: "c11" },
        model: "gpt-x",
        notes: ["✂️ 3 comments skipped."],
        usage: "1.2k tokens",
        notice: "⏸️ Interrupted.",
        parts: 1,
      }),
    );
    expect(edit?.body).not.toContain("reading src/ai.ts");
  });

  it("closes every part of a long answer, linking them both ways, with the notice on the last only", () => {
    const recovery = planRecovery(
      run({ parts: [part(50, 1, { text: "First part. " }), part(51, 2, { text: "Second part", previousUrl: url(50) })] }),
      "⏸️ Interrupted.",
    );
    if (recovery.kind !== "close") throw new Error(recovery.kind);
    const [first, second] = recovery.edits;
    expect(first?.body).toContain(`continued in [the next comment](${url(51)})`);
    expect(first?.body).toContain("part 1 of 2");
    expect(first?.body).not.toContain("Interrupted.");
    expect(second?.body).toContain(`continued from [the previous comment](${url(50)})`);
    expect(second?.body).toContain("⏸️ Interrupted.");
    expect(recovery.edits.map((e) => parseComment(e.body)?.meta.state)).toEqual(["interrupted", "interrupted"]);
  });

  it("forgets an answer whose final write had landed before the crash", () => {
    expect(planRecovery(run({ parts: [part(50, 1, { text: "All", meta: { v: 1, run: "r1", part: 1, state: "done" } })] }), "x")).toEqual({ kind: "forget" });
  });

  it("starts a request that showed nothing again, once; then gives up, with a comment only if the sender was acknowledged", () => {
    expect(planRecovery(run({ phase: "accepted", attempt: 1 }), "x")).toEqual({ kind: "resume", attempt: 2 });
    expect(planRecovery(run({ phase: "answering", attempt: 1 }), "x")).toEqual({ kind: "resume", attempt: 2 });
    expect(planRecovery(run({ phase: "answering", attempt: 2 }), "x")).toEqual({ kind: "give-up", notice: GAVE_UP_NOTICE });
    expect(planRecovery(run({ phase: "accepted", attempt: 2 }), "x")).toEqual({ kind: "give-up" });
  });
});
