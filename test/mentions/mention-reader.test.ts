import { afterAll, describe, expect, it } from "vitest";
import { MentionReader } from "../../src/mentions/mention-reader.js";
import { parseMention } from "../../src/mentions/parse-mention.js";
import { strangerShapes } from "../helpers/hostile-text.js";
import { expectLoopFree } from "../helpers/loop-delay.js";

const SLUG = "devbuddy";
const readers: MentionReader[] = [];
const reader = (options?: ConstructorParameters<typeof MentionReader>[0]): MentionReader => {
  const made = new MentionReader(options);
  readers.push(made);
  return made;
};

afterAll(async () => {
  await Promise.all(readers.map((r) => r.destroy()));
});

/** What a stranger can post: each hostile shape with a mention before it, after it, and as a stop. */
function burst(): string[] {
  return Object.values(strangerShapes(64_000)).flatMap((shape) => [`@devbuddy ${shape}`, `${shape}\n\n@devbuddy stop`, `> @devbuddy\n\n${shape}`]);
}

describe("MentionReader", () => {
  it("reads a short comment as parseMention does", async () => {
    const read = reader();
    for (const text of ["@devbuddy plan it", "@devbuddy stop", "`@devbuddy`", "> @devbuddy", "hello", "", null, undefined]) {
      expect(await read.read(text, SLUG), String(text)).toEqual(parseMention(text, SLUG));
    }
  });

  it("reads a burst of long hostile comments arriving together without holding the loop, with parseMention's answers", async () => {
    const read = reader();
    const texts = burst();
    // Warm the workers once: a first thread's start-up is not what is measured.
    await read.read(texts[0], SLUG);
    const results = await expectLoopFree(() => Promise.all(texts.map((text) => read.read(text, SLUG))));
    expect(results).toEqual(texts.map((text) => parseMention(text, SLUG)));
    // Not vacuous: the burst has requests, stops and non-requests.
    expect(new Set(results.map((r) => r?.command ?? "none"))).toEqual(new Set(["answer", "stop", "none"]));
  }, 60_000);

  it("reads a long comment on the main thread when its worker cannot, and says so: a request is never dropped", async () => {
    const reasons: unknown[] = [];
    const read = reader({ budgetMs: 0, onFallback: (reason) => reasons.push(reason) });
    const text = `> ${"*a".repeat(10_000)}\n\n@devbuddy stop`;
    expect(await read.read(text, SLUG)).toEqual({ command: "stop" });
    expect(await read.read(`@devbuddy ${"[](".repeat(5_000)}`, SLUG)).toEqual({ command: "answer" });
    expect(reasons).toHaveLength(2);
  });

  it("answers after destroy, with a fresh pool", async () => {
    const read = reader();
    const text = `@devbuddy ${"a_".repeat(5_000)}`;
    expect(await read.read(text, SLUG)).toEqual({ command: "answer" });
    await read.destroy();
    expect(await read.read(text, SLUG)).toEqual({ command: "answer" });
  });
});
