import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real peers (identity provider, PostgreSQL databases, Dovecot, chromium);
    // two workers fit the 2-core machines this runs on.
    pool: 'forks',
    maxWorkers: 2,
  },
})
