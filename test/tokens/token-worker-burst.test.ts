/**
 * A ticket system's layout: one web instance (createAuthdock) and two mail worker processes that
 * open only `authdock/tokens` with the database URL and the key, all on one PostgreSQL database.
 * 200 callers spread over the three processes ask for the token of a profile whose access token has
 * expired: the provider sees exactly one refresh request, and every caller gets that one token.
 */
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { createPostgresDatabase, postgresAvailable, TEST_KEYS } from '../fixtures/databases.js'
import { introspect } from '../fixtures/smtp-server.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { authorizedProfile, introspectionOf, makeContext, startMailOp, type TokenTestContext } from './helpers.js'
import { killAll, startWorker, type IpcWorker, type Result } from './ipc-worker.js'

const MAIL_WORKER = fileURLToPath(new URL('./mail-worker.ts', import.meta.url))
const hash = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 16)

// Skips with a message when PostgreSQL is absent (never in CI: postgresAvailable() throws there).
const hasPostgres = await postgresAvailable()

describe.skipIf(!hasPostgres)('a web instance and two token-only mail workers on PostgreSQL', () => {
  let op: OidcProviderFixture
  let database: { url: string; drop(): Promise<void> }
  let setup: TokenTestContext
  let web: TestApp
  const workers: IpcWorker[] = []

  beforeAll(async () => {
    op = await startMailOp()
    database = (await createPostgresDatabase())!
  })
  afterAll(async () => {
    killAll(workers)
    await web?.close()
    await setup?.close()
    await database?.drop()
    await op?.close()
  })

  it('200 callers across the three processes on an expired token cause exactly 1 refresh request and all get that token', async () => {
    // The web instance creates the schema; the profile is authorized as "renew authorization" would.
    web = await startTestApp({ database: database.url, options: { encryptionKey: TEST_KEYS[0] } })
    setup = await makeContext({ database: database.url })
    const { profile } = await authorizedProfile(setup, op)
    await setup.store.tokens.save(profile.id, { accessTokenExpiresAt: new Date(Date.now() - 1000) })
    op.resetCounters()

    const args = { database: database.url, encryptionKey: TEST_KEYS[0], profileId: profile.id, burst: 67 }
    workers.push(startWorker(MAIL_WORKER, args), startWorker(MAIL_WORKER, args))
    const ready = await Promise.all(workers.map((w) => w.next<{ type: string; packages: string[] }>('ready')))
    for (const { packages } of ready) {
      expect(packages).not.toContain('express')
      expect(packages).not.toContain('passport')
      expect(packages).not.toContain('ejs')
    }

    for (const w of workers) w.child.send({ type: 'go' })
    const inWeb = Promise.all(
      Array.from({ length: 66 }, () =>
        web.dock.tokens.getAccessToken(profile.id).then(
          (token): Result => ({ ok: true, hash: hash(token) }),
          (err: { code?: string }): Result => ({ ok: false, code: err.code ?? 'UNKNOWN' }),
        ),
      ),
    )
    const done = await Promise.all(workers.map((w) => w.next('done')))
    const results = [...(await inWeb), ...done.flatMap((d) => d.results ?? [])]

    expect(results).toHaveLength(200)
    expect(results.filter((r) => !r.ok)).toEqual([])
    const hashes = new Set(results.map((r) => (r as { hash: string }).hash))
    expect(hashes.size).toBe(1)
    expect(op.requests['/token']).toBe(1)
    expect(op.grants.refresh_token).toBe(1)

    // The one token is the stored, refreshed one, and the provider says it is valid.
    const stored = await setup.store.tokens.get(profile.id)
    expect(stored?.status).toBe('ok')
    expect(hashes).toEqual(new Set([hash(stored!.accessToken!)]))
    expect(stored!.accessTokenExpiresAt!.getTime()).toBeGreaterThan(Date.now())
    expect(await introspect(introspectionOf(op), stored!.accessToken!)).toMatchObject({ active: true, sub: 'alice' })
  })
})
