/**
 * A real Dovecot (IMAP and POP3, passdb oauth2 with introspection at the in-process identity
 * provider) accepts our token over XOAUTH2 and refuses a revoked one. Every login goes over TLS
 * (implicit, or STARTTLS/STLS) with Dovecot's certificate verified against the per-run test CA; a
 * client that trusts another CA refuses the server before AUTH. Skipped with a message only when
 * Dovecot is not installed and CI is not 'true'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ImapFlow } from 'imapflow'
import { createTokenProvider } from '../../src/tokens/index.js'
import { imapflowAuth, imapflowOptions, mailConnectionOptions, type MailAccountType } from '../../src/mail/adapters.js'
import { mailTlsError } from '../../src/mail/tls.js'
import { testMailConnection } from '../../src/mail/test-connection.js'
import { pop3XOAuth2Login } from '../../src/mail/pop3.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { dovecotAvailable, startDovecot, type DovecotFixture } from '../fixtures/dovecot.js'
import { createTestCa } from '../fixtures/test-ca.js'
import {
  authorizedProfile,
  introspectionOf,
  MAIL_SERVER_CLIENT,
  makeContext,
  startMailOp,
  type TokenTestContext,
} from '../tokens/helpers.js'

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

  async function imapLogin(
    port: number,
    secure: boolean,
    auth: { user: string; accessToken: string },
    ca = dovecot.ca,
  ): Promise<void> {
    const imap = new ImapFlow({
      host: dovecot.host,
      port,
      secure,
      auth,
      logger: false,
      tls: { ca, rejectUnauthorized: true },
      doSTARTTLS: secure ? undefined : true,
    })
    imap.on('error', () => {})
    try {
      await imap.connect()
      await imap.mailboxOpen('INBOX')
      await imap.logout()
    } finally {
      imap.close()
    }
  }

  /** Dovecot writes its log a moment after the client is done: poll it for the expected lines. */
  async function waitForLines(read: () => string, re: RegExp, count: number): Promise<string[]> {
    for (let i = 0; i < 100; i++) {
      const found = read().match(re) ?? []
      if (found.length >= count) return found
      await new Promise((r) => setTimeout(r, 20)) // poll interval for a log file, not a wait for readiness
    }
    throw new Error(`expected ${count} log lines matching ${re}:\n${read()}`)
  }

  /** Open INBOX with options straight from authdock's imapflowOptions. */
  async function imapWithOptions(
    type: MailAccountType,
    port: number,
    profileId: string,
    ca = dovecot.ca,
  ): Promise<void> {
    const options = await imapflowOptions(createTokenProvider(t.ctx), type, {
      host: dovecot.host,
      port,
      user: 'alice',
      profileId,
      tls: { ca },
    })
    const imap = new ImapFlow({ ...options, logger: false })
    imap.on('error', () => {})
    try {
      await imap.connect()
      // The session is encrypted and the certificate verified.
      expect(imap.tls).toMatchObject({ authorized: true })
      await imap.mailboxOpen('INBOX')
      await imap.logout()
    } finally {
      imap.close()
    }
  }

  it('imapflow logs in over IMAPS with the profile token (XOAUTH2)', async () => {
    const { profile } = await authorizedProfile(t, op)
    const tokens = createTokenProvider(t.ctx)
    const options = await mailConnectionOptions(tokens, 'IMAPS_OAuth2', {
      host: dovecot.host,
      port: dovecot.ports.imaps,
      user: 'alice',
      profileId: profile.id,
      tls: { ca: dovecot.ca },
    })
    expect(options).toMatchObject({
      protocol: 'imap',
      secure: true,
      requireStartTls: false,
      port: dovecot.ports.imaps,
      tls: { rejectUnauthorized: true, ca: dovecot.ca },
    })
    await imapLogin(options.port, options.secure, options.auth)
    await imapWithOptions('IMAPS_OAuth2', dovecot.ports.imaps, profile.id)
  })

  it('imapflow logs in over IMAP with required STARTTLS (IMAPTLS_OAuth2)', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'STARTTLS mailbox' })
    const tokens = createTokenProvider(t.ctx)
    await imapLogin(dovecot.ports.imap, false, await imapflowAuth(tokens, profile.id, 'alice'))
    await imapWithOptions('IMAPTLS_OAuth2', dovecot.ports.imap, profile.id)
  })

  it('"Test connection" passes for IMAPS, IMAPTLS and POP3S over verified TLS', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'POP3 mailbox' })
    const tokens = createTokenProvider(t.ctx)
    for (const [type, port] of [
      ['IMAPS_OAuth2', dovecot.ports.imaps],
      ['IMAPTLS_OAuth2', dovecot.ports.imap],
      ['POP3S_OAuth2', dovecot.ports.pop3s],
    ] as const) {
      const report = await testMailConnection(tokens, {
        profileId: profile.id,
        type,
        host: dovecot.host,
        port,
        user: 'alice',
        tls: { ca: dovecot.ca },
      })
      expect({ type, steps: report.steps.map((s) => [s.step, s.ok]) }).toEqual({
        type,
        steps: [
          ['token', true],
          ['connect', true],
          ['auth', true],
        ],
      })
      expect(report.ok).toBe(true)
    }
  })

  it('POP3 logs in after STLS on the cleartext port (and over POP3S)', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'STLS mailbox' })
    const accessToken = await createTokenProvider(t.ctx).getAccessToken(profile.id)
    const common = { host: dovecot.host, user: 'alice', accessToken, timeoutMs: 5000, tls: { ca: dovecot.ca } }
    const logBefore = dovecot.log().length
    await pop3XOAuth2Login({ ...common, port: dovecot.ports.pop3, secure: false, requireStartTls: true })
    await pop3XOAuth2Login({ ...common, port: dovecot.ports.pop3s, secure: true })
    // Dovecot marks a login over TLS with "TLS" (a cleartext one from loopback says "secured").
    const logins = await waitForLines(
      () => dovecot.log().slice(logBefore),
      /pop3-login: Info: Login: user=<alice>.*/g,
      2,
    )
    for (const line of logins) expect(line).toMatch(/method=XOAUTH2, .*, TLS, /)
  })

  it('a client that trusts another CA refuses Dovecot before AUTH (MAIL_TLS_CERT_INVALID) for every IMAP/POP3 mode', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'Rogue CA mailbox' })
    const tokens = createTokenProvider(t.ctx)
    const otherCa = createTestCa('not the CA that signed Dovecot').cert
    const logBefore = dovecot.log().length
    for (const [type, port] of [
      ['IMAPS_OAuth2', dovecot.ports.imaps],
      ['IMAPTLS_OAuth2', dovecot.ports.imap],
      ['POP3S_OAuth2', dovecot.ports.pop3s],
    ] as const) {
      const report = await testMailConnection(tokens, {
        profileId: profile.id,
        type,
        host: dovecot.host,
        port,
        user: 'alice',
        tls: { ca: otherCa },
      })
      expect({ type, steps: report.steps.map((s) => [s.step, s.ok, s.code ?? null]) }).toEqual({
        type,
        steps: [
          ['token', true, null],
          ['connect', false, 'MAIL_TLS_CERT_INVALID'],
          ['auth', null, null],
        ],
      })
    }
    for (const [type, port] of [
      ['IMAPS_OAuth2', dovecot.ports.imaps],
      ['IMAPTLS_OAuth2', dovecot.ports.imap],
    ] as const) {
      const err = await imapWithOptions(type, port, profile.id, otherCa).catch((e: unknown) => e)
      expect(mailTlsError(err)).toMatchObject({ code: 'MAIL_TLS_CERT_INVALID' })
    }
    const accessToken = await tokens.getAccessToken(profile.id)
    const popErr = await pop3XOAuth2Login({
      host: dovecot.host,
      port: dovecot.ports.pop3,
      secure: false,
      requireStartTls: true,
      user: 'alice',
      accessToken,
      timeoutMs: 5000,
      tls: { ca: otherCa },
    }).catch((e: unknown) => e)
    expect(mailTlsError(popErr)).toMatchObject({
      code: 'MAIL_TLS_CERT_INVALID',
      details: { reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    })
    // Dovecot logs each of these connections as ended in the TLS handshake, with no auth attempt.
    const disconnects = dovecot
      .log()
      .slice(logBefore)
      .split('\n')
      .filter((l) => l.includes('Disconnected'))
    expect(disconnects.length).toBeGreaterThan(0)
    for (const line of disconnects) expect(line).toMatch(/no auth attempts.*TLS handshaking/)
  })

  it('a revoked token is refused over IMAP and POP3', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'Bob mailbox' }, 'bob')
    const tokens = createTokenProvider(t.ctx)
    const accessToken = await tokens.getAccessToken(profile.id)
    await imapLogin(dovecot.ports.imaps, true, { user: 'bob', accessToken }) // works before
    await op.revokeAccount('bob')

    const imapError = await imapLogin(dovecot.ports.imaps, true, { user: 'bob', accessToken }).catch((e: unknown) => e)
    expect(imapError).toMatchObject({ authenticationFailed: true })
    const popError = await pop3XOAuth2Login({
      host: dovecot.host,
      port: dovecot.ports.pop3s,
      secure: true,
      user: 'bob',
      accessToken,
      timeoutMs: 5000,
      tls: { ca: dovecot.ca },
    }).catch((e: unknown) => e)
    expect(popError).toMatchObject({ name: 'Pop3Error', stage: 'auth' })
    expect(String((popError as Error).message)).not.toContain(accessToken)

    const report = await testMailConnection(tokens, {
      profileId: profile.id,
      type: 'IMAPS_OAuth2',
      host: dovecot.host,
      port: dovecot.ports.imaps,
      user: 'bob',
      tls: { ca: dovecot.ca },
    })
    expect(report.steps.map((s) => [s.step, s.ok])).toEqual([
      ['token', true],
      ['connect', true],
      ['auth', false],
    ])
    // Dovecot's log keeps neither the token nor the introspection secret
    expect(dovecot.log()).toContain('auth')
    expect(dovecot.log()).not.toContain(accessToken)
    expect(dovecot.log()).not.toContain(MAIL_SERVER_CLIENT.client_secret)
  })

  it('a token for another user is refused (the mailbox must match the token subject)', async () => {
    const { profile } = await authorizedProfile(t, op, { name: 'Alice again' })
    const tokens = createTokenProvider(t.ctx)
    const err = await imapLogin(dovecot.ports.imaps, true, await imapflowAuth(tokens, profile.id, 'bob')).catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ authenticationFailed: true })
  })
})
