/**
 * nodemailer sends through a real SMTP server (smtp-server, XOAUTH2 only) that checks every token
 * by introspection at the identity provider, over real TLS with a certificate of a per-run test CA
 * that the client verifies: implicit TLS (SMTPS) and STARTTLS (SMTP, SMTPTLS). The token comes
 * from our provider through nodemailer's provision callback; a token the server rejects is renewed
 * with forceRefresh and the mail goes out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import nodemailer from 'nodemailer'
import { createTokenProvider } from '../../src/tokens/index.js'
import { nodemailerOptions, type MailAccountType } from '../../src/mail/adapters.js'
import { testMailConnection } from '../../src/mail/test-connection.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { sha256, startSmtpServer, type SmtpFixture } from '../fixtures/smtp-server.js'
import { createTestCa, type TestCa } from '../fixtures/test-ca.js'
import {
  authorizedProfile,
  introspectionOf,
  makeContext,
  startMailOp,
  type TokenTestContext,
} from '../tokens/helpers.js'

describe('sending mail with nodemailer and a token from the provider, over verified TLS', () => {
  let op: OidcProviderFixture
  let ca: TestCa
  let starttls: SmtpFixture
  let implicit: SmtpFixture
  let t: TokenTestContext

  beforeAll(async () => {
    op = await startMailOp()
    ca = createTestCa()
    const server = ca.issueServer()
    ;[starttls, implicit] = await Promise.all([
      startSmtpServer(introspectionOf(op), { tls: { mode: 'starttls', ...server } }),
      startSmtpServer(introspectionOf(op), { tls: { mode: 'implicit', ...server } }),
    ])
  })
  afterAll(async () => {
    await t?.close()
    await starttls?.close()
    await implicit?.close()
    await op?.close()
  })

  const serverOf = (type: MailAccountType) => (type === 'SMTPS_OAuth2' ? implicit : starttls)

  it.each(['SMTPTLS_OAuth2', 'SMTP_OAuth2', 'SMTPS_OAuth2'] as const)(
    'delivers a mail authenticated with XOAUTH2 (%s, options from nodemailerOptions)',
    async (type) => {
      await t?.close()
      t = await makeContext()
      const { profile } = await authorizedProfile(t, op)
      const tokens = createTokenProvider(t.ctx)
      const smtp = serverOf(type)
      const transport = nodemailer.createTransport({
        ...nodemailerOptions(tokens, type, {
          host: smtp.host,
          port: smtp.port,
          user: 'alice',
          profileId: profile.id,
          tls: { ca: ca.cert },
        }),
        logger: false,
      })
      try {
        await transport.sendMail({
          from: 'alice@example.com',
          to: 'bob@example.com',
          subject: 'Hello',
          text: `via XOAUTH2 (${type})`,
        })
      } finally {
        transport.close()
      }
      expect(smtp.messages.at(-1)).toMatchObject({ user: 'alice', from: 'alice@example.com', to: ['bob@example.com'] })
      expect(smtp.messages.at(-1)?.raw).toContain(`via XOAUTH2 (${type})`)
      // The login came over TLS: the server saw the token only inside the encrypted session.
      expect(smtp.attempts.at(-1)).toMatchObject({ user: 'alice', accepted: true, secure: true })
    },
  )

  it('renews a token the server rejects (nodemailer renew → forceRefresh) and then delivers', async () => {
    await t?.close()
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op)
    // The stored access token looks valid to us but the provider no longer knows it (a stale token).
    await t.store.tokens.save(profile.id, {
      accessToken: 'stale-access-token',
      accessTokenExpiresAt: new Date(t.clock.now() + 3600_000),
    })
    op.resetCounters()
    const attemptsBefore = starttls.attempts.length
    const tokens = createTokenProvider(t.ctx)
    const transport = nodemailer.createTransport({
      ...nodemailerOptions(tokens, 'SMTPTLS_OAuth2', {
        host: starttls.host,
        port: starttls.port,
        user: 'alice',
        profileId: profile.name,
        tls: { ca: ca.cert },
      }),
      logger: false,
    })
    try {
      await transport.sendMail({
        from: 'alice@example.com',
        to: 'carol@example.com',
        subject: 'Retry',
        text: 'after renew',
      })
    } finally {
      transport.close()
    }
    const [rejected, renewed] = starttls.attempts.slice(attemptsBefore)
    expect(starttls.attempts).toHaveLength(attemptsBefore + 2)
    // The stale token first, then a new one.
    expect(rejected).toEqual({ user: 'alice', accepted: false, tokenHash: sha256('stale-access-token'), secure: true })
    expect(renewed).toMatchObject({ user: 'alice', accepted: true, secure: true })
    expect(renewed.tokenHash).not.toBe(rejected.tokenHash)
    expect(op.grants.refresh_token).toBe(1)
    expect(starttls.messages.at(-1)?.to).toEqual(['carol@example.com'])
    expect(t.events.filter((e) => e.name === 'token.refreshed')).toHaveLength(1)
  })

  it('the connection test passes for each SMTP type over TLS, and reports a refused login without the token in it', async () => {
    await t?.close()
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op)
    const tokens = createTokenProvider(t.ctx)
    for (const type of ['SMTP_OAuth2', 'SMTPTLS_OAuth2', 'SMTPS_OAuth2'] as const) {
      const smtp = serverOf(type)
      const ok = await testMailConnection(tokens, {
        profileId: profile.id,
        type,
        host: smtp.host,
        port: smtp.port,
        user: 'alice',
        tls: { ca: ca.cert },
      })
      expect({ type, ok: ok.ok }).toEqual({ type, ok: true })
      expect(ok.steps.map((s) => [s.step, s.ok])).toEqual([
        ['token', true],
        ['connect', true],
        ['auth', true],
      ])
      expect(smtp.attempts.at(-1)).toMatchObject({ user: 'alice', accepted: true, secure: true })
    }

    const refused = await testMailConnection(tokens, {
      profileId: profile.id,
      type: 'SMTP_OAuth2',
      host: starttls.host,
      port: starttls.port,
      user: 'bob',
      tls: { ca: ca.cert },
    })
    expect(refused.ok).toBe(false)
    expect(refused.steps.map((s) => [s.step, s.ok])).toEqual([
      ['token', true],
      ['connect', true],
      ['auth', false],
    ])
    const token = await tokens.getAccessToken(profile.id)
    expect(JSON.stringify(refused)).not.toContain(token)
  })
})
