import { defineConfig } from 'vitest/config';

// Three projects: pure unit tests beside their modules, integration tests against real servers on
// loopback, and end-to-end tests in a real Chromium (run inside a private network namespace by
// scripts/netns-run.mjs; see README "Tests").
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.spec.ts', 'cli/**/*.spec.ts', 'server/**/*.spec.ts', 'scripts/**/*.spec.ts'],
          environment: 'node'
        }
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000
        }
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false
        }
      }
    ]
  }
});
