import { describe, expect, it } from "vitest";
import { SymbolIndex } from "../../src/code-index/symbol-index.js";
import { buildStartingContext, rankDefinitions } from "../../src/planning/starting-context.js";
import { extractTerms } from "../../src/planning/thread-terms.js";
import { fixtureRepoView, memoryRepoView } from "../helpers/memory-repo-view.js";

async function grounding() {
  const view = fixtureRepoView();
  const index = await SymbolIndex.build([...view.loaded].map(([path, text]) => ({ path, text })));
  return { view, index };
}

const ISSUE = { text: "Enable response streaming\nThe agent only shows the model's answer when it is complete. Stream it.", weight: 2 };

/** The lines of the symbol section for one definition, up to the next definition. */
function sectionOf(context: string, qualifiedName: string): string {
  const lines = context.split("\n");
  const start = lines.findIndex((l) => l.startsWith("- ") && l.includes(`\`${qualifiedName}\` —`));
  if (start < 0) return "";
  const end = lines.findIndex((l, i) => i > start && (l.startsWith("- ") || l.startsWith("#")));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

describe("buildStartingContext", () => {
  it("says how many possible callers it did not list, and never claims a method is called nowhere", async () => {
    const calls = Array.from({ length: 8 }, (_, i) => `    client${i}.send()`);
    const view = memoryRepoView({
      "net/client.py": "class Client:\n    def send(self):\n        pass\n\n    def close(self):\n        pass\n",
      "app.py": `def run(client0, client1, client2, client3, client4, client5, client6, client7):\n${calls.join("\n")}\n`,
    });
    const index = await SymbolIndex.build([...view.loaded].map(([path, text]) => ({ path, text })));
    const context = buildStartingContext({ view, index, terms: extractTerms([{ text: "Who calls `Client.send` and `Client.close`?", weight: 3 }]), maxTokens: 8_000 });
    const send = sectionOf(context.text, "Client.send");
    expect(send).toContain("called: no call confirmed in all files devbuddy parsed.");
    expect(send).toContain("  - … 3 more (use find_symbol)");
    expect(sectionOf(context.text, "Client.close")).toContain(
      "called: no call found in all files devbuddy parsed (calls through callbacks, interfaces or receivers whose type the code does not show may be missed).",
    );
  });

  it("answers 'which methods call the AI client' with the call sites actually found, not the orchestrator", async () => {
    const { view, index } = await grounding();
    const terms = extractTerms([ISSUE, { text: "@devbuddy which methods call the AI client's call method?", weight: 3 }]);
    const context = buildStartingContext({ view, index, terms, maxTokens: 8_000 });

    expect(context.symbols).toContain("AI");
    expect(context.symbols).toContain("AI.call");
    const section = sectionOf(context.text, "AI.call");
    expect(section).toContain("agent/ai.py:13-24");
    expect(section).toContain("called from 3 places in all files devbuddy parsed:");
    expect(section).toContain("agent/planner.py:12 in `Planner.plan_steps`");
    expect(section).toContain("agent/planner.py:17 in `Planner.refine`");
    expect(section).toContain("agent/codegen.py:12 in `CodeGenerator.generate`");
    expect(section).not.toContain("orchestrator");
    expect(section).not.toContain("possibly");
    // The orchestrator does use the AI: it creates it. That is what the context says about it.
    expect(sectionOf(context.text, "AI")).toContain("agent/orchestrator.py:10 in `Orchestrator.__init__`");
  });

  it("starts with an overview that says what was read and what was skipped", async () => {
    const { view, index } = await grounding();
    const context = buildStartingContext({ view, index, terms: extractTerms([ISSUE]), maxTokens: 8_000 });
    expect(context.text).toContain("Repository acme/tinyagent at commit f1e2d3c (head of main).");
    expect(context.text).toContain(`Files read: ${view.loaded.size} of ${view.allPaths.size} (Python 7, Markdown 2, TypeScript 2, Go 1); parsed for symbols: 10.`);
    expect(context.text).toContain("Not read: 1 vendored, 2 generated, 1 git-ignored, 1 binary.");
    // Nothing from the skipped files reaches the model.
    expect(context.text).not.toContain("vendor/shim/client.py");
    expect(context.text).not.toContain("bundle.min.js");
  });

  it("shows excerpts of the matching files with line numbers", async () => {
    const { view, index } = await grounding();
    const terms = extractTerms([{ text: "Make `Planner.refine` stream", weight: 3 }]);
    const context = buildStartingContext({ view, index, terms, maxTokens: 8_000 });
    expect(context.files[0]).toBe("agent/planner.py");
    expect(context.text).toContain("#### agent/planner.py (lines");
    expect(context.text).toContain("15|     def refine(self, steps: list[str], feedback: str) -> list[str]:");
    expect(context.text).toContain("17|         answer = self.ai.call(");
  });

  it("stays within its token budget and names what it left out", async () => {
    const { view, index } = await grounding();
    const terms = extractTerms([ISSUE, { text: "which methods call the AI client?", weight: 3 }]);
    const small = buildStartingContext({ view, index, terms, maxTokens: 300 });
    expect(small.tokens).toBeLessThanOrEqual(300);
    expect(small.leftOut.length).toBeGreaterThan(0);
    expect(small.text).toContain("Repository acme/tinyagent");
  });

  it("ranks a class the thread names, with its members, above unrelated definitions", async () => {
    const { index } = await grounding();
    const ranked = rankDefinitions(index, extractTerms([{ text: "you forgot the AI class", weight: 3 }]));
    expect(ranked.slice(0, 4).map((d) => d.qualifiedName)).toEqual(expect.arrayContaining(["AI", "AI.call"]));
  });
});
