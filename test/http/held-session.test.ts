/**
 * A logged-in request whose session this process holds in memory (the Redis session cache, or the
 * SQLite store's) does not run express-session unless something touches `req.session`
 * (src/http/held-session.ts). What must not change: who is logged in, what the session holds, what
 * a change saves, which cookies are accepted. Each case here is answered as express-session answers
 * it, and says whether express-session ran. Both stores run every case.
 */
import { createHmac } from 'node:crypto'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { clearRedisPrefix, REDIS_URL, redisAvailable } from '../fixtures/redis-server.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { waitFor } from '../fixtures/wait-for.js'
import { heldSessionData } from '../../src/http/held-session.js'
import { csrfOf } from '../login/helpers.js'

const hasRedis = await redisAvailable('the held-session tests')
const SECRET = 'held-session-secret-0123456789'
/** An older secret, still accepted (session.secret as a list: the first signs). */
const OLD_SECRET = 'held-session-old-secret-0123456789'
const PREFIX = 'authdock-held-test:sess:'

let client: ReturnType<typeof createClient> | undefined
let app: TestApp

/** What a host route saw: the user, and whether express-session had run for the request. */
interface Probe {
  user: string | null
  expressSessionRan: boolean
}

/** The app with its sessions in Redis (cached) or in the SQLite store; the store's session JSON of `sid`. */
async function startApp(kind: 'redis' | 'sqlite'): Promise<void> {
  const session =
    kind === 'redis'
      ? { secret: [SECRET, OLD_SECRET], redis: client!, redisPrefix: PREFIX }
      : { secret: [SECRET, OLD_SECRET] }
  app = await startTestApp({
    options: { session },
    mount: (host) => {
      // Touches nothing of the session.
      host.get('/probe', (req, res) => {
        res.json({
          user: (req.user as { id?: string } | undefined)?.id ?? null,
          expressSessionRan: heldSessionData(req) === undefined,
        } satisfies Probe)
      })
      // Reads it: express-session runs at that moment.
      host.get('/peek', (req, res) => {
        const held = heldSessionData(req) !== undefined
        res.json({
          heldBefore: held,
          sessionID: req.sessionID,
          user: (req.session as { passport?: { user?: { id?: string } } }).passport?.user?.id ?? null,
          hasSave: typeof req.session.save === 'function',
          storeIsSet: req.sessionStore !== undefined,
        })
      })
      // Changes it.
      host.get('/visits', (req, res) => {
        const session = req.session as unknown as { visits?: number }
        session.visits = (session.visits ?? 0) + 1
        res.json({ visits: session.visits })
      })
    },
  })
  if (kind === 'redis') await waitFor('the session cache to track', () => !!app.dock.sessionCache?.active)
}

async function storedSession(sid: string): Promise<Record<string, unknown> | null> {
  const json =
    client && app.dock.sessionCache
      ? await client.get(`${PREFIX}${sid}`)
      : (await app.dock.store.sessions.get(sid))?.data
  return json ? (JSON.parse(json) as Record<string, unknown>) : null
}

beforeAll(async () => {
  if (!hasRedis) return
  client = createClient({ url: REDIS_URL })
  client.on('error', () => {})
  await client.connect()
})

afterAll(async () => {
  await client?.destroy()
  if (hasRedis) await clearRedisPrefix(PREFIX)
})

async function loggedIn(): Promise<BrowserClient> {
  const browser = new BrowserClient()
  const res = await browser.request(`${app.url}/auth/password`, {
    form: { _csrf: await csrfOf(browser, app), username: 'alice', password: 'alice-password' },
  })
  expect(res.status).toBe(303)
  // The first request reads Redis (and the cache keeps the answer); the next ones are held.
  await probe(browser)
  return browser
}

async function probe(browser: BrowserClient): Promise<Probe> {
  const res = await browser.request(`${app.url}/probe`)
  expect(res.status).toBe(200)
  return (await res.json()) as Probe
}

function cookieOf(browser: BrowserClient): string {
  return decodeURIComponent(browser.cookie(app.url, app.dock.config.session.cookieName)!)
}

const sidOf = (browser: BrowserClient) => cookieOf(browser).slice(2, cookieOf(browser).lastIndexOf('.'))

/** A request with exactly this Cookie header (no browser jar). */
async function probeWith(cookieHeader: string): Promise<Probe> {
  const res = await fetch(`${app.url}/probe`, { headers: { cookie: cookieHeader } })
  expect(res.status).toBe(200)
  return (await res.json()) as Probe
}

const name = () => app.dock.config.session.cookieName
const signed = (sid: string, secret: string) =>
  `s:${sid}.${createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '')}`

describe.each([
  { kind: 'redis' as const, skip: !hasRedis },
  { kind: 'sqlite' as const, skip: false },
])('a held session ($kind) runs express-session only when touched', ({ kind, skip }) => {
  beforeAll(async () => {
    if (!skip) await startApp(kind)
  })
  afterAll(async () => {
    await app?.close()
  })
  // Without Redis its cases are reported skipped (redisAvailable said why); in CI Redis is there.
  const it = test.skipIf(skip)
  it('sets req.user from the held session without running express-session, and sends no cookie', async () => {
    const browser = await loggedIn()
    const res = await browser.request(`${app.url}/probe`)
    expect(await res.json()).toEqual({ user: 'u-alice', expressSessionRan: false })
    expect(res.headers.get('set-cookie')).toBeNull()
  })

  it("gives a route that reads req.session, req.sessionID and req.sessionStore express-session's own, loaded then", async () => {
    const browser = await loggedIn()
    const res = await browser.request(`${app.url}/peek`)
    expect(await res.json()).toEqual({
      heldBefore: true,
      sessionID: sidOf(browser),
      user: 'u-alice',
      hasSave: true,
      storeIsSet: true,
    })
  })

  it('saves a change made by the host and shows it on the next request', async () => {
    const browser = await loggedIn()
    const visit = async () => (await (await browser.request(`${app.url}/visits`)).json()) as { visits: number }
    expect(await visit()).toEqual({ visits: 1 })
    expect(await visit()).toEqual({ visits: 2 })
    expect((await storedSession(sidOf(browser)))?.visits).toBe(2)
    // Still logged in, and held again once the cache has the new value.
    await probe(browser)
    expect(await probe(browser)).toEqual({ user: 'u-alice', expressSessionRan: false })
  })

  it('refuses a cookie whose signature is wrong, also after the right one was seen', async () => {
    const browser = await loggedIn()
    const good = cookieOf(browser)
    expect(await probeWith(`${name()}=${encodeURIComponent(good)}`)).toEqual({
      user: 'u-alice',
      expressSessionRan: false,
    })
    const last = good.at(-1) === 'A' ? 'B' : 'A'
    const forged = `${good.slice(0, -1)}${last}`
    expect(await probeWith(`${name()}=${encodeURIComponent(forged)}`)).toEqual({ user: null, expressSessionRan: true })
    // The same id signed with a secret authdock does not have.
    const sid = sidOf(browser)
    expect(await probeWith(`${name()}=${encodeURIComponent(signed(sid, 'not-the-secret'))}`)).toEqual({
      user: null,
      expressSessionRan: true,
    })
    // An unsigned id.
    expect(await probeWith(`${name()}=${sid}`)).toEqual({ user: null, expressSessionRan: true })
  })

  it('accepts a cookie signed with an older secret still in session.secret, as express-session does', async () => {
    const browser = await loggedIn()
    const old = signed(sidOf(browser), OLD_SECRET)
    expect(await probeWith(`${name()}=${encodeURIComponent(old)}`)).toEqual({
      user: 'u-alice',
      expressSessionRan: false,
    })
  })

  it('reads the first of two session cookies, as express-session does', async () => {
    const browser = await loggedIn()
    const good = encodeURIComponent(cookieOf(browser))
    expect(await probeWith(`${name()}=${good}; ${name()}=s%3Aother.sig`)).toEqual({
      user: 'u-alice',
      expressSessionRan: false,
    })
    expect(await probeWith(`${name()}=s%3Aother.sig; ${name()}=${good}`)).toEqual({
      user: null,
      expressSessionRan: true,
    })
    // Spaces around the name and a quoted value are the same cookie to both.
    expect(await probeWith(`other=1;  ${name()} = "${good}"`)).toEqual({ user: 'u-alice', expressSessionRan: false })
  })

  it('drops a user the host no longer knows from the held session, and saves that', async () => {
    const browser = await loggedIn()
    const alice = app.users.findIndex((u) => u.id === 'u-alice')
    const [removed] = app.users.splice(alice, 1)
    try {
      expect(await probe(browser)).toEqual({ user: null, expressSessionRan: true })
    } finally {
      app.users.splice(alice, 0, removed)
    }
    // Known again, but the session no longer names her: the drop was saved.
    expect((await probe(browser)).user).toBeNull()
    const stored = (await storedSession(sidOf(browser))) as { passport?: { user?: unknown } } | null
    expect(stored).not.toBeNull()
    expect(stored!.passport?.user).toBeUndefined()
  })

  it('logs out through authdock (which loads the session) as before', async () => {
    const browser = await loggedIn()
    const res = await browser.request(`${app.url}/auth/logout`, { form: { _csrf: await csrfOf(browser, app) } })
    expect(res.status).toBe(303)
    expect((await probe(browser)).user).toBeNull()
  })
})
