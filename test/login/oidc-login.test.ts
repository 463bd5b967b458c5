/**
 * The login against a real OpenID Provider (oidc-provider in-process): full login, returnTo,
 * unknown users, silent re-login, logout, timeout and cancel.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { DEFAULT_ACCOUNTS, startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { hashDevice } from '../../src/login/device.js'
import { csrfOf, deviceCookie, followUntil, me, sessionCookie, shownCode } from './helpers.js'

const CLIENT = { clientId: 'login-app', clientSecret: 'login-app-secret-0123456789' }
let op: OidcProviderFixture
let app: TestApp

beforeAll(async () => {
  app = await startTestApp({
    oidc: async (baseUrl) => {
      op = await startOidcProvider({
        accounts: [...DEFAULT_ACCOUNTS, { sub: 'carol', email: 'carol@example.com' }],
        clients: [
          {
            client_id: CLIENT.clientId,
            client_secret: CLIENT.clientSecret,
            redirect_uris: [`${baseUrl}/auth/callback`],
            post_logout_redirect_uris: [`${baseUrl}/`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
        ],
      })
      return { issuer: op.issuer, ...CLIENT }
    },
  })
})
afterAll(async () => {
  await app.close()
  await op.close()
})
beforeEach(() => {
  app.clock.reset()
  op.defaultAccount = 'alice'
  op.nextInteraction = 'login'
})

async function loggedIn(returnTo = '/me') {
  const browser = new BrowserClient()
  const result = await browser.navigate(`${app.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`)
  return { browser, ...result }
}

describe('login through the identity provider', () => {
  it('sends state, nonce and PKCE S256, changes the session id and lands on returnTo logged in', async () => {
    const browser = new BrowserClient()
    const start = await browser.request(`${app.url}/auth/login?returnTo=${encodeURIComponent('/me?tab=1')}`)
    expect(start.status).toBe(302)
    const authorize = new URL(start.headers.get('location')!)
    expect(authorize.origin).toBe(op.issuer)
    for (const param of ['state', 'nonce', 'code_challenge'])
      expect(authorize.searchParams.get(param)).toMatch(/^[\w-]{20,}$/)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${app.url}/auth/callback`)
    const sidBefore = sessionCookie(browser, app)
    expect(sidBefore).toBeDefined()

    const { url, body } = await browser.navigate(authorize.href)
    expect(url).toBe(`${app.url}/me?tab=1`)
    expect(JSON.parse(body).user).toMatchObject({ id: 'u-alice', email: 'alice@example.com' })
    expect(sessionCookie(browser, app)).not.toBe(sidBefore)
    expect(app.claimLookups.at(-1)).toEqual({
      providerId: 'default',
      issuer: op.issuer,
      claim: 'email',
      value: 'alice@example.com',
    })
  })

  it('starts a new login at the start route even when its URL carries a code, and never redeems it there', async () => {
    const browser = new BrowserClient()
    const first = await browser.request(`${app.url}/auth/login`)
    const state = new URL(first.headers.get('location')!).searchParams.get('state')
    const start = await browser.request(`${app.url}/auth/login?code=stolen&state=${state}`)
    expect(start.status).toBe(302)
    const authorize = new URL(start.headers.get('location')!)
    expect(authorize.origin).toBe(op.issuer)
    expect(authorize.searchParams.get('state')).not.toBe(state)
    expect((await me(browser, app)).status).toBe(401)
  })

  it('logs in an OIDC-only user', async () => {
    op.defaultAccount = 'bob'
    const { browser, url } = await loggedIn()
    expect(url).toBe(`${app.url}/me`)
    expect((await me(browser, app)).body.user.id).toBe('u-bob')
  })

  it.each([
    '//evil.example/x',
    '/\\evil.example',
    'https://evil.example/',
    '/ok\r\nSet-Cookie: x=1',
    'javascript:alert(1)',
  ])('ignores the returnTo %j and lands on the start page', async (returnTo) => {
    const { url, browser } = await loggedIn(returnTo)
    expect(url).toBe(`${app.url}/`)
    expect((await me(browser, app)).status).toBe(200)
  })

  it('shows a clear page when the login matches no user (LOGIN_USER_UNKNOWN)', async () => {
    op.defaultAccount = 'carol'
    const { res, body, browser } = await loggedIn()
    expect(res.status).toBe(403)
    expect(shownCode(body)).toBe('LOGIN_USER_UNKNOWN')
    expect(body).toContain('carol@example.com')
    expect((await me(browser, app)).status).toBe(401)
  })

  it('answers API clients without a session with 401 JSON and sends pages to the login', async () => {
    const browser = new BrowserClient()
    expect(await me(browser, app)).toEqual({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'Log in first' } },
    })
    const page = await browser.request(`${app.url}/me?x=1`)
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toBe(`/auth/login?returnTo=${encodeURIComponent('/me?x=1')}`)
  })
})

describe('retry page', () => {
  it('says the login was cancelled when the user denies at the provider (OIDC_ACCESS_DENIED)', async () => {
    op.nextInteraction = 'deny'
    const { url, body, browser } = await loggedIn()
    expect(url).toBe(`${app.url}/auth/retry?reason=cancel`)
    expect(body).toContain('data-reason="cancel"')
    expect(body).toContain('was cancelled')
    expect(shownCode(body)).toBe('OIDC_ACCESS_DENIED')
    expect(body).toContain('End-User aborted interaction')
    // Both ways back keep the failed login's returnTo (/me).
    expect(body).toContain('href="/auth/login?returnTo=%2Fme"')
    expect(body).toContain('href="/auth/password?returnTo=%2Fme"')
    expect((await me(browser, app)).status).toBe(401)
  })

  it('says the login timed out when the callback comes after the login timeout (OIDC_LOGIN_TIMEOUT)', async () => {
    const browser = new BrowserClient()
    const callback = await followUntil(browser, `${app.url}/auth/login`, (next) =>
      next.startsWith(`${app.url}/auth/callback`),
    )
    app.clock.advance(5 * 60_000 + 1_000)
    const { url, body } = await browser.navigate(callback)
    expect(url).toBe(`${app.url}/auth/retry?reason=timeout`)
    expect(shownCode(body)).toBe('OIDC_LOGIN_TIMEOUT')
    expect(body).toContain('not finished in time')
    expect((await me(browser, app)).status).toBe(401)
  })

  it('is in German for a German browser', async () => {
    op.nextInteraction = 'deny'
    const browser = new BrowserClient()
    const { body } = await browser.navigate(`${app.url}/auth/login`, {
      headers: { 'accept-language': 'de-DE,de;q=0.9' },
    })
    expect(body).toContain('<html lang="de">')
    expect(body).toContain('wurde abgebrochen')
    expect(body).toContain('Erneut versuchen')
    expect(body).toContain('Mit Passwort anmelden')
  })
})

describe('silent re-login', () => {
  it('re-establishes an ended session from the device cookie without visiting the provider', async () => {
    const { browser } = await loggedIn()
    const device = deviceCookie(browser, app)
    expect(device).toBeDefined()
    const stored = await app.dock.store.loginTokens.get(hashDevice(device!))
    expect(stored).toMatchObject({ providerId: 'default', userId: 'u-alice' })

    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    op.resetCounters()
    const home = await browser.navigate(`${app.url}/`)
    expect(home.body).toBe('home of u-alice')
    expect(op.requests['/auth']).toBeUndefined()
    expect(op.grants.refresh_token).toBe(1)
    expect((await me(browser, app)).body.user.id).toBe('u-alice')
  })

  it('falls back to anonymous and forgets the token when the refresh is refused', async () => {
    const { browser } = await loggedIn()
    const device = deviceCookie(browser, app)!
    await op.revokeAccount('alice')
    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    const home = await browser.navigate(`${app.url}/`)
    expect(home.body).toBe('home (anonymous)')
    expect(await app.dock.store.loginTokens.get(hashDevice(device))).toBeNull()
    expect(deviceCookie(browser, app)).toBeUndefined()
    const audit = await app.dock.store.audit.list({ kind: 'login.failed', limit: 1 })
    expect(audit[0].details).toMatchObject({ method: 'silent', reason: 'OIDC_TOKEN_ENDPOINT_FAILED' })
  })

  it('leaves API requests alone', async () => {
    const { browser } = await loggedIn()
    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    expect((await me(browser, app)).status).toBe(401)
  })
})

describe('logout', () => {
  it('destroys the session server-side, forgets the device and logs out at the provider', async () => {
    const { browser } = await loggedIn()
    const sid = sessionCookie(browser, app)!
    const device = deviceCookie(browser, app)!
    const csrf = await csrfOf(browser, app)
    const res = await browser.request(`${app.url}/auth/logout`, { form: { _csrf: csrf } })
    expect(res.status).toBe(303)
    const endSession = new URL(res.headers.get('location')!)
    expect(endSession.origin).toBe(op.issuer)
    expect(endSession.pathname).toBe('/session/end')
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${app.url}/`)
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^ey/)
    expect(await app.dock.store.loginTokens.get(hashDevice(device))).toBeNull()
    expect(deviceCookie(browser, app)).toBeUndefined()
    // The old session cookie no longer opens anything.
    browser.setCookie(app.url, app.dock.config.session.cookieName, sid)
    expect((await me(browser, app)).status).toBe(401)
  })

  it('refuses a logout without the CSRF token (CSRF_INVALID)', async () => {
    const { browser } = await loggedIn()
    const res = await browser.request(`${app.url}/auth/logout`, {
      form: { _csrf: 'forged' },
      headers: { accept: 'application/json' },
    })
    expect(res.status).toBe(403)
    expect((await res.json()).error.code).toBe('CSRF_INVALID')
    expect((await me(browser, app)).status).toBe(200)
  })
})
