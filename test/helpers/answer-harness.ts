import { runAnswer, type AnswerRequest } from "../../src/runs/answer-run.js";
import { SqliteJournal } from "../../src/state/sqlite-journal.js";
import { RunCoordinator } from "../../src/runs/run-coordinator.js";
import { loadSnapshot } from "../../src/repository/repo-snapshot.js";
import { loadFixtureRepo } from "./fixture-repo.js";
import { ManualClock } from "./manual-clock.js";
import { MemoryGitHub, testScheduler } from "./memory-github.js";
import { recordingLogger } from "./recording-logger.js";
import { ScriptedModel } from "./scripted-model.js";

/**
 * One `runAnswer` at a time on a manual clock, against `MemoryGitHub` seeded with the agent
 * fixture (loaded through the real snapshot loader) and a scripted model.
 */

export const REQUEST: AnswerRequest = {
  deliveryId: "d1",
  installationId: 1,
  repo: { owner: "o", repo: "r" },
  issue: { number: 1, title: "Enable response streaming", body: "Stream the AI answer.", author: "alice" },
  target: { kind: "comment", commentId: 42 },
  triggerKey: "c42",
  triggerComment: { id: 42, author: "maint", authorType: "User", body: "@devbuddy plan this" },
  sender: "maint",
};

const LIMITS = { toolRounds: 3, files: 10, readBytes: 100_000, contextTokens: 32_000, runTokens: 1_000_000, requestsPerUser: 30 };
const SNAPSHOT_LIMITS = { maxFileBytes: 512_000, maxTotalBytes: 10_000_000, maxFiles: 1_000, maxDownloadBytes: 50_000_000, maxBlobFetches: 50 };

export interface SetupOptions {
  /** What `readConfigFile` returns for .github/devbuddy.yml (null: no file); an Error is thrown by it. */
  readonly config?: unknown;
  /** Seed the agent fixture as the repository (default true). */
  readonly repository?: boolean;
  /** The per-repository request check (default: none). */
  readonly admit?: (requestsPerUser: number) => boolean;
  /** Runs of the process that may hold a turn at once (default: no limit). */
  readonly maxConcurrent?: number;
}

export function setup(options: SetupOptions = {}) {
  const clock = new ManualClock();
  const log = recordingLogger();
  const scheduler = testScheduler(clock, log);
  const github = new MemoryGitHub(clock, scheduler);
  github.permissions.set("maint", "maintain");
  const sha = (options.repository ?? true) ? github.seedFiles(loadFixtureRepo()) : "";
  const model = new ScriptedModel();
  const coordinator = new RunCoordinator({
    journal: new SqliteJournal(":memory:"),
    clock,
    log,
    graceMs: 5_000,
    flushMs: 10_000,
    ...(options.maxConcurrent === undefined ? {} : { maxConcurrent: options.maxConcurrent }),
  });
  const start = (request: AnswerRequest = REQUEST, runId = "run1") => {
    let finished!: Promise<boolean>;
    coordinator.start({ deliveryId: request.deliveryId, triggerKey: request.triggerKey, issueKey: "1/o/r#1" }, (handle) => {
      finished = runAnswer(request, handle, {
        api: github,
        model,
        botLogin: "devbuddy[bot]",
        systemPrompt: (prompt) => `SYSTEM tools=${prompt.tools}${prompt.guidance ? ` guidance=${prompt.guidance}` : ""}${prompt.instructions ? ` instructions=${prompt.instructions}` : ""}`,
        planning: {
          loadConfig: async () => {
            if (options.config instanceof Error) throw options.config;
            return options.config ?? null;
          },
          configDefaults: { tools: true, limits: LIMITS, allowedModels: [] },
          loadRepository: (repository) =>
            loadSnapshot(
              github,
              request.repo,
              {
                ...(repository.include ? { include: repository.include } : {}),
                exclude: repository.exclude,
                limits: SNAPSHOT_LIMITS,
                priority: repository.priority,
                pinned: repository.pinned,
                signal: repository.signal,
              },
              log,
            ),
        },
        clock,
        log,
        editIntervalMs: 2000,
        finalWrite: { attempts: 3, backoffMs: 1000 },
        maxThreadComments: 100,
        runId,
        ...(options.admit ? { admit: options.admit } : {}),
      });
      return finished.then(() => undefined);
    });
    return () => finished;
  };
  return { clock, log, github, model, coordinator, start, sha };
}

export const reactions = (github: MemoryGitHub) => github.writes.filter((w) => w.op === "react").map((w) => w.content);
