import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseComment } from "../../src/comments/comment-format.js";
import { countTokens } from "../../src/planning/token-budget.js";
import type { FakeGitHub, GitHubComment, RecordedRequest } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { botAnswers, mention, newScene, reactionsOn, startWorld, stopWorld, until, type AppProcess, type Scene } from "./harness.js";

/**
 * Size bombs: what a maintainer sees when an issue, its thread or its repository is far
 * larger than anything devbuddy should hold. A pasted multi-megabyte log, a thread of
 * thousands of comments, and a repository with files of hundreds of megabytes must each
 * still get a finished answer, a model request within the configured budget, GitHub reads
 * that stop where the limits say, bounded memory in the App, and a note that says what
 * was left out. All with the defaults a deployment gets (README, "Limits").
 */

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;

beforeAll(async () => {
  ({ github, openai, app } = await startWorld());
});

afterAll(() => stopWorld({ github, openai, app }));

const MB = 1024 * 1024;
/** `DEVBUDDY_CONTEXT_TOKENS`' default. */
const CONTEXT_TOKENS = 64_000;
/** `DEVBUDDY_MAX_THREAD_COMMENTS`' default. */
const MAX_THREAD_COMMENTS = 500;

const SOURCES: Record<string, string> = {
  "src/import.ts": [
    'import { readFileSync } from "node:fs";',
    'import { Db } from "./db.js";',
    "",
    "export function importDump(path: string, db: Db): number {",
    '  const text = readFileSync(path, "utf8");',
    "  let rows = 0;",
    '  for (const line of text.split("\\n")) {',
    '    if (!line.startsWith("INSERT")) continue;',
    "    db.execute(line);",
    "    rows++;",
    "  }",
    "  return rows;",
    "}",
    "",
  ].join("\n"),
  "src/db.ts": ["export class Db {", "  readonly statements: string[] = [];", "", "  execute(sql: string): void {", "    this.statements.push(sql);", "  }", "}", ""].join("\n"),
  "README.md": "# importer\n\nImports the nightly dump.\n",
};

/** The App's resident memory now and at its peak since the last `resetPeak`, in MB, from /proc (Linux). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) / 1024;
  return { rss: mb("VmRSS"), peak: mb("VmHWM") };
}

/** Sets the peak (VmHWM) back to the current RSS, so the next reading is this test's own. https://man7.org/linux/man-pages/man5/proc_pid_clear_refs.5.html */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

function appPid(): number {
  const pid = app.child.pid;
  if (pid === undefined) throw new Error("the App process has no pid");
  return pid;
}

/** Waits for the run answering `commentId` to put its last reaction; big inputs get more time than the harness default. */
const answered = (commentId: number, what: string) =>
  until(app, what, () => (reactionsOn(github, commentId).some((r) => r === "rocket" || r === "confused") ? true : undefined), 25_000);

function onlyAnswer(scene: Scene): GitHubComment {
  const [answer, ...others] = botAnswers(github, scene);
  expect(others).toEqual([]);
  return answer as GitHubComment;
}

/** Prompt tokens of a request as the App counts them: each message's text plus 4 tokens of framing. */
function promptTokens(body: { messages: Array<{ content?: string | null }> }): number {
  return body.messages.reduce((sum, m) => sum + 4 + countTokens(m.content ?? ""), 0);
}

const repoReads = (scene: Scene): RecordedRequest[] =>
  github.requests.filter((r) => r.path.startsWith(`/repos/${scene.repo.full_name}/`) || r.path.startsWith(`/_codeload/${scene.repo.full_name}/`));

/** A pasted log: numbered lines, with markers at its start, in its middle and at its end. */
function logText(bytes: number, name: string): string {
  const lines: string[] = [`${name}-START`];
  let size = lines[0]?.length ?? 0;
  for (let n = 1; size < bytes; n++) {
    const time = `2025-03-0${(n % 9) + 1}T04:${String(n % 60).padStart(2, "0")}:17Z`;
    const line = n === 20_000 ? `${name}-MIDDLE` : `${time} worker[${n % 97}] imported batch ${n} (${(n * 7) % 1000} rows)`;
    lines.push(line);
    size += line.length + 1;
  }
  lines.push(`${name}-END`);
  return lines.join("\n");
}

describe("size bombs", () => {
  it("answers a multi-megabyte issue and a megabyte comment within the context budget, and says what it shortened", async () => {
    const issueBody = logText(3 * MB, "ISSUE-LOG");
    const scene = newScene(github, { title: "The nightly import crashes", body: `The worker dies after the import. Full log:\n\n${issueBody}` });
    github.seedRepoFiles(scene.repo.owner.login, scene.repo.name, SOURCES);
    const plan = "**Stream the dump.**\n1. Read it line by line in `importDump`.";
    openai.enqueue({ kind: "stream", text: [plan] });
    const before = openai.requests.length;

    const request = `@devbuddy why does \`importDump\` run out of memory? Here is the trace:\n\n${logText(1 * MB, "COMMENT-TRACE")}`;
    const { comment, status, elapsedMs } = await mention(app, github, scene, request);
    // GitHub gives up on a delivery after 10 s; a 4 MB payload must be taken in and queued, not worked on.
    expect(status).toBe(200);
    expect(elapsedMs).toBeLessThan(5_000);
    await answered(comment.id, "the answer to the huge issue");

    expect(reactionsOn(github, comment.id)).toEqual(["eyes", "rocket"]);
    const answer = onlyAnswer(scene);
    expect(parseComment(answer.body)).toMatchObject({ meta: { state: "done" } });
    expect(parseComment(answer.body)?.text).toContain("Stream the dump.");
    expect(answer.body).toContain("> ✂️ 2 long messages were shortened in the middle to fit the model's context.");

    const sent = openai.requests.slice(before);
    expect(sent).toHaveLength(1);
    const body = sent[0]?.body;
    const tokens = promptTokens(body);
    const bytes = Buffer.byteLength(JSON.stringify(body));
    expect(tokens).toBeLessThanOrEqual(CONTEXT_TOKENS);
    expect(bytes).toBeLessThan(1 * MB);
    // Cut in the middle: how the issue and the request start and end is what the model sees.
    const text = JSON.stringify(body.messages);
    for (const kept of ["ISSUE-LOG-START", "ISSUE-LOG-END", "COMMENT-TRACE-START", "COMMENT-TRACE-END", "why does `importDump` run out of memory"]) expect(text).toContain(kept);
    expect(text).not.toContain("ISSUE-LOG-MIDDLE");
    expect(text).not.toContain("COMMENT-TRACE-MIDDLE");
    // devbuddy's marker follows the person's quoted block; inside it, it would read as their words.
    const contents = body.messages.map((m: { content: string }) => m.content);
    expect(contents.some((c: string) => /\n`{3,}\n\[devbuddy: \d+ tokens of this issue left out to fit the context, where "\[…\]" stands\.\]$/.test(c))).toBe(true);
    expect(contents.some((c: string) => /\n`{3,}\n\[devbuddy: \d+ tokens of this comment left out to fit the context, where "\[…\]" stands\.\]$/.test(c))).toBe(true);
  });

  it("reads a thread of thousands of comments at both ends in a few pages, and says how many it skipped", async () => {
    const scene = newScene(github, { title: "Flaky CI", body: "CI fails now and then on main." });
    const seeded = 3_000;
    const label = (n: number): string => `[c${String(n).padStart(4, "0")}]`;
    for (let n = 1; n <= seeded; n++) {
      const body = `${label(n)} failed again on run ${n}.`;
      github.addComment({ owner: scene.repo.owner.login, repo: scene.repo.name, number: scene.issue.number, body, user: n % 2 === 0 ? "bob" : "carol" });
    }
    openai.enqueue({ kind: "stream", text: ["Retry the flaky step and record its timing."] });
    const before = openai.requests.length;
    github.clearLog();

    const { comment } = await mention(app, github, scene, "@devbuddy summarize what we know and plan a fix");
    await answered(comment.id, "the answer to the long thread");
    expect(reactionsOn(github, comment.id)).toEqual(["eyes", "rocket"]);

    // 3,001 comments are 31 pages of 100: the first page, then the newest pages backwards until 450 are
    // in hand. Seven requests for 3,001 comments (or 30,001): the last page holds only the request.
    const lists = github.requests.filter((r) => r.method === "GET" && r.path === `/repos/${scene.repo.full_name}/issues/${scene.issue.number}/comments`);
    expect(lists.map((r) => r.query["per_page"])).toEqual(lists.map(() => "100"));
    expect(lists.map((r) => Number(r.query["page"] ?? 1))).toEqual([1, 31, 30, 29, 28, 27, 26]);

    const total = seeded + 1;
    const head = MAX_THREAD_COMMENTS / 10;
    const newest = MAX_THREAD_COMMENTS - head;
    const skipped = total - head - newest;
    const answer = onlyAnswer(scene);
    expect(answer.body).toContain(`> ✂️ This thread has ${total} comments: devbuddy read the first ${head} and the newest ${newest}, and skipped the ${skipped} in between.`);

    const sent = openai.requests.slice(before);
    expect(sent).toHaveLength(1);
    const text = JSON.stringify(sent[0]?.body.messages);
    // The first 50 comments, then a marker for the gap, then the newest 450 (449 seeded ones and the request).
    for (const n of [1, head, total - newest + 1, seeded]) expect(text).toContain(label(n));
    for (const n of [head + 1, 1_500, total - newest]) expect(text).not.toContain(label(n));
    expect(text.match(/\[c\d{4}\]/g)).toHaveLength(head + newest - 1);
    expect(text).toContain(`[devbuddy: ${skipped} comments of this long thread were not read here.]`);
    expect(text).toContain("summarize what we know and plan a fix");
  });

  it("never downloads files of hundreds of megabytes, answers from the rest, and holds little memory", async () => {
    const scene = newScene(github, { title: "Speed up the import", body: "The nightly import of `data/dump.sql` takes hours. Make `importDump` stream." });
    const hugeFiles = { "data/dump.sql": 300 * MB, "src/generated.bin": 150 * MB };
    const { sha } = github.seedRepoFiles(scene.repo.owner.login, scene.repo.name, SOURCES, { hugeFiles });
    const treeResponse = await fetch(`${github.apiBase}/repos/${scene.repo.full_name}/git/trees/${sha}?recursive=1`);
    const tree = ((await treeResponse.json()) as { tree: Array<{ path: string; sha: string }> }).tree;
    const hugeShas = tree.filter((e) => e.path in hugeFiles).map((e) => e.sha);
    expect(hugeShas).toHaveLength(2);
    openai.enqueue(
      { kind: "stream", toolCalls: [{ name: "read_file", arguments: '{"path": "data/dump.sql"}' }] },
      { kind: "stream", text: ["**Stream the dump.**\n1. Make `importDump` in `src/import.ts` read line by line.\n2. Batch `Db.execute`."] },
    );
    const before = openai.requests.length;
    github.clearLog();
    const pid = appPid();
    resetPeak(pid);
    const startRss = memoryOf(pid).rss;

    const { comment } = await mention(app, github, scene, "@devbuddy plan it");
    await answered(comment.id, "the answer about the huge repository");
    const memory = memoryOf(pid);

    expect(reactionsOn(github, comment.id)).toEqual(["eyes", "rocket"]);
    const answer = onlyAnswer(scene);
    const blob = `${scene.repo.html_url}/blob/${sha}`;
    expect(parseComment(answer.body)?.text).toContain(`[\`src/import.ts\`](${blob}/src/import.ts)`);
    expect(answer.body).toContain("> 📦 Not read for this answer: 1 file too large to read. A name defined only there is marked unverified.");

    const reads = repoReads(scene);
    const sentBytes = reads.reduce((sum, r) => sum + r.bytesSent, 0);
    // 450 MB is over the download budget, so there is no tarball; no blob, contents or raw request for the huge files.
    expect(reads.filter((r) => /\/tarball|\/_codeload\//.test(r.path))).toEqual([]);
    expect(reads.filter((r) => hugeShas.some((s) => r.path.endsWith(`/git/blobs/${s}`)))).toEqual([]);
    expect(reads.filter((r) => /dump\.sql|generated\.bin/.test(r.path))).toEqual([]);
    expect(sentBytes).toBeLessThan(1 * MB);

    // What was skipped: in the log, to the model, and in the tool's answer when the model asked for the dump.
    const readLog = app.logs().find((l) => l["msg"] === "Read the repository" && l["repo"] === scene.repo.full_name);
    expect(readLog).toMatchObject({ via: "blobs", skipped: { "too-large": 1, binary: 1 } });
    const [first, second] = openai.requests.slice(before);
    expect(first?.body.messages[1].content).toContain("Not read: 1 too large, 1 binary.");
    const toolResult = second?.body.messages.find((m: { role: string }) => m.role === "tool");
    expect(toolResult?.content).toContain("data/dump.sql is not readable: devbuddy skips too-large files.");

    // Nothing large came in, so nothing large was held: the peak stays far below the 450 MB of the tree.
    expect(memory.peak - startRss).toBeLessThan(64);
    expect(memory.peak).toBeLessThan(400);
  });

  it("streams a tarball with a 100 MB file in it through the App without holding the file", async () => {
    const scene = newScene(github, { title: "Speed up the import", body: "The nightly import of `data/dump.sql` takes hours. Make `importDump` stream." });
    const { sha } = github.seedRepoFiles(scene.repo.owner.login, scene.repo.name, SOURCES, { hugeFiles: { "data/dump.sql": 100 * MB } });
    openai.enqueue({ kind: "stream", text: ["1. Make `importDump` in `src/import.ts` read line by line."] });
    github.clearLog();
    const pid = appPid();
    resetPeak(pid);
    const startRss = memoryOf(pid).rss;

    const { comment } = await mention(app, github, scene, "@devbuddy plan it");
    await answered(comment.id, "the answer about the repository with a 100 MB file");
    const memory = memoryOf(pid);

    expect(reactionsOn(github, comment.id)).toEqual(["eyes", "rocket"]);
    const blob = `${scene.repo.html_url}/blob/${sha}`;
    expect(parseComment(onlyAnswer(scene).body)?.text).toContain(`[\`src/import.ts\`](${blob}/src/import.ts)`);
    // 100 MB fits the download budget (120 MB by default), so the commit came as one tarball, and
    // data/dump.sql comes before src/ in it: the whole archive passed through the App.
    const reads = repoReads(scene);
    expect(reads.filter((r) => /\/tarball\//.test(r.path))).toHaveLength(1);
    const download = reads.filter((r) => r.path.startsWith(`/_codeload/${scene.repo.full_name}/`));
    expect(download).toHaveLength(1);
    expect(download[0]?.bytesSent).toBeGreaterThan(100 * MB);
    expect(reads.filter((r) => /\/git\/blobs\//.test(r.path))).toEqual([]);
    const readLog = app.logs().find((l) => l["msg"] === "Read the repository" && l["repo"] === scene.repo.full_name);
    expect(readLog).toMatchObject({ via: "archive", loaded: 3, skipped: { "too-large": 1 } });
    // Drained as it passed, never kept: the peak barely moves while 100 MB go through (keeping it costs over 200 MB).
    expect(memory.peak - startRss).toBeLessThan(64);
  });
});
