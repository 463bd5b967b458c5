/**
 * OAuth2 profiles that authenticate with a certificate (`private_key_jwt`) against a real
 * oidc-provider whose clients know only the JWKS authdock generated: renew authorization,
 * refresh (one request for a burst), client credentials, and rotation — a provider that knows
 * only the old key refuses with a code naming the new certificate, switching back works, and with
 * both keys known a switch never fails a refresh.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { isAuthdockError } from '../../src/errors.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { ADMIN, SECRET, createViaApi, startProfilesApp, type ProfilesApp } from '../profiles/helpers.js'
import {
  CredentialsApi,
  registerCertificateClient,
  startCertificateOp,
  type CertificateOp,
  type CertificateJson,
} from './helpers.js'

let app: ProfilesApp
let op: CertificateOp
let api: CredentialsApi

beforeAll(async () => {
  app = await startProfilesApp()
  op = await startCertificateOp({ claimsInIdToken: true })
  api = new CredentialsApi(app)
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})
beforeEach(() => {
  app.clock.reset()
  op.resetCounters()
  op.verified.length = 0
})

let clients = 0
/** A profile (with a client secret stored too: it must not be sent) and its client at the provider, which knows `keys` only. */
async function certificateProfile(grantType: 'authorization_code' | 'client_credentials' = 'authorization_code') {
  const clientId = `cert-client-${++clients}`
  const id = await createViaApi(app, {
    name: `Certificate mailbox ${clients}`,
    grantType,
    authorizationUrl: grantType === 'authorization_code' ? `${op.issuer}/auth` : '',
    tokenUrl: `${op.issuer}/token`,
    clientId,
    clientSecret: SECRET,
    scope: grantType === 'authorization_code' ? 'openid email offline_access' : 'mail',
  })
  const first = await api.newCertificate('profile', id)
  const register = (certificates: CertificateJson[]) =>
    registerCertificateClient(
      op,
      {
        client_id: clientId,
        redirect_uris: [`${app.url}/oauth2redirect`],
        grant_types:
          grantType === 'authorization_code' ? ['authorization_code', 'refresh_token'] : ['client_credentials'],
        scope: 'openid email offline_access mail',
      },
      certificates.map((c) => c.jwk),
    )
  await register([first])
  expect((await api.setMethod('profile', id, 'private_key_jwt')).status).toBe(200)
  return { id, clientId, first, register }
}

/** "Renew authorization" in the admin, through the provider and back. */
async function renew(id: string) {
  const browser = new BrowserClient()
  const overview = await browser.request(`${app.url}${app.admin}/`, { headers: ADMIN })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await overview.text())![1]
  return browser.navigate(`${app.url}${app.admin}/${id}/authorize`, {
    method: 'POST',
    form: { _csrf: csrf },
    headers: ADMIN,
  })
}

function expectVerified(clientId: string, certificate: CertificateJson, count = 1) {
  const mine = op.verified.filter((v) => v.clientId === clientId)
  expect(mine).toHaveLength(count)
  for (const { header, claims } of mine) {
    expect(header).toMatchObject({
      alg: 'RS256',
      kid: certificate.kid,
      x5t: Buffer.from(certificate.thumbprintSha1, 'hex').toString('base64url'),
      'x5t#S256': Buffer.from(certificate.thumbprintSha256, 'hex').toString('base64url'),
    })
    expect(claims).toMatchObject({ iss: clientId, sub: clientId, aud: `${op.issuer}/token` })
    expect(Number(claims.exp) - Number(claims.iat)).toBeLessThanOrEqual(300)
    expect(claims.jti).toEqual(expect.any(String))
  }
  expect(new Set(mine.map((v) => v.claims.jti)).size).toBe(count)
}

describe('a profile that authenticates with a certificate', () => {
  it('renews its authorization: the provider verified the assertion signed with the generated key', async () => {
    const { id, clientId, first } = await certificateProfile()
    expect(first).toMatchObject({ state: 'active', active: true, keySize: 2048 })
    const { res, body } = await renew(id)
    expect(res.status).toBe(200)
    expect(body).toContain('Authorization renewed')
    expect(op.grants.authorization_code).toBe(1)
    expectVerified(clientId, first)
    expect((await app.dock.store.tokens.get(id))?.refreshToken).toBeTruthy()
  })

  it('refreshes once for a burst of callers, each refresh with a fresh assertion', async () => {
    const { id, clientId, first } = await certificateProfile()
    await renew(id)
    op.resetCounters()
    op.verified.length = 0
    const before = await app.dock.tokens.getAccessToken(id)
    app.clock.advance(3600_000)
    const tokens = await Promise.all(Array.from({ length: 8 }, () => app.dock.tokens.getAccessToken(id)))
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(before)
    expect(op.grants.refresh_token).toBe(1)
    expectVerified(clientId, first)
    app.clock.advance(3600_000)
    await app.dock.tokens.getAccessToken(id)
    expect(op.grants.refresh_token).toBe(2)
    expectVerified(clientId, first, 2)
  })

  it('gets app-only tokens with the client credentials grant', async () => {
    const { id, clientId, first } = await certificateProfile('client_credentials')
    const token = await app.dock.tokens.getAccessToken(id)
    expect(token).toEqual(expect.any(String))
    expect(op.grants.client_credentials).toBe(1)
    expectVerified(clientId, first)
  })
})

describe('switching certificates', () => {
  it('a provider that knows only the old key refuses the new one with CLIENT_CERTIFICATE_UNKNOWN naming it; switching back works at once', async () => {
    const { id, first } = await certificateProfile()
    await renew(id)
    const second = await api.newCertificate('profile', id)
    expect(second).toMatchObject({ state: 'waiting', active: false })
    await api.mustActivate('profile', id, second.id)

    const refused = await app.dock.tokens.getAccessToken(id, { forceRefresh: true }).catch((err: unknown) => err)
    expect(isAuthdockError(refused, 'CLIENT_CERTIFICATE_UNKNOWN')).toBe(true)
    const error = refused as import('../../src/errors.js').AuthdockError
    expect(error.message).toContain(second.thumbprintSha1)
    expect(error.message).not.toContain(first.thumbprintSha1)
    expect(error.details).toMatchObject({
      providerCode: 'invalid_client',
      hintKey: 'tokens.hint.certificateUnknown',
      hintVars: { certificate: second.thumbprintSha1 },
    })
    const record = await app.dock.store.tokens.get(id)
    expect(record).toMatchObject({ status: 'error', lastErrorCode: 'CLIENT_CERTIFICATE_UNKNOWN' })
    expect(record?.lastErrorMessage).toContain(second.thumbprintSha1)

    // The overview says so in plain words, in English and in German, naming the certificate.
    const en = await app.agent.get(`${app.admin}/`).set(ADMIN).set('accept-language', 'en')
    expect(en.text).toContain(`does not accept the certificate ${second.thumbprintSha1}`)
    const de = await app.agent.get(`${app.admin}/?lang=de`).set(ADMIN)
    expect(de.text).toContain(`akzeptiert das Zertifikat ${second.thumbprintSha1} nicht`)

    // Back to the certificate the provider knows: no backoff, the next refresh works.
    await api.mustActivate('profile', id, first.id)
    op.resetCounters()
    await expect(app.dock.tokens.getAccessToken(id, { forceRefresh: true })).resolves.toEqual(expect.any(String))
    expect(op.grants.refresh_token).toBe(1)
    expect((await app.dock.store.tokens.get(id))?.status).toBe('ok')
  })

  it('renew authorization with a certificate the provider does not know says so, naming it', async () => {
    const { id } = await certificateProfile()
    const second = await api.newCertificate('profile', id)
    await api.mustActivate('profile', id, second.id)
    const { res, body } = await renew(id)
    expect(res.status).toBe(400)
    expect(body).toContain('<code id="error-code">AUTHORIZATION_FAILED</code>')
    expect(body).toContain('<code id="provider-code">invalid_client</code>')
    expect(body).toMatch(
      new RegExp(`<p id="advice">The provider does not accept the certificate ${second.thumbprintSha1} `),
    )
    const [entry] = await app.dock.store.audit.list({ profileId: id, kind: 'profile.authorization_failed' })
    expect(entry.details).toMatchObject({ providerCode: 'invalid_client' })
  })

  it('with both keys known at the provider, switching back and forth never fails a refresh', async () => {
    const { id, clientId, first, register } = await certificateProfile()
    await renew(id)
    const second = await api.newCertificate('profile', id)
    await register([first, second])
    op.verified.length = 0
    const certificates = [second, first]
    for (let round = 0; round < 6; round++) {
      const target = certificates[round % 2]
      // The switch races the refresh: whichever certificate signs, the provider knows it.
      const [token] = await Promise.all([
        app.dock.tokens.getAccessToken(id, { forceRefresh: true }),
        api.mustActivate('profile', id, target.id),
      ])
      expect(token).toEqual(expect.any(String))
    }
    await expect(app.dock.tokens.getAccessToken(id, { forceRefresh: true })).resolves.toEqual(expect.any(String))
    const kids = new Set(op.verified.filter((v) => v.clientId === clientId).map((v) => v.header.kid))
    expect(kids).toEqual(new Set([first.kid, second.kid]))
    expect((await app.dock.store.tokens.get(id))?.status).toBe('ok')
    // The old certificate stays until removed; the active one cannot be removed.
    const active = (await api.owner('profile', id)).body.certificates.find(
      (c: CertificateJson) => c.active,
    ) as CertificateJson
    const blocked = await api.remove('profile', id, active.id)
    expect(blocked.status).toBe(409)
    expect(blocked.body.error.code).toBe('CLIENT_CERTIFICATE_ACTIVE')
    const other = active.id === first.id ? second : first
    expect((await api.remove('profile', id, other.id)).status).toBe(204)
    await expect(app.dock.tokens.getAccessToken(id, { forceRefresh: true })).resolves.toEqual(expect.any(String))
  })

  it('refuses an expired active certificate before asking the provider (CLIENT_CERTIFICATE_EXPIRED)', async () => {
    const { id, first } = await certificateProfile('client_credentials')
    app.clock.advance(366 * 24 * 3600_000)
    const refused = await app.dock.tokens.getAccessToken(id).catch((err: unknown) => err)
    expect(isAuthdockError(refused, 'CLIENT_CERTIFICATE_EXPIRED')).toBe(true)
    expect((refused as Error).message).toContain(first.thumbprintSha1)
    expect(op.requests['/token'] ?? 0).toBe(0)
  })

  it('choosing the certificate needs an active one; the audit records each step without key material', async () => {
    const id = await createViaApi(app, {
      name: 'No certificate yet',
      tokenUrl: `${op.issuer}/token`,
      authorizationUrl: `${op.issuer}/auth`,
    })
    const refused = await api.setMethod('profile', id, 'private_key_jwt')
    expect(refused.status).toBe(400)
    expect(refused.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { method: expect.stringContaining('active certificate') },
    })
    const cert = await api.newCertificate('profile', id, { validityDays: 30, keySize: 3072 })
    expect(cert).toMatchObject({ keySize: 3072, state: 'active' })
    expect(new Date(cert.notAfter).getTime() - new Date(cert.notBefore).getTime()).toBeGreaterThan(30 * 24 * 3600_000)
    expect((await api.setMethod('profile', id, 'private_key_jwt')).body.owner.method).toBe('private_key_jwt')
    const kinds = (await app.dock.store.audit.list({ profileId: id })).map((e) => e.kind)
    expect(kinds).toEqual(expect.arrayContaining(['certificate.generated', 'client_auth.changed']))
    const generated = (await app.dock.store.audit.list({ profileId: id, kind: 'certificate.generated' }))[0]
    expect(generated.details).toMatchObject({
      thumbprintSha1: cert.thumbprintSha1,
      kid: cert.kid,
      keySize: 3072,
      validityDays: 30,
    })
  })

  it('names the field of a bad validity or key size', async () => {
    const id = await createViaApi(app, {
      name: 'Bad input',
      tokenUrl: `${op.issuer}/token`,
      authorizationUrl: `${op.issuer}/auth`,
    })
    const res = await api.generate('profile', id, { validityDays: 0, keySize: 1024 })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('VALIDATION_FAILED')
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['keySize', 'validityDays'])
    expect((await api.owner('profile', id)).body.certificates).toEqual([])
    expect((await api.owner('profile', 'no-such-profile')).status).toBe(404)
  })
})
