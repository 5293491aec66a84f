import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Unit tests import the TypeScript sources directly; end-to-end tests run the
// built bins (npm test builds first) under real ExaBGP and GoBGP.
const core = fileURLToPath(new URL("packages/core/src/index.ts", import.meta.url));

export default defineConfig({
  resolve: { alias: { "@exacast/core": core } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "test/consul-emulator/**/*.test.ts", "test/fuzz/**/*.test.ts"],
          // Unit tests first: they are fast and say the most when something is broken.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 90_000,
          hookTimeout: 60_000,
          // Each file starts its own GoBGP and ExaBGPs (Python start-up is CPU-bound):
          // two at a time keeps a 2-core machine responsive and timings honest.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
