import { describe, expect, it } from "vitest";
import { GitHubError } from "../../src/github/errors.js";
import { parseComment, renderComment } from "../../src/comments/comment-format.js";
import { CONTEXT_PREFIX } from "../../src/planning/plan-messages.js";
import { FINAL_PLAN_INSTRUCTION } from "../../src/planning/plan-request.js";
import { REQUEST, reactions, setup } from "../helpers/answer-harness.js";

/**
 * Issue 3's scenarios through `runAnswer`: the repository read through the snapshot
 * loader, the starting context and tools the model gets, live progress, references
 * checked in the published comment, revisions, and the repository's config.
 */

const ASKS_CALLERS = { ...REQUEST.triggerComment!, body: "@devbuddy which methods call the AI client? Plan streaming for them." };

function finalBody(github: { bodies(): string[] }): string {
  return github.bodies()[0] as string;
}

describe("a grounded answer", () => {
  it("gives the model the real call sites of AI.call, not the orchestrator, and marks a method that does not exist", async () => {
    const { github, model, clock, start, sha } = setup();
    const finished = start({ ...REQUEST, triggerComment: ASKS_CALLERS });
    const call = await model.call(0);
    const context = call.messages[1]?.content ?? "";
    expect(context.startsWith(CONTEXT_PREFIX)).toBe(true);
    const callers = context.slice(context.indexOf("`AI.call` —"), context.indexOf("\n- ", context.indexOf("`AI.call` —")));
    expect(callers).toContain("called from 3 places in all files devbuddy parsed:");
    expect(callers).toContain("agent/planner.py:12 in `Planner.plan_steps`");
    expect(callers).toContain("agent/planner.py:17 in `Planner.refine`");
    expect(callers).toContain("agent/codegen.py:12 in `CodeGenerator.generate`");
    expect(callers).not.toMatch(/orchestrator/i);
    // What the filters skipped never reaches the model.
    expect(context).not.toContain("vendor/shim");
    expect(context).not.toContain("debug.log");

    call.text(
      "**Stream the AI client's answers.**\n",
      "1. Add `AI.stream_call` to `agent/ai.py`, next to `AI.call`.\n",
      "2. Make `Planner.plan_steps` and `CodeGenerator.generate` use it.\n",
      "3. Add `agent/stream.py` (new).\n",
      "4. Update `Orchestrator.start_streaming`.",
    );
    call.finish();
    await clock.advance(20_000);
    await finished();

    const parsed = parseComment(finalBody(github));
    const blob = `https://github.test/o/r/blob/${sha}`;
    expect(parsed?.text).toBe(
      [
        "**Stream the AI client's answers.**",
        `1. Add \`AI.stream_call\` ⚠️ *unverified* to [\`agent/ai.py\`](${blob}/agent/ai.py), next to [\`AI.call\`](${blob}/agent/ai.py#L13-L24).`,
        `2. Make [\`Planner.plan_steps\`](${blob}/agent/planner.py#L11-L13) and [\`CodeGenerator.generate\`](${blob}/agent/codegen.py#L11-L14) use it.`,
        "3. Add `agent/stream.py` (new).",
        "4. Update `Orchestrator.start_streaming` ⚠️ *unverified*.",
      ].join("\n"),
    );
    expect(finalBody(github)).toContain(`> References checked against \`${sha.slice(0, 7)}\`: 4 linked, 1 new, 2 ⚠️ not found`);
    expect(reactions(github)).toEqual(["eyes", "rocket"]);
  });

  it("marks and links references in every live edit, not only in the final comment", async () => {
    const { github, model, clock, start, sha } = setup();
    const finished = start();
    const call = await model.call(0);
    call.text("1. Add `AI.stream_call` next to `AI.call`.\n");
    await clock.advance(5_000);
    const live = github.writes.filter((w) => w.op !== "react").at(-1)?.body ?? "";
    expect(parseComment(live)).toMatchObject({ meta: { state: "streaming" } });
    expect(parseComment(live)?.text).toBe(
      `1. Add \`AI.stream_call\` ⚠️ *unverified* next to [\`AI.call\`](https://github.test/o/r/blob/${sha}/agent/ai.py#L13-L24).\n`,
    );
    call.text("2. Done.").finish();
    await clock.advance(20_000);
    await finished();
    const bodies = github.writes.filter((w) => w.op !== "react").map((w) => w.body ?? "");
    expect(bodies.filter((b) => b.includes("`AI.stream_call`") && !b.includes("`AI.stream_call` ⚠️ *unverified*"))).toEqual([]);
  });

  it("reads a thread longer than it may at both ends, keeps the newest correction, and says what it skipped", async () => {
    const { github, model, clock, start } = setup();
    for (let i = 0; i < 149; i++) github.thread.push({ id: 1000 + i, author: "bob", authorType: "User", body: `comment ${i}` });
    const request = { id: 2000, author: "maint", authorType: "User", body: "@devbuddy LATE-CORRECTION: plan it around `Planner.refine`" };
    github.thread.push(request);
    const finished = start({ ...REQUEST, triggerKey: "c2000", triggerComment: request, target: { kind: "comment", commentId: 2000 } });
    const call = await model.call(0);
    const contents = call.messages.map((m) => m.content);
    expect(contents).toContain("Comment by bob:\n```\ncomment 9\n```");
    expect(contents).not.toContain("Comment by bob:\n```\ncomment 10\n```");
    expect(contents).toContain("[devbuddy: 50 comments of this long thread were not read here.]");
    expect(contents).toContain("Comment by bob:\n```\ncomment 148\n```");
    expect(contents.at(-1)).toBe("Comment by maint:\n```\n@devbuddy LATE-CORRECTION: plan it around `Planner.refine`\n```");
    call.text("Plan").finish();
    await clock.advance(20_000);
    await finished();
    expect(finalBody(github)).toContain("> ✂️ This thread has 150 comments: devbuddy read the first 10 and the newest 90, and skipped the 50 in between.");
  });

  it("pings nobody the model names, devbuddy included, and leaves code as written", async () => {
    const { github, model, clock, start } = setup();
    const finished = start();
    const call = await model.call(0);
    call.text("Ask @alice and @acme/reviewers, then mention @devbuddy.\n\n```python\n@dataclass\nclass A: ...\n```\n").finish();
    await clock.advance(20_000);
    await finished();
    const bodies = github.writes.filter((w) => w.op !== "react").map((w) => w.body ?? "");
    expect(bodies.filter((b) => /(?<![\w@./:-])@(?:alice|acme|devbuddy)/.test(b))).toEqual([]);
    expect(parseComment(finalBody(github))?.text).toBe(
      "Ask @\u200balice and @\u200bacme/reviewers, then mention @\u200bdevbuddy.\n\n```python\n@dataclass\nclass A: ...\n```\n",
    );
  });

  it("shows what the answer cost in the footer: the server's count, or ≈ a count of its own", async () => {
    const reported = setup({ config: { tools: false } });
    const run = reported.start();
    (await reported.model.call(0)).text("Plan").finish("stop", { promptTokens: 12_000, completionTokens: 345 });
    await reported.clock.advance(20_000);
    await run();
    expect(finalBody(reported.github)).toMatch(/<sub>devbuddy · [^<]* · 12\.3k tokens<\/sub>/);

    const counted = setup({ config: { tools: false } });
    const other = counted.start();
    (await counted.model.call(0)).text("Plan").finish();
    await counted.clock.advance(20_000);
    await other();
    expect(finalBody(counted.github)).toMatch(/ · ≈\d+(?:\.\d)?k? tokens<\/sub>/);
    expect(counted.log.lines.find((l) => l.message === "model run ended")?.fields).toMatchObject({ usageEstimated: true });
  });

  it("reads the repository once: one archive download, no file-by-file fetching", async () => {
    const { github, model, clock, start } = setup();
    const finished = start();
    (await model.call(0)).text("Plan").finish();
    await clock.advance(20_000);
    await finished();
    expect(github.readsOf("archive")).toHaveLength(1);
    expect(github.readsOf("blob").length).toBeLessThanOrEqual(3); // .gitignore / .gitattributes only
  });

  it("shows what it reads while the model uses tools, then streams the plan", async () => {
    const { github, model, clock, start, sha } = setup();
    const finished = start();
    const first = await model.call(0);
    expect(first.options?.tools?.map((t) => t.name)).toEqual(["list_files", "read_file", "search_code", "find_symbol"]);
    await clock.advance(3_000);
    first.toolCall({ id: "c1", name: "find_symbol", arguments: '{"name": "AI.call"}' });
    first.toolCall({ id: "c2", name: "read_file", arguments: '{"path": "agent/nope.py"}' });
    first.finish("tool_calls");
    const second = await model.call(1);
    await clock.advance(3_000);
    const results = second.messages.filter((m) => m.role === "tool");
    expect(results[0]?.content).toContain("- agent/planner.py:17 in Planner.refine:");
    expect(results[0]?.content).not.toMatch(/orchestrator/i);
    expect(results[1]?.content).toBe("Error: There is no file agent/nope.py at commit " + sha.slice(0, 7) + ".");
    await clock.advance(3_000);
    second.text("**Plan**").finish();
    await clock.advance(20_000);
    await finished();
    const history = github.writes.filter((w) => w.op !== "react").map((w) => w.body ?? "");
    expect(history.some((b) => b.includes("⏳ looked up `AI.call` · read `agent/nope.py` · thinking…"))).toBe(true);
    expect(parseComment(finalBody(github))?.text).toBe("**Plan**");
    expect(finalBody(github)).not.toContain("⏳");
  });

  it("revises with the whole thread: the previous plan as the model's own turn, then the correction", async () => {
    const { github, model, clock, start } = setup();
    github.thread.push(
      { id: 40, author: "maint", authorType: "User", body: "@devbuddy plan this" },
      {
        id: 41,
        author: "devbuddy[bot]",
        authorType: "Bot",
        body: renderComment({ text: "1. Change `Orchestrator.run`.", meta: { v: 1, run: "r0", part: 1, state: "done", trigger: "c40" } }),
      },
      { id: 42, author: "maint", authorType: "User", body: "@devbuddy you forgot the AI class" },
    );
    const finished = start({ ...REQUEST, triggerComment: { id: 42, author: "maint", authorType: "User", body: "@devbuddy you forgot the AI class" } });
    const call = await model.call(0);
    expect(call.messages.slice(2)).toEqual([
      { role: "user", content: "Issue #1 \"Enable response streaming\", opened by alice:\n```\nStream the AI answer.\n```" },
      { role: "user", content: "Comment by maint:\n```\n@devbuddy plan this\n```" },
      { role: "assistant", content: "1. Change `Orchestrator.run`." },
      { role: "user", content: "Comment by maint:\n```\n@devbuddy you forgot the AI class\n```" },
    ]);
    call.finish();
    await clock.advance(20_000);
    await finished();
  });

  it("asks for a complete, self-contained plan when the thread says 'summarize into a final plan'", async () => {
    const { model, clock, start } = setup();
    const finished = start({ ...REQUEST, triggerComment: { id: 42, author: "maint", authorType: "User", body: "@devbuddy summarize into a final plan" } });
    const call = await model.call(0);
    expect(call.messages.at(-1)).toEqual({ role: "user", content: FINAL_PLAN_INSTRUCTION });
    expect(call.messages.at(-2)).toEqual({ role: "user", content: "Comment by maint:\n```\n@devbuddy summarize into a final plan\n```" });
    call.finish();
    await clock.advance(20_000);
    await finished();
  });

  it("plans without the repository when it cannot be read, says so, and marks every reference unverified", async () => {
    const { github, model, clock, start } = setup();
    github.failReadOnce("tree", new GitHubError("Reading the tree failed with HTTP 403: Resource not accessible by integration", { kind: "permanent", status: 403 }));
    const finished = start();
    const call = await model.call(0);
    expect(call.messages[1]?.content).toContain("The repository could not be read for this answer.");
    expect(call.options?.tools).toBeUndefined();
    call.text("Edit `agent/ai.py`.").finish();
    await clock.advance(20_000);
    await finished();
    expect(parseComment(finalBody(github))?.text).toBe("Edit `agent/ai.py` ⚠️ *unverified*.");
    expect(finalBody(github)).toContain("> ⚠️ devbuddy could not read the repository, so this answer is not checked against its code.");
  });

  it("says plainly when the repository has no commits yet, instead of reporting a failure", async () => {
    const { github, model, clock, start, log } = setup({ repository: false });
    const finished = start();
    const call = await model.call(0);
    expect(call.messages[1]?.content).toBe(`${CONTEXT_PREFIX}The repository has no commits yet. You have no code to check against: say so, and do not claim that any file or symbol exists.`);
    call.text("Create `agent/ai.py` (new).").finish();
    await clock.advance(20_000);
    await finished();
    expect(parseComment(finalBody(github))?.text).toBe("Create `agent/ai.py` (new).");
    expect(finalBody(github)).toContain("> 📭 This repository has no commits yet, so there is no code to check this answer against.");
    expect(finalBody(github)).not.toContain("could not read");
    expect(log.lines.filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);
    expect(reactions(github)).toEqual(["eyes", "rocket"]);
  });
});

describe("the repository's config", () => {
  it("reports an invalid file in the comment with the exact field, and answers with the defaults", async () => {
    const { github, model, clock, start, log } = setup({ config: { limits: { tool_rounds: "many" }, temperature: 0.3 } });
    const finished = start();
    const call = await model.call(0);
    expect(call.options?.temperature).toBeUndefined();
    expect(call.options?.tools).toBeDefined();
    call.text("Plan").finish();
    await clock.advance(20_000);
    await finished();
    expect(finalBody(github)).toContain(
      "> ⚙️ `.github/devbuddy.yml` is invalid, so this answer used the default settings:\n> - `limits.tool_rounds`: Invalid input: expected number, received string (found \"many\")",
    );
    expect(log.lines.some((l) => l.level === "warn" && l.message.includes("invalid repository config"))).toBe(true);
  });

  it("answers with the operator's maximum when the file asks for more, and says so", async () => {
    const { github, model, clock, start } = setup({ config: { limits: { tool_rounds: 12 } } });
    const finished = start();
    (await model.call(0)).text("Plan").finish();
    await clock.advance(20_000);
    await finished();
    expect(finalBody(github)).toContain("> ⚙️ `.github/devbuddy.yml` asks for more than this devbuddy installation allows, so its maximum was used:\n> - `limits.tool_rounds`: 12 asked, 3 used");
  });

  it("asks the per-repository check with the repository's limit, and does nothing at all when it refuses", async () => {
    const asked: number[] = [];
    const { github, start } = setup({ config: { limits: { requests_per_user_hour: 2 } }, admit: (limit) => (asked.push(limit), false) });
    expect(await start()()).toBe(true);
    expect(asked).toEqual([2]);
    expect(github.writes).toEqual([]);
  });

  // Issue 9, defect 7: this used to answer with the defaults, reading files the file may exclude.
  it("answers without the repository when the YAML does not parse, and says so", async () => {
    const { github, model, clock, start } = setup({ config: new Error("bad indentation of a mapping entry (2:3)") });
    const finished = start();
    const call = await model.call(0);
    expect(call.options?.tools).toBeUndefined();
    expect(call.messages[0]?.content).toContain("tools=false");
    expect(call.messages.map((m) => m.content).join("\n")).not.toContain("agent/ai.py");
    call.text("Plan").finish();
    await clock.advance(20_000);
    await finished();
    expect(github.readsOf("tree")).toEqual([]);
    expect(github.readsOf("archive")).toEqual([]);
    expect(github.readsOf("blob")).toEqual([]);
    expect(finalBody(github)).toContain(
      "> ⚙️ `.github/devbuddy.yml` could not be read (bad indentation of a mapping entry (2:3)), so devbuddy read no files of the repository for this answer: the paths it excludes are unknown.",
    );
  });

  it("still reads the repository when paths.exclude holds an invalid pattern, and says which", async () => {
    const { github, model, clock, start } = setup({ config: { paths: { exclude: ["[z-a]", "tests/**"] } } });
    const finished = start();
    const call = await model.call(0);
    expect(call.messages[1]?.content).toContain("agent/ai.py");
    call.text("Plan").finish();
    await clock.advance(20_000);
    await finished();
    expect(finalBody(github)).toContain(
      "> ⚠️ Some path patterns could not be used, so they matched nothing (as git does with them):\n> - `paths.exclude` line 1: `[z-a]` has a reversed range z-a",
    );
  });

  it("applies model, temperature, instructions and no tools from a valid file", async () => {
    const { github, model, clock, start } = setup({
      config: { model: "gpt-4.1", temperature: 0.1, tools: false, instructions: "Write steps of one line." },
    });
    const finished = start();
    const call = await model.call(0);
    expect(call.options).toEqual({ model: "gpt-4.1", temperature: 0.1 });
    expect(call.messages[0]?.content).toContain("tools=false");
    expect(call.messages[0]?.content).toContain("instructions=Write steps of one line.");
    // Without tools the pre-built context is all the model gets, and it still has the call sites.
    expect(call.messages[1]?.content).toContain("### Definitions matching the thread");
    call.text("Plan").finish();
    await clock.advance(20_000);
    await finished();
    expect(finalBody(github)).toContain("devbuddy · gpt-4.1");
  });

  it("says in the comment which limit stopped the reading, and offers no tools at all with tool_rounds: 0", async () => {
    const limited = setup({ config: { limits: { tool_rounds: 1 } } });
    const run = limited.start();
    (await limited.model.call(0)).toolCall({ id: "c1", name: "list_files", arguments: "{}" }).finish("tool_calls");
    const last = await limited.model.call(1);
    expect(last.options?.toolChoice).toBe("none");
    last.text("Plan").finish();
    await limited.clock.advance(20_000);
    await run();
    expect(finalBody(limited.github)).toContain("> 📚 Reading stopped at this run's limit of 1 tool round.");

    const none = setup({ config: { limits: { tool_rounds: 0 } } });
    const plain = none.start();
    const only = await none.model.call(0);
    expect(only.options?.tools).toBeUndefined();
    expect(only.messages[0]?.content).toContain("tools=false");
    only.text("Plan").finish();
    await none.clock.advance(20_000);
    await plain();
    expect(finalBody(none.github)).not.toContain("📚");
  });

  it("follows .github/devbuddy.md even when paths.include leaves .github out", async () => {
    const { model, clock, start } = setup({ config: { paths: { include: ["agent/**"] } } });
    const finished = start();
    const call = await model.call(0);
    expect(call.messages[0]?.content).toContain("guidance=Plans for this repository must keep the AI client behind `agent/ai.py`");
    expect(call.messages[1]?.content).not.toContain("web/src");
    call.text("Plan").finish();
    await clock.advance(20_000);
    await finished();
  });

  it("lets the users the config names trigger without write access", async () => {
    const { github, model, clock, start } = setup({ config: { triggers: { users: ["Reader"] } } });
    github.permissions.set("reader", "read");
    const finished = start({ ...REQUEST, sender: "reader" });
    (await model.call(0)).text("Plan").finish();
    await clock.advance(20_000);
    await finished();
    expect(reactions(github)).toEqual(["eyes", "rocket"]);
  });

  it("lets members of a configured team trigger", async () => {
    const { github, model, clock, start } = setup({ config: { triggers: { teams: ["acme/planners"] } } });
    github.teams.set("acme/planners", new Set(["carol"]));
    const finished = start({ ...REQUEST, sender: "carol" });
    (await model.call(0)).text("Plan").finish();
    await clock.advance(20_000);
    await finished();
    expect(reactions(github)).toEqual(["eyes", "rocket"]);
  });

  it("answers a bot only when the config allows it by name, and ignores other bots silently", async () => {
    const allowed = setup({ config: { triggers: { bots: ["helper[bot]"] } } });
    const run = allowed.start({ ...REQUEST, sender: "helper[bot]", senderType: "Bot" });
    (await allowed.model.call(0)).text("Plan").finish();
    await allowed.clock.advance(20_000);
    await run();
    expect(reactions(allowed.github)).toEqual(["eyes", "rocket"]);

    const other = setup({ config: { triggers: { bots: ["helper[bot]"] } } });
    const ignored = other.start({ ...REQUEST, sender: "renovate[bot]", senderType: "Bot" });
    await other.clock.advance(5_000);
    await ignored();
    expect(other.model.calls).toHaveLength(0);
    expect(other.github.writes).toEqual([]);
  });

  it("matches a bot named without its [bot] suffix", async () => {
    const { model, clock, start, github } = setup({ config: { triggers: { bots: ["Helper"] } } });
    const run = start({ ...REQUEST, sender: "helper[bot]", senderType: "Bot" });
    (await model.call(0)).text("Plan").finish();
    await clock.advance(20_000);
    await run();
    expect(reactions(github)).toEqual(["eyes", "rocket"]);
  });
});
