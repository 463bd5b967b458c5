/**
 * What a provider's refusal of a client assertion becomes. Entra ID does not run here, so a small
 * token endpoint answers exactly as Entra documents its refusals (status, `error`, `error_codes`,
 * AADSTS text) and Keycloak its signed-JWT failures; it also shows what the assertion carried.
 * oidc-provider's own `invalid_client` is covered against the real provider in
 * profile-certificate.test.ts.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthdockError } from '../../src/errors.js'
import { createViaApi, startProfilesApp, type ProfilesApp } from '../profiles/helpers.js'
import { CredentialsApi, type CertificateJson } from './helpers.js'

interface Refusal {
  status: number
  body: Record<string, unknown>
}

let app: ProfilesApp
let api: CredentialsApi
let server: http.Server
let tokenUrl: string
let answer: Refusal
const assertions: Array<{ header: Record<string, unknown>; claims: Record<string, unknown> }> = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const assertion = new URLSearchParams(body).get('client_assertion')
      if (assertion)
        assertions.push({
          header: decodeProtectedHeader(assertion) as Record<string, unknown>,
          claims: decodeJwt(assertion) as Record<string, unknown>,
        })
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tenant-id/oauth2/v2.0/token`
  app = await startProfilesApp()
  api = new CredentialsApi(app)
})
afterAll(async () => {
  await app?.close()
  server?.closeAllConnections()
  await new Promise<void>((resolve) => server?.close(() => resolve()))
})

const entra = (code: number, text: string): Refusal => ({
  status: 401,
  body: {
    error: 'invalid_client',
    error_description: `AADSTS${code}: ${text} Trace ID: 0 Correlation ID: 0`,
    error_codes: [code],
  },
})

let n = 0
async function refusedWith(refusal: Refusal): Promise<{ error: AuthdockError; certificate: CertificateJson }> {
  answer = refusal
  const id = await createViaApi(app, {
    name: `Entra ${++n}`,
    grantType: 'client_credentials',
    authorizationUrl: '',
    tokenUrl,
    scope: 'https://outlook.office365.com/.default',
  })
  const certificate = await api.newCertificate('profile', id)
  await api.setMethod('profile', id, 'private_key_jwt')
  const error = (await app.dock.tokens.getAccessToken(id).catch((err: unknown) => err)) as AuthdockError
  return { error, certificate }
}

describe('refusals of a client assertion, in plain words naming the certificate', () => {
  it('AADSTS700027 (key not registered, signature invalid) → CLIENT_CERTIFICATE_UNKNOWN; the assertion carried what Entra looks for', async () => {
    assertions.length = 0
    const { error, certificate } = await refusedWith(entra(700027, 'Client assertion failed signature validation.'))
    expect(error.code).toBe('CLIENT_CERTIFICATE_UNKNOWN')
    expect(error.message).toContain(`certificate ${certificate.thumbprintSha1}`)
    expect(error.message).toContain('(AADSTS700027)')
    expect(error.details).toMatchObject({ providerCode: 'AADSTS700027' })
    const [{ header, claims }] = assertions
    expect(header).toMatchObject({
      alg: 'RS256',
      x5t: Buffer.from(certificate.thumbprintSha1, 'hex').toString('base64url'),
    })
    expect(header['x5t#S256']).toBe(Buffer.from(certificate.thumbprintSha256, 'hex').toString('base64url'))
    expect(claims.aud).toBe(tokenUrl)
    expect(Number(claims.exp) - Number(claims.iat)).toBeLessThanOrEqual(300)
  })

  it('AADSTS700024 (not within its valid time range) → CLIENT_ASSERTION_INVALID pointing at the clock', async () => {
    const { error, certificate } = await refusedWith(
      entra(700024, 'Client assertion is not within its valid time range.'),
    )
    expect(error.code).toBe('CLIENT_ASSERTION_INVALID')
    expect(error.message).toContain(certificate.thumbprintSha1)
    expect(error.message).toMatch(/clock/)
    expect(error.details).toMatchObject({ providerCode: 'AADSTS700024', hintKey: 'tokens.hint.assertionTime' })
  })

  it("Keycloak's signed-JWT failures: an unknown key → CLIENT_CERTIFICATE_UNKNOWN, an expired token → CLIENT_ASSERTION_INVALID", async () => {
    const unknown = await refusedWith({
      status: 401,
      body: { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' },
    })
    expect(unknown.error.code).toBe('CLIENT_CERTIFICATE_UNKNOWN')
    expect(unknown.error.message).toContain(unknown.certificate.thumbprintSha1)
    const expired = await refusedWith({
      status: 400,
      body: {
        error: 'invalid_client',
        error_description: 'Client authentication with signed JWT failed: Token is not active',
      },
    })
    expect(expired.error.code).toBe('CLIENT_ASSERTION_INVALID')
  })

  it('an Entra refusal about something else (AADSTS700016, unknown application) keeps its own code', async () => {
    const { error } = await refusedWith(entra(700016, 'Application with identifier was not found in the directory.'))
    expect(error.code).toBe('TOKEN_SECRET_INVALID')
    expect(error.details).toMatchObject({ providerCode: 'AADSTS700016' })
  })
})
