/**
 * The admin's "test connection" (JSON API): gets the profile's token and tries a real XOAUTH2 login
 * at a real SMTP server that checks the token at the identity provider, reporting each step. The
 * server speaks STARTTLS with a certificate of the per-run test CA, which the app trusts through
 * its `mail.tls.ca` option; a cleartext server never receives AUTH (MAIL_TLS_REQUIRED).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startPlaintextMailServer, type PlaintextMailServer } from '../fixtures/plaintext-mail-server.js'
import { startSmtpServer, type SmtpFixture } from '../fixtures/smtp-server.js'
import { createTestCa } from '../fixtures/test-ca.js'
import { authorize, introspectionOf, profileInput, startMailOp } from '../tokens/helpers.js'
import { tokenSetToPatch } from '../../src/oauth/client.js'
import { ADMIN, apiCsrf, startProfilesApp, type ProfilesApp } from './helpers.js'

// One provider, mail server and app, with an authorized profile, for both the JSON and the HTML admin.
let op: OidcProviderFixture
let smtp: SmtpFixture
let plaintext: PlaintextMailServer
let app: ProfilesApp
let profileId: string
let accessToken: string

beforeAll(async () => {
  op = await startMailOp()
  const ca = createTestCa()
  smtp = await startSmtpServer(introspectionOf(op), { tls: { mode: 'starttls', ...ca.issueServer() } })
  plaintext = await startPlaintextMailServer('smtp')
  app = await startProfilesApp({ options: { mail: { tls: { ca: ca.cert } } } })
  const profile = await app.dock.store.profiles.create(profileInput(op))
  const tokens = await authorize(op, 'alice')
  accessToken = tokens.access_token
  await app.dock.store.tokens.save(profile.id, tokenSetToPatch(tokens, Date.now(), 600))
  profileId = profile.id
})
afterAll(async () => {
  await app?.close()
  await smtp?.close()
  await plaintext?.close()
  await op?.close()
})

describe('test connection from the admin API', () => {
  it('reports token, connect and auth as passed for the mailbox the token belongs to', async () => {
    const csrf = await apiCsrf(app)
    const res = await app.agent
      .post(`${app.api}/${profileId}/test-connection`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send({ type: 'SMTP_OAuth2', host: smtp.host, port: smtp.port, user: 'alice' })
    expect(res.status).toBe(200)
    expect(res.body.report.ok).toBe(true)
    expect(res.body.report.steps.map((s: { step: string; ok: boolean }) => [s.step, s.ok])).toEqual([
      ['token', true],
      ['connect', true],
      ['auth', true],
    ])
    expect(res.text).not.toContain(accessToken)
    expect(smtp.attempts.at(-1)).toMatchObject({ user: 'alice', accepted: true, secure: true })
  })

  it('refuses a cleartext server at the connect step (MAIL_TLS_REQUIRED) without sending it AUTH', async () => {
    const csrf = await apiCsrf(app)
    for (const type of ['SMTP_OAuth2', 'SMTPTLS_OAuth2', 'SMTPS_OAuth2']) {
      const res = await app.agent
        .post(`${app.api}/${profileId}/test-connection`)
        .set(ADMIN)
        .set('x-csrf-token', csrf)
        .send({ type, host: plaintext.host, port: plaintext.port, user: 'alice' })
      expect(res.status).toBe(200)
      expect(
        res.body.report.steps.map((s: { step: string; ok: boolean | null; code?: string }) => [
          s.step,
          s.ok,
          s.code ?? null,
        ]),
      ).toEqual([
        ['token', true, null],
        ['connect', false, 'MAIL_TLS_REQUIRED'],
        ['auth', null, null],
      ])
    }
    expect(plaintext.lines.length).toBeGreaterThan(0)
    expect(plaintext.authLines()).toEqual([])
    expect(plaintext.lines.join('\n')).not.toContain(accessToken)
  })

  it('reports a refused login at the auth step, without the token in the answer', async () => {
    const csrf = await apiCsrf(app)
    const res = await app.agent
      .post(`${app.api}/${profileId}/test-connection`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send({ type: 'SMTP_OAuth2', host: smtp.host, port: smtp.port, user: 'bob' })
    expect(res.status).toBe(200)
    expect(res.body.report.ok).toBe(false)
    expect(res.body.report.steps.find((s: { step: string }) => s.step === 'auth').ok).toBe(false)
    expect(res.text).not.toContain(accessToken)
  })

  it('names the bad field (VALIDATION_FAILED) and refuses without the guard or the CSRF token', async () => {
    const csrf = await apiCsrf(app)
    const bad = await app.agent
      .post(`${app.api}/${profileId}/test-connection`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send({ type: 'FTP', host: 'x y', user: 'alice' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('VALIDATION_FAILED')
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['host', 'type'])

    const noCsrf = await app.agent
      .post(`${app.api}/${profileId}/test-connection`)
      .set(ADMIN)
      .send({ type: 'SMTP_OAuth2', host: smtp.host, user: 'alice' })
    expect(noCsrf.body.error.code).toBe('CSRF_INVALID')
    const noGuard = await app.agent
      .post(`${app.api}/${profileId}/test-connection`)
      .set('x-csrf-token', csrf)
      .send({ type: 'SMTP_OAuth2', host: smtp.host, user: 'alice' })
    expect(noGuard.body.error.code).toBe('FORBIDDEN')
    expect(smtp.attempts.filter((a) => a.user === 'alice')).toHaveLength(1)
  })
})

describe('test connection in the HTML admin', () => {
  it('links the form from the overview and shows each passed step', async () => {
    const overview = await app.agent.get(`${app.admin}/`).set(ADMIN)
    expect(overview.text).toContain(`${app.admin}/${profileId}/test-connection`)
    const form = await app.agent.get(`${app.admin}/${profileId}/test-connection`).set(ADMIN)
    expect(form.status).toBe(200)
    for (const id of ['tc-type', 'tc-host', 'tc-port', 'tc-user']) expect(form.text).toContain(`<label for="${id}"`)
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]
    const res = await app.agent
      .post(`${app.admin}/${profileId}/test-connection`)
      .set(ADMIN)
      .type('form')
      .send({ _csrf: csrf, type: 'SMTP_OAuth2', host: smtp.host, port: String(smtp.port), user: 'alice' })
    expect(res.status).toBe(200)
    expect(res.text).toContain('The connection works.')
    expect(res.text.match(/class="ok">passed/g)).toHaveLength(3)
    expect(res.text).not.toContain(accessToken)
  })

  it('shows MAIL_TLS_REQUIRED for a cleartext server, and the server got no AUTH', async () => {
    const form = await app.agent.get(`${app.admin}/${profileId}/test-connection`).set(ADMIN)
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]
    const before = plaintext.lines.length
    const res = await app.agent
      .post(`${app.admin}/${profileId}/test-connection`)
      .set(ADMIN)
      .type('form')
      .send({ _csrf: csrf, type: 'SMTP_OAuth2', host: plaintext.host, port: String(plaintext.port), user: 'alice' })
    expect(res.status).toBe(200)
    expect(res.text).toContain('<code>MAIL_TLS_REQUIRED</code>')
    expect(res.text).toContain('starttls_unavailable')
    expect(plaintext.lines.length).toBeGreaterThan(before)
    expect(plaintext.authLines()).toEqual([])
  })

  it('re-renders with the field error (400) for a bad host, and escapes what was typed', async () => {
    const form = await app.agent.get(`${app.admin}/${profileId}/test-connection`).set(ADMIN)
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]
    const res = await app.agent
      .post(`${app.admin}/${profileId}/test-connection`)
      .set(ADMIN)
      .type('form')
      .send({ _csrf: csrf, type: 'SMTP_OAuth2', host: '"><script>alert(1)</script>', user: 'alice' })
    expect(res.status).toBe(400)
    expect(res.text).toContain('must be a host name or IP address')
    expect(res.text).not.toContain('<script>alert(1)</script>')
  })
})
