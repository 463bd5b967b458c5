/**
 * Sessions in Redis, kept in memory while Redis tracks them (src/http/redis-session-cache.ts): two
 * instances on a private redis-server (so its command counters are this file's alone). A
 * logged-in user's requests stop costing GETs once the session was read; a logout, a change or a
 * deletion made anywhere else is seen on the very next request; a broken tracking connection
 * empties the cache; a client that cannot track, or `session.redisCache: false`, reads Redis every
 * time.
 */
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startPrivateRedis } from '../fixtures/redis-server.js'
import { waitFor } from '../fixtures/wait-for.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, me } from '../login/helpers.js'

const redis = await startPrivateRedis()
const SECRET = 'redis-session-cache-secret-0123456789'
const PREFIX = 'authdock-cache-test:sess:'

let admin: ReturnType<typeof createClient>
let clientA: ReturnType<typeof createClient>
let clientB: ReturnType<typeof createClient>
let a: TestApp
let b: TestApp

/** How many GETs Redis has executed since the counters were last reset. */
async function gets(): Promise<number> {
  const info = await admin.info('commandstats')
  return Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0)
}

async function logIn(browser: BrowserClient, app: TestApp): Promise<void> {
  const res = await browser.request(`${app.url}/auth/password`, {
    form: { _csrf: await csrfOf(browser, app), username: 'alice', password: 'alice-password', returnTo: '/me' },
  })
  expect(res.status).toBe(303)
}

/** A fresh browser logs in to `app`, then makes `requests` logged-in requests: resolves to Redis's GETs for them. */
async function getsForRequests(app: TestApp, requests: number): Promise<number> {
  const browser = new BrowserClient()
  await logIn(browser, app)
  await admin.configResetStat()
  for (let i = 0; i < requests; i++) expect((await me(browser, app)).status).toBe(200)
  return gets()
}

function sidOf(browser: BrowserClient, app: TestApp): string {
  const value = decodeURIComponent(browser.cookie(app.url, app.dock.config.session.cookieName) ?? '')
  return value.slice(2, value.lastIndexOf('.'))
}

/** The same browser on instance B: its session cookie copied over (one site behind a balancer). */
function alsoOn(browser: BrowserClient, from: TestApp, to: TestApp): void {
  const name = from.dock.config.session.cookieName
  browser.setCookie(to.url, name, browser.cookie(from.url, name)!)
}

async function trackerIds(): Promise<string[]> {
  const list = await admin.sendCommand<string>(['CLIENT', 'LIST'])
  return list
    .split('\n')
    .filter((line) => line.includes(' name=authdock-sessions '))
    .map((line) => /^id=(\d+)/.exec(line)![1])
}

/** An app on `client` whose info log lines are kept (the cache says there why it is off). */
async function appWithLog(client: ReturnType<typeof createClient>): Promise<{ app: TestApp; lines: string[] }> {
  const lines: string[] = []
  const logger = {
    debug: () => {},
    info: (_o: object, m?: string) => lines.push(m ?? ''),
    warn: () => {},
    error: () => {},
  }
  const app = await startTestApp({
    options: { session: { secret: SECRET, redis: client, redisPrefix: PREFIX }, logger },
  })
  return { app, lines }
}

describe.skipIf(!redis)('sessions kept in memory while Redis tracks them', () => {
  beforeAll(async () => {
    admin = createClient({ url: redis!.url })
    clientA = createClient({ url: redis!.url })
    clientB = createClient({ url: redis!.url })
    for (const c of [admin, clientA, clientB]) {
      c.on('error', () => {})
      await c.connect()
    }
    const session = (client: typeof clientA) => ({ secret: SECRET, redis: client, redisPrefix: PREFIX })
    a = await startTestApp({ options: { session: session(clientA) } })
    b = await startTestApp({ options: { session: session(clientB) } })
    await waitFor('both tracking connections', () => !!a.dock.sessionCache?.active && !!b.dock.sessionCache?.active)
  })

  afterAll(async () => {
    await a?.close()
    await b?.close()
    for (const c of [admin, clientA, clientB]) await c?.destroy()
    await redis?.close()
  })

  it('reads a session from Redis once, then answers its requests from memory', async () => {
    // The login's write does not fill the cache (only a tracked read may): one GET, then none.
    expect(await getsForRequests(a, 20)).toBe(1)
    expect(a.dock.sessionCache!.size).toBeGreaterThanOrEqual(1)
  })

  it('sees a logout made on another instance on the very next request', async () => {
    const browser = new BrowserClient()
    await logIn(browser, a)
    expect((await me(browser, a)).status).toBe(200)
    expect((await me(browser, a)).status).toBe(200) // from memory
    alsoOn(browser, a, b)
    expect((await me(browser, b)).status).toBe(200)
    const out = await browser.request(`${b.url}/auth/logout`, { form: { _csrf: await csrfOf(browser, b) } })
    expect(out.status).toBe(303)
    // Redis pushed the deletion to A's tracking connection before it answered B.
    const onA = await me(browser, a)
    expect(onA.status).toBe(401)
    expect(onA.body.error.code).toBe('UNAUTHENTICATED')
  })

  it('sees a session changed or deleted directly in Redis on the very next request', async () => {
    const browser = new BrowserClient()
    await logIn(browser, a)
    expect((await me(browser, a)).body.user.id).toBe('u-alice')
    expect((await me(browser, a)).body.user.id).toBe('u-alice') // from memory
    const key = `${PREFIX}${sidOf(browser, a)}`
    const stored = JSON.parse((await admin.get(key))!) as { passport: { user: { id: string } } }
    stored.passport.user.id = 'u-bob'
    await admin.set(key, JSON.stringify(stored), { KEEPTTL: true })
    expect((await me(browser, a)).body.user.id).toBe('u-bob')
    expect((await me(browser, a)).body.user.id).toBe('u-bob') // from memory again
    await admin.del(key)
    expect((await me(browser, a)).status).toBe(401)
  })

  it('empties the cache when the tracking connection breaks, and uses it again once tracking is back', async () => {
    const browser = new BrowserClient()
    await logIn(browser, a)
    expect((await me(browser, a)).status).toBe(200)
    const cache = a.dock.sessionCache!
    expect(cache.size).toBeGreaterThanOrEqual(1)
    // Redis closes the tracking connections; a deletion made while they are gone is pushed to no one.
    for (const id of await trackerIds()) await admin.sendCommand(['CLIENT', 'KILL', 'ID', id])
    await admin.del(`${PREFIX}${sidOf(browser, a)}`)
    expect(cache.size).toBe(0)
    expect((await me(browser, a)).status).toBe(401)

    await waitFor('tracking to be back', () => cache.active)
    expect(await getsForRequests(a, 5)).toBe(1)
  })

  it("reads Redis on every request when the host's client cannot be given a tracking duplicate", async () => {
    // node-redis's own client-side cache excludes emitInvalidate: the duplicate cannot be made.
    const cached = createClient({ url: redis!.url, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } })
    cached.on('error', () => {})
    await cached.connect()
    const { app: c, lines } = await appWithLog(cached)
    try {
      expect(c.dock.sessionCache).toBeUndefined()
      expect(lines.some((line) => line.startsWith('session cache off'))).toBe(true)
      const browser = new BrowserClient()
      await logIn(browser, c)
      for (let i = 0; i < 3; i++) expect((await me(browser, c)).status).toBe(200)
    } finally {
      await c.close()
      await cached.destroy()
    }
  })

  it('closes the tracking connection and reads Redis when Redis refuses tracking or it would log in as another user', async () => {
    const acl = (user: string, password: string) =>
      admin.sendCommand(['ACL', 'SETUSER', user, 'on', password, '~*', '&*', '+@all', '-client|tracking'])
    await acl('no-tracking', '>no-tracking-secret')
    await acl('no-password', 'nopass')
    const host = new URL(redis!.url).host
    // The duplicate logs in as the same user, and Redis refuses it CLIENT TRACKING (NOPERM).
    const refused = createClient({ url: `redis://no-tracking:no-tracking-secret@${host}` })
    // A user without a password: node-redis's RESP3 handshake (HELLO 3) then sends no AUTH, and the
    // duplicate would be Redis's `default` user.
    const otherUser = createClient({ url: `redis://no-password@${host}` })
    for (const [client, reason] of [
      [refused, 'the tracking connection failed before it was ready'],
      [otherUser, 'would log in as another Redis user'],
    ] as const) {
      client.on('error', () => {})
      await client.connect()
      const { app: c, lines } = await appWithLog(client)
      try {
        await waitFor(`"${reason}" in the log`, () => lines.some((line) => line.includes(reason)))
        expect(c.dock.sessionCache!.active).toBe(false)
        // No tracking connection is left behind.
        expect(await trackerIds()).toHaveLength(2) // A's and B's
        expect(await getsForRequests(c, 3)).toBe(3)
      } finally {
        await c.close()
        await client.destroy()
      }
    }
  })

  it('reads Redis on every request with session.redisCache: false', async () => {
    const c = await startTestApp({
      options: { session: { secret: SECRET, redis: clientA, redisPrefix: PREFIX, redisCache: false } },
    })
    try {
      expect(c.dock.sessionCache).toBeUndefined()
      expect(await getsForRequests(c, 5)).toBe(5)
    } finally {
      await c.close()
    }
  })
})
