/**
 * Silent re-login with a provider that rotates refresh tokens: the stored token is replaced after
 * each refresh, and concurrent page requests of one browser share a single refresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { hashDevice } from '../../src/login/device.js'
import { deviceCookie, me } from './helpers.js'

let op: OidcProviderFixture
let app: TestApp

beforeAll(async () => {
  app = await startTestApp({
    oidc: async (baseUrl) => {
      op = await startOidcProvider({
        rotateRefreshToken: true,
        clients: [
          {
            client_id: 'rotating-app',
            client_secret: 'rotating-app-secret-0123456789',
            redirect_uris: [`${baseUrl}/auth/callback`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
        ],
      })
      return { issuer: op.issuer, clientId: 'rotating-app', clientSecret: 'rotating-app-secret-0123456789' }
    },
  })
})
afterAll(async () => {
  await app.close()
  await op.close()
})

const storedToken = async (browser: BrowserClient) =>
  (await app.dock.store.loginTokens.get(hashDevice(deviceCookie(browser, app)!)))?.refreshToken

describe('silent re-login with rotating refresh tokens', () => {
  it('stores the rotated token so the next silent login works too', async () => {
    const browser = new BrowserClient()
    await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
    const first = await storedToken(browser)
    op.resetCounters()
    for (let round = 1; round <= 2; round++) {
      browser.deleteCookie(app.url, app.dock.config.session.cookieName)
      expect((await browser.navigate(`${app.url}/`)).body).toBe('home of u-alice')
      expect(op.grants.refresh_token).toBe(round)
    }
    expect(await storedToken(browser)).not.toBe(first)
  })

  it('shares one refresh between concurrent page requests', async () => {
    const browser = new BrowserClient()
    await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    op.resetCounters()
    const pages = await Promise.all([1, 2, 3].map(() => browser.request(`${app.url}/`).then((r) => r.text())))
    expect(pages).toEqual(['home of u-alice', 'home of u-alice', 'home of u-alice'])
    expect(op.grants.refresh_token).toBe(1)
    expect(await storedToken(browser)).toBeDefined()
    expect((await me(browser, app)).body.user.id).toBe('u-alice')
  })
})
