import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup/no-network.ts"],
    globalSetup: ["test/setup/build-once.ts"],
    // End-to-end tests start child processes and loopback servers; give them room on
    // shared, noisy machines without making unit tests wait.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
