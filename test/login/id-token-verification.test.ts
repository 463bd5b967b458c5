/**
 * Every verification rule of the OIDC callback, each broken in exactly one way by a provider of our
 * own (test/fixtures/hostile-op.ts). Each refusal names its code on the page, in the event and in
 * the audit, and leaves no logged-in session behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startHostileOp, type HostileFault, type HostileOp } from '../fixtures/hostile-op.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, me, shownCode } from './helpers.js'

let op: HostileOp
const apps: TestApp[] = []

beforeAll(async () => {
  op = await startHostileOp()
})
afterEach(async () => {
  vi.useRealTimers()
  op.fault = 'none'
  await Promise.all(apps.splice(0).map((a) => a.close()))
})
afterAll(async () => {
  await op.close()
})

/** A fresh app per case: openid-client caches discovery and JWKS per Configuration. */
async function freshApp(): Promise<TestApp> {
  const app = await startTestApp({ oidc: { issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret } })
  apps.push(app)
  return app
}

async function login(app: TestApp) {
  const failed: Array<{ reason: string }> = []
  app.dock.events.on('login.failed', (e: { reason: string }) => failed.push(e))
  const browser = new BrowserClient()
  const result = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
  return { ...result, failed, browser }
}

const refusals: Array<[string, HostileFault, string]> = [
  ['an ID token signed by another key', 'bad-signature', 'OIDC_SIGNATURE_INVALID'],
  ['an unsigned ID token (alg none)', 'alg-none', 'OIDC_ALG_NOT_ALLOWED'],
  [
    'an HS256 ID token keyed with the public key (algorithm confusion)',
    'hs256-with-public-key',
    'OIDC_ALG_NOT_ALLOWED',
  ],
  ['an ID token from another issuer', 'wrong-iss', 'OIDC_CLAIM_INVALID'],
  ['an ID token for another audience', 'wrong-aud', 'OIDC_CLAIM_INVALID'],
  ['an ID token without audience', 'missing-aud', 'OIDC_CLAIM_INVALID'],
  ['an ID token whose azp names another client', 'azp-mismatch', 'OIDC_CLAIM_INVALID'],
  ['an ID token without sub', 'missing-sub', 'OIDC_CLAIM_INVALID'],
  ['an ID token without iat', 'missing-iat', 'OIDC_CLAIM_INVALID'],
  ['an expired ID token', 'expired', 'OIDC_CLAIM_INVALID'],
  ['an ID token with a wrong nonce', 'wrong-nonce', 'OIDC_NONCE_INVALID'],
  ['an ID token without nonce', 'missing-nonce', 'OIDC_NONCE_INVALID'],
  ['an ID token without kid when the JWKS has several keys', 'kid-absent-several-keys', 'OIDC_SIGNATURE_INVALID'],
  ['a JWKS whose key cannot be parsed', 'unparseable-jwks-key', 'OIDC_SIGNATURE_INVALID'],
  ['UserInfo for another subject', 'userinfo-sub-mismatch', 'OIDC_USERINFO_SUB_MISMATCH'],
  ['discovery metadata naming another issuer', 'discovery-issuer-mismatch', 'OIDC_ISSUER_MISMATCH'],
  ['a wrong RFC 9207 iss in the authorization response', 'iss-param-wrong', 'OIDC_ISS_PARAM_INVALID'],
  ['a missing RFC 9207 iss although advertised', 'iss-param-missing', 'OIDC_ISS_PARAM_INVALID'],
  ['an authorization response with another state', 'state-wrong', 'OIDC_STATE_INVALID'],
  ['a token endpoint answering 500', 'token-500', 'OIDC_TOKEN_ENDPOINT_FAILED'],
  ['a token endpoint answering non-JSON', 'token-non-json', 'OIDC_TOKEN_ENDPOINT_FAILED'],
]

describe('the OIDC callback refuses', () => {
  it.each(refusals)('%s (%s → %s)', async (_what, fault, code) => {
    op.fault = fault
    const app = await freshApp()
    const { url, body, failed, browser } = await login(app)
    expect(url).toBe(`${app.url}/auth/retry?reason=error`)
    expect(shownCode(body)).toBe(code)
    expect(failed.map((e) => e.reason)).toEqual([code])
    const audit = await app.dock.store.audit.list({ kind: 'login.failed' })
    expect(audit[0].details.reason).toBe(code)
    expect((await me(browser, app)).status).toBe(401)
  })

  it('a provider error and shows its description escaped (OIDC_PROVIDER_ERROR)', async () => {
    op.fault = 'html-error-description'
    const app = await freshApp()
    const { body, failed, browser } = await login(app)
    expect(shownCode(body)).toBe('OIDC_PROVIDER_ERROR')
    expect(body).toContain('&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;&lt;b&gt;down&lt;/b&gt;')
    expect(body).not.toContain('<script>alert')
    expect(failed.map((e) => e.reason)).toEqual(['OIDC_PROVIDER_ERROR'])
    expect((await me(browser, app)).status).toBe(401)
  })

  it('a callback replayed after it was used once (state is single-use)', async () => {
    const app = await freshApp()
    const browser = new BrowserClient()
    await browser.navigate(`${app.url}/auth/login`)
    const callback = browser.hops.find((h) => h.url.startsWith(`${app.url}/auth/callback`))!
    const replay = await browser.navigate(callback.url)
    expect(shownCode(replay.body)).toBe('OIDC_STATE_INVALID')
    const stranger = new BrowserClient()
    expect(shownCode((await stranger.navigate(callback.url)).body)).toBe('OIDC_STATE_INVALID')
    expect((await me(stranger, app)).status).toBe(401)
  })

  it('a used code injected into another login with a valid state of its own (code replay)', async () => {
    const app = await freshApp()
    const victim = await login(app)
    const used = new URL(victim.browser.hops.find((h) => h.url.startsWith(`${app.url}/auth/callback`))!.url)
    // The attacker starts a login of their own, stops before the provider, and swaps in the used code.
    const attacker = new BrowserClient()
    const start = await attacker.request(`${app.url}/auth/login`)
    const own = new URL(start.headers.get('location')!)
    const injected = new URL(`${app.url}/auth/callback`)
    injected.searchParams.set('code', used.searchParams.get('code')!)
    injected.searchParams.set('state', own.searchParams.get('state')!)
    injected.searchParams.set('iss', op.issuer)
    const tokenRequests = op.requests['/token']
    const replay = await attacker.navigate(injected.toString())
    // The provider refuses the code (used once, and bound to the victim's PKCE challenge).
    expect(op.requests['/token']).toBe(tokenRequests + 1)
    expect(shownCode(replay.body)).toBe('OIDC_TOKEN_ENDPOINT_FAILED')
    expect((await me(attacker, app)).status).toBe(401)
  })
})

describe('after a refused login', () => {
  it('offers "Log in with password" only where password login is possible', async () => {
    op.fault = 'token-500'
    const withPassword = await login(await freshApp())
    expect(withPassword.body).toContain('href="/auth/password?returnTo=%2Fme"')
    const app = await startTestApp({
      oidc: { issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret },
      options: { users: { findByClaim: () => null, findByUsername: () => null, findById: () => null } },
    })
    apps.push(app)
    const without = await login(app)
    expect(shownCode(without.body)).toBe('OIDC_TOKEN_ENDPOINT_FAILED')
    expect(without.body).not.toContain('/auth/password')
    expect((await new BrowserClient().request(`${app.url}/auth/password`)).status).toBe(404)
  })
})

describe('a host callback that fails', () => {
  it('is blamed on the application, not the provider (LOGIN_HOST_CALLBACK_FAILED), and logs no one in', async () => {
    const app = await startTestApp({
      oidc: { issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret },
      options: {
        users: {
          findByClaim: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:3306 (the host database)')),
          findByUsername: () => null,
          findById: () => null,
        },
      },
    })
    apps.push(app)
    const { res, body, failed, browser } = await login(app)
    expect(res.status).toBe(500)
    expect(shownCode(body)).toBe('LOGIN_HOST_CALLBACK_FAILED')
    expect(body).not.toContain('ECONNREFUSED')
    expect(failed.map((e) => e.reason)).toEqual(['LOGIN_HOST_CALLBACK_FAILED'])
    expect((await me(browser, app)).status).toBe(401)
  })
})

describe('logout at a provider without end_session_endpoint', () => {
  it('ends the local session and returns to the start page', async () => {
    const app = await freshApp()
    const { browser } = await login(app)
    expect((await me(browser, app)).status).toBe(200)
    const csrf = await csrfOf(browser, app)
    const res = await browser.request(`${app.url}/auth/logout`, { form: { _csrf: csrf } })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/')
    expect((await me(browser, app)).status).toBe(401)
  })
})

describe('the OIDC callback accepts', () => {
  const accepted: Array<[string, HostileFault]> = [
    ['an ID token without kid when the JWKS has one key', 'kid-absent-one-key'],
    ['a lowercase "bearer" token type', 'lowercase-bearer'],
    ['a token response without expires_in', 'no-expires-in'],
  ]
  it.each(accepted)('%s', async (_what, fault) => {
    op.fault = fault
    const app = await freshApp()
    const { url, body, browser } = await login(app)
    expect(url).toBe(`${app.url}/me`)
    expect(JSON.parse(body).user.id).toBe('u-alice')
    expect((await me(browser, app)).body.user.id).toBe('u-alice')
  })

  it('a rotated signing key, once the JWKS may be fetched again (60 s cool-down)', async () => {
    const app = await freshApp()
    expect((await login(app)).url).toBe(`${app.url}/me`)
    await op.rotateKey()
    const jwksFetches = op.requests['/jwks']
    // Within the cool-down the unknown kid is refused without hammering the provider's JWKS.
    const early = await login(app)
    expect(shownCode(early.body)).toBe('OIDC_SIGNATURE_INVALID')
    expect(op.requests['/jwks']).toBe(jwksFetches)
    // openid-client reads Date for the JWKS age; only Date is faked, timers stay real.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61_000)
    const later = await login(app)
    expect(later.url).toBe(`${app.url}/me`)
    expect(op.requests['/jwks']).toBe(jwksFetches + 1)
  })
})
