import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import type { FakeGitHub, GitHubComment } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { loadFixtureRepo } from "../helpers/fixture-repo.js";
import { botAnswers, mention, newScene, reactionsOn, startWorld, stopWorld, untilAnswered, type AppProcess, type Scene } from "./harness.js";

/**
 * Grounded planning as a user meets it: the agent fixture repository pushed to the fake
 * GitHub, the App reading it through the API (tree, tarball, `.github/devbuddy.yml` through
 * `octokit.config.get`), a scripted model that calls the repository tools with
 * arguments split across chunks, and the published comment checked against the commit.
 */

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;

beforeAll(async () => {
  ({ github, openai, app } = await startWorld());
});

afterAll(() => stopWorld({ github, openai, app }));

/** A scene whose repository holds the agent fixture (plus `extra` files) in one commit. */
function agentScene(extra: Record<string, string> = {}, options: { truncated?: number } = {}): { scene: Scene; sha: string; blob: string } {
  const scene = newScene(github, { body: "The AI answer only appears when the model is done. Stream it." });
  const { sha } = github.seedRepoFiles(scene.repo.owner.login, scene.repo.name, { ...loadFixtureRepo(), ...extra }, options);
  return { scene, sha, blob: `${scene.repo.html_url}/blob/${sha}` };
}

async function ask(scene: Scene, body: string): Promise<{ answer: GitHubComment; body: string }> {
  const { comment } = await mention(app, github, scene, body);
  await untilAnswered(app, github, comment.id);
  expect(reactionsOn(github, comment.id)).toEqual(["eyes", "rocket"]);
  const [answer, ...others] = botAnswers(github, scene);
  expect(others).toEqual([]);
  return { answer: answer as GitHubComment, body: (answer as GitHubComment).body };
}

/** The starting context's entry for `AI.call`: its definition and the call sites found. */
function callersSection(context: string): string {
  const start = context.indexOf("`AI.call` —");
  expect(start).toBeGreaterThanOrEqual(0);
  const end = context.indexOf("\n- ", start);
  return context.slice(start, end === -1 ? undefined : end);
}

describe("grounded planning end to end", () => {
  it("plans from the code it read: real call sites, tools over the GitHub API, permalinks, unverified names marked", async () => {
    const { scene, sha, blob } = agentScene();
    openai.enqueue(
      {
        kind: "stream",
        toolCalls: [
          { name: ["find_", "symbol"], arguments: ['{"na', 'me": "AI.', 'call"}'] },
          { name: "read_file", arguments: ['{"path": "agent/planner.py", ', '"start_line": 1, "end_line": 30}'] },
        ],
        toolCallOrder: "interleaved",
      },
      {
        kind: "stream",
        firstDelayMs: 300,
        text: [
          "**Stream the AI client's answers.**\n",
          "1. Add `AI.stream_call` to `agent/ai.py`, next to `AI.call`.\n",
          "2. Make `Planner.plan_steps`, `Planner.refine` and `CodeGenerator.generate` use it.\n",
          "3. Add `agent/stream.py` (new).\n",
          "4. Update `Orchestrator.start_streaming`.",
        ],
      },
    );
    const { answer, body } = await ask(scene, "@devbuddy which methods call the AI client? Plan streaming for them.");

    // Before the first model call: the call sites the symbol index found, not the orchestrator.
    const [first, second] = openai.requests;
    const context: string = first?.body.messages[1].content;
    const callers = callersSection(context);
    expect(callers).toContain("called from 3 places in all files devbuddy parsed:");
    expect(callers).toContain("agent/planner.py:12 in `Planner.plan_steps`");
    expect(callers).toContain("agent/planner.py:17 in `Planner.refine`");
    expect(callers).toContain("agent/codegen.py:12 in `CodeGenerator.generate`");
    expect(callers).not.toMatch(/orchestrator|notify/i);
    // Ignored, vendored and generated files never reach the model.
    expect(JSON.stringify(openai.requests.map((r) => r.body.messages))).not.toMatch(/vendor\/shim|debug\.log|bundle\.min\.js/);
    expect(first?.body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(["list_files", "read_file", "search_code", "find_symbol"]);

    // The tool calls, assembled from interleaved pieces, and what the tools answered.
    const assistant = second?.body.messages.find((m: { role: string; tool_calls?: unknown }) => m.role === "assistant" && m.tool_calls);
    expect(assistant.tool_calls.map((c: { function: { name: string; arguments: string } }) => [c.function.name, c.function.arguments])).toEqual([
      ["find_symbol", '{"name": "AI.call"}'],
      ["read_file", '{"path": "agent/planner.py", "start_line": 1, "end_line": 30}'],
    ]);
    const [symbol, file] = second?.body.messages.filter((m: { role: string }) => m.role === "tool") as Array<{ content: string }>;
    expect(symbol?.content).toContain("- agent/planner.py:12 in Planner.plan_steps:");
    expect(symbol?.content).toContain("- agent/planner.py:17 in Planner.refine:");
    expect(symbol?.content).toContain("- agent/codegen.py:12 in CodeGenerator.generate:");
    expect(symbol?.content).not.toMatch(/orchestrator|notify/i);
    expect(file?.content).toContain("def plan_steps(self, issue: str) -> list[str]:");

    // While it read, the comment said so; then the plan, checked against the commit.
    const history = github.bodyHistory(answer.id).map((h) => h.body);
    expect(history.some((b) => b.includes("looked up `AI.call`"))).toBe(true);
    expect(parseComment(body)?.text).toBe(
      [
        "**Stream the AI client's answers.**",
        `1. Add \`AI.stream_call\` ⚠️ *unverified* to [\`agent/ai.py\`](${blob}/agent/ai.py), next to [\`AI.call\`](${blob}/agent/ai.py#L13-L24).`,
        `2. Make [\`Planner.plan_steps\`](${blob}/agent/planner.py#L11-L13), [\`Planner.refine\`](${blob}/agent/planner.py#L15-L18) and [\`CodeGenerator.generate\`](${blob}/agent/codegen.py#L11-L14) use it.`,
        "3. Add `agent/stream.py` (new).",
        "4. Update `Orchestrator.start_streaming` ⚠️ *unverified*.",
      ].join("\n"),
    );
    expect(body).toContain(`References checked against \`${sha.slice(0, 7)}\``);
    expect(body).not.toContain("⏳");

    // The repository was read once, as one tarball, at the head resolved once.
    const reads = github.requests.filter((r) => r.method === "GET" && r.path.startsWith(`/repos/${scene.repo.full_name}/`));
    expect(reads.filter((r) => /\/tarball\//.test(r.path))).toHaveLength(1);
    expect(reads.filter((r) => /\/commits\//.test(r.path))).toHaveLength(1);
    expect(reads.filter((r) => /\/git\/blobs\//.test(r.path)).length).toBeLessThanOrEqual(3); // .gitignore, .gitattributes, .github/devbuddy.md
  });

  it("reports an invalid .github/devbuddy.yml field by field, answers with the defaults, and follows .github/devbuddy.md", async () => {
    const { scene } = agentScene({ ".github/devbuddy.yml": "modle: gpt-5\nlimits:\n  tool_rounds: -3\n" });
    openai.enqueue({ kind: "stream", text: ["Keep `AI.call` as it is."] });
    const { body } = await ask(scene, "@devbuddy plan");

    expect(body).toContain("> ⚙️ `.github/devbuddy.yml` is invalid, so this answer used the default settings:");
    expect(body).toContain("unknown setting `modle`");
    expect(body).toMatch(/`limits\.tool_rounds`: .*\(found -3\)/);
    const request = openai.requests.at(-1);
    expect(request?.body.model).toBe("gpt-e2e");
    expect(request?.body.tools).toHaveLength(4);
    expect(request?.body.messages[0].content).toContain("Plans for this repository must keep the AI client behind `agent/ai.py`");
  });

  it("gives a model without tool support the starting context and the repository's instructions", async () => {
    const { scene, blob } = agentScene({ ".github/devbuddy.yml": "tools: false\ninstructions: Answer in at most five steps.\n" });
    openai.enqueue({ kind: "stream", text: ["1. Change `Planner.refine`."] });
    const before = openai.requests.length;
    const { body } = await ask(scene, "@devbuddy which methods call the AI client?");

    expect(openai.requests.length - before).toBe(1);
    const request = openai.requests.at(-1);
    expect(request?.body.tools).toBeUndefined();
    expect(request?.body.tool_choice).toBeUndefined();
    expect(callersSection(request?.body.messages[1].content)).toContain("agent/codegen.py:12 in `CodeGenerator.generate`");
    expect(request?.body.messages[0].content).toContain("Answer in at most five steps.");
    expect(request?.body.messages[0].content).not.toContain("list_files");
    expect(parseComment(body)?.text).toBe(`1. Change [\`Planner.refine\`](${blob}/agent/planner.py#L15-L18).`);
  });

  it("says so when GitHub truncated the repository's tree, since names it did not list cannot be checked", async () => {
    const { scene } = agentScene({}, { truncated: 8 });
    openai.enqueue({ kind: "stream", text: ["Change `web/src/plan-view.ts`."] });
    const { body } = await ask(scene, "@devbuddy plan");
    expect(body).toContain("> ⚠️ GitHub listed only part of this repository's files (its tree is too large)");
  });
});
