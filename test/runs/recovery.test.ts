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

/** What GitHub shows when the journal is up to date: each part as last written. */
const shownAs = (parts: readonly WrittenPart[]) => parts.map((p) => ({ id: p.id, body: renderComment(p.input) }));

describe("planRecovery", () => {
  it("closes a cut-off answer with exactly the text it showed, its notes kept, the activity gone and the notice added", () => {
    const parts = [part(50, 1, { text: "Half of the plan", notes: ["✂️ 3 comments skipped."], activity: "reading src/ai.ts…", usage: "1.2k tokens" })];
    const recovery = planRecovery(run({ parts }), "⏸️ Interrupted.", shownAs(parts));
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
    const parts = [part(50, 1, { text: "First part. " }), part(51, 2, { text: "Second part", previousUrl: url(50) })];
    const recovery = planRecovery(run({ parts }), "⏸️ Interrupted.", shownAs(parts));
    if (recovery.kind !== "close") throw new Error(recovery.kind);
    const [first, second] = recovery.edits;
    expect(first?.body).toContain(`continued in [the next comment](${url(51)})`);
    expect(first?.body).toContain("part 1 of 2");
    expect(first?.body).not.toContain("Interrupted.");
    expect(second?.body).toContain(`continued from [the previous comment](${url(50)})`);
    expect(second?.body).toContain("⏸️ Interrupted.");
    expect(recovery.edits.map((e) => parseComment(e.body)?.meta.state)).toEqual(["interrupted", "interrupted"]);
  });

  it("keeps the text GitHub shows when an edit the killed process sent landed after all", () => {
    const parts = [part(50, 1, { text: "Half" })];
    const newer = renderComment({ ...(parts[0] as WrittenPart).input, text: "Half and more" });
    const recovery = planRecovery(run({ parts }), "⏸️ Interrupted.", [{ id: 50, body: newer }]);
    if (recovery.kind !== "close") throw new Error(recovery.kind);
    expect(parseComment(recovery.edits[0]?.body ?? "")?.text).toBe("Half and more");
  });

  it("leaves alone an answer whose final edit landed, though the journal never heard of it", () => {
    const parts = [part(50, 1, { text: "Half" })];
    const done = renderComment({ text: "All of it", meta: { v: 1, run: "r1", part: 1, state: "done" }, usage: "681 tokens" });
    expect(planRecovery(run({ parts }), "x", [{ id: 50, body: done }])).toEqual({ kind: "forget" });
  });

  it("closes a part created as the process died, which the journal never recorded, and links it", () => {
    const parts = [part(50, 1, { text: "First part. " })];
    const orphan = renderComment({ text: "Second", meta: { v: 1, run: "r1", part: 2, state: "streaming" } });
    const recovery = planRecovery(run({ parts }), "⏸️ Interrupted.", [...shownAs(parts), { id: 77, body: orphan }]);
    if (recovery.kind !== "close") throw new Error(recovery.kind);
    expect(recovery.edits.map((e) => e.commentId)).toEqual([50, 77]);
    expect(recovery.edits[0]?.body).toContain(`continued in [the next comment](${url(77)})`);
    expect(recovery.edits[1]?.body).toContain("⏸️ Interrupted.");
  });

  it("closes a comment of a run the journal knew nothing of, instead of answering again", () => {
    const orphan = renderComment({ text: "", meta: { v: 1, run: "r1", part: 1, state: "streaming" } });
    expect(planRecovery(run({ attempt: 1 }), "x", [{ id: 9, body: orphan }]).kind).toBe("close");
  });

  it("ignores other runs' comments, and forgets an answer whose comments were deleted", () => {
    const other = renderComment({ text: "", meta: { v: 1, run: "other", part: 1, state: "streaming" } });
    expect(planRecovery(run({ parts: [part(50, 1, { text: "Half" })] }), "x", [{ id: 9, body: other }])).toEqual({ kind: "forget" });
  });

  it("starts a request that showed nothing again, once; then gives up, with a comment only if the sender was acknowledged", () => {
    expect(planRecovery(run({ phase: "accepted", attempt: 1 }), "x", [])).toEqual({ kind: "resume", attempt: 2 });
    expect(planRecovery(run({ phase: "answering", attempt: 1 }), "x", [])).toEqual({ kind: "resume", attempt: 2 });
    expect(planRecovery(run({ phase: "answering", attempt: 2 }), "x", [])).toEqual({ kind: "give-up", notice: GAVE_UP_NOTICE });
    expect(planRecovery(run({ phase: "accepted", attempt: 2 }), "x", [])).toEqual({ kind: "give-up" });
  });
});
