/**
 * "Clear tokens": the tokens are revoked at the provider (RFC 7009, a real oidc-provider with
 * revocation and introspection), then dropped; the profile then shows no token and the token
 * provider refuses with TOKEN_NOT_AUTHORIZED. A confirmation page and a CSRF-protected post in the
 * HTML admin, the same in the JSON API, audited. A provider without a revocation endpoint, or one
 * that refuses the revocation, still gets the tokens dropped here and the admin is told.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { introspect } from '../fixtures/smtp-server.js'
import { introspectionOf, MAIL_SERVER_CLIENT } from '../tokens/helpers.js'
import { ADMIN, SECRET, apiCsrf, createViaApi, startProfilesApp, type ProfilesApp, mailClientOf } from './helpers.js'

let app: ProfilesApp
let op: OidcProviderFixture

beforeAll(async () => {
  app = await startProfilesApp()
  op = await startOidcProvider({
    clients: [mailClientOf(app), { ...MAIL_SERVER_CLIENT } as never],
  })
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
  op.resetCounters()
})

const adminUrl = (path: string) => `${app.url}${app.admin}${path}`

function opProfile(extra: Record<string, unknown> = {}): Promise<string> {
  return createViaApi(app, {
    name: 'Mailbox',
    authorizationUrl: `${op.issuer}/auth`,
    tokenUrl: `${op.issuer}/token`,
    clientId: 'mail-client',
    clientSecret: SECRET,
    scope: 'openid offline_access',
    ...extra,
  })
}

/** "Renew authorization" end to end; returns the stored tokens. */
async function renew(profileId: string): Promise<{ accessToken: string; refreshToken: string }> {
  const browser = new BrowserClient()
  const page = await browser.request(adminUrl('/'), { headers: ADMIN })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]
  const { res } = await browser.navigate(adminUrl(`/${profileId}/authorize`), {
    method: 'POST',
    form: { _csrf: csrf },
    headers: ADMIN,
  })
  expect(res.status).toBe(200)
  const record = await app.dock.store.tokens.get(profileId)
  return { accessToken: record!.accessToken!, refreshToken: record!.refreshToken! }
}

async function overviewRow(id: string): Promise<string> {
  const res = await app.agent.get(`${app.admin}/`).set(ADMIN)
  const start = res.text.indexOf(`data-profile-id="${id}"`)
  return res.text.slice(start, res.text.indexOf('</tr>', start))
}

/** The CSRF token of the confirmation page. */
async function confirmationCsrf(id: string): Promise<{ html: string; csrf: string }> {
  const res = await app.agent.get(`${app.admin}/${id}/clear-tokens`).set(ADMIN)
  expect(res.status).toBe(200)
  return { html: res.text, csrf: /name="_csrf" value="([^"]+)"/.exec(res.text)![1] }
}

describe('clear tokens in the HTML admin', () => {
  it('revokes both tokens at the provider, drops them, and the next getAccessToken fails with TOKEN_NOT_AUTHORIZED', async () => {
    const id = await opProfile()
    const { accessToken, refreshToken } = await renew(id)
    expect(await app.dock.tokens.getAccessToken(id)).toBe(accessToken)
    expect(await overviewRow(id)).toContain(`/${id}/clear-tokens`)

    const { html, csrf } = await confirmationCsrf(id)
    expect(html).toContain('Remove the tokens of &#34;Mailbox&#34;?')
    expect(html).toContain('the access token')
    expect(html).toContain('the refresh token')
    op.resetCounters()

    const res = await app.agent.post(`${app.admin}/${id}/clear-tokens`).set(ADMIN).type('form').send({ _csrf: csrf })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`${app.admin}/?done=tokensCleared`)
    // RFC 7009 at the endpoint the provider's discovery document names, once per token.
    expect(op.requests['/.well-known/openid-configuration']).toBeGreaterThanOrEqual(1)
    expect(op.requests['/token/revocation']).toBe(2)
    for (const token of [accessToken, refreshToken])
      expect(await introspect(introspectionOf(op), token)).toMatchObject({ active: false })

    expect(await app.dock.store.tokens.summary(id)).toMatchObject({
      hasAccessToken: false,
      hasRefreshToken: false,
      authorizedAccount: null,
    })
    const row = await overviewRow(id)
    expect(row).not.toContain('token-present')
    expect(row).toContain('Not authorized')
    const overview = await app.agent.get(`${app.admin}/?done=tokensCleared`).set(ADMIN)
    expect(overview.text).toContain('The tokens were revoked at the provider and removed.')
    await expect(app.dock.tokens.getAccessToken(id)).rejects.toMatchObject({ code: 'TOKEN_NOT_AUTHORIZED' })

    const [entry] = await app.dock.store.audit.list({ kind: 'profile.tokens_cleared', profileId: id })
    expect(entry).toMatchObject({
      actor: 'test-admin',
      details: {
        name: 'Mailbox',
        endpointSource: 'discovery',
        revocationEndpoint: `${op.issuer}/token/revocation`,
        refreshTokenRevocation: 'revoked',
        accessTokenRevocation: 'revoked',
        providerCode: null,
      },
    })
    expect(JSON.stringify(entry)).not.toContain(refreshToken)
  })

  it("refuses the post without the page's CSRF token and keeps the tokens", async () => {
    const id = await opProfile()
    await renew(id)
    op.resetCounters()
    const res = await app.agent.post(`${app.admin}/${id}/clear-tokens`).set(ADMIN).type('form').send({})
    expect(res.status).toBe(403)
    expect(res.text).toContain('CSRF_INVALID')
    expect(op.requests['/token/revocation'] ?? 0).toBe(0)
    expect(await app.dock.store.tokens.summary(id)).toMatchObject({ hasAccessToken: true, hasRefreshToken: true })
  })

  it('drops the tokens of a provider without a revocation endpoint and says they stay valid there', async () => {
    // A token URL whose host has no discovery document (the app itself).
    const id = await createViaApi(app, {
      name: 'No revocation',
      tokenUrl: `${app.url}/token`,
      authorizationUrl: `${app.url}/authorize`,
    })
    await app.dock.store.tokens.save(id, {
      accessToken: 'at-1',
      accessTokenExpiresAt: new Date(Date.now() + 3600_000),
      refreshToken: 'rt-1',
    })
    const { csrf } = await confirmationCsrf(id)
    const res = await app.agent.post(`${app.admin}/${id}/clear-tokens`).set(ADMIN).type('form').send({ _csrf: csrf })
    expect(res.headers.location).toBe(`${app.admin}/?done=tokensClearedNotRevoked`)
    expect(await app.dock.store.tokens.summary(id)).toMatchObject({ hasAccessToken: false, hasRefreshToken: false })
    const overview = await app.agent.get(`${app.admin}/?done=tokensClearedNotRevoked`).set(ADMIN)
    expect(overview.text).toContain('stay valid there until they expire')
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.tokens_cleared', profileId: id })
    expect(entry.details).toMatchObject({
      revocationEndpoint: null,
      refreshTokenRevocation: 'no_endpoint',
      accessTokenRevocation: 'no_endpoint',
    })
  })

  it('drops the tokens when the provider refuses the revocation, and reports the provider code', async () => {
    const id = await opProfile({ clientSecret: 'not-the-secret', revocationUrl: `${op.issuer}/token/revocation` })
    await app.dock.store.tokens.save(id, {
      accessToken: 'at-2',
      accessTokenExpiresAt: new Date(Date.now() + 3600_000),
      refreshToken: 'rt-2',
    })
    const { csrf } = await confirmationCsrf(id)
    const res = await app.agent.post(`${app.admin}/${id}/clear-tokens`).set(ADMIN).type('form').send({ _csrf: csrf })
    expect(res.headers.location).toBe(`${app.admin}/?done=tokensClearedRevokeFailed`)
    expect(await app.dock.store.tokens.summary(id)).toMatchObject({ hasAccessToken: false, hasRefreshToken: false })
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.tokens_cleared', profileId: id })
    expect(entry.details).toMatchObject({
      endpointSource: 'profile',
      refreshTokenRevocation: 'failed',
      providerCode: 'invalid_client',
    })
  })
})

describe('clear tokens in the JSON API', () => {
  it("POST /:id/clear-tokens revokes at the profile's revocation URL and answers the outcome and the profile", async () => {
    const id = await opProfile({ revocationUrl: `${op.issuer}/token/revocation` })
    const { accessToken, refreshToken } = await renew(id)
    op.resetCounters()
    const refused = await app.agent.post(`${app.api}/${id}/clear-tokens`).set(ADMIN)
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('CSRF_INVALID')

    const res = await app.agent
      .post(`${app.api}/${id}/clear-tokens`)
      .set(ADMIN)
      .set('x-csrf-token', await apiCsrf(app))
    expect(res.status).toBe(200)
    expect(res.body.result).toMatchObject({
      profileId: id,
      endpointSource: 'profile',
      revocationEndpoint: `${op.issuer}/token/revocation`,
      refreshToken: 'revoked',
      accessToken: 'revoked',
    })
    expect(res.body.profile.token).toMatchObject({ hasAccessToken: false, hasRefreshToken: false })
    // The profile names its endpoint: no discovery needed.
    expect(op.requests['/.well-known/openid-configuration'] ?? 0).toBe(0)
    expect(op.requests['/token/revocation']).toBe(2)
    for (const token of [accessToken, refreshToken]) {
      expect(await introspect(introspectionOf(op), token)).toMatchObject({ active: false })
      expect(res.text).not.toContain(token)
    }
    await expect(app.dock.tokens.getAccessToken(id)).rejects.toMatchObject({ code: 'TOKEN_NOT_AUTHORIZED' })
  })
})
