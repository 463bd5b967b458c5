/**
 * The generated certificate is what the admin says it is (Node's X509Certificate parses the .cer
 * and .pem downloads; thumbprints, kid, x5c, x5t and the public key agree with the page and the
 * JWKS), and the private key stays inside: not in any page, CSV, JSON answer, log line, audit
 * entry, nor in clear in the SQLite file.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RecordingLogger } from '../ops/helpers.js'
import { ADMIN, createViaApi, everything, startProfilesApp, type ProfilesApp } from '../profiles/helpers.js'
import { CredentialsApi, type CertificateJson } from './helpers.js'

const logger = new RecordingLogger()
let app: ProfilesApp
let api: CredentialsApi
let profileId: string
let database: string
let certificate: CertificateJson
let waiting: CertificateJson

/** The binary of a download (supertest buffers only known text types). */
const binary = (res: request.Test) =>
  res.buffer(true).parse((r, done) => {
    const chunks: Buffer[] = []
    r.on('data', (c: Buffer) => chunks.push(c))
    r.on('end', () => done(null, Buffer.concat(chunks)))
  })

beforeAll(async () => {
  const { sqliteUrl } = await import('../fixtures/databases.js')
  database = sqliteUrl()
  app = await startProfilesApp({ database, options: { logger } })
  api = new CredentialsApi(app)
  profileId = await createViaApi(app, {
    name: 'Süd mailbox',
    tokenUrl: 'https://login.example.com/tenant/oauth2/v2.0/token',
    authorizationUrl: 'https://login.example.com/tenant/oauth2/v2.0/authorize',
  })
  // Generated through the HTML form, as an admin does.
  const page = await app.agent.get(`${app.dock.config.paths.credentials}/profile/${profileId}`).set(ADMIN)
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]
  const posted = await app.agent
    .post(`${app.dock.config.paths.credentials}/profile/${profileId}/generate`)
    .set(ADMIN)
    .type('form')
    .send({ _csrf: csrf, validityDays: '400', keySize: '2048' })
  expect(posted.status).toBe(303)
  expect(posted.headers.location).toMatch(/\?done=generated$/)
  certificate = (await api.owner('profile', profileId)).body.certificates[0]
  waiting = await api.newCertificate('profile', profileId, { validityDays: 30 })
  await api.setMethod('profile', profileId, 'private_key_jwt')
})
afterAll(async () => {
  await app?.close()
})

describe('the generated certificate', () => {
  it('parses with X509Certificate from both downloads, and its thumbprints are the ones the admin shows', async () => {
    const base = `${app.dock.config.paths.credentials}/profile/${profileId}/certificates/${certificate.id}`
    const cer = await binary(app.agent.get(`${base}.cer`).set(ADMIN))
    expect(cer.status).toBe(200)
    expect(cer.headers['content-type']).toBe('application/pkix-cert')
    expect(cer.headers['content-disposition']).toMatch(/^attachment; filename="authdock-sud-mailbox-[0-9a-f]{8}\.cer"$/)
    const fromDer = new X509Certificate(cer.body as Buffer)
    const pem = await app.agent.get(`${base}.pem`).set(ADMIN)
    expect(pem.text).toMatch(/^-----BEGIN CERTIFICATE-----\n/)
    const fromPem = new X509Certificate(pem.text)
    expect(fromPem.raw.equals(fromDer.raw)).toBe(true)

    const page = await app.agent.get(`${app.dock.config.paths.credentials}/profile/${profileId}`).set(ADMIN)
    const sha1 = fromDer.fingerprint.replaceAll(':', '')
    const sha256 = fromDer.fingerprint256.replaceAll(':', '')
    expect(certificate.thumbprintSha1).toBe(sha1)
    expect(certificate.thumbprintSha256).toBe(sha256)
    expect(page.text).toContain(`<td data-label="Thumbprint (SHA-1)" class="print sha1">${sha1}</td>`)
    expect(page.text).toContain(`class="print sha256">${sha256}</td>`)

    expect(fromDer.subject).toBe('CN=authdock profile: Süd mailbox')
    expect(fromDer.issuer).toBe(fromDer.subject)
    expect(fromDer.verify(fromDer.publicKey)).toBe(true)
    expect(fromDer.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048)
    const days = (Date.parse(fromDer.validTo) - Date.parse(fromDer.validFrom)) / 86_400_000
    expect(Math.round(days)).toBe(400)
    expect(new Date(certificate.notAfter).getTime()).toBe(Date.parse(fromDer.validTo))
    const signer = await app.dock.store.credentials.activeSigner({ kind: 'profile', id: profileId })
    expect(fromDer.checkPrivateKey(createPrivateKey(signer!.privateKeyPem))).toBe(true)
  })

  it('its public key and thumbprints are in the JWKS (admin and public), with kid, x5c, x5t and x5t#S256', async () => {
    const x509 = new X509Certificate(certificate.certificatePem)
    const { n, e } = x509.publicKey.export({ format: 'jwk' })
    const admin = await app.agent.get(`${app.dock.config.paths.credentials}/profile/${profileId}/jwks.json`).set(ADMIN)
    const pub = await request(app.app).get(`${app.dock.config.paths.jwks}/profile/${profileId}/jwks.json`)
    expect(pub.status).toBe(200)
    for (const jwks of [admin.body, pub.body, (await api.owner('profile', profileId)).body.jwks]) {
      expect(jwks.keys).toHaveLength(2)
      const key = jwks.keys.find((k: { kid: string }) => k.kid === certificate.kid)
      expect(key).toEqual({
        kty: 'RSA',
        n,
        e,
        use: 'sig',
        alg: 'RS256',
        kid: createHash('sha256')
          .update(x509.publicKey.export({ type: 'spki', format: 'der' }))
          .digest('base64url'),
        x5c: [x509.raw.toString('base64')],
        x5t: createHash('sha1').update(x509.raw).digest('base64url'),
        'x5t#S256': createHash('sha256').update(x509.raw).digest('base64url'),
      })
    }
    // Unknown owners and owners without certificates answer 404, public or not.
    expect((await request(app.app).get(`${app.dock.config.paths.jwks}/profile/nope/jwks.json`)).status).toBe(404)
    expect((await request(app.app).get(`${app.dock.config.paths.credentials}/profile/${profileId}`)).status).toBe(403)
  })
})

describe('the private key', () => {
  it('appears in no page, CSV, JSON, log line, audit entry, nor in clear in the SQLite file', async () => {
    const keys = [certificate, waiting]
    const secrets: string[] = []
    for (const c of keys) {
      // The waiting certificate's key: activate it for a moment to read it the only way there is.
      if (!c.active) await api.mustActivate('profile', profileId, c.id)
      const { privateKeyPem } = (await app.dock.store.credentials.activeSigner({ kind: 'profile', id: profileId }))!
      const body = privateKeyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')
      const jwk = createPrivateKey(privateKeyPem).export({ format: 'jwk' })
      // The PEM's first lines hold the modulus, which is public (it is in the certificate); from
      // the ninth line on it is the private exponent and the primes.
      const privateLines = privateKeyPem
        .split('\n')
        .filter((l) => l.length === 64)
        .slice(8)
      const members = [jwk.d!, jwk.p!, jwk.q!, jwk.dp!, jwk.dq!, jwk.qi!]
      secrets.push(
        body,
        ...privateLines,
        ...members,
        ...members.map((m) => Buffer.from(m, 'base64url').toString('base64')),
      )
    }
    await api.mustActivate('profile', profileId, certificate.id)

    const paths = app.dock.config.paths
    const credentials = `${paths.credentials}/profile/${profileId}`
    const answers = [
      await app.agent.get(`${paths.admin}/`).set(ADMIN),
      await app.agent.get(`${paths.admin}/${profileId}/edit`).set(ADMIN),
      await app.agent.get(`${paths.admin}/export.csv`).set(ADMIN),
      await app.agent.get(`${paths.adminApi}/`).set(ADMIN),
      await app.agent.get(`${paths.adminApi}/${profileId}`).set(ADMIN),
      await app.agent.get(credentials).set(ADMIN),
      await app.agent.get(`${credentials}/jwks.json`).set(ADMIN),
      await app.agent.get(`${credentials}/certificates/${certificate.id}.pem`).set(ADMIN),
      await api.owner('profile', profileId),
      await app.agent.get(`${paths.credentialsApi}/profile/${profileId}/certificates/${certificate.id}`).set(ADMIN),
      await request(app.app).get(`${paths.jwks}/profile/${profileId}/jwks.json`),
      await app.agent.get(`${paths.audit}/`).set(ADMIN),
      await app.agent.get(`${paths.audit}/export.csv`).set(ADMIN),
      await app.agent.get(`${paths.auditApi}/`).set(ADMIN),
    ]
    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 200))
    const audit = JSON.stringify(await app.dock.store.audit.list({ limit: 1000 }))
    expect(audit).toContain('certificate.generated')
    expect(audit).toContain('certificate.activated')
    const logs = JSON.stringify(logger.lines)
    const file = database.slice('sqlite:'.length)
    await app.dock.store.close()
    const disk = [file, `${file}-wal`]
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'))
      .join('\n')
    // Sanity: the certificate (public) is there in clear, so a private key in clear would be found too.
    expect(disk).toContain(certificate.certificatePem.split('\n')[1])

    const haystacks = { answers: answers.map(everything).join('\n'), audit, logs, disk }
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of secrets) expect(text.includes(secret), `${where} contains private key material`).toBe(false)
      expect(text).not.toContain('PRIVATE KEY')
    }
  })
})
