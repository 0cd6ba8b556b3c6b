import { describe, expect, it } from "vitest";
import { quoteThread, threadToMessages, type ThreadEntry } from "../../src/conversation/thread-to-messages.js";
import { extractTermsYielding } from "../../src/planning/thread-terms.js";
import { expectLoopFree } from "../helpers/loop-delay.js";

/**
 * Issue 9: a thread of 500 comments of 65 KB each, of pathological shapes, is read (hidden
 * text taken out, terms extracted, turns built) without holding the event loop past 50 ms.
 */

const SHAPES = ["[](", "a_", "- ", "<!-- [](", "a", "`", "> ", "&#", "*a"];

describe("reading a huge thread", () => {
  it("500 comments of 65 KB: hidden text, terms and turns, loop-free", async () => {
    const comments: ThreadEntry[] = Array.from({ length: 500 }, (_, i) => {
      const shape = SHAPES[i % SHAPES.length] as string;
      return { id: i + 1, author: `user${i}`, authorType: "User", body: `${shape.repeat(Math.floor(65_000 / shape.length))}\n\nSee plan_steps #${i}` };
    });
    const issue = { number: 1, title: "Big", body: "Please look at `src/app.ts`.", author: "alice" };
    const messages = await expectLoopFree(async () => {
      const quoted = await quoteThread(issue, comments);
      const terms = await extractTermsYielding(comments.map((c) => ({ text: quoted.comments.get(c.id)?.text ?? "", weight: 1 })));
      expect(terms.length).toBeGreaterThan(0);
      return threadToMessages(issue, comments, { botLogin: "devbuddy[bot]", currentRunId: "r", systemPrompt: "S", quoted });
    });
    expect(messages).toHaveLength(502);
  }, 120_000);
});
