/** SASL strings (XOAUTH2, RFC 7628 OAUTHBEARER) and the ticket-system account types. */
import { describe, expect, it } from 'vitest'
import {
  MAIL_ACCOUNT_TYPES,
  imapflowOptions,
  mailConnectionOptions,
  nodemailerOptions,
} from '../../src/mail/adapters.js'
import { oauthbearer, oauthbearerRaw, xoauth2, xoauth2Raw } from '../../src/mail/sasl.js'
import { type TokenProvider } from '../../src/tokens/index.js'

describe('SASL initial responses', () => {
  it('XOAUTH2 is user=…^Aauth=Bearer …^A^A, base64 encoded for the wire', () => {
    expect(xoauth2Raw('box@example.com', 'tok')).toBe('user=box@example.com\x01auth=Bearer tok\x01\x01')
    // the example from Google's XOAUTH2 documentation
    expect(xoauth2('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg')).toBe(
      'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==',
    )
  })

  it('OAUTHBEARER follows RFC 7628: GS2 header, host, port, auth, escaped authzid', () => {
    // RFC 7628 section 4.1 example
    expect(
      oauthbearerRaw('user@example.com', 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==', 'server.example.com', 143),
    ).toBe(
      'n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01',
    )
    expect(oauthbearerRaw('a,b=c', 't')).toBe('n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01')
    expect(Buffer.from(oauthbearer('u', 't', 'h', 1), 'base64').toString()).toBe(oauthbearerRaw('u', 't', 'h', 1))
  })
})

describe('mail account types', () => {
  const tokens = { getAccessToken: async () => 'the-token' } as unknown as TokenProvider

  it.each([
    ['IMAP_OAuth2', 'imap', 143, false, true],
    ['IMAPS_OAuth2', 'imap', 993, true, false],
    ['IMAPTLS_OAuth2', 'imap', 143, false, true],
    ['POP3_OAuth2', 'pop3', 110, false, true],
    ['POP3S_OAuth2', 'pop3', 995, true, false],
    ['POP3TLS_OAuth2', 'pop3', 110, false, true],
    ['SMTP_OAuth2', 'smtp', 25, false, true],
    ['SMTPS_OAuth2', 'smtp', 465, true, false],
    ['SMTPTLS_OAuth2', 'smtp', 587, false, true],
  ] as const)(
    '%s → %s on port %i, implicit TLS %s, STARTTLS required %s',
    async (type, protocol, port, secure, requireStartTls) => {
      const options = await mailConnectionOptions(tokens, type, {
        host: 'mail.example.com',
        user: 'box@example.com',
        profileId: 'p1',
      })
      const direction = protocol === 'smtp' ? 'outbound' : 'inbound'
      const tlsMode = secure ? 'implicit' : 'starttls'
      expect(options).toEqual({
        type,
        protocol,
        direction,
        port,
        tlsMode,
        secure,
        requireStartTls,
        host: 'mail.example.com',
        auth: { user: 'box@example.com', accessToken: 'the-token' },
        tls: { rejectUnauthorized: true },
        plaintext: false,
      })
      expect(MAIL_ACCOUNT_TYPES[type].port).toBe(port)
    },
  )

  it('passes a private CA on and never turns certificate verification off', async () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    const options = await mailConnectionOptions(tokens, 'SMTPTLS_OAuth2', {
      host: 'mail.example.com',
      user: 'u',
      profileId: 'p',
      tls: { ca, servername: 'smtp.example.com' },
    })
    expect(options.tls).toEqual({ rejectUnauthorized: true, ca, servername: 'smtp.example.com' })
    const smtp = nodemailerOptions(tokens, 'SMTPTLS_OAuth2', {
      host: 'mail.example.com',
      user: 'u',
      profileId: 'p',
      tls: { ca },
    })
    expect(smtp).toMatchObject({
      host: 'mail.example.com',
      port: 587,
      secure: false,
      requireTLS: true,
      ignoreTLS: false,
      tls: { rejectUnauthorized: true, ca },
      auth: { type: 'OAuth2', user: 'u' },
    })
    expect(nodemailerOptions(tokens, 'SMTPS_OAuth2', { host: 'h', user: 'u', profileId: 'p' })).toMatchObject({
      port: 465,
      secure: true,
      requireTLS: false,
      ignoreTLS: false,
    })
    expect(nodemailerOptions(tokens, 'SMTP_OAuth2', { host: 'h', user: 'u', profileId: 'p' })).toMatchObject({
      port: 25,
      secure: false,
      requireTLS: true,
      ignoreTLS: false,
    })
    expect(
      await imapflowOptions(tokens, 'IMAPTLS_OAuth2', { host: 'h', user: 'u', profileId: 'p', tls: { ca } }),
    ).toEqual({
      host: 'h',
      port: 143,
      secure: false,
      doSTARTTLS: true,
      tls: { rejectUnauthorized: true, ca },
      auth: { user: 'u', accessToken: 'the-token' },
    })
    expect(await imapflowOptions(tokens, 'IMAPS_OAuth2', { host: 'h', user: 'u', profileId: 'p' })).toEqual({
      host: 'h',
      port: 993,
      secure: true,
      tls: { rejectUnauthorized: true },
      auth: { user: 'u', accessToken: 'the-token' },
    })
  })

  it('keeps an explicit port and refuses an unknown type with VALIDATION_FAILED naming the field', async () => {
    expect(
      (await mailConnectionOptions(tokens, 'IMAPS_OAuth2', { host: 'h', port: 1993, user: 'u', profileId: 'p' })).port,
    ).toBe(1993)
    await expect(
      mailConnectionOptions(tokens, 'IMAP_PLAIN' as never, { host: 'h', user: 'u', profileId: 'p' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', fields: { type: expect.stringContaining('IMAPS_OAuth2') } })
  })
})
