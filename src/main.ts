import { ProbotOctokit, run } from "probot";
import type { Devbuddy } from "./app.js";
import { devbuddyApp } from "./index.js";

/**
 * The production entry (`npm start`, or `node lib/main.js` under a supervisor). Probot's
 * `run()` reads APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, GHE_HOST, … and, with no credentials
 * outside production, serves its setup page that registers the App from app.yml.
 *
 * `probot run` installs no SIGTERM handler and its SIGINT handler exits at once, cutting
 * answers mid-stream; this entry stops taking work, lets running answers finish or close
 * honestly, then exits.
 */

// Writes are paced by devbuddy's own per-installation scheduler; Probot's throttling
// plugin would queue them a second time behind its own Bottleneck and retry rate-limited
// writes unseen. Reads keep plugin-retry, except on 409 Conflict ("Git Repository is
// empty.", a branch that moved): resending cannot help, and plugin-retry's default would
// spend 14 s on it.
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 451];
const DevbuddyOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { ...(options["retry"] as object | undefined), doNotRetry: DO_NOT_RETRY },
  throttle: { ...(options["throttle"] as object | undefined), enabled: false },
}));

async function main(): Promise<void> {
  // Deliveries from now on reach this process (or are on their way): none of them was missed.
  const startedAt = Date.now();
  let devbuddy: Devbuddy | undefined;
  // Settings are read inside the app function, after run() has applied .env.
  const server = await run(devbuddyApp({ onReady: (instance) => (devbuddy = instance), watchLoop: true }), {
    Octokit: DevbuddyOctokit,
  });
  process.removeAllListeners("SIGINT");
  // Listening now: requests GitHub could not deliver while devbuddy was away can come again.
  void devbuddy?.redeliverMissed(startedAt);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      console.error(`${signal} again: exiting now; answers still streaming are cut off.`);
      process.exit(1);
    }
    stopping = true;
    console.info(`${signal}: devbuddy is stopping (no new work; running answers get a grace period).`);
    const closing = server.stop().catch(() => undefined);
    await devbuddy?.shutdown();
    // A client holding a keep-alive connection must not keep the process alive.
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    console.info("devbuddy stopped.");
    process.exit(0);
  };
  process.on("SIGTERM", (signal) => void stop(signal));
  process.on("SIGINT", (signal) => void stop(signal));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
