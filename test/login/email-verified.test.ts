/**
 * A login identified by `email` is refused when the provider says the address is not verified
 * (`email_verified: false`, or the string "false"), whether the claims come from UserInfo or from
 * the ID token, at login and at silent re-login. An absent `email_verified` (Entra ID sends none)
 * does not refuse, and neither does an unverified address when another claim identifies the user.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import {
  DEFAULT_ACCOUNTS,
  startOidcProvider,
  type OidcProviderFixture,
  type TestAccount,
} from '../fixtures/oidc-provider.js'
import { TEST_USERS, startTestApp, type TestApp, type TestUser } from '../fixtures/test-app.js'
import { hashDevice } from '../../src/login/device.js'
import { deviceCookie, me, shownCode } from './helpers.js'

const accounts = (): TestAccount[] => [
  ...DEFAULT_ACCOUNTS,
  { sub: 'dave', email: 'dave@example.com', emailVerified: false },
  { sub: 'erin', email: 'erin@example.com', emailVerified: 'false' },
  { sub: 'frank', email: 'frank@example.com', emailVerified: null },
  { sub: 'gina', email: 'gina@example.com' },
]
const users: TestUser[] = [
  ...TEST_USERS,
  { id: 'u-dave', username: 'dave', email: 'dave@example.com', sub: 'dave', passwordLogin: false },
  { id: 'u-erin', username: 'erin', email: 'erin@example.com', passwordLogin: false },
  { id: 'u-frank', username: 'frank', email: 'frank@example.com', passwordLogin: false },
  { id: 'u-gina', username: 'gina', email: 'gina@example.com', passwordLogin: false },
]

/** Claims from UserInfo (oidc-provider's default ID token carries no email). */
let viaUserInfo: OidcProviderFixture
/** Claims in the ID token. */
let viaIdToken: OidcProviderFixture
let app: TestApp

const client = (baseUrl: string, id: string) => ({
  client_id: `ev-${id}`,
  client_secret: `ev-${id}-secret-0123456789`,
  redirect_uris: [`${baseUrl}/auth/callback/${id}`],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code' as const],
})
const provider = (id: string, op: OidcProviderFixture, claim?: string) => ({
  id,
  issuer: op.issuer,
  clientId: `ev-${id}`,
  clientSecret: `ev-${id}-secret-0123456789`,
  ...(claim ? { claim } : {}),
})

beforeAll(async () => {
  app = await startTestApp({
    users,
    oidc: async (baseUrl) => {
      viaUserInfo = await startOidcProvider({
        accounts: accounts(),
        clients: [client(baseUrl, 'userinfo'), client(baseUrl, 'bysub')],
      })
      viaIdToken = await startOidcProvider({
        accounts: accounts(),
        claimsInIdToken: true,
        clients: [client(baseUrl, 'idtoken')],
      })
      return [provider('userinfo', viaUserInfo), provider('idtoken', viaIdToken), provider('bysub', viaUserInfo, 'sub')]
    },
  })
})
afterAll(async () => {
  await app?.close()
  await viaUserInfo?.close()
  await viaIdToken?.close()
})
beforeEach(() => {
  app.clock.reset()
})

const opOf = (providerId: string) => (providerId === 'idtoken' ? viaIdToken : viaUserInfo)

async function logIn(providerId: string, account: string, headers: Record<string, string> = {}) {
  opOf(providerId).defaultAccount = account
  const browser = new BrowserClient()
  const result = await browser.navigate(`${app.url}/auth/login/${providerId}?returnTo=/me`, { headers })
  return { browser, ...result }
}

const lastFailure = async () => (await app.dock.store.audit.list({ kind: 'login.failed', limit: 1 }))[0]

describe('email_verified', () => {
  it.each([
    ['userinfo', 'dave', 'false'],
    ['userinfo', 'erin', '"false"'],
    ['idtoken', 'dave', 'false'],
    ['idtoken', 'erin', '"false"'],
  ])(
    'refuses a login by email when %s says the email_verified of %s is %s (OIDC_EMAIL_NOT_VERIFIED)',
    async (providerId, account) => {
      const lookups = app.claimLookups.length
      const { browser, url, body, res } = await logIn(providerId, account)
      expect(url).toBe(`${app.url}/auth/retry?reason=error`)
      expect(res.status).toBe(200)
      expect(shownCode(body)).toBe('OIDC_EMAIL_NOT_VERIFIED')
      expect(body).toContain('id="retry-hint"')
      expect(body).toContain('has not verified your e-mail address')
      expect((await me(browser, app)).status).toBe(401)
      // The host was never asked for a user with this address.
      expect(app.claimLookups.length).toBe(lookups)
      const audit = await lastFailure()
      expect(audit.actor).toBeNull()
      expect(audit.details).toMatchObject({
        providerId,
        method: 'oidc',
        reason: 'OIDC_EMAIL_NOT_VERIFIED',
        claim: 'email_verified',
      })
      expect(deviceCookie(browser, app)).toBeUndefined()
    },
  )

  it('says so in German for a German browser', async () => {
    const { body } = await logIn('userinfo', 'dave', { 'accept-language': 'de' })
    expect(shownCode(body)).toBe('OIDC_EMAIL_NOT_VERIFIED')
    expect(body).toContain('hat Ihre E-Mail-Adresse nicht bestätigt')
  })

  it.each(['userinfo', 'idtoken'])(
    'lets a login through when %s sends no email_verified at all (as Entra ID)',
    async (providerId) => {
      const { browser, url } = await logIn(providerId, 'frank')
      expect(url).toBe(`${app.url}/me`)
      expect((await me(browser, app)).body.user.id).toBe('u-frank')
    },
  )

  it.each(['userinfo', 'idtoken'])('lets a verified address through (%s)', async (providerId) => {
    const { browser, url } = await logIn(providerId, 'alice')
    expect(url).toBe(`${app.url}/me`)
    expect((await me(browser, app)).body.user.id).toBe('u-alice')
  })

  it('does not refuse an unverified address when another claim (sub) identifies the user', async () => {
    const { browser, url } = await logIn('bysub', 'dave')
    expect(url).toBe(`${app.url}/me`)
    expect((await me(browser, app)).body.user.id).toBe('u-dave')
    expect(app.claimLookups.at(-1)).toMatchObject({ providerId: 'bysub', claim: 'sub', value: 'dave' })
  })

  it('refuses a silent re-login once the provider says the address is no longer verified', async () => {
    const gina = viaUserInfo.accounts.find((a) => a.sub === 'gina')!
    try {
      const { browser, url } = await logIn('userinfo', 'gina')
      expect(url).toBe(`${app.url}/me`)
      const device = deviceCookie(browser, app)!
      gina.emailVerified = false
      browser.deleteCookie(app.url, app.dock.config.session.cookieName)
      expect((await browser.navigate(`${app.url}/`)).body).toBe('home (anonymous)')
      expect((await me(browser, app)).status).toBe(401)
      expect(await lastFailure()).toMatchObject({
        actor: 'u-gina',
        details: { method: 'silent', reason: 'OIDC_EMAIL_NOT_VERIFIED' },
      })
      expect(await app.dock.store.loginTokens.get(hashDevice(device))).toBeNull()
    } finally {
      gina.emailVerified = true
    }
  })
})
