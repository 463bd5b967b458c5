/**
 * A real Dovecot (IMAP and POP3, passdb oauth2 with introspection at the in-process identity
 * provider) accepts our token over XOAUTH2 and refuses a revoked one. Skipped with a message only
 * when Dovecot is not installed and CI is not 'true'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ImapFlow } from 'imapflow'
import { createTokenProvider, imapflowAuth, mailConnectionOptions, testMailConnection } from '../../src/tokens/index.js'
import { pop3XOAuth2Login } from '../../src/tokens/pop3.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { dovecotAvailable, startDovecot, type DovecotFixture } from '../fixtures/dovecot.js'
import { authorizedProfile, introspectionOf, MAIL_SERVER_CLIENT, makeContext, startMailOp, type TokenTestContext } from './helpers.js'

const available = dovecotAvailable()
if (!available && process.env.CI !== 'true') {
  console.warn('Dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d): skipping the Dovecot tests')
}

describe.skipIf(!available && process.env.CI !== 'true')('Dovecot accepts our tokens over XOAUTH2', () => {
  let op: OidcProviderFixture
  let dovecot: DovecotFixture
  let t: TokenTestContext

  beforeAll(async () => {
    op = await startMailOp()
    // Only xoauth2 is offered: imapflow would otherwise prefer OAUTHBEARER.
    dovecot = await startDovecot({ introspection: introspectionOf(op), mechanisms: ['xoauth2'] })
    t = await makeContext()
  })
  afterAll(async () => {
    await t?.close()
    await dovecot?.stop()
    await op?.close()
  })

  async function imapLogin(port: number, secure: boolean, auth: { user: string; accessToken: string }): Promise<void> {
    const imap = new ImapFlow({ host: dovecot.host, port, secure, auth, logger: false, tls: { ca: dovecot.ca }, doSTARTTLS: secure ? undefined : true })
    imap.on('error', () => {})
    try {
      await imap.connect()
      await imap.mailboxOpen('INBOX')
      await imap.logout()
    } finally {
      imap.close()
    }
  }

  it('imapflow logs in over IMAPS with the profile token (XOAUTH2)', async () => {
    const { profile } = await authorizedProfile(t, op)
    const tokens = createTokenProvider(t.ctx)
    const options = await mailConnectionOptions(tokens, 'IMAPS_OAuth2', { host: dovecot.host, port: dovecot.ports.imaps, user: 'alice', profileId: profile.id })
    expect(options).toMatchObject({ protocol: 'imap', secure: true, requireStartTls: false, port: dovecot.ports.imaps })
    await imapLogin(options.port, options.secure, options.auth)
  })

  it('imapflow logs in over IMAP with STARTTLS (IMAPTLS_OAuth2)', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'STARTTLS mailbox' })
    const tokens = createTokenProvider(t.ctx)
    await imapLogin(dovecot.ports.imap, false, await imapflowAuth(tokens, profile.id, 'alice'))
  })

  it('POP3S AUTH XOAUTH2 succeeds with the profile token', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'POP3 mailbox' })
    const tokens = createTokenProvider(t.ctx)
    const report = await testMailConnection(tokens, { profileId: profile.id, type: 'POP3S_OAuth2', host: dovecot.host, port: dovecot.ports.pop3s, user: 'alice', tls: { ca: dovecot.ca } })
    expect(report.steps.map((s) => [s.step, s.ok])).toEqual([['token', true], ['connect', true], ['auth', true]])
    expect(report.ok).toBe(true)
  })

  it('a revoked token is refused over IMAP and POP3', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'Bob mailbox' }, 'bob')
    const tokens = createTokenProvider(t.ctx)
    const accessToken = await tokens.getAccessToken(profile.id)
    await imapLogin(dovecot.ports.imaps, true, { user: 'bob', accessToken }) // works before
    await op.revokeAccount('bob')

    const imapError = await imapLogin(dovecot.ports.imaps, true, { user: 'bob', accessToken }).catch((e: unknown) => e)
    expect(imapError).toMatchObject({ authenticationFailed: true })
    const popError = await pop3XOAuth2Login({ host: dovecot.host, port: dovecot.ports.pop3s, secure: true, user: 'bob', accessToken, timeoutMs: 5000, tls: { ca: dovecot.ca } }).catch((e: unknown) => e)
    expect(popError).toMatchObject({ name: 'Pop3Error', stage: 'auth' })
    expect(String((popError as Error).message)).not.toContain(accessToken)

    const report = await testMailConnection(tokens, { profileId: profile.id, type: 'IMAPS_OAuth2', host: dovecot.host, port: dovecot.ports.imaps, user: 'bob', tls: { ca: dovecot.ca } })
    expect(report.steps.map((s) => [s.step, s.ok])).toEqual([['token', true], ['connect', true], ['auth', false]])
    // Dovecot's log keeps neither the token nor the introspection secret
    expect(dovecot.log()).toContain('auth')
    expect(dovecot.log()).not.toContain(accessToken)
    expect(dovecot.log()).not.toContain(MAIL_SERVER_CLIENT.client_secret)
  })

  it('a token for another user is refused (the mailbox must match the token subject)', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'Alice again' })
    const tokens = createTokenProvider(t.ctx)
    const err = await imapLogin(dovecot.ports.imaps, true, await imapflowAuth(tokens, profile.id, 'bob')).catch((e: unknown) => e)
    expect(err).toMatchObject({ authenticationFailed: true })
  })
})
