import { describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { ThreadEntry } from "../../src/conversation/thread-to-messages.js";
import { REQUEST, reactions, setup } from "../helpers/answer-harness.js";

/** A request that waits for a free turn of the process: its comment says it is queued, then the answer streams into it. */

const TRIGGER: ThreadEntry = { id: 42, author: "maint", authorType: "User", body: "@devbuddy plan this" };

function queuedWorld() {
  const world = setup({ maxConcurrent: 1 });
  world.github.thread.push(TRIGGER);
  // Another installation's answer holds the only turn until released.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  world.coordinator.start({ deliveryId: "d0", triggerKey: "c0", issueKey: "9/o/other#1" }, async (handle) => {
    await handle.waitForTurn();
    await held;
  });
  /** GitHub's list of the thread now shows the queued comment too. */
  const listQueuedComment = (): void => {
    const [id, body] = [...world.github.comments][0] as [number, string];
    world.github.thread.push({ id, author: "devbuddy[bot]", authorType: "Bot", body });
  };
  return { ...world, release, listQueuedComment };
}

describe("a queued answer", () => {
  it("says it is queued behind the running request, then streams into the same comment once its turn comes", async () => {
    const { github, model, clock, start, release, listQueuedComment } = queuedWorld();
    const finished = start();
    await clock.advance(5_000);
    expect(github.bodies()).toHaveLength(1);
    expect(github.bodies()[0]).toContain("⏳ queued behind 1 other request…");
    expect(model.calls).toHaveLength(0);

    listQueuedComment();
    release();
    const call = await model.call(0);
    call.text("1. Plan.").finish();
    await clock.advance(20_000);
    await finished();
    expect(github.comments.size).toBe(1);
    expect(parseComment(github.bodies()[0] as string)).toEqual({ text: "1. Plan.", meta: { v: 1, run: "run1", part: 1, state: "done", trigger: "c42" } });
    expect(reactions(github)).toEqual(["eyes", "rocket"]);
  });

  it("closes its queued comment with a notice when the request was hidden while it waited", async () => {
    const { github, model, clock, start, release, listQueuedComment } = queuedWorld();
    const finished = start();
    await clock.advance(5_000);
    listQueuedComment();
    github.thread[0] = { ...TRIGGER, minimized: true } as ThreadEntry;
    release();
    await clock.advance(20_000);
    expect(await finished()).toBe(true);
    expect(model.calls).toHaveLength(0);
    expect(parseComment(github.bodies()[0] as string)).toMatchObject({ text: "", meta: { state: "stopped", trigger: REQUEST.triggerKey } });
    expect(github.bodies()[0]).toContain("Not answered: the request was hidden.");
  });
});
