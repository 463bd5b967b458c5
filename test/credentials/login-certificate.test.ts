/**
 * A login provider from the options with `clientAuth.kind: 'private_key_jwt'`: authdock generates
 * its certificate at start, the provider (a real oidc-provider) is given the public JWKS, and the
 * login's code exchange and the silent re-login's refresh carry assertions the provider verified.
 * A certificate the provider does not know ends on the retry page with CLIENT_CERTIFICATE_UNKNOWN,
 * keeps the remembered device, and switching back logs in again.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { ADMIN, startProfilesApp, type ProfilesApp } from '../profiles/helpers.js'
import { me, shownCode } from '../login/helpers.js'
import {
  CredentialsApi,
  registerCertificateClient,
  startCertificateOp,
  type CertificateOp,
  type CertificateJson,
} from './helpers.js'

let op: CertificateOp
let app: ProfilesApp
let api: CredentialsApi
let first: CertificateJson
const CLIENT_ID = 'login-with-certificate'

beforeAll(async () => {
  op = await startCertificateOp()
  app = await startProfilesApp({
    oidc: { issuer: op.issuer, clientId: CLIENT_ID, clientAuth: { kind: 'private_key_jwt' }, scope: 'openid email' },
  })
  api = new CredentialsApi(app)
  // What a provider fetches for "Use JWKS URL": public, no session, no admin.
  const jwks = await fetch(`${app.url}/.well-known/authdock/login-provider/default/jwks.json`)
  expect(jwks.status).toBe(200)
  expect(jwks.headers.get('cache-control')).toMatch(/public, max-age=\d+/)
  const { keys } = (await jwks.json()) as { keys: Array<Record<string, unknown>> }
  expect(keys).toHaveLength(1)
  first = (await api.owner('login-provider', 'default')).body.certificates[0]
  await registerCertificateClient(
    op,
    { client_id: CLIENT_ID, redirect_uris: [`${app.url}/auth/callback`], scope: 'openid email offline_access' },
    keys as never,
  )
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})
beforeEach(() => {
  op.resetCounters()
  op.verified.length = 0
})

async function login(browser = new BrowserClient()) {
  const result = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
  return { browser, ...result }
}

describe('login with a certificate instead of a client secret', () => {
  it('generated the certificate at start, active, and audited it without key material', async () => {
    expect(first).toMatchObject({ state: 'active', active: true, keySize: 2048 })
    const [entry] = await app.dock.store.audit.list({ kind: 'certificate.generated' })
    expect(entry).toMatchObject({
      actor: null,
      details: {
        ownerKind: 'login-provider',
        ownerId: 'default',
        thumbprintSha1: first.thumbprintSha1,
        validityDays: 365,
      },
    })
    const owner = await api.owner('login-provider', 'default')
    expect(owner.body.owner).toMatchObject({ method: 'private_key_jwt', methodFixed: true })
    const refused = await api.setMethod('login-provider', 'default', 'client_secret')
    expect(refused.status).toBe(400)
    expect(refused.body.error.fields.method).toMatch(/oidc\.clientAuth\.kind/)
  })

  it('logs in: the provider verified the assertion of the code exchange, and silent re-login refreshes with one too', async () => {
    const { browser, url, body } = await login()
    expect(url).toBe(`${app.url}/me`)
    expect(JSON.parse(body).user.id).toBe('u-alice')
    expect(op.grants.authorization_code).toBe(1)
    expect(op.verified).toHaveLength(1)
    expect(op.verified[0].header).toMatchObject({
      kid: first.kid,
      x5t: Buffer.from(first.thumbprintSha1, 'hex').toString('base64url'),
    })
    expect(op.verified[0].claims).toMatchObject({ iss: CLIENT_ID, sub: CLIENT_ID, aud: `${op.issuer}/token` })

    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    expect((await browser.navigate(`${app.url}/`)).body).toBe('home of u-alice')
    expect(op.grants.refresh_token).toBe(1)
    expect(op.verified).toHaveLength(2)
  })

  it('a certificate the provider does not know: retry page with CLIENT_CERTIFICATE_UNKNOWN, the audit names it, the device stays; switching back works', async () => {
    const { browser } = await login()
    const second = await api.newCertificate('login-provider', 'default')
    expect(second.state).toBe('waiting')
    await api.mustActivate('login-provider', 'default', second.id)

    const fresh = await login()
    expect(fresh.url).toMatch(`${app.url}/auth/retry`)
    expect(shownCode(fresh.body)).toBe('CLIENT_CERTIFICATE_UNKNOWN')
    expect(fresh.body).toContain('did not accept this application&#39;s certificate')
    const [failed] = await app.dock.store.audit.list({ kind: 'login.failed' })
    expect(failed.details).toMatchObject({
      reason: 'CLIENT_CERTIFICATE_UNKNOWN',
      providerError: 'invalid_client',
      certificate: second.thumbprintSha1,
    })

    // Silent re-login is refused for the same reason, but the stored refresh token is kept.
    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    expect((await browser.navigate(`${app.url}/`)).body).toBe('home (anonymous)')

    await api.mustActivate('login-provider', 'default', first.id)
    expect((await browser.navigate(`${app.url}/`)).body).toBe('home of u-alice')
    const again = await login()
    expect(again.url).toBe(`${app.url}/me`)
    expect((await me(again.browser, app)).body.user.id).toBe('u-alice')
    expect((await api.remove('login-provider', 'default', second.id)).status).toBe(204)
  })

  it('refuses oidc.clientSecret beside private_key_jwt with CONFIG_INVALID naming it', async () => {
    const { resolveConfig } = await import('../../src/config.js')
    expect(() =>
      resolveConfig({
        ...app.dock.config,
        encryptionKey: app.dock.config.encryptionKey,
        oidc: { issuer: op.issuer, clientId: 'x', clientSecret: 'a-secret', clientAuth: { kind: 'private_key_jwt' } },
      } as never),
    ).toThrow(/"oidc\.clientSecret".*private_key_jwt/)
  })

  it('the admin page of the login provider shows the certificate and the fixed method', async () => {
    const page = await app.agent.get(`${app.dock.config.paths.credentials}/login-provider/default`).set(ADMIN)
    expect(page.status).toBe(200)
    expect(page.text).toContain(first.thumbprintSha1)
    expect(page.text).toContain('id="method-fixed"')
  })
})
