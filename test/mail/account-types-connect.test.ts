/**
 * All nine OAuth2 account types of the ticket system connect and log in with a profile's token
 * against real TLS servers whose certificates verify against the per-run test CA: Dovecot
 * (implicit TLS and STARTTLS/STLS for IMAP and POP3) and smtp-server (SMTPS and STARTTLS). The
 * compatibility types IMAP_OAuth2, POP3_OAuth2 and SMTP_OAuth2 behave like their …TLS siblings.
 * OAUTHBEARER logs in at Dovecot too (smtp-server and nodemailer speak only XOAUTH2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import nodemailer from 'nodemailer'
import { ImapFlow } from 'imapflow'
import {
  MAIL_ACCOUNT_TYPES,
  imapflowOptions,
  mailConnectionOptions,
  nodemailerOptions,
  type MailAccountType,
} from '../../src/mail/adapters.js'
import { createTokenProvider } from '../../src/tokens/index.js'
import { testMailConnection } from '../../src/mail/test-connection.js'
import { pop3XOAuth2Login } from '../../src/mail/pop3.js'
import { dovecotAvailable, startDovecot, type DovecotFixture } from '../fixtures/dovecot.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startSmtpServer, type SmtpFixture } from '../fixtures/smtp-server.js'
import { createTestCa, type TestCa } from '../fixtures/test-ca.js'
import {
  authorizedProfile,
  introspectionOf,
  makeContext,
  startMailOp,
  type TokenTestContext,
} from '../tokens/helpers.js'

/** The manual's nine types with what each must be: port, TLS mode, direction. */
const EXPECTED: Record<
  MailAccountType,
  { port: number; tlsMode: 'implicit' | 'starttls'; direction: 'inbound' | 'outbound' }
> = {
  IMAP_OAuth2: { port: 143, tlsMode: 'starttls', direction: 'inbound' },
  IMAPS_OAuth2: { port: 993, tlsMode: 'implicit', direction: 'inbound' },
  IMAPTLS_OAuth2: { port: 143, tlsMode: 'starttls', direction: 'inbound' },
  POP3_OAuth2: { port: 110, tlsMode: 'starttls', direction: 'inbound' },
  POP3S_OAuth2: { port: 995, tlsMode: 'implicit', direction: 'inbound' },
  POP3TLS_OAuth2: { port: 110, tlsMode: 'starttls', direction: 'inbound' },
  SMTP_OAuth2: { port: 25, tlsMode: 'starttls', direction: 'outbound' },
  SMTPS_OAuth2: { port: 465, tlsMode: 'implicit', direction: 'outbound' },
  SMTPTLS_OAuth2: { port: 587, tlsMode: 'starttls', direction: 'outbound' },
}
const NINE = Object.keys(EXPECTED) as MailAccountType[]
const protocolOf = (type: MailAccountType) =>
  type.startsWith('SMTP') ? 'smtp' : type.startsWith('IMAP') ? 'imap' : 'pop3'

const available = dovecotAvailable()
if (!available && process.env.CI !== 'true') {
  console.warn(
    'Dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d): skipping the account-type tests',
  )
}

it('offers the nine account types, each implicit TLS or required STARTTLS on its standard port', () => {
  expect(Object.keys(MAIL_ACCOUNT_TYPES).sort()).toEqual([...NINE].sort())
  for (const type of NINE) {
    const spec = MAIL_ACCOUNT_TYPES[type]
    expect({ type, port: spec.port, tlsMode: spec.tlsMode, direction: spec.direction }).toEqual({
      type,
      ...EXPECTED[type],
    })
    // Never a cleartext login: implicit TLS, or STARTTLS that must succeed.
    expect({ type, secure: spec.secure, requireStartTls: spec.requireStartTls }).toEqual({
      type,
      secure: spec.tlsMode === 'implicit',
      requireStartTls: spec.tlsMode === 'starttls',
    })
  }
})

describe.skipIf(!available && process.env.CI !== 'true')('every account type logs in over verified TLS', () => {
  let op: OidcProviderFixture
  let ca: TestCa
  let xoauth2Only: DovecotFixture
  let bothMechanisms: DovecotFixture
  let starttls: SmtpFixture
  let implicit: SmtpFixture
  let t: TokenTestContext
  let profileId: string

  beforeAll(async () => {
    op = await startMailOp()
    ca = createTestCa('authdock account types CA')
    const certificate = ca.issueServer()
    ;[starttls, implicit] = await Promise.all([
      startSmtpServer(introspectionOf(op), { tls: { mode: 'starttls', ...certificate } }),
      startSmtpServer(introspectionOf(op), { tls: { mode: 'implicit', ...certificate } }),
    ])
    // One after the other: each picks free ports before it binds them.
    // Only xoauth2 on the first: imapflow would otherwise prefer OAUTHBEARER.
    xoauth2Only = await startDovecot({ introspection: introspectionOf(op), mechanisms: ['xoauth2'], ca })
    bothMechanisms = await startDovecot({
      introspection: introspectionOf(op),
      mechanisms: ['xoauth2', 'oauthbearer'],
      ca,
    })
    t = await makeContext()
    profileId = (await authorizedProfile(t, op)).profile.id
  })
  afterAll(async () => {
    await t?.close()
    await Promise.all([xoauth2Only?.stop(), bothMechanisms?.stop(), starttls?.close(), implicit?.close()])
    await op?.close()
  })

  /** The test server port that plays the type's standard port. */
  function portOf(type: MailAccountType, dovecot: DovecotFixture = xoauth2Only): number {
    const protocol = protocolOf(type)
    const tlsMode = EXPECTED[type].tlsMode
    if (protocol === 'smtp') return tlsMode === 'implicit' ? implicit.port : starttls.port
    if (protocol === 'imap') return tlsMode === 'implicit' ? dovecot.ports.imaps : dovecot.ports.imap
    return tlsMode === 'implicit' ? dovecot.ports.pop3s : dovecot.ports.pop3
  }

  /** Dovecot writes its log a moment after the client is done: poll it for the expected lines. */
  async function loginLines(dovecot: DovecotFixture, from: number, count: number): Promise<string[]> {
    for (let i = 0; i < 100; i++) {
      const found =
        dovecot
          .log()
          .slice(from)
          .match(/(imap|pop3)-login: Info: Login: user=<alice>.*/g) ?? []
      if (found.length >= count) return found
      await new Promise((r) => setTimeout(r, 20)) // poll interval for a log file, not a wait for readiness
    }
    throw new Error(`expected ${count} logins in the Dovecot log:\n${dovecot.log().slice(from)}`)
  }

  it.each(NINE)('"Test connection" with %s: token, TLS connect and XOAUTH2 login all pass', async (type) => {
    const tokens = createTokenProvider(t.ctx)
    const logBefore = xoauth2Only.log().length
    const smtpBefore = (type.startsWith('SMTPS') ? implicit : starttls).attempts.length
    const report = await testMailConnection(tokens, {
      profileId,
      type,
      host: '127.0.0.1',
      port: portOf(type),
      user: 'alice',
      tls: { ca: ca.cert },
    })
    expect({ type, steps: report.steps.map((s) => [s.step, s.ok, s.code ?? null]) }).toEqual({
      type,
      steps: [
        ['token', true, null],
        ['connect', true, null],
        ['auth', true, null],
      ],
    })
    if (protocolOf(type) === 'smtp') {
      const smtp = type.startsWith('SMTPS') ? implicit : starttls
      expect(smtp.attempts.slice(smtpBefore)).toEqual([
        expect.objectContaining({ user: 'alice', accepted: true, secure: true }),
      ])
    } else {
      // Dovecot marks a login that came over TLS with "TLS"; the mechanism is named too.
      const [line] = await loginLines(xoauth2Only, logBefore, 1)
      expect(line).toMatch(/method=XOAUTH2, .*, TLS, /)
    }
  })

  it.each(NINE.filter((type) => protocolOf(type) === 'imap'))(
    'imapflow with imapflowOptions(%s) opens INBOX over verified TLS',
    async (type) => {
      const options = await imapflowOptions(createTokenProvider(t.ctx), type, {
        host: '127.0.0.1',
        port: portOf(type),
        user: 'alice',
        profileId,
        tls: { ca: ca.cert },
      })
      expect(options.secure || options.doSTARTTLS).toBe(true)
      const imap = new ImapFlow({ ...options, logger: false })
      imap.on('error', () => {})
      try {
        await imap.connect()
        expect(imap.tls).toMatchObject({ authorized: true })
        await imap.mailboxOpen('INBOX')
        await imap.logout()
      } finally {
        imap.close()
      }
    },
  )

  it.each(NINE.filter((type) => protocolOf(type) === 'smtp'))(
    'nodemailer with nodemailerOptions(%s) delivers over verified TLS',
    async (type) => {
      const smtp = type.startsWith('SMTPS') ? implicit : starttls
      const transport = nodemailer.createTransport({
        ...nodemailerOptions(createTokenProvider(t.ctx), type, {
          host: '127.0.0.1',
          port: portOf(type),
          user: 'alice',
          profileId,
          tls: { ca: ca.cert },
        }),
        logger: false,
      })
      try {
        await transport.sendMail({
          from: 'alice@example.com',
          to: 'bob@example.com',
          subject: type,
          text: `sent as ${type}`,
        })
      } finally {
        transport.close()
      }
      expect(smtp.messages.at(-1)).toMatchObject({ user: 'alice', to: ['bob@example.com'] })
      expect(smtp.attempts.at(-1)).toMatchObject({ user: 'alice', accepted: true, secure: true })
    },
  )

  it.each(NINE.filter((type) => protocolOf(type) === 'pop3'))(
    'the POP3 login with mailConnectionOptions(%s) goes over verified TLS',
    async (type) => {
      const options = await mailConnectionOptions(createTokenProvider(t.ctx), type, {
        host: '127.0.0.1',
        port: portOf(type),
        user: 'alice',
        profileId,
        tls: { ca: ca.cert },
      })
      const logBefore = xoauth2Only.log().length
      await pop3XOAuth2Login({
        host: options.host,
        port: options.port,
        secure: options.secure,
        requireStartTls: options.requireStartTls,
        user: options.auth.user,
        accessToken: options.auth.accessToken,
        timeoutMs: 5000,
        tls: options.tls,
      })
      const [line] = await loginLines(xoauth2Only, logBefore, 1)
      expect(line).toMatch(/pop3-login: .*method=XOAUTH2, .*, TLS, /)
    },
  )

  describe('OAUTHBEARER (RFC 7628)', () => {
    it('imapflow logs in with OAUTHBEARER when Dovecot offers it, over implicit TLS and STARTTLS', async () => {
      const logBefore = bothMechanisms.log().length
      for (const type of ['IMAPS_OAuth2', 'IMAPTLS_OAuth2'] as const) {
        const options = await imapflowOptions(createTokenProvider(t.ctx), type, {
          host: '127.0.0.1',
          port: portOf(type, bothMechanisms),
          user: 'alice',
          profileId,
          tls: { ca: ca.cert },
        })
        const imap = new ImapFlow({ ...options, logger: false })
        imap.on('error', () => {})
        try {
          await imap.connect()
          await imap.mailboxOpen('INBOX')
          await imap.logout()
        } finally {
          imap.close()
        }
      }
      const lines = await loginLines(bothMechanisms, logBefore, 2)
      for (const line of lines) expect(line).toMatch(/method=OAUTHBEARER, .*, TLS, /)
    })

    it('the POP3 client logs in with OAUTHBEARER over STLS and POP3S, and a refused one ends cleanly', async () => {
      const accessToken = await createTokenProvider(t.ctx).getAccessToken(profileId)
      const common = {
        host: '127.0.0.1',
        user: 'alice',
        accessToken,
        timeoutMs: 5000,
        tls: { ca: ca.cert },
        mechanism: 'OAUTHBEARER' as const,
      }
      const logBefore = bothMechanisms.log().length
      await pop3XOAuth2Login({ ...common, port: bothMechanisms.ports.pop3, secure: false, requireStartTls: true })
      await pop3XOAuth2Login({ ...common, port: bothMechanisms.ports.pop3s, secure: true })
      const lines = await loginLines(bothMechanisms, logBefore, 2)
      for (const line of lines) expect(line).toMatch(/pop3-login: .*method=OAUTHBEARER, .*, TLS, /)
      // The token's subject is alice: as bob the server refuses, and the client aborts the SASL exchange.
      const refused = await pop3XOAuth2Login({
        ...common,
        user: 'bob',
        port: bothMechanisms.ports.pop3s,
        secure: true,
      }).catch((e: unknown) => e)
      expect(refused).toMatchObject({ name: 'Pop3Error', stage: 'auth' })
      expect(String((refused as Error).message)).not.toContain(accessToken)
    })
  })
})
