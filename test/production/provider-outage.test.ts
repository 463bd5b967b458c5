/**
 * The identity provider down (connection refused) or slow (accepts and never answers, or answers
 * after the timeout), against a real oidc-provider:
 *  - login ends on the retry page with OIDC_PROVIDER_UNAVAILABLE within `tokens.httpTimeoutMs`,
 *    creates no logged-in session, and the password fallback still works;
 *  - a token refresh fails with TOKEN_PROVIDER_UNREACHABLE within the timeout, then backs off:
 *    callers during the backoff get TOKEN_BACKOFF without a request to the provider, and once the
 *    provider is back a call after the backoff succeeds.
 *
 * The provider's port is taken over by a gate (a TCP listener on the same port) that hands each
 * connection to the provider's own http.Server, holds it, hands it over late, or is closed.
 */
import net from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { DEFAULT_ACCOUNTS, startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, deviceCookie, followUntil, me, sessionCookie, shownCode } from '../login/helpers.js'
import { authorize, MAIL_CLIENT, profileInput } from '../tokens/helpers.js'
import { hashDevice } from '../../src/login/device.js'
import { SILENT_LOGIN_COOLDOWN_MS } from '../../src/login/silent-login.js'
import { tokenSetToPatch } from '../../src/oauth/client.js'
import { timed } from '../fixtures/timed.js'

const TIMEOUT_MS = 1000
const BACKOFF_MS = 10_000
const LOGIN_CLIENT = { clientId: 'outage-app', clientSecret: 'outage-app-secret-0123456789' }

/** up; down: refused; hang: accepted, never answered; slow: answered after the timeout; 503: a proxy in front of a provider that is down. */
type GateMode = 'up' | 'down' | 'hang' | 'slow' | '503'

interface ProviderGate {
  /** Requests sent to the provider since the start, whatever the mode (down: none can be). */
  requests: number
  setMode(mode: GateMode): Promise<void>
  close(): Promise<void>
}

/** Take over the provider's port; `slow` hands connections over after `slowMs`. */
async function gateProvider(op: OidcProviderFixture, slowMs: number): Promise<ProviderGate> {
  op.server.closeAllConnections()
  await new Promise<void>((resolve) => op.server.close(() => resolve()))
  // One request per connection: a kept-alive connection from before a mode change would be reused
  // by the app's fetch and fail at once, whatever the new mode.
  op.server.prependListener('request', (_req, res: { shouldKeepAlive: boolean }) => {
    res.shouldKeepAlive = false
  })
  const sockets = new Set<net.Socket>()
  let mode: GateMode = 'up'
  let listener: net.Server | null = null
  const gate: ProviderGate = {
    requests: 0,
    async setMode(next) {
      if (next === mode) return
      mode = next
      // Open connections would bypass the new mode. Once closed here, one turn of the event loop
      // lets the app's fetch (same process) see the close before it could pick them again.
      const old = [...sockets]
      const closed = old.map(
        (socket) => new Promise((resolve) => (socket.destroyed ? resolve(null) : socket.once('close', resolve))),
      )
      for (const socket of old) socket.destroy()
      await Promise.all(closed)
      await new Promise((resolve) => setImmediate(resolve))
      if (next === 'down' && listener) {
        const closing = listener
        listener = null
        await new Promise<void>((resolve) => closing.close(() => resolve()))
      }
      if (next !== 'down' && !listener) {
        const opening = net.createServer(accept)
        await new Promise<void>((resolve, reject) =>
          opening.once('error', reject).listen(op.port, '127.0.0.1', resolve),
        )
        listener = opening
      }
    },
    async close() {
      await gate.setMode('down')
    },
  }
  function accept(socket: net.Socket): void {
    // Counted by the first bytes: a connection alone is not a request (fetch may open a spare one).
    socket.once('data', () => gate.requests++)
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    if (mode === 'up') op.server.emit('connection', socket)
    else if (mode === 'slow') setTimeout(() => socket.destroyed || op.server.emit('connection', socket), slowMs)
    else if (mode === '503') answer503(socket)
    // hang: accepted, never answered
  }
  listener = net.createServer(accept)
  await new Promise<void>((resolve, reject) => listener!.once('error', reject).listen(op.port, '127.0.0.1', resolve))
  return gate
}

/** Read the whole request (headers and content-length body), then answer 503 and close. */
function answer503(socket: net.Socket): void {
  let received = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk])
    const headerEnd = received.indexOf('\r\n\r\n')
    if (headerEnd < 0) return
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(received.subarray(0, headerEnd).toString())?.[1] ?? 0)
    if (received.length < headerEnd + 4 + length) return
    const body = '<h1>503 Service Unavailable</h1>'
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/html\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    )
  })
}

let op: OidcProviderFixture
let gate: ProviderGate
let app: TestApp

beforeAll(async () => {
  app = await startTestApp({
    oidc: async (baseUrl) => {
      op = await startOidcProvider({
        accounts: DEFAULT_ACCOUNTS,
        clients: [
          {
            client_id: LOGIN_CLIENT.clientId,
            client_secret: LOGIN_CLIENT.clientSecret,
            redirect_uris: [`${baseUrl}/auth/callback`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
          { ...MAIL_CLIENT, grant_types: [...MAIL_CLIENT.grant_types], redirect_uris: [...MAIL_CLIENT.redirect_uris] },
        ],
      })
      return { issuer: op.issuer, ...LOGIN_CLIENT }
    },
    options: { tokens: { httpTimeoutMs: TIMEOUT_MS, backoffBaseMs: BACKOFF_MS, backoffMaxMs: 60_000 } },
  })
  gate = await gateProvider(op, TIMEOUT_MS + 500)
})
afterAll(async () => {
  await app?.close()
  await gate?.close()
  await op?.close()
})
beforeEach(async () => {
  await gate.setMode('up')
  op.resetCounters()
})

/** The stored session of this browser holds no logged-in user (it may hold the retry reason). */
async function expectNoLogin(browser: BrowserClient): Promise<void> {
  expect((await me(browser, app)).status).toBe(401)
  const cookie = sessionCookie(browser, app)
  if (!cookie) return
  const sid = decodeURIComponent(cookie).slice(2).split('.')[0]
  const record = await app.dock.store.sessions.get(sid)
  expect(record ? JSON.parse(record.data).passport : undefined).toBeUndefined()
}

async function lastLoginFailure() {
  return (await app.dock.store.audit.list({ kind: 'login.failed', limit: 1 }))[0]
}

/** Follow the redirect to the retry page; returns the code it shows. */
async function retryPage(browser: BrowserClient, res: Response): Promise<{ code: string | undefined; body: string }> {
  expect(res.status).toBe(303)
  const location = new URL(res.headers.get('location')!, app.url).toString()
  expect(location).toBe(`${app.url}/auth/retry?reason=error`)
  await res.arrayBuffer()
  const { body } = await browser.navigate(location)
  return { code: shownCode(body), body }
}

describe('login while the identity provider is down or slow', () => {
  it.each([
    ['down (connection refused)', 'down' as const, 'network'],
    ['accepting but never answering', 'hang' as const, 'timeout'],
  ])(
    'GET /auth/login with the provider %s ends on the retry page with OIDC_PROVIDER_UNAVAILABLE within the timeout',
    async (_what, mode, reason) => {
      // A fresh instance: discovery has not been done yet.
      await app.dock.login.close()
      await gate.setMode(mode)
      const browser = new BrowserClient()
      const { value: res, ms } = await timed(browser.request(`${app.url}/auth/login?returnTo=/me`))
      expect(ms).toBeLessThan(TIMEOUT_MS + 2000)
      if (mode === 'hang') expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
      const { code, body } = await retryPage(browser, res!)
      expect(code).toBe('OIDC_PROVIDER_UNAVAILABLE')
      expect(body).toContain('No answer from')
      expect(body).toContain('href="/auth/password?returnTo=%2Fme"')
      expect((await lastLoginFailure()).details).toMatchObject({
        reason: 'OIDC_PROVIDER_UNAVAILABLE',
        method: 'oidc',
        phase: 'discovery',
        detail: reason,
      })
      await expectNoLogin(browser)

      // Back up: the next login discovers again and works.
      await gate.setMode('up')
      const { url } = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
      expect(url).toBe(`${app.url}/me`)
      expect((await me(browser, app)).body.user.id).toBe('u-alice')
    },
  )

  it.each([
    ['down (connection refused)', 'down' as const, 'network'],
    ['accepting but never answering', 'hang' as const, 'timeout'],
    ['answering after the timeout', 'slow' as const, 'timeout'],
  ])(
    'the callback with the token endpoint %s ends on the retry page with OIDC_PROVIDER_UNAVAILABLE within the timeout',
    async (_what, mode, reason) => {
      const browser = new BrowserClient()
      // The login starts while the provider is up; it goes away before the code is exchanged.
      const callback = await followUntil(browser, `${app.url}/auth/login?returnTo=/me`, (next) =>
        next.startsWith(`${app.url}/auth/callback`),
      )
      await gate.setMode(mode)
      const { value: res, ms } = await timed(browser.request(callback))
      expect(ms).toBeLessThan(TIMEOUT_MS + 2000)
      if (mode !== 'down') expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
      const { code } = await retryPage(browser, res!)
      expect(code).toBe('OIDC_PROVIDER_UNAVAILABLE')
      expect((await lastLoginFailure()).details).toMatchObject({
        reason: 'OIDC_PROVIDER_UNAVAILABLE',
        phase: 'callback',
        detail: reason,
      })
      await expectNoLogin(browser)
      expect(op.grants.authorization_code).toBeUndefined()
    },
  )

  it('the callback with a 503 from a proxy in front of the provider ends on the retry page with OIDC_TOKEN_ENDPOINT_FAILED', async () => {
    const browser = new BrowserClient()
    const callback = await followUntil(browser, `${app.url}/auth/login?returnTo=/me`, (next) =>
      next.startsWith(`${app.url}/auth/callback`),
    )
    await gate.setMode('503')
    const { value: res, ms } = await timed(browser.request(callback))
    expect(ms).toBeLessThan(1000)
    const { code } = await retryPage(browser, res!)
    expect(code).toBe('OIDC_TOKEN_ENDPOINT_FAILED')
    expect((await lastLoginFailure()).details).toMatchObject({
      reason: 'OIDC_TOKEN_ENDPOINT_FAILED',
      phase: 'callback',
    })
    await expectNoLogin(browser)
  })

  it('the password login of a user with password login enabled works while the provider is down', async () => {
    await app.dock.login.close()
    await gate.setMode('down')
    const browser = new BrowserClient()
    const { code } = await retryPage(browser, await browser.request(`${app.url}/auth/login`))
    expect(code).toBe('OIDC_PROVIDER_UNAVAILABLE')
    const csrf = await csrfOf(browser, app)
    const { value: res, ms } = await timed(
      browser.request(`${app.url}/auth/password`, {
        form: { _csrf: csrf, username: 'alice', password: 'alice-password', returnTo: '/me' },
      }),
    )
    expect(res!.status).toBe(303)
    expect(ms).toBeLessThan(1000)
    expect((await me(browser, app)).body.user.id).toBe('u-alice')
  })
})

describe('silent re-login while the identity provider is down or slow', () => {
  /** A browser that logged in through the provider and then lost its session (the device cookie stays). */
  async function returningBrowser(): Promise<BrowserClient> {
    const browser = new BrowserClient()
    const { url } = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
    expect(url).toBe(`${app.url}/me`)
    expect(deviceCookie(browser, app)).toBeDefined()
    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    return browser
  }

  it('a page answers anonymously within the timeout, keeps the stored refresh token, and does not wait on the provider again during the cooldown', async () => {
    const browser = await returningBrowser()
    const device = deviceCookie(browser, app)!
    await gate.setMode('hang')
    const first = await timed(browser.navigate(`${app.url}/`))
    expect(first.value!.body).toBe('home (anonymous)')
    expect(first.ms).toBeLessThan(TIMEOUT_MS + 2000)
    expect(first.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
    expect((await lastLoginFailure()).details).toMatchObject({ reason: 'OIDC_PROVIDER_UNAVAILABLE', method: 'silent' })
    expect(await app.dock.store.loginTokens.get(hashDevice(device))).not.toBeNull()
    expect(deviceCookie(browser, app)).toBe(device)

    // Further pages during the cooldown neither wait nor connect, even once the provider is back.
    const requests = gate.requests
    const second = await timed(browser.navigate(`${app.url}/`))
    expect(second.value!.body).toBe('home (anonymous)')
    expect(second.ms).toBeLessThan(500)
    await gate.setMode('up')
    expect((await browser.navigate(`${app.url}/`)).body).toBe('home (anonymous)')
    expect(gate.requests).toBe(requests)

    app.clock.advance(SILENT_LOGIN_COOLDOWN_MS + 1)
    expect((await browser.navigate(`${app.url}/`)).body).toBe('home of u-alice')
    expect(op.grants.refresh_token).toBe(1)
  })

  it('a 503 from a proxy in front of the provider keeps the stored refresh token for the next visit', async () => {
    const browser = await returningBrowser()
    const device = deviceCookie(browser, app)!
    await gate.setMode('503')
    expect((await browser.navigate(`${app.url}/`)).body).toBe('home (anonymous)')
    expect((await lastLoginFailure()).details).toMatchObject({ reason: 'OIDC_TOKEN_ENDPOINT_FAILED', method: 'silent' })
    expect(await app.dock.store.loginTokens.get(hashDevice(device))).not.toBeNull()
    await gate.setMode('up')
    expect((await browser.navigate(`${app.url}/`)).body).toBe('home of u-alice')
  })
})

describe('token refresh while the provider is down or slow', () => {
  /** A profile authorized at the provider, whose access token has just expired. */
  async function expiredProfile(name: string): Promise<string> {
    const profile = await app.dock.store.profiles.create(profileInput(op, { name }))
    const tokens = await authorize(op)
    await app.dock.store.tokens.save(profile.id, {
      ...tokenSetToPatch(tokens, app.clock.now(), 600),
      authorizedAt: new Date(app.clock.now()),
      authorizedAccount: 'alice',
    })
    app.clock.advance((tokens.expires_in ?? 3600) * 1000 + 1000)
    op.resetCounters()
    return profile.id
  }

  it.each([
    ['down (connection refused)', 'TOKEN_PROVIDER_UNREACHABLE', 'down' as const, 'tokens.hint.providerUnreachable'],
    ['accepting but never answering', 'TOKEN_PROVIDER_UNREACHABLE', 'hang' as const, 'tokens.hint.providerTimeout'],
    ['answering after the timeout', 'TOKEN_PROVIDER_UNREACHABLE', 'slow' as const, 'tokens.hint.providerTimeout'],
    ['answering 503 from a proxy', 'TOKEN_REFRESH_FAILED', '503' as const, 'tokens.hint.providerServerError'],
  ])(
    'with the token endpoint %s: %s within the timeout, then a backoff without requests, then recovery',
    async (what, code, mode, hintKey) => {
      const profileId = await expiredProfile(`Outage ${what}`)
      await gate.setMode(mode)
      const requests = gate.requests

      // Five callers at once share one request.
      const failedAt = app.clock.now()
      const first = await timed(
        Promise.all(
          Array.from({ length: 5 }, () => app.dock.tokens.getAccessToken(profileId).catch((e: unknown) => e)),
        ),
      )
      expect(first.ms).toBeLessThan(TIMEOUT_MS + 2000)
      if (mode === 'hang' || mode === 'slow') expect(first.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
      for (const err of first.value!) expect(err).toMatchObject({ name: 'AuthdockError', code, details: { hintKey } })
      expect(gate.requests - requests).toBe(mode === 'down' ? 0 : 1)
      const record = await app.dock.store.tokens.get(profileId)
      expect(record).toMatchObject({ status: 'error', lastErrorCode: code, failureCount: 1 })
      expect(record!.lastErrorAt!.getTime()).toBeGreaterThanOrEqual(failedAt)
      expect(record!.nextAttemptAt!.getTime() - record!.lastErrorAt!.getTime()).toBe(BACKOFF_MS)
      expect(record!.refreshToken).toEqual(expect.any(String)) // kept for the next try

      // During the backoff: refused at once, nobody asks the provider, even once it is back.
      const during = await timed(
        Promise.all(
          Array.from({ length: 20 }, () => app.dock.tokens.getAccessToken(profileId).catch((e: unknown) => e)),
        ),
      )
      expect(during.ms).toBeLessThan(500)
      for (const err of during.value!)
        expect(err).toMatchObject({ code: 'TOKEN_BACKOFF', details: { retryAt: record!.nextAttemptAt!.toISOString() } })
      await gate.setMode('up')
      const afterUp = gate.requests
      app.clock.advance(record!.nextAttemptAt!.getTime() - app.clock.now() - 500)
      await expect(app.dock.tokens.getAccessToken(profileId)).rejects.toMatchObject({ code: 'TOKEN_BACKOFF' })
      expect(gate.requests).toBe(afterUp)
      expect(op.requests['/token']).toBeUndefined()

      // After the backoff the next call asks again and succeeds; the error state is cleared.
      app.clock.advance(Math.max(0, record!.nextAttemptAt!.getTime() - app.clock.now()) + 1)
      expect(await app.dock.tokens.getAccessToken(profileId)).toEqual(expect.any(String))
      expect(op.grants.refresh_token).toBe(1)
      expect(await app.dock.store.tokens.get(profileId)).toMatchObject({
        status: 'ok',
        failureCount: 0,
        nextAttemptAt: null,
        lastErrorCode: null,
      })
    },
  )
})
