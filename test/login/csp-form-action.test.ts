/**
 * Content-Security-Policy form-action: authdock's pages let forms go to this site and to the login
 * providers (RP-initiated logout posts, then is redirected to the provider's end_session_endpoint,
 * and Chromium checks form-action on that redirect too); the profiles overview also admits the
 * authorization URLs that "Renew authorization" redirects to. The logout itself is shown in a real
 * browser in test/browser/login.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startProfilesApp, ADMIN, createViaApi, type ProfilesApp } from '../profiles/helpers.js'

let op: OidcProviderFixture
let app: ProfilesApp

const formAction = (csp: string | undefined) => /(?:^|;\s*)form-action ([^;]+)/.exec(csp ?? '')?.[1].split(' ')

beforeAll(async () => {
  op = await startOidcProvider({
    clients: [{ client_id: 'login', client_secret: 'login-secret', redirect_uris: ['http://127.0.0.1/cb'] }],
  })
  app = await startProfilesApp({ oidc: { issuer: op.issuer, clientId: 'login', clientSecret: 'login-secret' } })
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})

describe('CSP form-action', () => {
  it("admits 'self' and the login provider's origin on login and error pages, and nothing else", async () => {
    for (const path of ['/auth/retry', '/auth/password', '/admin/oauth2-profiles/']) {
      const res = await request(app.app).get(path).set('accept', 'text/html')
      expect(formAction(res.headers['content-security-policy']), path).toEqual(["'self'", new URL(op.issuer).origin])
    }
  })

  it('lists the provider once after discovery, its end_session_endpoint being on the issuer origin', async () => {
    // The login discovers the provider (and its end_session_endpoint) before redirecting there.
    expect((await request(app.app).get('/auth/login')).status).toBe(302)
    const res = await request(app.app).get('/auth/retry')
    expect(res.headers['content-security-policy']).toContain(`form-action 'self' ${new URL(op.issuer).origin}`)
    expect(app.dock.login.formActionOrigins()).toEqual([new URL(op.issuer).origin])
  })

  it('admits on the profiles overview the authorization URLs that "Renew authorization" redirects to', async () => {
    await createViaApi(app, {
      name: 'M365',
      authorizationUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    })
    await createViaApi(app, {
      name: 'App only',
      grantType: 'client_credentials',
      authorizationUrl: 'https://app-only.example.com/authorize',
      tokenUrl: 'https://app-only.example.com/token',
    })
    const overview = await app.agent.get(`${app.admin}/`).set(ADMIN)
    expect(formAction(overview.headers['content-security-policy'])).toEqual([
      "'self'",
      new URL(op.issuer).origin,
      'https://login.microsoftonline.com',
    ])
    const edit = await app.agent.get(`${app.admin}/new`).set(ADMIN)
    expect(formAction(edit.headers['content-security-policy'])).toEqual(["'self'", new URL(op.issuer).origin])
  })
})
