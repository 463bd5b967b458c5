import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.js'
import { createPostgresDatabase, postgresAvailable, TEST_KEYS } from '../fixtures/databases.js'
import { codeOf, deferred, profileInput } from './contract-helpers.js'
import { storeContract } from './contract.js'

const available = await postgresAvailable()
const drops: Array<() => Promise<void>> = []
afterAll(async () => {
  // DROP DATABASE waits for a checkpoint each; dropped together they share one.
  await Promise.all(drops.map((drop) => drop()))
})

describe.skipIf(!available)('Store contract: PostgreSQL', () => {
  storeContract({
    kind: 'postgres',
    async newDatabase() {
      const db = await createPostgresDatabase()
      if (!db) throw new Error('PostgreSQL went away')
      drops.push(db.drop)
      return db.url
    },
    // A crashed holder: its backend (the one holding the row lock on token_locks) is terminated.
    async killLockHolder(url) {
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      try {
        const { rows } = await admin.query(
          `SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
           WHERE c.relname = 'token_locks' AND l.mode = 'RowShareLock' AND l.pid <> pg_backend_pid()`,
        )
        if (rows.length !== 1) throw new Error(`expected one lock holder, found ${rows.length}`)
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid])
      } finally {
        await admin.end()
      }
    },
    // Its connection is gone: the late write fails.
    deadHolderError: 'STORE_UNAVAILABLE',
  })
})

describe.skipIf(!available)('PostgreSQL refresh lock', () => {
  it('cuts off a holder that keeps the lock longer than timeoutMs, so another instance gets it', async () => {
    const db = (await createPostgresDatabase())!
    drops.push(db.drop)
    const options = { encryptionKeys: TEST_KEYS, now: () => Date.now() }
    const [a, b] = [await openStore(db.url, options), await openStore(db.url, options)]
    try {
      const p = await a.profiles.create(profileInput())
      const entered = deferred()
      const release = deferred()
      const stuck = a.tokens.withRefreshLock(
        p.id,
        async () => (entered.resolve(), await release.promise, { patch: { accessToken: 'late' }, result: 1 }),
        {
          timeoutMs: 300,
          waitMs: 1000,
        },
      )
      await entered.promise
      // b waits on the row lock until the server ends a's idle transaction after 300 ms.
      expect(
        await b.tokens.withRefreshLock(p.id, async () => ({ patch: { accessToken: 'b' }, result: 2 }), {
          timeoutMs: 5000,
          waitMs: 5000,
        }),
      ).toBe(2)
      release.resolve()
      expect(await codeOf(stuck)).toBe('STORE_UNAVAILABLE')
      expect((await b.tokens.get(p.id))?.accessToken).toBe('b')
    } finally {
      await a.close()
      await b.close()
    }
  })
})
