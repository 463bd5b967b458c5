/**
 * Redis restarted under load: sessions live in a private redis-server (nothing persisted), a
 * logged-in user keeps requesting. While Redis is down or frozen, every request that needs the
 * session (once the session cache no longer trusts a frozen Redis: TRUST_MS) fails fast (well under
 * a second) with 503 SESSION_STORE_UNAVAILABLE — JSON for API
 * clients, a page for browsers — and nothing crashes, though the host's node-redis client has no
 * 'error' listener of its own. Once Redis is back the app recovers by itself: the session is gone
 * (Redis kept nothing), so the user gets 401 or the login, and a new login works.
 */
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startPrivateRedis } from '../fixtures/redis-server.js'
import { waitFor } from '../fixtures/wait-for.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, JSON_ACCEPT, shownCode } from '../login/helpers.js'
import { resolveConfig, type Logger } from '../../src/config.js'
import { AuthdockError } from '../../src/errors.js'
import { TRUST_MS } from '../../src/http/redis-session-cache.js'

const redis = await startPrivateRedis()

/** Anything that would crash a host: none may happen. */
const crashes: unknown[] = []
const onCrash = (err: unknown) => crashes.push(err)
const logLines: string[] = []
const logger: Logger = {
  debug: () => {},
  info: (obj, msg) => logLines.push(`info ${JSON.stringify(obj)} ${msg ?? ''}`),
  warn: (obj, msg) => logLines.push(`warn ${JSON.stringify(obj)} ${msg ?? ''}`),
  error: (obj, msg) => logLines.push(`error ${JSON.stringify(obj)} ${msg ?? ''}`),
}

const REDIS_TIMEOUT_MS = 300
let client: ReturnType<typeof createClient>
let app: TestApp
let reconnects = 0

async function logIn(browser: BrowserClient): Promise<void> {
  const csrf = await csrfOf(browser, app)
  const res = await browser.request(`${app.url}/auth/password`, {
    form: { _csrf: csrf, username: 'alice', password: 'alice-password', returnTo: '/me' },
  })
  expect(res.status).toBe(303)
}

interface Answer {
  status: number
  ms: number
  code?: string
  body: string
  retryAfter: string | null
  location: string | null
  contentType: string | null
}

/** One request with the browser's cookies, timed. `as: 'api'` asks for JSON, `as: 'page'` for HTML. */
async function ask(browser: BrowserClient, path: string, as: 'api' | 'page'): Promise<Answer> {
  const started = performance.now()
  const res = await browser.request(`${app.url}${path}`, {
    headers: as === 'api' ? JSON_ACCEPT : { accept: 'text/html' },
  })
  const body = await res.text()
  const ms = performance.now() - started
  let code: string | undefined
  if (as === 'api') {
    try {
      code = (JSON.parse(body) as { error?: { code?: string } }).error?.code
    } catch {
      code = undefined
    }
  } else code = shownCode(body) ?? /<code>([A-Z_]+)<\/code>/.exec(body)?.[1]
  return {
    status: res.status,
    ms,
    code,
    body,
    retryAfter: res.headers.get('retry-after'),
    location: res.headers.get('location'),
    contentType: res.headers.get('content-type'),
  }
}

/** Poll until `done` holds for an answer (readiness awaited, bounded); returns that answer. */
async function until(
  what: string,
  probe: () => Promise<Answer>,
  done: (a: Answer) => boolean,
  withinMs = 15_000,
): Promise<Answer> {
  const deadline = Date.now() + withinMs
  for (;;) {
    const answer = await probe()
    if (done(answer)) return answer
    if (Date.now() > deadline)
      throw new Error(`${what}: still ${answer.status} ${answer.code ?? ''} after ${withinMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The session id in a browser's signed session cookie (`s:<id>.<signature>`). */
function sidOf(browser: BrowserClient): string {
  const value = decodeURIComponent(browser.cookie(app.url, app.dock.config.session.cookieName) ?? '')
  return value.slice(2, value.lastIndexOf('.'))
}

/** Requests in a loop from several logged-in clients while a test changes Redis under them. */
function background(browsers: BrowserClient[]) {
  const answers: Answer[] = []
  let running = true
  const loops = browsers.map(async (browser, i) => {
    while (running) answers.push(await ask(browser, '/me', i % 2 ? 'page' : 'api'))
  })
  return {
    answers,
    async stop() {
      running = false
      await Promise.all(loops)
      return answers
    },
  }
}

describe.skipIf(!redis)('Redis restarted under a running app (sessions in Redis)', () => {
  beforeAll(async () => {
    process.on('uncaughtException', onCrash)
    process.on('unhandledRejection', onCrash)
    // Like a careless host: no 'error' listener on the client. authdock's own must keep it alive.
    client = createClient({ url: redis!.url })
    client.on('reconnecting', () => reconnects++)
    await client.connect()
    app = await startTestApp({
      options: {
        session: { secret: 'redis-restart-session-secret-0123456789', redis: client, redisTimeoutMs: REDIS_TIMEOUT_MS },
        logger,
      },
    })
  })

  afterAll(async () => {
    await client?.destroy()
    await app?.close()
    await redis?.close()
    process.off('uncaughtException', onCrash)
    process.off('unhandledRejection', onCrash)
  })

  it('listens for node-redis errors while it is open, so an outage cannot crash a host without a listener', () => {
    expect(client.listenerCount('error')).toBe(1)
  })

  it('answers 503 SESSION_STORE_UNAVAILABLE at once while Redis is down, and recovers by itself once it is back (the session is gone)', async () => {
    const alice = new BrowserClient()
    await logIn(alice)
    expect((await ask(alice, '/me', 'api')).status).toBe(200)
    const sids = [sidOf(alice)]
    expect(await client.exists(`${app.dock.config.session.redisPrefix}${sids[0]}`)).toBe(1)

    const others = [new BrowserClient(), new BrowserClient(), new BrowserClient(), new BrowserClient()]
    for (const b of others) await logIn(b)
    sids.push(...others.map(sidOf))
    const load = background(others)
    await waitFor('the background load to run', () => load.answers.length >= 20, 15_000)

    await redis!.stop('SIGKILL')
    // Down: the API gets JSON, the browser a page, the login page a page; each fails fast.
    const api = await ask(alice, '/me', 'api')
    const page = await ask(alice, '/me', 'page')
    const home = await ask(alice, '/', 'page')
    const loginPage = await ask(new BrowserClient(), '/auth/password', 'page')
    for (const answer of [api, page, home, loginPage]) {
      expect(answer.status).toBe(503)
      expect(answer.code).toBe('SESSION_STORE_UNAVAILABLE')
      expect(answer.retryAfter).toBe('1')
      // Below the store timeout: refused because node-redis is not ready, not after waiting.
      expect(answer.ms).toBeLessThan(REDIS_TIMEOUT_MS)
    }
    expect(JSON.parse(api.body).error.message).toMatch(/session store/)
    expect(page.contentType).toMatch(/^text\/html/)
    expect(page.body).toContain('Sessions are unavailable at the moment.')
    // The readiness report says so (503), for a load balancer or a monitor.
    const ready = await fetch(`${app.url}${app.dock.config.paths.health}/ready`)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ status: 'unavailable', store: true, sessions: false })
    // A public page without a session needs no store: it still works.
    const anonymous = await ask(new BrowserClient(), '/', 'page')
    expect(anonymous.status).toBe(200)
    expect(anonymous.body).toBe('home (anonymous)')
    // Still down after node-redis's first reconnect attempts: still fast.
    const attempts = reconnects
    await waitFor('two reconnect attempts', () => reconnects >= attempts + 2, 15_000)
    const later = await ask(alice, '/me', 'api')
    expect([later.status, later.code]).toEqual([503, 'SESSION_STORE_UNAVAILABLE'])
    expect(later.ms).toBeLessThan(REDIS_TIMEOUT_MS)

    await redis!.start()
    // Back: no restart of the app; the first answer that is not a 503 is the login wall (Redis kept nothing).
    const recovered = await until(
      'recovery',
      () => ask(alice, '/me', 'api'),
      (a) => a.status !== 503,
    )
    expect([recovered.status, recovered.code]).toEqual([401, 'UNAUTHENTICATED'])
    const readyAgain = await fetch(`${app.url}${app.dock.config.paths.health}/ready`)
    expect((await readyAgain.json()).sessions).toBe(true)
    const toLogin = await ask(alice, '/me', 'page')
    expect(toLogin.status).toBe(303)
    expect(toLogin.location).toBe('/auth/login?returnTo=%2Fme')
    await logIn(alice)
    const again = await ask(alice, '/me', 'api')
    expect(again.status).toBe(200)
    expect(JSON.parse(again.body).user.id).toBe('u-alice')

    const answers = await load.stop()
    // Every answer under load was the session's (200), the outage's (503) or, after, the login wall.
    const kinds = new Set(answers.map((a) => `${a.status} ${a.status === 200 ? '' : (a.code ?? '')}`.trim()))
    for (const kind of kinds)
      expect(['200', '503 SESSION_STORE_UNAVAILABLE', '401 UNAUTHENTICATED', '303']).toContain(kind)
    expect(kinds).toContain('503 SESSION_STORE_UNAVAILABLE')
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(1000)

    // The outage was logged once, the recovery once, and no log line names a session id.
    expect(logLines.filter((l) => l.includes('session store (Redis) unavailable'))).toHaveLength(1)
    expect(logLines.filter((l) => l.includes('session store (Redis) is back'))).toHaveLength(1)
    expect(logLines.filter((l) => l.includes('SESSION_STORE_UNAVAILABLE') && l.startsWith('error'))).toEqual([])
    sids.push(sidOf(alice))
    for (const line of logLines) for (const id of sids) expect(line).not.toContain(id)
    expect(crashes).toEqual([])
  })

  it('answers 503 within redisTimeoutMs while Redis hangs (frozen, connections open), and goes on with the same session once it answers', async () => {
    if (!redis!.running) await redis!.start()
    const bob = new BrowserClient()
    await logIn(bob)
    expect((await ask(bob, '/me', 'api')).status).toBe(200)

    redis!.pause()
    const paused = performance.now()
    try {
      // bob's session was read once, so it is in the session cache (redis-session-cache.ts): kept
      // while Redis was heard from within TRUST_MS (a frozen Redis changes nothing meanwhile), then
      // reads go to Redis again and time out.
      const frozen = await until(
        'reads to go to the frozen Redis',
        () => ask(bob, '/me', 'api'),
        (answer) => answer.status !== 200,
      )
      expect(performance.now() - paused).toBeLessThan(TRUST_MS + 2 * REDIS_TIMEOUT_MS + 500)
      expect([frozen.status, frozen.code]).toEqual([503, 'SESSION_STORE_UNAVAILABLE'])
      expect(frozen.ms).toBeGreaterThanOrEqual(REDIS_TIMEOUT_MS - 20)
      expect(frozen.ms).toBeLessThan(1000)
      const page = await ask(bob, '/me', 'page')
      expect([page.status, page.code]).toEqual([503, 'SESSION_STORE_UNAVAILABLE'])
    } finally {
      redis!.resume()
    }
    // Nothing was lost: the same session works again.
    const thawed = await until(
      'thaw',
      () => ask(bob, '/me', 'api'),
      (a) => a.status !== 503,
    )
    expect(thawed.status).toBe(200)
    expect(crashes).toEqual([])
  })

  it('refuses a Redis URL or a client never connected in place of a connected client (CONFIG_INVALID names session.redis)', () => {
    const options = (redisOption: unknown) => ({
      baseUrl: 'http://127.0.0.1:3000',
      encryptionKey: Buffer.alloc(32, 1).toString('base64'),
      session: { secret: 'redis-restart-session-secret-0123456789', redis: redisOption as object },
      users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
    })
    for (const wrong of [redis!.url, createClient({ url: redis!.url })]) {
      let error: unknown
      try {
        resolveConfig(options(wrong))
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(AuthdockError)
      expect((error as AuthdockError).code).toBe('CONFIG_INVALID')
      expect((error as AuthdockError).fields).toEqual({
        'session.redis': expect.stringContaining('connected node-redis client'),
      })
    }
    expect(resolveConfig(options(client)).session.redis).toBe(client)
  })

  it('takes its error listener away on close (the host owns the client)', async () => {
    const other = await startTestApp({
      options: { session: { secret: 'redis-restart-session-secret-0123456789', redis: client }, logger },
    })
    expect(client.listenerCount('error')).toBe(2)
    await other.close()
    expect(client.listenerCount('error')).toBe(1)
  })
})
