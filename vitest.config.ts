import { defineConfig } from 'vitest/config'

/**
 * Tests that load the whole machine on purpose (50 connections for 30 s, 200 logins at once) run
 * after the rest and one at a time: beside other tests they would starve them of CPU on a 2-core
 * machine and turn their timing-bound assertions (provider timeouts, Redis timeouts) into flakes.
 */
const HEAVY = ['test/production/load.test.ts', 'test/production/login-burst.test.ts']

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real peers (identity provider, PostgreSQL databases, Dovecot, chromium);
    // two workers fit the 2-core machines this runs on.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: HEAVY, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'heavy', include: HEAVY, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
})
