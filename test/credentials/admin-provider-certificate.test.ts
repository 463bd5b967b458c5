/**
 * A login provider managed in the admin that authenticates with a certificate: chosen in the JSON
 * API (no secret), its first certificate generated and audited, its JWKS registered at a real
 * oidc-provider for `private_key_jwt`. The login's code exchange and the silent re-login carry
 * assertions the provider verified; a certificate the provider does not know ends on the retry page
 * with CLIENT_CERTIFICATE_UNKNOWN naming it; /metrics shows every certificate's expiry by owner.
 * The HTML form and overview offer the choice and the link to the certificates page; deleting the
 * provider removes its certificates.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
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

const DAY_SECONDS = 24 * 60 * 60
const CLIENT_ID = 'stored-login-with-certificate'

let op: CertificateOp
let app: ProfilesApp
let api: CredentialsApi
let providerId: string
let first: CertificateJson
let csrf: string
const registry = new Registry()

const providersApi = () => app.dock.config.paths.loginProvidersApi

async function providerCsrf(): Promise<string> {
  csrf ??= (await app.agent.get(`${providersApi()}/csrf`).set(ADMIN)).body.csrfToken as string
  return csrf
}

beforeAll(async () => {
  op = await startCertificateOp()
  app = await startProfilesApp({
    options: { metrics: { registry } },
    mount: (host) =>
      host.get('/metrics', (_req, res, next) => {
        registry.metrics().then((text) => res.type(registry.contentType).send(text), next)
      }),
  })
  api = new CredentialsApi(app)
  // The token first: the agent attaches its cookies when a request is created.
  const token = await providerCsrf()
  const created = await app.agent.post(providersApi()).set(ADMIN).set('x-csrf-token', token).send({
    label: 'Partners',
    issuer: op.issuer,
    clientId: CLIENT_ID,
    scope: 'openid email',
    clientAuth: 'private_key_jwt',
  })
  expect(created.status).toBe(201)
  expect(created.body.provider).toMatchObject({ clientAuth: 'private_key_jwt', hasClientSecret: false })
  providerId = created.body.provider.id as string

  const jwks = await fetch(`${app.url}/.well-known/authdock/login-provider/${providerId}/jwks.json`)
  expect(jwks.status).toBe(200)
  const { keys } = (await jwks.json()) as { keys: Array<Record<string, unknown>> }
  expect(keys).toHaveLength(1)
  first = (await api.owner('login-provider', providerId)).body.certificates[0]
  await registerCertificateClient(
    op,
    {
      client_id: CLIENT_ID,
      redirect_uris: [created.body.provider.redirectUri as string],
      scope: 'openid email offline_access',
    },
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
  const result = await browser.navigate(`${app.url}/auth/login/${providerId}?returnTo=/me`)
  return { browser, ...result }
}

describe('a login provider managed in the admin, with a certificate instead of a secret', () => {
  it('generated its certificate when saved with clientAuth private_key_jwt, and audited both steps with the actor', async () => {
    expect(first).toMatchObject({ state: 'active', active: true, keySize: 2048 })
    const owner = await api.owner('login-provider', providerId)
    expect(owner.body.owner).toMatchObject({ method: 'private_key_jwt', methodFixed: false, name: 'Partners' })
    const [generated] = await app.dock.store.audit.list({ kind: 'certificate.generated' })
    expect(generated).toMatchObject({
      actor: 'test-admin',
      details: { ownerKind: 'login-provider', ownerId: providerId, thumbprintSha1: first.thumbprintSha1 },
    })
    const [changed] = await app.dock.store.audit.list({ kind: 'client_auth.changed' })
    expect(changed).toMatchObject({
      actor: 'test-admin',
      details: { ownerKind: 'login-provider', ownerId: providerId, from: 'client_secret', to: 'private_key_jwt' },
    })
  })

  it('logs in: the provider verified the assertion of the code exchange, and silent re-login refreshes with one too', async () => {
    const { browser, url } = await login()
    expect(url).toBe(`${app.url}/me`)
    expect((await me(browser, app)).body.user.id).toBe('u-alice')
    expect(op.grants.authorization_code).toBe(1)
    expect(op.verified).toHaveLength(1)
    expect(op.verified[0]).toMatchObject({
      clientId: CLIENT_ID,
      header: { kid: first.kid, x5t: Buffer.from(first.thumbprintSha1, 'hex').toString('base64url') },
      claims: { iss: CLIENT_ID, sub: CLIENT_ID, aud: `${op.issuer}/token` },
    })

    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    expect((await browser.navigate(`${app.url}/`)).body).toBe('home of u-alice')
    expect(op.grants.refresh_token).toBe(1)
    expect(op.verified).toHaveLength(2)
  })

  it('a certificate the provider does not know: retry page with CLIENT_CERTIFICATE_UNKNOWN naming it; /metrics shows both certificates; switching back works', async () => {
    const second = await api.newCertificate('login-provider', providerId, { validityDays: 30 })
    expect(second.state).toBe('waiting')

    const metrics = await fetch(`${app.url}/metrics`).then((r) => r.text())
    const series = (c: CertificateJson, state: string) =>
      new RegExp(
        `authdock_secret_expiry_seconds\\{kind="login-client",id="${providerId.replace('.', '\\.')}",credential="certificate",certificate="${c.thumbprintSha1}",state="${state}"\\} (\\d+)`,
      ).exec(metrics)?.[1]
    expect(Number(series(first, 'active'))).toBeGreaterThan(364 * DAY_SECONDS)
    expect(Number(series(first, 'active'))).toBeLessThanOrEqual(365 * DAY_SECONDS)
    expect(Number(series(second, 'waiting'))).toBeGreaterThan(29 * DAY_SECONDS)
    expect(Number(series(second, 'waiting'))).toBeLessThanOrEqual(30 * DAY_SECONDS)
    expect(metrics).not.toContain('PRIVATE KEY')

    await api.mustActivate('login-provider', providerId, second.id)
    const refused = await login()
    expect(refused.url).toMatch(`${app.url}/auth/retry`)
    expect(shownCode(refused.body)).toBe('CLIENT_CERTIFICATE_UNKNOWN')
    const [failed] = await app.dock.store.audit.list({ kind: 'login.failed' })
    expect(failed.details).toMatchObject({
      providerId,
      reason: 'CLIENT_CERTIFICATE_UNKNOWN',
      providerError: 'invalid_client',
      certificate: second.thumbprintSha1,
    })

    await api.mustActivate('login-provider', providerId, first.id)
    expect((await login()).url).toBe(`${app.url}/me`)
    expect((await api.remove('login-provider', providerId, second.id)).status).toBe(204)
  })

  it('the admin pages: the overview links the certificates, the form has the choice checked, the certificates page links back', async () => {
    const base = app.dock.config.paths.loginProviders
    const certificatesPage = `${app.dock.config.paths.credentials}/login-provider/${providerId}`
    const overview = await app.agent.get(`${base}/`).set(ADMIN)
    expect(overview.status).toBe(200)
    expect(overview.text).toContain(`href="${certificatesPage}"`)
    const form = await app.agent.get(`${base}/${providerId}/edit`).set(ADMIN)
    expect(form.text).toMatch(/id="f-clientAuth-private_key_jwt" name="clientAuth" value="private_key_jwt" checked/)
    expect(form.text).toContain(`id="certificates-link" href="${certificatesPage}"`)
    const page = await app.agent.get(certificatesPage).set(ADMIN)
    expect(page.status).toBe(200)
    expect(page.text).toContain(first.thumbprintSha1)
    expect(page.text).toContain('id="method-private_key_jwt" name="method" value="private_key_jwt" checked')
    expect(page.text).toContain(`href="${base}/" id="back-to-providers"`)
  })

  it('the JSON API switches back to a secret and to the certificate again; an unknown method names the field', async () => {
    const patch = (body: Record<string, unknown>) =>
      providerCsrf().then((token) =>
        app.agent.patch(`${providersApi()}/${providerId}`).set(ADMIN).set('x-csrf-token', token).send(body),
      )
    const bad = await patch({ clientAuth: 'tls_client_auth' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.fields.clientAuth).toMatch(/client_secret, private_key_jwt/)

    const toSecret = await patch({ clientAuth: 'client_secret', clientSecret: 'a-secret-for-the-partner-0123' })
    expect(toSecret.status).toBe(200)
    expect(toSecret.body.provider).toMatchObject({ clientAuth: 'client_secret', hasClientSecret: true })
    // The provider only knows the certificate: the login now sends the secret and is refused.
    expect((await login()).url).toMatch(`${app.url}/auth/retry`)
    expect(op.verified).toHaveLength(0)

    const back = await patch({ clientAuth: 'private_key_jwt' })
    expect(back.body.provider.clientAuth).toBe('private_key_jwt')
    // The existing certificate is used again: no new one was generated.
    expect((await api.owner('login-provider', providerId)).body.certificates).toHaveLength(1)
    expect((await login()).url).toBe(`${app.url}/me`)
    expect(op.verified).toHaveLength(1)

    // The certificates page's choice alone (no provider edit) reaches the login too.
    expect((await api.setMethod('login-provider', providerId, 'client_secret')).status).toBe(200)
    expect((await login()).url).toMatch(`${app.url}/auth/retry`)
    expect(op.verified).toHaveLength(1)
    expect((await api.setMethod('login-provider', providerId, 'private_key_jwt')).status).toBe(200)
    expect((await login()).url).toBe(`${app.url}/me`)
    expect(op.verified).toHaveLength(2)
  })

  it('the HTML form: a new provider saved with a certificate gets one without a secret; moving its issuer needs no secret', async () => {
    const base = app.dock.config.paths.loginProviders
    const newForm = await app.agent.get(`${base}/new`).set(ADMIN)
    expect(newForm.text).toMatch(/id="f-clientAuth-client_secret" name="clientAuth" value="client_secret" checked/)
    const token = /name="_csrf" value="([^"]+)"/.exec(newForm.text)![1]
    const id = /name="id" value="([^"]+)"/.exec(newForm.text)![1]
    const fields = {
      _csrf: token,
      id,
      label: 'Form partner',
      active: 'on',
      issuer: 'https://idp.example.com/realms/acme',
      clientId: 'form-app',
      clientSecret: 'an-old-secret-0123456789',
      clientAuth: 'private_key_jwt',
    }
    const created = await app.agent.post(`${base}/`).set(ADMIN).type('form').send(fields)
    expect(created.status).toBe(303)
    const owner = await api.owner('login-provider', id)
    expect(owner.body.owner).toMatchObject({ method: 'private_key_jwt', name: 'Form partner' })
    expect(owner.body.certificates).toMatchObject([{ state: 'active' }])

    // With a secret only, this move would ask for the secret again (LOGIN_PROVIDER_SECRET_REQUIRED).
    const moved = await app.agent
      .post(`${base}/${id}`)
      .set(ADMIN)
      .type('form')
      .send({ ...fields, clientSecret: '', issuer: 'https://other.example.com/realms/acme' })
    expect(moved.status).toBe(303)
    expect(await app.dock.store.loginProviders.get(id)).toMatchObject({
      issuer: 'https://other.example.com/realms/acme',
      hasClientSecret: false,
    })
  })

  it('deleting the provider removes its certificates and method', async () => {
    const token = await providerCsrf()
    expect(
      (await app.agent.delete(`${providersApi()}/${providerId}`).set(ADMIN).set('x-csrf-token', token)).status,
    ).toBe(204)
    const owner = { kind: 'login-provider' as const, id: providerId }
    expect(await app.dock.store.credentials.list(owner)).toEqual([])
    expect(await app.dock.store.credentials.method(owner)).toBe('client_secret')
    expect((await api.owner('login-provider', providerId)).status).toBe(404)
  })
})
