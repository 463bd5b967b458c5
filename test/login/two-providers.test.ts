/**
 * Two identity providers: a chooser page, one callback path per provider, and a code from one
 * provider delivered at the other's callback is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { followUntil, me, shownCode } from './helpers.js'

let alpha: OidcProviderFixture
let beta: OidcProviderFixture
let app: TestApp

const client = (baseUrl: string, id: string) => ({
  client_id: `app-at-${id}`,
  client_secret: `secret-at-${id}-0123456789`,
  redirect_uris: [`${baseUrl}/auth/callback/${id}`],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code' as const],
})

beforeAll(async () => {
  app = await startTestApp({
    oidc: async (baseUrl) => {
      alpha = await startOidcProvider({ clients: [client(baseUrl, 'alpha')] })
      beta = await startOidcProvider({ clients: [client(baseUrl, 'beta')], defaultAccount: 'bob' })
      return [
        {
          id: 'alpha',
          label: 'Alpha Corp',
          issuer: alpha.issuer,
          clientId: 'app-at-alpha',
          clientSecret: 'secret-at-alpha-0123456789',
        },
        {
          id: 'beta',
          label: 'Beta Inc',
          issuer: beta.issuer,
          clientId: 'app-at-beta',
          clientSecret: 'secret-at-beta-0123456789',
        },
      ]
    },
  })
})
afterAll(async () => {
  await app.close()
  await alpha.close()
  await beta.close()
})

describe('two identity providers', () => {
  it('shows a chooser that keeps returnTo', async () => {
    const res = await new BrowserClient().request(`${app.url}/auth/login?returnTo=/me`)
    const body = await res.text()
    expect(res.status).toBe(200)
    expect(body).toContain('href="/auth/login/alpha?returnTo=%2Fme"')
    expect(body).toContain('href="/auth/login/beta?returnTo=%2Fme"')
    expect(body).toContain('Log in with Alpha Corp')
    expect(body).toContain('Log in with password')
  })

  it('logs in through each provider at its own callback, keyed by issuer', async () => {
    for (const [id, op, user] of [
      ['alpha', alpha, 'u-alice'],
      ['beta', beta, 'u-bob'],
    ] as const) {
      const browser = new BrowserClient()
      const { url } = await browser.navigate(`${app.url}/auth/login/${id}?returnTo=/me`)
      expect(url).toBe(`${app.url}/me`)
      expect(browser.hops.some((h) => h.url.startsWith(`${app.url}/auth/callback/${id}?`))).toBe(true)
      expect((await me(browser, app)).body.user.id).toBe(user)
      expect(app.claimLookups.at(-1)).toMatchObject({ providerId: id, issuer: op.issuer })
    }
  })

  it("refuses a code from one provider at the other provider's callback", async () => {
    const browser = new BrowserClient()
    const fromAlpha = new URL(
      await followUntil(browser, `${app.url}/auth/login/alpha`, (n) => n.startsWith(`${app.url}/auth/callback/alpha`)),
    )
    const atBeta = new URL(`${app.url}/auth/callback/beta`)
    atBeta.search = fromAlpha.search
    const { url, body } = await browser.navigate(atBeta.href)
    expect(url).toBe(`${app.url}/auth/retry?reason=error`)
    expect(shownCode(body)).toBe('OIDC_STATE_INVALID')
    expect((await me(browser, app)).status).toBe(401)
  })

  it('refuses it too while a login at the other provider is pending (RFC 9207 iss)', async () => {
    const browser = new BrowserClient()
    const fromAlpha = new URL(
      await followUntil(browser, `${app.url}/auth/login/alpha`, (n) => n.startsWith(`${app.url}/auth/callback/alpha`)),
    )
    await browser.request(`${app.url}/auth/login/beta`)
    const atBeta = new URL(`${app.url}/auth/callback/beta`)
    atBeta.search = fromAlpha.search
    const { body } = await browser.navigate(atBeta.href)
    expect(shownCode(body)).toBe('OIDC_ISS_PARAM_INVALID')
    expect((await me(browser, app)).status).toBe(401)
  })

  it('answers 404 for an unknown provider (LOGIN_PROVIDER_UNKNOWN)', async () => {
    const res = await new BrowserClient().request(`${app.url}/auth/login/gamma`, {
      headers: { accept: 'application/json' },
    })
    expect(res.status).toBe(404)
    expect((await res.json()).error.code).toBe('LOGIN_PROVIDER_UNKNOWN')
  })
})
