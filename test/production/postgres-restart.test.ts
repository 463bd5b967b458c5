/**
 * PostgreSQL restarted under a running app: while it is down, calls fail fast with
 * STORE_UNAVAILABLE (503 over HTTP) and nothing crashes; once it is back, the token provider and
 * the admin work again without restarting the app. Runs on a private PostgreSQL (the shared one
 * on 5432 is never restarted) and a real OpenID Provider.
 */
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startPrivatePostgres } from '../fixtures/private-postgres.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf } from '../login/helpers.js'
import { authorize, profileInput, startMailOp } from '../tokens/helpers.js'
import { tokenSetToPatch } from '../../src/oauth/client.js'
import { PgDb } from '../../src/store/postgres-db.js'
import { StoreSessionStore } from '../../src/store/session-store.js'
import { timed } from '../fixtures/timed.js'

const server = await startPrivatePostgres()

/** Every crash-worthy event while the tests run: none may happen. */
const crashes: unknown[] = []
const onCrash = (err: unknown) => crashes.push(err)

let op: OidcProviderFixture
let app: TestApp
let admin: BrowserClient
let profileId: string
/** Runs before the next request to a provider, once (to stop PostgreSQL in the middle of a refresh). */
let beforeProviderRequest: (() => Promise<void>) | null = null

/** The admin JSON API with the admin's session cookie. */
async function api(
  method: string,
  path = '',
  body?: unknown,
  csrf?: string,
): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now()
  const res = await fetch(`${app.url}${app.dock.config.paths.adminApi}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      cookie: `${app.dock.config.session.cookieName}=${admin.cookie(app.url, app.dock.config.session.cookieName)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(csrf ? { 'x-csrf-token': csrf } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: await res.json().catch(() => null), ms: Date.now() - started }
}

describe.skipIf(!server)('PostgreSQL restarted under a running app', () => {
  beforeAll(async () => {
    process.on('uncaughtException', onCrash)
    process.on('unhandledRejection', onCrash)
    op = await startMailOp()
    app = await startTestApp({
      database: server!.url,
      options: {
        fetch: async (input, init) => {
          const hook = beforeProviderRequest
          beforeProviderRequest = null
          if (hook) await hook()
          return globalThis.fetch(input, init)
        },
      },
    })
    // An authorized profile, as "renew authorization" leaves it.
    const profile = await app.dock.store.profiles.create(profileInput(op))
    profileId = profile.id
    const tokens = await authorize(op)
    await app.dock.store.tokens.save(profile.id, {
      ...tokenSetToPatch(tokens, app.clock.now(), 600),
      authorizedAt: new Date(app.clock.now()),
      authorizedAccount: 'alice',
    })
    // The admin logs in with a password; the session lives in PostgreSQL too.
    admin = new BrowserClient()
    const csrf = await csrfOf(admin, app)
    const login = await admin.request(`${app.url}/auth/password`, {
      form: { _csrf: csrf, username: 'alice', password: 'alice-password' },
    })
    expect(login.status).toBe(303)
  }, 60_000)

  afterAll(async () => {
    await app?.close()
    await op?.close()
    await server?.destroy()
    process.off('uncaughtException', onCrash)
    process.off('unhandledRejection', onCrash)
  })

  afterEach(() => {
    expect(crashes).toEqual([])
  })

  it('fails fast with STORE_UNAVAILABLE while down and recovers by itself once PostgreSQL is back', async () => {
    const before = await app.dock.tokens.getAccessToken(profileId, { forceRefresh: true })
    expect((await api('GET')).status).toBe(200)
    op.resetCounters()

    await server!.stop('fast')

    // A token still valid is served from memory: the mail module keeps working.
    expect(await app.dock.tokens.getAccessToken(profileId)).toBe(before)
    // Anything that needs the database fails at once with a code, and the provider is not asked.
    const refresh = await timed(app.dock.tokens.getAccessToken(profileId, { forceRefresh: true }))
    expect(refresh.error).toMatchObject({ name: 'AuthdockError', code: 'STORE_UNAVAILABLE', status: 503 })
    expect(refresh.ms).toBeLessThan(2000)
    expect(op.grants.refresh_token).toBeUndefined()
    const list = await api('GET')
    expect(list).toMatchObject({ status: 503, body: { error: { code: 'STORE_UNAVAILABLE' } } })
    expect(list.ms).toBeLessThan(2000)
    const page = await admin.request(`${app.url}${app.dock.config.paths.admin}`)
    expect(page.status).toBe(503)
    expect(await page.text()).toContain('<code id="error-code">STORE_UNAVAILABLE</code>')
    const health = await fetch(`${app.url}${app.dock.config.paths.health}`)
    expect(health.status).toBe(503)
    await health.arrayBuffer()
    // The session store's periodic prune reports the failure instead of crashing the host.
    const sessions = new StoreSessionStore(app.dock.store, { now: app.clock.now, pruneIntervalMs: 0 })
    expect(await sessions.prune()).toBe(0)

    await server!.start()

    // No restart of the app: the pool reconnects on the next call.
    const after = await app.dock.tokens.getAccessToken(profileId, { forceRefresh: true })
    expect(after).not.toBe(before)
    expect(op.grants.refresh_token).toBe(1)
    const again = await api('GET')
    expect(again.status).toBe(200)
    expect(again.body.profiles.map((p: { id: string }) => p.id)).toContain(profileId)
    // The admin's session survived in PostgreSQL; create and edit work.
    const csrf = (await api('GET', '/csrf')).body.csrfToken as string
    const created = await api(
      'POST',
      '',
      {
        name: 'After restart',
        grantType: 'authorization_code',
        authorizationUrl: `${op.issuer}/auth`,
        tokenUrl: `${op.issuer}/token`,
        clientId: 'mail-client',
        clientSecret: 'after-restart-secret-0123',
        scope: 'openid offline_access mail',
        valid: true,
      },
      csrf,
    )
    expect(created.status).toBe(201)
    const edited = await api('PATCH', `/${created.body.profile.id}`, { scope: 'openid offline_access' }, csrf)
    expect(edited.status).toBe(200)
    expect(edited.body.profile.scope).toBe('openid offline_access')
  }, 60_000)

  it('a refresh whose database connection drops under the row lock fails with STORE_UNAVAILABLE and the next one succeeds', async () => {
    op.resetCounters()
    // The crash-like stop happens while the refresh holds the token_locks row lock and the
    // provider is being asked.
    beforeProviderRequest = () => server!.stop('immediate')
    const dropped = await timed(app.dock.tokens.getAccessToken(profileId, { forceRefresh: true }))
    expect(dropped.error).toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(op.grants.refresh_token).toBe(1) // the provider answered; the write was lost with the connection

    await server!.start()
    const token = await app.dock.tokens.getAccessToken(profileId, { forceRefresh: true })
    expect(token).toEqual(expect.any(String))
    expect(op.grants.refresh_token).toBe(2)
    // The lock is free for everybody: another holder gets it at once.
    const result = await app.dock.store.tokens.withRefreshLock(
      profileId,
      async () => ({ patch: null, result: 'held' }),
      { timeoutMs: 5000, waitMs: 1000 },
    )
    expect(result).toBe('held')
  }, 60_000)

  it('a transaction whose server goes away between two statements fails with STORE_UNAVAILABLE, not a crash', async () => {
    const pool = new pg.Pool({ connectionString: server!.url, max: 2 })
    pool.on('error', () => undefined)
    const db = new PgDb(pool, pool)
    try {
      const failed = await timed(
        db.transaction(async (tx) => {
          await tx.get('SELECT 1 AS one')
          const client = (tx as unknown as { target: pg.PoolClient }).target
          const gone = new Promise((resolve) => client.once('end', resolve))
          await server!.stop('fast')
          await gone // the client has seen the end of its connection (and emitted 'error')
          return tx.get('SELECT 1 AS one')
        }),
      )
      expect(failed.error).toMatchObject({ code: 'STORE_UNAVAILABLE' })
      await server!.start()
      expect(await db.transaction((tx) => tx.get<{ one: number }>('SELECT 1 AS one'))).toEqual({ one: 1 })
    } finally {
      await pool.end()
    }
  }, 60_000)
})
