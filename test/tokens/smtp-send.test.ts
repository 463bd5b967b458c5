/**
 * nodemailer sends through a real SMTP server (smtp-server, XOAUTH2 only) that checks every token
 * by introspection at the identity provider. The token comes from our provider through nodemailer's
 * provision callback; a token the server rejects is renewed with forceRefresh and the mail goes out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import nodemailer from 'nodemailer'
import { createTokenProvider, nodemailerAuth, testMailConnection } from '../../src/tokens/index.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { sha256, startSmtpServer, type SmtpFixture } from '../fixtures/smtp-server.js'
import { authorizedProfile, introspectionOf, makeContext, startMailOp, type TokenTestContext } from './helpers.js'

describe('sending mail with nodemailer and a token from the provider', () => {
  let op: OidcProviderFixture
  let smtp: SmtpFixture
  let t: TokenTestContext

  beforeAll(async () => {
    op = await startMailOp()
    smtp = await startSmtpServer(introspectionOf(op))
  })
  afterAll(async () => {
    await t?.close()
    await smtp.close()
    await op.close()
  })

  it('delivers a mail authenticated with XOAUTH2', async () => {
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op)
    const tokens = createTokenProvider(t.ctx)
    const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, auth: nodemailerAuth(tokens, profile.id, 'alice'), logger: false })
    try {
      await transport.sendMail({ from: 'alice@example.com', to: 'bob@example.com', subject: 'Hello', text: 'via XOAUTH2' })
    } finally {
      transport.close()
    }
    expect(smtp.messages.at(-1)).toMatchObject({ user: 'alice', from: 'alice@example.com', to: ['bob@example.com'] })
    expect(smtp.messages.at(-1)?.raw).toContain('via XOAUTH2')
  })

  it('renews a token the server rejects (nodemailer renew → forceRefresh) and then delivers', async () => {
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op)
    // The stored access token looks valid to us but the provider no longer knows it (a stale token).
    await t.store.tokens.save(profile.id, { accessToken: 'stale-access-token', accessTokenExpiresAt: new Date(t.clock.now() + 3600_000) })
    op.resetCounters()
    const attemptsBefore = smtp.attempts.length
    const tokens = createTokenProvider(t.ctx)
    const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, auth: nodemailerAuth(tokens, profile.name, 'alice'), logger: false })
    try {
      await transport.sendMail({ from: 'alice@example.com', to: 'carol@example.com', subject: 'Retry', text: 'after renew' })
    } finally {
      transport.close()
    }
    const [rejected, renewed] = smtp.attempts.slice(attemptsBefore)
    expect(smtp.attempts).toHaveLength(attemptsBefore + 2)
    // The stale token first, then a new one.
    expect(rejected).toEqual({ user: 'alice', accepted: false, tokenHash: sha256('stale-access-token') })
    expect(renewed).toMatchObject({ user: 'alice', accepted: true })
    expect(renewed.tokenHash).not.toBe(rejected.tokenHash)
    expect(op.grants.refresh_token).toBe(1)
    expect(smtp.messages.at(-1)?.to).toEqual(['carol@example.com'])
    expect(t.events.filter((e) => e.name === 'token.refreshed')).toHaveLength(1)
  })

  it('the connection test reports each step, and a refused login without the token in it', async () => {
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op)
    const tokens = createTokenProvider(t.ctx)
    const ok = await testMailConnection(tokens, { profileId: profile.id, type: 'SMTP_OAuth2', host: smtp.host, port: smtp.port, user: 'alice' })
    expect(ok.ok).toBe(true)
    expect(ok.steps.map((s) => [s.step, s.ok])).toEqual([['token', true], ['connect', true], ['auth', true]])

    const refused = await testMailConnection(tokens, { profileId: profile.id, type: 'SMTP_OAuth2', host: smtp.host, port: smtp.port, user: 'bob' })
    expect(refused.ok).toBe(false)
    expect(refused.steps.map((s) => [s.step, s.ok])).toEqual([['token', true], ['connect', true], ['auth', false]])
    const token = await tokens.getAccessToken(profile.id)
    expect(JSON.stringify(refused)).not.toContain(token)
  })
})
