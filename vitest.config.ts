import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import the TypeScript sources directly; end-to-end tests run the built
// bins (npm test builds first) under real ExaBGP and GoBGP.
const src = (pkg: string) => fileURLToPath(new URL(`packages/${pkg}/src/index.ts`, import.meta.url));

// Four projects, `npm test` runs them all:
// - unit: pure and fast (fake clocks, files in memory, no sockets, files or
//   processes — test/unit-guard.ts refuses them), seconds in all;
// - fuzz: property and mutation fuzzing, each run bounded by a time budget;
// - integration: one program's parts against the real system (sockets,
//   processes, files, the Consul emulator), no ExaBGP;
// - e2e: the built bins under real ExaBGP, GoBGP, FRR, BIRD, HAProxy, nginx.
export default defineConfig({
  resolve: { alias: { "@exacast/core": src("core"), "@exacast/runtime": src("runtime") } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts"],
          exclude: ["packages/*/test/integration/**"],
          setupFiles: ["test/unit-guard.ts"],
          // Unit tests first: they are fast and say the most when something is broken.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "fuzz",
          include: ["test/fuzz/**/*.test.ts"],
          // Each fuzzer stops at its own time budget (test/fuzz/budget.ts); this is the backstop.
          testTimeout: 60_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["packages/*/test/integration/**/*.test.ts", "test/consul-emulator/**/*.test.ts"],
          testTimeout: 20_000,
          sequence: { groupOrder: 1 },
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
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
