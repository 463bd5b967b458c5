/**
 * A session ends `session.maxAgeMs` after login however often it is used or changed: a copied
 * cookie cannot be kept alive by using it, and neither the stored session nor the browser's cookie
 * is extended. A request that changes nothing in the session writes nothing to the store.
 */
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { createPostgresDatabase, postgresAvailable, sqliteUrl } from '../fixtures/databases.js'
import { clearRedisPrefix, REDIS_URL, redisAvailable } from '../fixtures/redis-server.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, me, sessionCookie } from './helpers.js'

const HOUR = 60 * 60_000
const MAX_AGE_MS = 8 * HOUR

// Skip with a message when PostgreSQL or Redis is absent (never in CI: both throw there).
const hasPostgres = await postgresAvailable()
const hasRedis = await redisAvailable('the Redis session lifetime test')

const cleanups: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  vi.useRealTimers()
  while (cleanups.length) await cleanups.pop()!()
})

async function appOn(kind: 'sqlite' | 'postgres'): Promise<TestApp> {
  let database = sqliteUrl()
  if (kind === 'postgres') {
    const db = (await createPostgresDatabase())!
    cleanups.push(() => db.drop())
    database = db.url
  }
  const app = await startTestApp({
    database,
    options: { session: { secret: randomBytes(24).toString('hex'), maxAgeMs: MAX_AGE_MS } },
  })
  cleanups.push(() => app.close())
  return app
}

async function logIn(app: TestApp): Promise<BrowserClient> {
  const browser = new BrowserClient()
  const res = await browser.request(`${app.url}/auth/password`, {
    form: { _csrf: await csrfOf(browser, app), username: 'alice', password: 'alice-password' },
  })
  expect(res.status).toBe(303)
  return browser
}

/** An admin page: its first visit puts a CSRF token into the session (a change that is saved). */
async function adminPage(browser: BrowserClient, app: TestApp): Promise<number> {
  const res = await browser.request(`${app.url}${app.dock.config.paths.admin}`)
  await res.arrayBuffer()
  return res.status
}

const sidOf = (browser: BrowserClient, app: TestApp) =>
  decodeURIComponent(sessionCookie(browser, app)!).slice(2).split('.')[0]
const cookieExpiresOf = (browser: BrowserClient, app: TestApp) =>
  browser.cookies.get(new URL(app.url).host)?.get(app.dock.config.session.cookieName)?.expires

/** Every write of the session store (save, touch, destroy) from now on. */
function sessionWrites(app: TestApp): string[] {
  const writes: string[] = []
  const sessions = app.dock.store.sessions as unknown as Record<string, unknown>
  for (const name of ['set', 'touch', 'destroy']) {
    const original = sessions[name]
    if (typeof original !== 'function') continue
    sessions[name] = (...args: unknown[]) => {
      writes.push(name)
      return (original as (...a: unknown[]) => unknown).apply(sessions, args)
    }
  }
  return writes
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe.skipIf(kind === 'postgres' && !hasPostgres)(`sessions in the ${kind} store`, () => {
    it('end session.maxAgeMs after login although used (and changed) every 7 h', async () => {
      const app = await appOn(kind)
      const browser = await logIn(app)
      app.clock.advance(7 * HOUR)
      expect((await me(browser, app)).status).toBe(200)
      expect(await adminPage(browser, app)).toBe(200)
      app.clock.advance(HOUR + 1_000)
      const after = await me(browser, app)
      expect(after.status).toBe(401)
      expect(after.body.error.code).toBe('UNAUTHENTICATED')
      expect(await app.dock.store.sessions.get(sidOf(browser, app))).toBeNull()
    })

    it('write nothing for requests that change nothing in the session', async () => {
      const app = await appOn(kind)
      const browser = await logIn(app)
      const writes = sessionWrites(app)
      // The first admin page creates the session's CSRF token: the one change, saved once.
      expect(await adminPage(browser, app)).toBe(200)
      expect(writes).toEqual(['set'])
      writes.length = 0
      for (let i = 0; i < 3; i++) {
        app.clock.advance(HOUR)
        expect((await me(browser, app)).status).toBe(200)
        expect(await adminPage(browser, app)).toBe(200)
        expect((await browser.request(`${app.url}/`)).status).toBe(200)
        expect((await browser.request(`${app.url}${app.dock.config.paths.health}/ready`)).status).toBe(200)
      }
      expect(writes).toEqual([])
    })
  })
}

describe('the session cookie and stored expiry after a change 7 h into the session', () => {
  /** Logs in, then moves Date (express-session's clock) and the app's clock 7 h on and changes the session. */
  async function changeLater(app: TestApp) {
    const browser = await logIn(app)
    const atLogin = cookieExpiresOf(browser, app)
    expect(atLogin).toBeGreaterThan(Date.now() + MAX_AGE_MS - 60_000)
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 7 * HOUR })
    expect(await adminPage(browser, app)).toBe(200)
    return { browser, atLogin: atLogin!, afterChange: cookieExpiresOf(browser, app)! }
  }

  it('keeps both in the SQLite store', async () => {
    const app = await appOn('sqlite')
    const { browser, atLogin, afterChange } = await changeLater(app)
    expect(afterChange).toBe(atLogin)
    const stored = await app.dock.store.sessions.get(sidOf(browser, app))
    expect(Math.abs(stored!.expiresAt.getTime() - atLogin)).toBeLessThan(1_000)
  })

  it.skipIf(!hasRedis)('keeps both in Redis (the key expires with the cookie)', async () => {
    const client = createClient({ url: REDIS_URL })
    await client.connect()
    const prefix = `authdock-test:${randomBytes(6).toString('hex')}:sess:`
    cleanups.push(async () => {
      await clearRedisPrefix(prefix)
      await client.quit()
    })
    const app = await startTestApp({
      options: {
        session: { secret: randomBytes(24).toString('hex'), maxAgeMs: MAX_AGE_MS, redis: client, redisPrefix: prefix },
      },
    })
    cleanups.push(() => app.close())
    const { browser, atLogin, afterChange } = await changeLater(app)
    expect(afterChange).toBe(atLogin)
    const ttl = await client.pTTL(`${prefix}${sidOf(browser, app)}`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(HOUR + 1_000)
  })
})
