/**
 * The bearer token goes only over verified TLS. A cleartext server that advertises AUTH (a man in
 * the middle who stripped STARTTLS) never receives AUTH from any account type, neither from the
 * nodemailer/imapflow options authdock gives hosts nor from "Test connection"; the error says why
 * (MAIL_TLS_REQUIRED). A server whose certificate another CA signed is refused
 * (MAIL_TLS_CERT_INVALID). Plaintext exists only as an explicit option for loopback test servers.
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
import { mailTlsError } from '../../src/mail/tls.js'
import { testMailConnection } from '../../src/mail/test-connection.js'
import { xoauth2 } from '../../src/mail/sasl.js'
import { type TokenProvider } from '../../src/tokens/index.js'
import { resolveConfig } from '../../src/config.js'
import { pop3XOAuth2Login } from '../../src/mail/pop3.js'
import {
  startPlaintextMailServer,
  type PlaintextMailServer,
  type PlaintextProtocol,
} from '../fixtures/plaintext-mail-server.js'
import { startSmtpServer, type SmtpFixture } from '../fixtures/smtp-server.js'
import { createTestCa, type TestCa } from '../fixtures/test-ca.js'

const TOKEN = 'bearer-token-that-must-never-cross-cleartext'
const tokens = {
  getAccessToken: async () => TOKEN,
  getToken: async () => ({ accessToken: TOKEN, expiresAt: new Date(Date.now() + 3600_000) }),
} as unknown as TokenProvider
// The manual's nine types by name, not from the table under test: a type missing there fails here.
const ALL_TYPES: MailAccountType[] = [
  'IMAP_OAuth2',
  'IMAPS_OAuth2',
  'IMAPTLS_OAuth2',
  'POP3_OAuth2',
  'POP3S_OAuth2',
  'POP3TLS_OAuth2',
  'SMTP_OAuth2',
  'SMTPS_OAuth2',
  'SMTPTLS_OAuth2',
]
const SMTP_TYPES = ALL_TYPES.filter((t) => t.startsWith('SMTP'))
const IMAP_TYPES = ALL_TYPES.filter((t) => t.startsWith('IMAP'))
const protocolOf = (t: MailAccountType) => (t.startsWith('SMTP') ? 'smtp' : t.startsWith('IMAP') ? 'imap' : 'pop3')

let servers: Record<PlaintextProtocol, PlaintextMailServer>
let ca: TestCa
let rogueCa: TestCa

beforeAll(async () => {
  const [smtp, imap, pop3] = await Promise.all([
    startPlaintextMailServer('smtp'),
    startPlaintextMailServer('imap'),
    startPlaintextMailServer('pop3'),
  ])
  servers = { smtp, imap, pop3 }
  ca = createTestCa('authdock test CA')
  rogueCa = createTestCa('someone else CA')
})
afterAll(async () => {
  await Promise.all(Object.values(servers ?? {}).map((s) => s.close()))
})

/** Nothing that carries the token reached the server: no AUTH line, no token, no SASL string. */
function expectNoAuth(server: PlaintextMailServer, from: number) {
  const lines = server.lines.slice(from)
  expect(lines.filter((l) => /^(AUTH|[^ ]+ AUTHENTICATE|[^ ]+ LOGIN)\b/i.test(l))).toEqual([])
  const all = lines.join('\n')
  expect(all).not.toContain(TOKEN)
  expect(all).not.toContain(xoauth2('alice', TOKEN))
}

describe('a cleartext server never receives AUTH', () => {
  it.each(ALL_TYPES)('Test connection with %s is refused with MAIL_TLS_REQUIRED and sends no AUTH', async (type) => {
    const server = servers[protocolOf(type)]
    const before = server.lines.length
    const report = await testMailConnection(tokens, {
      profileId: 'p',
      type,
      host: server.host,
      port: server.port,
      user: 'alice',
      timeoutMs: 5000,
    })
    expect(report.ok).toBe(false)
    expect(report.steps.map((s) => [s.step, s.ok])).toEqual([
      ['token', true],
      ['connect', false],
      ['auth', null],
    ])
    expect(report.steps[1]).toMatchObject({ code: 'MAIL_TLS_REQUIRED' })
    // The reason: no TLS at all on an implicit-TLS port, or no STARTTLS on a cleartext one.
    expect(report.steps[1].message).toContain(
      /^(IMAPS|POP3S|SMTPS)_/.test(type) ? '(no_tls)' : '(starttls_unavailable)',
    )
    expectNoAuth(server, before)
  })

  it.each(SMTP_TYPES)(
    'nodemailer with nodemailerOptions(%s) refuses to send (MAIL_TLS_REQUIRED) and sends no AUTH',
    async (type) => {
      const server = servers.smtp
      const before = server.lines.length
      const options = nodemailerOptions(tokens, type, {
        host: server.host,
        port: server.port,
        user: 'alice',
        profileId: 'p',
      })
      expect(options).toMatchObject({ ignoreTLS: false, tls: { rejectUnauthorized: true } })
      expect(options.secure || options.requireTLS).toBe(true)
      const transport = nodemailer.createTransport({
        ...options,
        connectionTimeout: 5000,
        greetingTimeout: 5000,
        logger: false,
      })
      try {
        const err = await transport
          .sendMail({ from: 'alice@example.com', to: 'bob@example.com', text: 'x' })
          .catch((e: unknown) => e)
        expect(err).toBeInstanceOf(Error)
        expect(mailTlsError(err)).toMatchObject({ code: 'MAIL_TLS_REQUIRED' })
      } finally {
        transport.close()
      }
      expectNoAuth(server, before)
    },
  )

  it.each(IMAP_TYPES)(
    'imapflow with imapflowOptions(%s) refuses to log in (MAIL_TLS_REQUIRED) and sends no AUTHENTICATE',
    async (type) => {
      const server = servers.imap
      const before = server.lines.length
      const options = await imapflowOptions(tokens, type, {
        host: server.host,
        port: server.port,
        user: 'alice',
        profileId: 'p',
      })
      expect(options.tls).toMatchObject({ rejectUnauthorized: true })
      expect(options.secure || options.doSTARTTLS).toBe(true)
      const imap = new ImapFlow({ ...options, logger: false, connectionTimeout: 5000, greetingTimeout: 5000 })
      imap.on('error', () => {})
      try {
        const err = await imap.connect().catch((e: unknown) => e)
        expect(err).toBeInstanceOf(Error)
        expect(mailTlsError(err)).toMatchObject({ code: 'MAIL_TLS_REQUIRED' })
      } finally {
        imap.close()
      }
      expectNoAuth(server, before)
    },
  )

  it('the POP3 client refuses a server without STLS (MAIL_TLS_REQUIRED) and never runs in cleartext unless told', async () => {
    const server = servers.pop3
    const before = server.lines.length
    const common = { host: server.host, port: server.port, user: 'alice', accessToken: TOKEN, timeoutMs: 5000 }
    await expect(pop3XOAuth2Login({ ...common, secure: false, requireStartTls: true })).rejects.toMatchObject({
      code: 'MAIL_TLS_REQUIRED',
    })
    await expect(pop3XOAuth2Login({ ...common, secure: false, requireStartTls: false })).rejects.toMatchObject({
      code: 'MAIL_TLS_REQUIRED',
    })
    expect(server.lines.slice(before)).toEqual(['STLS'])
    expectNoAuth(server, before)
  })

  it('SMTP_OAuth2 requires STARTTLS like SMTPTLS_OAuth2; every OAuth2 type is implicit TLS or required STARTTLS', () => {
    for (const type of ALL_TYPES)
      expect(MAIL_ACCOUNT_TYPES[type].secure !== MAIL_ACCOUNT_TYPES[type].requireStartTls).toBe(true)
    expect(MAIL_ACCOUNT_TYPES.SMTP_OAuth2).toMatchObject({ port: 25, secure: false, requireStartTls: true })
  })
})

describe('plaintext only on loopback, and only when asked', () => {
  it('allowPlaintextOnLoopback lets a loopback test server through (it does receive AUTH then)', async () => {
    const server = servers.smtp
    const before = server.lines.length
    const report = await testMailConnection(tokens, {
      profileId: 'p',
      type: 'SMTPTLS_OAuth2',
      host: server.host,
      port: server.port,
      user: 'alice',
      allowPlaintextOnLoopback: true,
    })
    expect(report.ok).toBe(true)
    expect(server.lines.slice(before).some((l) => l.startsWith('AUTH XOAUTH2'))).toBe(true)

    const options = nodemailerOptions(tokens, 'SMTPS_OAuth2', {
      host: 'localhost',
      user: 'alice',
      profileId: 'p',
      allowPlaintextOnLoopback: true,
    })
    expect(options).toMatchObject({ secure: false, requireTLS: false, ignoreTLS: true })
    expect(
      (
        await imapflowOptions(tokens, 'IMAPS_OAuth2', {
          host: '::1',
          user: 'alice',
          profileId: 'p',
          allowPlaintextOnLoopback: true,
        })
      ).doSTARTTLS,
    ).toBe(false)
  })

  it('refuses allowPlaintextOnLoopback for any other host (VALIDATION_FAILED naming the option), before connecting', async () => {
    const input = { host: 'mail.example.com', user: 'alice', profileId: 'p', allowPlaintextOnLoopback: true }
    const refused = {
      code: 'VALIDATION_FAILED',
      fields: { allowPlaintextOnLoopback: expect.stringContaining('127.0.0.1') },
    }
    expect(() => nodemailerOptions(tokens, 'SMTPTLS_OAuth2', input)).toThrow(expect.objectContaining(refused))
    await expect(imapflowOptions(tokens, 'IMAPTLS_OAuth2', input)).rejects.toMatchObject(refused)
    await expect(mailConnectionOptions(tokens, 'POP3S_OAuth2', input)).rejects.toMatchObject(refused)
    await expect(testMailConnection(tokens, { ...input, type: 'SMTP_OAuth2', host: '10.0.0.1' })).rejects.toMatchObject(
      refused,
    )
    await expect(
      testMailConnection(tokens, { ...input, type: 'SMTP_OAuth2', host: '127.0.0.2.example.com' }),
    ).rejects.toMatchObject(refused)
  })

  it('refuses tls.rejectUnauthorized: false from a caller without types (VALIDATION_FAILED naming it)', async () => {
    const input = { host: '127.0.0.1', user: 'alice', profileId: 'p', tls: { rejectUnauthorized: false } as never }
    const refused = { code: 'VALIDATION_FAILED', fields: { 'tls.rejectUnauthorized': expect.any(String) } }
    expect(() => nodemailerOptions(tokens, 'SMTPS_OAuth2', input)).toThrow(expect.objectContaining(refused))
    await expect(testMailConnection(tokens, { ...input, type: 'IMAPS_OAuth2' })).rejects.toMatchObject(refused)
    // Nor anything else that would weaken it.
    for (const key of ['checkServerIdentity', 'minVersion', 'ciphers']) {
      const weakened = { ...input, tls: { [key]: key === 'checkServerIdentity' ? () => undefined : 'TLSv1' } as never }
      expect(() => nodemailerOptions(tokens, 'SMTPS_OAuth2', weakened)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', fields: { [`tls.${key}`]: expect.any(String) } }),
      )
    }
  })

  it('the admin option mail.tls takes a CA and nothing that turns verification off (CONFIG_INVALID naming it)', () => {
    const base = {
      baseUrl: 'http://localhost:3000',
      encryptionKey: Buffer.alloc(32, 1).toString('base64'),
      session: { secret: 'a-session-secret-of-some-length' },
      users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
    }
    expect(resolveConfig({ ...base, mail: { tls: { ca: ca.cert } } }).mail.tls.ca).toBe(ca.cert)
    expect(() => resolveConfig({ ...base, mail: { tls: { rejectUnauthorized: false } as never } })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        fields: { 'mail.tls': expect.stringContaining('always verified') },
      }),
    )
    expect(() => resolveConfig({ ...base, mail: { tls: { ca: 'not a certificate' } } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', fields: { 'mail.tls.ca': 'must be a PEM certificate' } }),
    )
  })

  it('an account type of the wrong protocol is refused by the library helpers', async () => {
    const input = { host: 'mail.example.com', user: 'alice', profileId: 'p' }
    expect(() => nodemailerOptions(tokens, 'IMAPS_OAuth2', input)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', fields: { type: expect.stringContaining('SMTP') } }),
    )
    await expect(imapflowOptions(tokens, 'SMTPS_OAuth2', input)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { type: expect.stringContaining('IMAP') },
    })
  })
})

describe('certificates are verified', () => {
  const introspection = { url: 'http://127.0.0.1:9/never-asked', clientId: 'x', clientSecret: 'y' }
  let starttls: SmtpFixture
  let implicit: SmtpFixture
  let wrongName: SmtpFixture

  beforeAll(async () => {
    const rogue = rogueCa.issueServer()
    ;[starttls, implicit, wrongName] = await Promise.all([
      startSmtpServer(introspection, { tls: { mode: 'starttls', ...rogue } }),
      startSmtpServer(introspection, { tls: { mode: 'implicit', ...rogue } }),
      // Signed by the trusted CA, but for another name than the one connected to.
      startSmtpServer(introspection, {
        tls: { mode: 'implicit', ...ca.issueServer({ dnsNames: ['mail.example.com'], ips: [] }) },
      }),
    ])
  })
  afterAll(async () => {
    await Promise.all([starttls?.close(), implicit?.close(), wrongName?.close()])
  })

  it.each([
    ['SMTPTLS_OAuth2', () => starttls],
    ['SMTP_OAuth2', () => starttls],
    ['SMTPS_OAuth2', () => implicit],
  ] as const)(
    '%s: a certificate another CA signed is refused (MAIL_TLS_CERT_INVALID) before AUTH',
    async (type, server) => {
      const report = await testMailConnection(tokens, {
        profileId: 'p',
        type,
        host: server().host,
        port: server().port,
        user: 'alice',
        tls: { ca: ca.cert },
      })
      expect(report.steps.map((s) => [s.step, s.ok])).toEqual([
        ['token', true],
        ['connect', false],
        ['auth', null],
      ])
      expect(report.steps[1]).toMatchObject({ code: 'MAIL_TLS_CERT_INVALID' })

      const transport = nodemailer.createTransport({
        ...nodemailerOptions(tokens, type, {
          host: server().host,
          port: server().port,
          user: 'alice',
          profileId: 'p',
          tls: { ca: ca.cert },
        }),
        logger: false,
      })
      try {
        const err = await transport
          .sendMail({ from: 'alice@example.com', to: 'bob@example.com', text: 'x' })
          .catch((e: unknown) => e)
        expect(mailTlsError(err)).toMatchObject({
          code: 'MAIL_TLS_CERT_INVALID',
          details: { reason: expect.stringMatching(/^[A-Z_]+$/) },
        })
      } finally {
        transport.close()
      }
      expect(server().attempts).toEqual([])
    },
  )

  it('without a CA option the system trust store applies: the test CA is not trusted', async () => {
    const report = await testMailConnection(tokens, {
      profileId: 'p',
      type: 'SMTPS_OAuth2',
      host: implicit.host,
      port: implicit.port,
      user: 'alice',
    })
    expect(report.steps[1]).toMatchObject({ ok: false, code: 'MAIL_TLS_CERT_INVALID' })
  })

  it('a certificate of the trusted CA for another host name is refused (MAIL_TLS_CERT_INVALID)', async () => {
    const report = await testMailConnection(tokens, {
      profileId: 'p',
      type: 'SMTPS_OAuth2',
      host: wrongName.host,
      port: wrongName.port,
      user: 'alice',
      tls: { ca: ca.cert },
    })
    expect(report.steps[1]).toMatchObject({ ok: false, code: 'MAIL_TLS_CERT_INVALID' })
    expect(report.steps[1].message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/)
    expect(wrongName.attempts).toEqual([])
  })
})
