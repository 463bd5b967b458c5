/**
 * Several processes sharing one database (PostgreSQL, and a SQLite file) refresh a token exactly
 * once between them, and a process killed (-9) while it holds the refresh lock costs no refresh
 * token: the others take over and the stored refresh token still works.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTokenProvider } from '../../src/tokens/index.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { createPostgresDatabase, postgresAvailable, sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { authorizedProfile, makeContext, startMailOp, type TokenTestContext } from './helpers.js'
import { killAll, startWorker as startScript, type IpcWorker } from './ipc-worker.js'

const WORKER = fileURLToPath(new URL('./burst-worker.ts', import.meta.url))
const startWorker = (args: Record<string, unknown>) => startScript(WORKER, args)

// Skips with a message when PostgreSQL is absent (never in CI: postgresAvailable() throws there).
const hasPostgres = await postgresAvailable()

const KINDS = [
  // PostgreSQL releases the lock with the dead holder's connection.
  { kind: 'postgres', skip: !hasPostgres, lockTimeoutMs: 20_000 },
  // SQLite's lock is a lease: the dead holder's lease runs out after lockTimeoutMs. It must exceed the
  // provider timeout (5 s here), which a loaded machine needs for the takeover's refresh.
  { kind: 'sqlite', skip: false, lockTimeoutMs: 8_000 },
] as const

for (const { kind, skip, lockTimeoutMs } of KINDS)
  describe.skipIf(skip)(`refresh across processes sharing ${kind}`, () => {
    let op: OidcProviderFixture
    let t: TokenTestContext
    let database: { url: string; drop(): Promise<void> } | undefined
    const workers: IpcWorker[] = []

    beforeAll(async () => {
      op = await startMailOp()
    })
    afterAll(async () => {
      await op.close()
    })
    afterEach(async () => {
      killAll(workers)
      await t?.close()
      await database?.drop()
      database = undefined
    })

    async function expiredProfile(): Promise<{ profileId: string; args: Record<string, unknown> }> {
      database = kind === 'postgres' ? (await createPostgresDatabase())! : { url: sqliteUrl(), drop: async () => {} }
      t = await makeContext({ database: database.url })
      const { profile } = await authorizedProfile(t, op)
      await t.store.tokens.save(profile.id, { accessTokenExpiresAt: new Date(Date.now() - 1000) })
      op.resetCounters()
      return {
        profileId: profile.id,
        args: {
          database: database.url,
          encryptionKey: TEST_KEYS[0],
          profileId: profile.id,
          burst: 200,
          hang: false,
          lockTimeoutMs,
        },
      }
    }

    it('4 processes × 200 callers on an expired token cause exactly 1 refresh request', async () => {
      const { args } = await expiredProfile()
      for (let i = 0; i < 4; i++) workers.push(startWorker(args))
      await Promise.all(workers.map((w) => w.next('ready')))
      for (const w of workers) w.child.send({ type: 'go' })
      const done = await Promise.all(workers.map((w) => w.next('done')))
      const results = done.flatMap((d) => d.results ?? [])
      expect(results).toHaveLength(800)
      expect(results.filter((r) => !r.ok)).toEqual([])
      expect(new Set(results.map((r) => (r as { hash: string }).hash)).size).toBe(1)
      expect(op.grants.refresh_token).toBe(1)
    })

    it('kill -9 of the process holding the lock mid-refresh: the others recover, no refresh token is lost', async () => {
      const { profileId, args } = await expiredProfile()
      const stuck = startWorker({ ...args, hang: true, burst: 1 })
      workers.push(stuck)
      await stuck.next('ready')
      stuck.child.send({ type: 'go' })
      await stuck.next('hanging') // it holds the lock and waits for the provider forever

      const others = [startWorker(args), startWorker(args)]
      workers.push(...others)
      await Promise.all(others.map((w) => w.next('ready')))
      for (const w of others) w.child.send({ type: 'go' })
      const exited = new Promise((resolve) => stuck.child.once('exit', resolve))
      stuck.child.kill('SIGKILL')
      await exited

      const done = await Promise.all(others.map((w) => w.next('done')))
      const results = done.flatMap((d) => d.results ?? [])
      expect(results.filter((r) => !r.ok)).toEqual([])
      expect(new Set(results.map((r) => (r as { hash: string }).hash)).size).toBe(1)
      expect(op.grants.refresh_token).toBe(1)

      // The stored refresh token still works.
      const again = await createTokenProvider(t.ctx).getAccessToken(profileId, { forceRefresh: true })
      expect(again).toBeTruthy()
      expect(op.grants.refresh_token).toBe(2)
      expect((await t.store.tokens.get(profileId))?.status).toBe('ok')
    })
  })
