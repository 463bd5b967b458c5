/**
 * "Renew authorization" end to end: the admin's browser posts to the HTML admin, goes through a
 * real oidc-provider (interactions finished by the fixture) and comes back to /oauth2redirect.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { ADMIN, SECRET, XSS, createViaApi, mailClientOf, startProfilesApp, type ProfilesApp } from './helpers.js'

let app: ProfilesApp
let op: OidcProviderFixture
let profileId: string
let browser: BrowserClient
const events: unknown[] = []

beforeAll(async () => {
  app = await startProfilesApp()
  op = await startOidcProvider({
    claimsInIdToken: true,
    clients: [mailClientOf(app)],
  })
  app.dock.events.on('profile.authorized', (e) => events.push(e))
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
  profileId = await createViaApi(app, {
    name: 'Mailbox',
    authorizationUrl: `${op.issuer}/auth`,
    tokenUrl: `${op.issuer}/token`,
    clientId: 'mail-client',
    clientSecret: SECRET,
    scope: 'openid email offline_access',
  })
  browser = new BrowserClient()
  events.length = 0
  op.nextInteraction = 'login'
  app.clock.reset()
  op.resetCounters()
})

const adminUrl = (path: string) => `${app.url}${app.admin}${path}`

async function csrfOfBrowser(): Promise<string> {
  const res = await browser.request(adminUrl('/'), { headers: ADMIN })
  const match = /name="_csrf" value="([^"]+)"/.exec(await res.text())
  if (!match) throw new Error(`no CSRF token on the overview (status ${res.status})`)
  return match[1]
}

/** Post "renew authorization" and follow every redirect to the end. */
async function renew(id = profileId) {
  const csrf = await csrfOfBrowser()
  return browser.navigate(adminUrl(`/${id}/authorize`), { method: 'POST', form: { _csrf: csrf }, headers: ADMIN })
}

/** Post "renew authorization" without following: the provider's authorization URL. */
async function startOnly(): Promise<URL> {
  const csrf = await csrfOfBrowser()
  const res = await browser.request(adminUrl(`/${profileId}/authorize`), {
    method: 'POST',
    form: { _csrf: csrf },
    headers: ADMIN,
  })
  expect(res.status).toBe(303)
  return new URL(res.headers.get('location')!)
}

const callback = (query: Record<string, string>) =>
  browser.navigate(`${app.url}/oauth2redirect?${new URLSearchParams(query)}`, { headers: ADMIN })

describe('renew authorization against a real provider', () => {
  it("sends the admin to the provider with PKCE S256, a state and the profile's scope and redirect URL", async () => {
    const url = await startOnly()
    expect(url.origin + url.pathname).toBe(`${op.issuer}/auth`)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(url.searchParams.get('redirect_uri')).toBe(`${app.url}/oauth2redirect`)
    expect(url.searchParams.get('scope')).toBe('openid email offline_access')
    expect(url.searchParams.get('client_id')).toBe('mail-client')
  })

  it('stores access and refresh token, records who renewed for which account, and the overview shows the token', async () => {
    const { res, url, body } = await renew()
    expect(url).toMatch(new RegExp(`^${app.url}/oauth2redirect\\?`))
    expect(res.status).toBe(200)
    expect(body).toContain('Authorization renewed')
    expect(body).toContain('<dd id="authorized-account">alice@example.com</dd>')
    expect(body).not.toContain('no-refresh-token')
    expect(op.grants.authorization_code).toBe(1)

    const record = await app.dock.store.tokens.get(profileId)
    expect(record).toMatchObject({
      status: 'ok',
      authorizedBy: 'test-admin',
      authorizedAccount: 'alice@example.com',
      lastErrorCode: null,
      failureCount: 0,
    })
    expect(record?.accessToken).toBeTruthy()
    expect(record?.refreshToken).toBeTruthy()
    expect(record?.authorizedAt).toBeInstanceOf(Date)
    expect(record?.accessTokenExpiresAt!.getTime()).toBeGreaterThan(Date.now())
    for (const token of [record!.accessToken!, record!.refreshToken!]) expect(body).not.toContain(token)

    const overview = await browser.request(adminUrl('/'), { headers: ADMIN })
    const html = await overview.text()
    expect(html).toMatch(new RegExp(`data-profile-id="${profileId}"[\\s\\S]*class="ok token-present"`))
    expect(html).toContain('Account: alice@example.com')
    expect(html).not.toContain(record!.accessToken!)

    const [entry] = await app.dock.store.audit.list({ kind: 'profile.authorized' })
    expect(entry).toMatchObject({
      actor: 'test-admin',
      profileId,
      details: { account: 'alice@example.com', refreshTokenIssued: 'yes' },
    })
    expect(events).toEqual([
      {
        profileId,
        name: 'Mailbox',
        authorizedBy: 'test-admin',
        authorizedAccount: 'alice@example.com',
        accountMismatch: false,
      },
    ])
    // The token provider hands out the token that was just stored.
    expect(await app.dock.tokens.getAccessToken(profileId)).toBe(record!.accessToken)
  })

  it('lists the summary after renewal in the JSON API (no token values)', async () => {
    await renew()
    const res = await app.agent.get(`${app.api}/${profileId}`).set(ADMIN)
    expect(res.body.profile.token).toMatchObject({
      status: 'ok',
      hasAccessToken: true,
      hasRefreshToken: true,
      authorizedAccount: 'alice@example.com',
    })
    const record = await app.dock.store.tokens.get(profileId)
    expect(res.text).not.toContain(record!.refreshToken!)
  })

  it('refuses a state that was already used with AUTHORIZATION_STATE_INVALID and keeps the tokens', async () => {
    await renew()
    const redirectHop = browser.hops.find((h) => h.url.startsWith(`${app.url}/oauth2redirect?`))!
    const before = await app.dock.store.tokens.get(profileId)
    const replay = await browser.navigate(redirectHop.url, { headers: ADMIN })
    expect(replay.res.status).toBe(400)
    expect(replay.body).toContain('<code id="error-code">AUTHORIZATION_STATE_INVALID</code>')
    expect(replay.body).toContain('already used')
    expect(op.grants.authorization_code).toBe(1)
    expect((await app.dock.store.tokens.get(profileId))?.version).toBe(before?.version)
  })

  it('refuses a missing or unknown state', async () => {
    const missing = await callback({ code: 'abc' })
    expect(missing.res.status).toBe(400)
    expect(missing.body).toContain('AUTHORIZATION_STATE_INVALID')
    const unknown = await callback({ code: 'abc', state: 'not-a-state-we-issued' })
    expect(unknown.res.status).toBe(400)
    expect(unknown.body).toContain('AUTHORIZATION_STATE_INVALID')
    expect(await app.dock.store.tokens.get(profileId)).toBeNull()
  })

  it('refuses a state started in another browser (the state is bound to the session)', async () => {
    const url = await startOnly()
    const other = new BrowserClient()
    const res = await other.navigate(`${app.url}/oauth2redirect?code=abc&state=${url.searchParams.get('state')}`, {
      headers: ADMIN,
    })
    expect(res.res.status).toBe(400)
    expect(res.body).toContain('AUTHORIZATION_STATE_INVALID')
  })

  it('refuses an answer that comes after the state expired (15 minutes)', async () => {
    const url = await startOnly()
    app.clock.advance(16 * 60_000)
    const res = await callback({ code: 'abc', state: url.searchParams.get('state')! })
    expect(res.res.status).toBe(400)
    expect(res.body).toContain('AUTHORIZATION_STATE_INVALID')
    expect(res.body).toContain('expired')
  })

  it('shows what to do when the user cancels at the provider (access_denied) and stores nothing', async () => {
    op.nextInteraction = 'deny'
    const { res, body, url } = await renew()
    expect(url).toContain('/oauth2redirect?error=access_denied')
    expect(res.status).toBe(400)
    expect(body).toContain('<code id="error-code">AUTHORIZATION_FAILED</code>')
    expect(body).toContain('<code id="provider-code">access_denied</code>')
    expect(body).toContain('cancelled or the requested permissions were refused')
    expect(await app.dock.store.tokens.get(profileId)).toBeNull()
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.authorization_failed' })
    expect(entry.details).toMatchObject({ providerCode: 'access_denied' })
  })

  it('explains an Entra AADSTS code from error_description and escapes the provider text', async () => {
    const state = (await startOnly()).searchParams.get('state')!
    const res = await callback({
      state,
      error: 'invalid_client',
      error_description: `AADSTS7000222: The provided client secret keys are expired. ${XSS[0]}${XSS[1]}`,
    })
    expect(res.res.status).toBe(400)
    expect(res.body).toContain('<code id="provider-code">AADSTS7000222</code>')
    expect(res.body).toContain('The client secret has expired')
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(res.body).not.toMatch(/<script>alert|<img src=x/)
  })

  it('refuses an answer whose iss names another issuer (mix-up defence) and exchanges no code', async () => {
    const state = (await startOnly()).searchParams.get('state')!
    const res = await callback({ state, code: 'abc', iss: 'https://evil.example.com' })
    expect(res.res.status).toBe(400)
    expect(res.body).toContain('<code id="error-code">AUTHORIZATION_FAILED</code>')
    expect(res.body).toContain('another issuer')
    expect(op.grants.authorization_code ?? 0).toBe(0)
    expect(op.requests['/token'] ?? 0).toBe(0)
  })

  it('reports invalid_client from the token endpoint (wrong secret) and stores no token', async () => {
    const csrf = (await app.agent.get(`${app.api}/csrf`).set(ADMIN)).body.csrfToken
    await app.agent
      .patch(`${app.api}/${profileId}`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send({ clientSecret: 'wrong-secret' })
    const { res, body } = await renew()
    expect(res.status).toBe(400)
    expect(body).toContain('<code id="error-code">AUTHORIZATION_FAILED</code>')
    expect(body).toContain('<code id="provider-code">invalid_client</code>')
    expect(body).toContain('Check the client ID and the client secret')
    expect(body).not.toContain('wrong-secret')
    expect(await app.dock.store.tokens.get(profileId)).toBeNull()
  })

  it('starts from the JSON API too: POST /:id/authorize answers the authorization URL', async () => {
    const csrf = (await app.agent.get(`${app.api}/csrf`).set(ADMIN)).body.csrfToken
    const res = await app.agent.post(`${app.api}/${profileId}/authorize`).set(ADMIN).set('x-csrf-token', csrf)
    expect(res.status).toBe(200)
    const url = new URL(res.body.authorizationUrl)
    expect(url.origin).toBe(op.issuer)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
  })

  it('refuses to start for a client-credentials profile (nothing to authorize)', async () => {
    const id = await createViaApi(app, {
      name: 'App only',
      grantType: 'client_credentials',
      authorizationUrl: '',
      tokenUrl: `${op.issuer}/token`,
    })
    const csrf = (await app.agent.get(`${app.api}/csrf`).set(ADMIN)).body.csrfToken
    const res = await app.agent.post(`${app.api}/${id}/authorize`).set(ADMIN).set('x-csrf-token', csrf)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('AUTHORIZATION_FAILED')
  })
})
