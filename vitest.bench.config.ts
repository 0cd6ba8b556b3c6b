import { defineConfig } from "vitest/config";

// `npm run bench`: benchmarks print numbers; they are not part of `npm test`.
export default defineConfig({
  test: {
    include: ["bench/**/*.bench.ts"],
    setupFiles: ["test/setup/no-network.ts"],
    reporters: ["verbose"],
    silent: false,
  },
});
