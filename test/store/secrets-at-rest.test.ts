/**
 * Secrets never reach the disk in clear: the raw SQLite file bytes (with its WAL) and every
 * PostgreSQL row as text are searched for each secret written through the Store.
 */
import { existsSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.js'
import type { Store } from '../../src/store/types.js'
import { createPostgresDatabase, postgresAvailable, sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { profileInput } from './contract-helpers.js'

const SECRETS = {
  clientSecret: 'client-secret-DO-NOT-LEAK-1',
  accessToken: 'access-token-DO-NOT-LEAK-2',
  refreshToken: 'refresh-token-DO-NOT-LEAK-3',
  loginRefreshToken: 'login-refresh-DO-NOT-LEAK-4',
}

/** Writes every kind of secret, including an old value replaced later (it must not linger either). */
async function writeSecrets(store: Store): Promise<void> {
  const p = await store.profiles.create(profileInput({ clientSecret: `${SECRETS.clientSecret}-old` }))
  await store.profiles.update(p.id, profileInput({ clientSecret: SECRETS.clientSecret }))
  await store.tokens.save(p.id, { accessToken: SECRETS.accessToken, refreshToken: SECRETS.refreshToken })
  await store.tokens.withRefreshLock(
    p.id,
    async () => ({ patch: { accessToken: `${SECRETS.accessToken}-new` }, result: null }),
    {
      timeoutMs: 1000,
      waitMs: 1000,
    },
  )
  await store.loginTokens.put({
    deviceHash: 'device',
    providerId: 'p',
    userId: 'u',
    refreshToken: SECRETS.loginRefreshToken,
    expiresAt: new Date(Date.now() + 60_000),
  })
  // The secrets are really stored (and decrypt).
  expect(await store.profiles.getClientSecret(p.id)).toBe(SECRETS.clientSecret)
  expect((await store.loginTokens.get('device'))?.refreshToken).toBe(SECRETS.loginRefreshToken)
}

function expectNoSecret(text: string): void {
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret)
  expect(text).not.toContain('DO-NOT-LEAK')
}

const pgAvailable = await postgresAvailable()
const drops: Array<() => Promise<void>> = []
afterAll(async () => {
  // DROP DATABASE waits for a checkpoint each; dropped together they share one.
  await Promise.all(drops.map((drop) => drop()))
})

describe('secrets at rest', () => {
  it('the SQLite file and its WAL hold no secret in clear', async () => {
    const url = sqliteUrl()
    const file = url.slice('sqlite:'.length)
    const store = await openStore(url, { encryptionKeys: TEST_KEYS, now: () => Date.now() })
    await writeSecrets(store)
    // Read while open (the WAL holds the recent pages) and after close (checkpointed into the file).
    const whileOpen = [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1'))
    expect(whileOpen.join('').length).toBeGreaterThan(0)
    await store.close()
    const afterClose = [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1'))
    expectNoSecret([...whileOpen, ...afterClose].join('\n'))
    // Sanity: the search would find clear text (the profile name is stored as is).
    expect(afterClose.join('')).toContain('Mailbox')
  })

  it.skipIf(!pgAvailable)('no PostgreSQL row holds a secret in clear', async () => {
    const db = (await createPostgresDatabase())!
    drops.push(db.drop)
    const store = await openStore(db.url, { encryptionKeys: TEST_KEYS, now: () => Date.now() })
    try {
      await writeSecrets(store)
    } finally {
      await store.close()
    }
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      const { rows: tables } = await client.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
      )
      expect(tables.map((t) => t.tablename)).toEqual(
        expect.arrayContaining(['profiles', 'tokens', 'login_tokens', 'sessions', 'audit']),
      )
      let dump = ''
      for (const { tablename } of tables) {
        const { rows } = await client.query(`SELECT t::text AS row FROM "${tablename}" t`)
        dump += rows.map((r: { row: string }) => r.row).join('\n')
      }
      expectNoSecret(dump)
      expect(dump).toContain('Mailbox')
      expect(dump).toMatch(/v1\.[0-9a-f]{8}\./)
    } finally {
      await client.end()
    }
  })
})
