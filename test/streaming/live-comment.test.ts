import { describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import { NEUTRAL, neutralizeMentions } from "../../src/comments/neutralize-mentions.js";
import { scanMarkdown } from "../../src/markdown/document.js";
import { LiveComment, type LiveCommentOptions } from "../../src/streaming/live-comment.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { MemoryGitHub, secondaryLimit, testScheduler, transient } from "../helpers/memory-github.js";
import { recordingLogger } from "../helpers/recording-logger.js";

function setup(overrides: Partial<LiveCommentOptions> = {}) {
  const clock = new ManualClock();
  const log = recordingLogger();
  const scheduler = testScheduler(clock, log);
  const github = new MemoryGitHub(clock, scheduler);
  const live = new LiveComment({
    api: github,
    issue: { owner: "o", repo: "r", issueNumber: 1 },
    runId: "run1",
    trigger: "c42",
    model: "gpt-test",
    clock,
    log,
    editIntervalMs: 2000,
    finalAttempts: 4,
    finalBackoffMs: 1000,
    ...overrides,
  });
  return { clock, log, github, live };
}

const textOf = (body: string | undefined): string | undefined => (body === undefined ? undefined : parseComment(body)?.text);

describe("LiveComment", () => {
  it("creates one comment at once that shows devbuddy is at work", async () => {
    const { github, live } = setup();
    await live.start();
    expect(github.writes.map((w) => w.op)).toEqual(["create"]);
    const body = github.bodies()[0] as string;
    expect(body).toContain("⏳ thinking…");
    expect(parseComment(body)).toEqual({ text: "", meta: { v: 1, run: "run1", part: 1, state: "streaming", trigger: "c42" } });
  });

  it("coalesces a burst of tokens into edits at least the edit interval apart, always with the latest text", async () => {
    const { github, live, clock } = setup();
    await live.start();
    let text = "";
    for (let second = 0; second < 10; second++) {
      for (let token = 0; token < 20; token++) {
        text += `t${second}.${token} `;
        live.update(text);
      }
      await clock.advance(1000);
    }
    const edits = github.writes.filter((w) => w.op === "update");
    // One edit per 2 s over 10 s of streaming, not one per token.
    expect(edits.length).toBeGreaterThanOrEqual(4);
    expect(edits.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < github.writes.length; i++) {
      expect((github.writes[i]?.at as number) - (github.writes[i - 1]?.at as number)).toBeGreaterThanOrEqual(2000);
    }
    // Each edit carried the whole text as it was when the edit started.
    for (const edit of edits) expect(text.startsWith(textOf(edit.body) as string)).toBe(true);
    expect(new Set(edits.map((e) => e.body)).size).toBe(edits.length);
  });

  it("does not edit when the text has not changed", async () => {
    const { github, live, clock } = setup();
    await live.start();
    live.update("same");
    await clock.advance(5000);
    live.update("same");
    await clock.advance(5000);
    expect(github.writes.map((w) => w.op)).toEqual(["create", "update"]);
  });

  it("writes a final body that is exactly the model's text plus the footer, replacing any pending edit", async () => {
    const { github, live, clock } = setup();
    await live.start();
    live.update("partial");
    const finished = live.finish({ state: "done" });
    await clock.advance(10_000);
    expect(await finished).toEqual({ delivered: true, urls: ["https://github.test/o/r/issues/1#issuecomment-100"] });
    const body = github.bodies()[0] as string;
    expect(parseComment(body)).toEqual({ text: "partial", meta: { v: 1, run: "run1", part: 1, state: "done", trigger: "c42" } });
    expect(body).toBe(
      'partial\n\n<!-- devbuddy:footer -->\n<sub>devbuddy · gpt-test</sub>\n<!-- devbuddy:meta {"v":1,"run":"run1","part":1,"state":"done","trigger":"c42"} -->',
    );
    // start, then the final write only: the pending progress edit was dropped.
    expect(github.writes.map((w) => w.op)).toEqual(["create", "update"]);
  });

  it("shows a failure notice with the partial text", async () => {
    const { github, live, clock } = setup();
    await live.start();
    live.update("Step 1: do");
    const finished = live.finish({ state: "failed", notice: "⚠️ This answer is incomplete. The model stopped sending text for 30 s." });
    await clock.advance(10_000);
    await finished;
    const body = github.bodies()[0] as string;
    expect(body.startsWith("Step 1: do\n\n<!-- devbuddy:footer -->\n> ⚠️ This answer is incomplete. The model stopped sending text for 30 s.\n\n")).toBe(true);
    expect(parseComment(body)?.meta.state).toBe("failed");
  });

  it("never has two writes of the answer in flight, even with slow writes", async () => {
    const { github, live, clock } = setup();
    github.writeLatencyMs = 3000;
    const started = live.start();
    await clock.advance(3000);
    await started;
    for (let i = 0; i < 30; i++) {
      live.update(`text ${i}`);
      await clock.advance(500);
    }
    const finished = live.finish({ state: "done" });
    await clock.advance(30_000);
    await finished;
    expect(github.maxInFlight).toBe(1);
    expect(textOf(github.bodies()[0])).toBe("text 29");
  });

  it("retries a final write that fails transiently, with backoff", async () => {
    const { github, live, clock } = setup();
    await live.start();
    live.update("answer");
    github.failOnce((op) => (op.op === "update" ? transient() : undefined));
    github.failOnce((op) => (op.op === "update" ? transient() : undefined));
    const finished = live.finish({ state: "done" });
    await clock.advance(60_000);
    expect((await finished).delivered).toBe(true);
    const updates = github.writes.filter((w) => w.op === "update");
    expect(updates).toHaveLength(3);
    // Backoff 1 s, then 2 s, measured from the failed attempt (plus the 1 s write spacing).
    expect((updates[1]?.at as number) - (updates[0]?.at as number)).toBeGreaterThanOrEqual(1000);
    expect((updates[2]?.at as number) - (updates[1]?.at as number)).toBeGreaterThanOrEqual(2000);
    expect(textOf(github.bodies()[0])).toBe("answer");
  });

  it("puts the full text in the log when the answer cannot be delivered", async () => {
    const { github, live, clock, log } = setup();
    await live.start();
    live.update("precious text");
    github.failAlways((op) => (op.op === "update" ? transient() : undefined));
    const finished = live.finish({ state: "done" });
    await clock.advance(120_000);
    expect((await finished).delivered).toBe(false);
    expect(github.writes.filter((w) => w.op === "update")).toHaveLength(4);
    const line = log.lines.find((l) => l.level === "error");
    expect(line?.fields["text"]).toBe("precious text");
  });

  it("posts the answer again when someone deleted the comment", async () => {
    const { github, live, clock } = setup();
    await live.start();
    live.update("first words");
    await clock.advance(3000);
    github.comments.clear();
    live.update("first words and more");
    const finished = live.finish({ state: "done" });
    await clock.advance(10_000);
    const result = await finished;
    expect(result.delivered).toBe(true);
    expect(github.comments.size).toBe(1);
    expect(textOf(github.bodies()[0])).toBe("first words and more");
    expect(github.writes.map((w) => w.op)).toEqual(["create", "update", "update", "create"]);
  });

  it("waits out a secondary rate limit and still delivers the final text", async () => {
    const { github, live, clock } = setup();
    await live.start();
    live.update("final words");
    github.failOnce((op) => (op.op === "update" ? secondaryLimit(20) : undefined));
    const finished = live.finish({ state: "done" });
    await clock.advance(15_000);
    expect(textOf(github.bodies()[0])).toBe("");
    await clock.advance(10_000);
    expect((await finished).delivered).toBe(true);
    expect(textOf(github.bodies()[0])).toBe("final words");
  });

  it("continues text longer than one comment in linked follow-up comments, losing nothing", async () => {
    const { github, live, clock } = setup({ maxPartChars: 100 });
    await live.start();
    const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} ${"x".repeat(20)}.`);
    let text = "";
    for (const p of paragraphs) {
      text += `${p}\n\n`;
      live.update(text);
      await clock.advance(700);
    }
    const finished = live.finish({ state: "done" });
    await clock.advance(60_000);
    const result = await finished;
    expect(result.delivered).toBe(true);
    const bodies = github.bodies();
    expect(bodies.length).toBeGreaterThan(3);
    expect(bodies.map((b) => textOf(b)).join("")).toBe(text);
    bodies.forEach((body, i) => {
      const parsed = parseComment(body);
      expect(parsed?.meta).toMatchObject({ part: i + 1, state: "done" });
      expect(body).toContain(`part ${i + 1} of ${bodies.length}`);
      if (i > 0) expect(body).toContain(`continued from [the previous comment](${result.urls[i - 1]})`);
      if (i < bodies.length - 1) expect(body).toContain(`continued in [the next comment](${result.urls[i + 1]})`);
      expect((parsed?.text ?? "").length).toBeLessThanOrEqual(100);
    });
  });

  it("reopens a fence a part was cut inside, so the next comment shows the rest as code, and reading back loses nothing", async () => {
    const { github, live, clock } = setup({ maxPartChars: 100, present: neutralizeMentions });
    await live.start();
    // One code block longer than a whole part: the only kind a cut goes inside.
    const code = Array.from({ length: 12 }, (_, i) => `@decorator_${i} = ${i}`).join("\n");
    const text = `Intro.\n\n\`\`\`py\n${code}\n\`\`\`\n\nAsk @alice.`;
    live.update(text);
    const finished = live.finish({ state: "done" });
    await clock.advance(60_000);
    expect((await finished).delivered).toBe(true);
    const bodies = github.bodies();
    expect(bodies.length).toBeGreaterThan(2);
    expect(bodies.map((b) => textOf(b)).join("")).toBe(text.replace("@alice", `@${NEUTRAL}alice`));
    // The cut moves before the block, which is still longer than a part: the parts after
    // the first cut inside it start with the fence again.
    expect(bodies[1]?.startsWith("\`\`\`py\n")).toBe(true);
    for (const body of bodies.slice(2)) expect(body.startsWith("\`\`\`\n")).toBe(true);
    for (const body of bodies) {
      // Each part renders on its own: no block left open into the footer.
      expect(scanMarkdown(body.slice(0, body.indexOf("<!-- devbuddy:footer -->"))).open).toBeUndefined();
    }
    // The decorators are code in every comment: left as written, none neutralized.
    expect(bodies.join("").match(/@decorator_\d+/g)).toHaveLength(12);
  });

  it("presents only the part whose text changed on each edit, not the whole answer again", async () => {
    let presented = 0;
    const present = (text: string): string => {
      presented += text.length;
      return text;
    };
    const { live, clock } = setup({ maxPartChars: 1_000, present });
    await live.start();
    let text = "";
    for (let i = 0; i < 200; i++) {
      text += `Paragraph ${i} ${"x".repeat(80)}.\n\n`;
      live.update(text);
      await clock.advance(300);
    }
    const finished = live.finish({ state: "done" });
    await clock.advance(60_000);
    await finished;
    // ~19 KB in 20 parts: presenting the whole text each time would cost ~200 × 10 KB.
    expect(text.length).toBeGreaterThan(18_000);
    expect(presented).toBeLessThan(30 * text.length);
    expect(presented).toBeLessThan(200 * 1_000 * 2);
  });

  it("shows at most maxAnswerChars of a model that does not stop, says so, and keeps the rest in the log", async () => {
    const { github, live, clock, log } = setup({ maxPartChars: 1_000, maxAnswerChars: 2_500 });
    await live.start();
    const text = "word ".repeat(1_000);
    live.update(text);
    const finished = live.finish({ state: "done" });
    await clock.advance(60_000);
    expect((await finished).delivered).toBe(true);
    const bodies = github.bodies();
    expect(bodies.map((b) => textOf(b)).join("")).toBe(text.slice(0, 2_500));
    expect(bodies.at(-1)).toContain("✂️ The answer was longer than 2,500 characters; devbuddy showed only that much.");
    const kept = log.lines.find((l) => l.message.startsWith("the answer was longer than an answer may be"));
    expect(kept?.fields).toMatchObject({ runId: "run1", shown: 2_500, length: 5_000, rest: text.slice(2_500) });
  });
});

