import { defineConfig } from "vitest/config";

// `npm run bench`: benchmarks print numbers; they are not part of `npm test`.
export default defineConfig({
  test: {
    include: ["bench/**/*.bench.ts"],
    // One file at a time: a benchmark running beside another measures the contention
    // (the symbol index's event-loop blocks, wall times). And benchmarks print numbers;
    // they do not fail for being slow on a busy machine.
    fileParallelism: false,
    testTimeout: 300_000,
    setupFiles: ["test/setup/no-network.ts"],
    // The liveness benchmark runs the production entry (lib/main.js), as the e2e tests do.
    globalSetup: ["test/setup/build-once.ts"],
    reporters: ["verbose"],
    silent: false,
  },
});
