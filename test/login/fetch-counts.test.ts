/**
 * Discovery and JWKS are fetched once per provider, not per login: many logins at a real
 * oidc-provider whose keys do not rotate cost one discovery request and one JWKS request, also when
 * the first callbacks all need the key set at the same moment. The shared key-set request still
 * has authdock's timeout.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { followUntil, shownCode } from './helpers.js'

const CLIENT = { clientId: 'count-app', clientSecret: 'count-app-secret-0123456789' }
const DISCOVERY = '/.well-known/openid-configuration'
const JWKS = '/jwks'

let op: OidcProviderFixture | undefined
let app: TestApp | undefined

afterEach(async () => {
  await app?.close()
  await op?.close()
  app = op = undefined
})

async function start(
  fetch?: typeof globalThis.fetch,
  httpTimeoutMs?: number,
): Promise<{ app: TestApp; op: OidcProviderFixture }> {
  app = await startTestApp({
    oidc: async (baseUrl) => {
      op = await startOidcProvider({
        clients: [
          {
            client_id: CLIENT.clientId,
            client_secret: CLIENT.clientSecret,
            redirect_uris: [`${baseUrl}/auth/callback`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
        ],
      })
      return { issuer: op.issuer, ...CLIENT }
    },
    options: { ...(fetch ? { fetch } : {}), ...(httpTimeoutMs ? { tokens: { httpTimeoutMs } } : {}) },
  })
  return { app, op: op! }
}

/** A fresh browser taken through the provider up to (not into) the callback. */
async function atCallback(app: TestApp): Promise<{ browser: BrowserClient; callback: string }> {
  const browser = new BrowserClient()
  const callback = await followUntil(browser, `${app.url}/auth/login?returnTo=/me`, (next) =>
    next.startsWith(`${app.url}/auth/callback`),
  )
  return { browser, callback }
}

/** The callback, then /me: the login worked. */
async function finish(
  app: TestApp,
  { browser, callback }: { browser: BrowserClient; callback: string },
): Promise<number> {
  const { url, res } = await browser.navigate(callback, { headers: { accept: 'application/json' } })
  expect(url).toBe(`${app.url}/me`)
  return res.status
}

describe('provider metadata and keys are fetched once, not per login', () => {
  it('50 logins one after another: 1 discovery request, 1 JWKS request', async () => {
    const { app, op } = await start()
    for (let i = 0; i < 50; i++) expect(await finish(app, await atCallback(app))).toBe(200)
    expect(op.grants.authorization_code).toBe(50)
    expect(op.requests[DISCOVERY]).toBe(1)
    expect(op.requests[JWKS]).toBe(1)
  })

  it('50 logins 10 at a time, the first 10 callbacks waiting on the key set together: still 1 of each', async () => {
    // Hold the key set until all 10 first token requests are answered, so every first callback
    // needs it while the first request for it is still under way (openid-client's per-request
    // timeout signal used to defeat oauth4webapi's sharing of that request).
    let tokenAnswers = 0
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    const gated: typeof globalThis.fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (new URL(url).pathname === JWKS) await gate
      const res = await globalThis.fetch(input, init)
      if (new URL(url).pathname === '/token' && ++tokenAnswers >= 10) open()
      return res
    }
    const { app, op } = await start(gated)
    for (let batch = 0; batch < 5; batch++) {
      const pending = await Promise.all(Array.from({ length: 10 }, () => atCallback(app)))
      const statuses = await Promise.all(pending.map((p) => finish(app, p)))
      expect(statuses).toEqual(Array(10).fill(200))
    }
    expect(op.grants.authorization_code).toBe(50)
    expect(op.requests[DISCOVERY]).toBe(1)
    expect(op.requests[JWKS]).toBe(1)
  })
})

describe('the key-set request keeps a timeout', () => {
  it('a JWKS that never answers ends the login on the retry page after tokens.httpTimeoutMs, reason timeout', async () => {
    // Never answers; gives up only when the request's signal aborts.
    const silentJwks: typeof globalThis.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (new URL(url).pathname !== JWKS) return globalThis.fetch(input, init)
      return new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)),
      )
    }
    const { app } = await start(silentJwks, 500)
    const failed: Array<{ reason: string }> = []
    app.dock.events.on('login.failed', (e: { reason: string }) => failed.push(e))
    const pending = await atCallback(app)
    const started = Date.now()
    const { url, body } = await pending.browser.navigate(pending.callback)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(url).toBe(`${app.url}/auth/retry?reason=error`)
    // The code of an unanswered provider is the error mapping's business; the reason is ours here.
    const code = shownCode(body)
    expect(code).toBe('OIDC_PROVIDER_UNAVAILABLE')
    expect(failed.map((e) => e.reason)).toEqual([code])
    const audit = await app.dock.store.audit.list({ kind: 'login.failed' })
    expect(audit[0].details.detail).toBe('timeout')
  })
})
