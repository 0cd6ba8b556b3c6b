import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeGitHub } from "../fakes/fake-github.js";
import type { FakeOpenAI } from "../fakes/fake-openai.js";
import { loadFixtureRepo } from "../helpers/fixture-repo.js";
import { botAnswers, mention, newScene, startWorld, stopWorld, untilAnswered, type AppProcess, type Scene } from "./harness.js";

/**
 * Issue 9, defect 7: when `.github/devbuddy.yml` cannot be read or parsed, its
 * `paths.exclude` is unknown, so no file of the repository may reach the model. Through
 * the production App, the App's config read (`octokit.config.get`) and the fake GitHub's real status codes.
 */

const SECRET = "AKIA-THE-SECRET-KEY-0000";

let github: FakeGitHub;
let openai: FakeOpenAI;
let app: AppProcess;

beforeAll(async () => {
  ({ github, openai, app } = await startWorld());
});

afterAll(() => stopWorld({ github, openai, app }));

function secretScene(config: string): Scene {
  const scene = newScene(github, { body: "Rotate the key in secret/keys.py." });
  github.seedRepoFiles(scene.repo.owner.login, scene.repo.name, {
    ...loadFixtureRepo(),
    "secret/keys.py": `API_KEY = "${SECRET}"\n`,
    ".github/devbuddy.yml": config,
  });
  return scene;
}

async function answer(scene: Scene): Promise<{ body: string; sent: string }> {
  const requestsBefore = openai.requests.length;
  // A model that asks for the secret file, as the review's did.
  openai.enqueue(
    { kind: "stream", toolCalls: [{ name: "read_file", arguments: ['{"path": "secret/keys.py"}'] }] },
    { kind: "stream", text: ["Plan."] },
    { kind: "stream", text: ["Plan."] },
  );
  const { comment } = await mention(app, github, scene, "@devbuddy plan this, and read secret/keys.py");
  await untilAnswered(app, github, comment.id);
  const [bot] = botAnswers(github, scene);
  const sent = openai.requests
    .slice(requestsBefore)
    .map((request) => JSON.stringify(request.body))
    .join("\n");
  openai.reset();
  return { body: bot?.body ?? "", sent };
}

const FILE_READS = /\/git\/trees\/|\/tarball\/|\/git\/blobs\//;

describe("a config that cannot be read fails closed", () => {
  it("a YAML syntax error beside paths.exclude: no file is read, no tools are offered, and the comment says why", async () => {
    const scene = secretScene("paths:\n  exclude: [secret/**]\nlimits: {tool_rounds: 3\n");
    const { body, sent } = await answer(scene);
    expect(sent).not.toContain(SECRET);
    expect(sent).not.toContain('"tools"');
    expect(github.requests.filter((r) => r.path.includes(`/${scene.repo.name}/`) && FILE_READS.test(r.path))).toEqual([]);
    expect(body).toMatch(/`\.github\/devbuddy\.yml` could not be read \(.+\), so devbuddy read no files of the repository for this answer/);
  });

  for (const status of [403, 502]) {
    it(`the contents API answers ${status} for the config: no file is read`, async () => {
      const scene = secretScene("paths:\n  exclude: [secret/**]\n");
      github.failNext({ path: new RegExp(`/${scene.repo.name}/contents/\\.github`), status, body: { message: status === 403 ? "Resource not accessible by integration" : "Server Error" }, times: 10 });
      const { body, sent } = await answer(scene);
      expect(sent).not.toContain(SECRET);
      expect(sent).not.toContain('"tools"');
      expect(github.requests.filter((r) => r.path.includes(`/${scene.repo.name}/`) && FILE_READS.test(r.path))).toEqual([]);
      expect(body).toContain("could not be read");
      expect(body).toContain("read no files of the repository");
    });
  }

  it("a missing config (404) is no config: the defaults apply and the repository is read", async () => {
    const scene = newScene(github);
    github.seedRepoFiles(scene.repo.owner.login, scene.repo.name, loadFixtureRepo());
    const { body } = await answer(scene);
    expect(body).not.toContain("could not be read");
    expect(github.requests.some((r) => r.path.includes(`/${scene.repo.name}/`) && FILE_READS.test(r.path))).toBe(true);
  });
});
