/**
 * What a login and a logged-in request write to the session store, counted at the store (the
 * SQLite store's sessions, or the Redis commands connect-redis sends): a login writes its new
 * session once, under a new id, before the redirect, and destroys the session it replaced after
 * the answer; a request that changes nothing in the session writes nothing.
 */
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider } from '../fixtures/oidc-provider.js'
import { clearRedisPrefix, REDIS_URL, redisAvailable } from '../fixtures/redis-server.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, me, sessionCookie } from './helpers.js'

const hasRedis = await redisAvailable('the Redis session write counts')

const CLIENT = { clientId: 'writes-app', clientSecret: 'writes-app-secret-0123456789' }

const cleanups: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A real provider for one app, with the app's callback registered. */
async function providerFor(baseUrl: string) {
  const op = await startOidcProvider({
    clients: [
      {
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        redirect_uris: [`${baseUrl}/auth/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
  })
  cleanups.push(() => op.close())
  return { issuer: op.issuer, ...CLIENT }
}

/** One write at the store: what it did and to which session id. */
type Write = [kind: 'set' | 'destroy' | 'touch', sid: string]

interface Counted {
  app: TestApp
  writes: Write[]
}

/** A test app on the SQLite store, with every session write counted at `store.sessions`. */
async function onSqlite(): Promise<Counted> {
  const writes: Write[] = []
  const app = await startTestApp({
    oidc: providerFor,
  })
  cleanups.push(() => app.close())
  const sessions = app.dock.store.sessions as unknown as Record<string, (...args: unknown[]) => unknown>
  for (const name of ['set', 'destroy'] as const) {
    const original = sessions[name]
    sessions[name] = (...args: unknown[]) => {
      writes.push([name, String(args[0])])
      return original.apply(sessions, args)
    }
  }
  return { app, writes }
}

/** A test app on Redis sessions, with every writing Redis command counted at the client. */
async function onRedis(): Promise<Counted> {
  const writes: Write[] = []
  const client = createClient({ url: REDIS_URL })
  await client.connect()
  const prefix = `authdock-test:${randomBytes(6).toString('hex')}:sess:`
  cleanups.push(async () => {
    await clearRedisPrefix(prefix)
    await client.quit()
  })
  const kinds: Record<string, Write[0]> = { set: 'set', del: 'destroy', expire: 'touch' }
  const counting = new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      const kind = typeof prop === 'string' ? kinds[prop] : undefined
      return (...args: unknown[]) => {
        if (kind) {
          for (const key of [args[0]].flat()) writes.push([kind, String(key).slice(prefix.length)])
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  const app = await startTestApp({
    oidc: providerFor,
    options: { session: { secret: randomBytes(24).toString('hex'), redis: counting, redisPrefix: prefix } },
  })
  cleanups.push(() => app.close())
  return { app, writes }
}

const sidOf = (browser: BrowserClient, app: TestApp) =>
  decodeURIComponent(sessionCookie(browser, app)!).slice(2).split('.')[0]

/** Waits for the destroy that follows the answer, then returns the writes and forgets them. */
async function writesUntilDestroyOf(counted: Counted, sid: string): Promise<Write[]> {
  await vi.waitFor(() => expect(counted.writes).toContainEqual(['destroy', sid]))
  return counted.writes.splice(0)
}

const backends = [
  ['SQLite', onSqlite, true],
  ['Redis', onRedis, hasRedis],
] as const

for (const [name, start, available] of backends) {
  describe.skipIf(!available)(`sessions in ${name}`, () => {
    it('an OIDC login writes the new session once, under a new id, and destroys the one it replaced', async () => {
      const counted = await start()
      const { app } = counted
      const browser = new BrowserClient()
      const begin = await browser.request(`${app.url}/auth/login?returnTo=/me`)
      expect(begin.status).toBe(302)
      const before = sidOf(browser, app)
      // The login's start keeps PKCE verifier, state and nonce in the session: one write.
      expect(counted.writes.splice(0)).toEqual([['set', before]])

      const landed = await browser.navigate(begin.headers.get('location')!)
      expect(landed.url).toBe(`${app.url}/me`)
      expect(JSON.parse(landed.body).user).toMatchObject({ id: 'u-alice' })
      const after = sidOf(browser, app)
      expect(after).not.toBe(before)
      // The callback: one save of the new session; the old one goes after the answer.
      expect(await writesUntilDestroyOf(counted, before)).toEqual([
        ['set', after],
        ['destroy', before],
      ])
      expect((await me(browser, app)).status).toBe(200)
      expect(counted.writes).toEqual([])
    })

    it('a password login writes the new session once, under a new id, and destroys the one it replaced', async () => {
      const counted = await start()
      const { app } = counted
      const browser = new BrowserClient()
      const csrf = await csrfOf(browser, app)
      const before = sidOf(browser, app)
      const cookieBefore = `${app.dock.config.session.cookieName}=${sessionCookie(browser, app)}`
      counted.writes.length = 0
      const res = await browser.request(`${app.url}/auth/password`, {
        form: { _csrf: csrf, username: 'alice', password: 'alice-password' },
      })
      expect(res.status).toBe(303)
      const after = sidOf(browser, app)
      expect(after).not.toBe(before)
      expect(await writesUntilDestroyOf(counted, before)).toEqual([
        ['set', after],
        ['destroy', before],
      ])
      expect((await me(browser, app)).status).toBe(200)
      // The cookie from before the login names no session any more (it never held a user).
      const old = await fetch(`${app.url}/me`, { headers: { cookie: cookieBefore, accept: 'application/json' } })
      expect(old.status).toBe(401)
      expect(counted.writes).toEqual([])
    })

    it('writes nothing for logged-in requests that change nothing in the session', async () => {
      const counted = await start()
      const { app } = counted
      const browser = new BrowserClient()
      const res = await browser.request(`${app.url}/auth/password`, {
        form: { _csrf: await csrfOf(browser, app), username: 'alice', password: 'alice-password' },
      })
      expect(res.status).toBe(303)
      await vi.waitFor(() => expect(counted.writes.some(([kind]) => kind === 'destroy')).toBe(true))
      counted.writes.length = 0
      for (let i = 0; i < 5; i++) {
        expect((await me(browser, app)).status).toBe(200)
        expect(await (await browser.request(`${app.url}/`)).text()).toBe('home of u-alice')
      }
      expect(counted.writes).toEqual([])
    })
  })
}
