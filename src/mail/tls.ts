/**
 * The TLS rule for every OAuth2 mail connection: an access token is as good as the mailbox password
 * for its lifetime, so AUTH goes only over TLS whose certificate verified. Cleartext is possible only
 * when a caller asks for it explicitly and the server is on this machine (a test server).
 *
 * STARTTLS that is merely "used when offered" does not count: a man in the middle strips the offer
 * from the cleartext capability list, and the client then sends AUTH in the clear. So each account
 * type is implicit TLS or required STARTTLS, and the mail libraries are told to fail without it.
 */
import type { ConnectionOptions } from 'node:tls'
import { AuthdockError, isAuthdockError } from '../errors.js'

/**
 * What a host may say about the server's certificate. Verification itself cannot be turned off.
 *
 * @example
 * const input = { host: 'mail.internal.example', user, profileId, tls: { ca: readFileSync('internal-ca.pem') } }
 */
export interface MailTlsOptions {
  /**
   * Trusted CA certificates (PEM) for a mail server with a private CA. Replaces Node's built-in
   * list for this connection, as `tls.connect({ ca })` does.
   */
  ca?: string | Buffer | Array<string | Buffer>
  /** The name the certificate must carry, when it differs from `host` (e.g. connecting by IP address). */
  servername?: string
}

/** The TLS-related part of a mail connection request. */
export interface MailTlsInput {
  host: string
  tls?: MailTlsOptions
  /**
   * Connect without any TLS. Honoured only for `127.0.0.1`, `::1` and `localhost` (a test server on
   * this machine); any other host is refused with VALIDATION_FAILED.
   */
  allowPlaintextOnLoopback?: boolean
}

export interface ResolvedMailTls {
  /** True only for an explicitly allowed loopback server: no TLS at all. */
  plaintext: boolean
  /** Options for `tls.connect`: always `rejectUnauthorized: true`. */
  tls: ConnectionOptions
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost'])

/** Is this host name the local machine (the only place cleartext may go)? */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase())
}

// Only what adds trust or names the server; nothing that weakens verification or the protocol version.
const TLS_KEYS = new Set(['ca', 'servername'])

/**
 * Check a caller's TLS wishes and turn them into `tls.connect` options that always verify.
 * Throws VALIDATION_FAILED naming the field for plaintext to a remote host, for
 * `rejectUnauthorized: false` and for options this module does not pass on.
 */
export function resolveMailTls(input: MailTlsInput): ResolvedMailTls {
  const fields: Record<string, string> = {}
  const given = (input.tls ?? {}) as Record<string, unknown>
  for (const key of Object.keys(given)) {
    if (key === 'rejectUnauthorized' && given[key] !== false) continue
    if (!TLS_KEYS.has(key)) {
      fields[`tls.${key}`] =
        key === 'rejectUnauthorized' || key === 'checkServerIdentity'
          ? 'certificates are always verified (a bearer token crosses this connection); give the private CA as tls.ca instead'
          : 'is not supported (use tls.ca or tls.servername)'
    }
  }
  const plaintext = input.allowPlaintextOnLoopback === true
  if (plaintext && !isLoopbackHost(String(input.host))) {
    fields.allowPlaintextOnLoopback = 'only for a server on 127.0.0.1, ::1 or localhost; other hosts need TLS'
  }
  if (Object.keys(fields).length) {
    throw new AuthdockError('VALIDATION_FAILED', `Invalid mail connection: ${Object.keys(fields).join(', ')}`, {
      fields,
    })
  }
  const tls: ConnectionOptions = { rejectUnauthorized: true }
  if (given.ca !== undefined) tls.ca = given.ca as MailTlsOptions['ca']
  if (given.servername !== undefined) tls.servername = given.servername as string
  return { plaintext, tls }
}

/** X.509 verification failures as Node names them (OpenSSL's verify results plus the name check). */
const CERT_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** nodemailer reports a failed STARTTLS handshake by message only; these are Node's texts for the codes. */
const CERT_MESSAGES: Array<[RegExp, string]> = [
  [/unable to verify the first certificate/i, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  [/unable to get local issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  [/self[- ]signed certificate in certificate chain/i, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [/self[- ]signed certificate/i, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  [/certificate has expired/i, 'CERT_HAS_EXPIRED'],
  [/certificate is not yet valid/i, 'CERT_NOT_YET_VALID'],
  [/does not match certificate's altnames/i, 'ERR_TLS_CERT_ALTNAME_INVALID'],
  [/unsuitable certificate purpose/i, 'INVALID_PURPOSE'],
  [/certificate signature failure/i, 'CERT_SIGNATURE_FAILURE'],
]

type MailLibraryError = {
  code?: unknown
  originalCode?: unknown
  command?: unknown
  response?: unknown
  tlsFailed?: unknown
  message?: unknown
  cause?: unknown
}

/**
 * Say whether an error of nodemailer, imapflow or authdock's POP3 client means "not over verified
 * TLS", as an AuthdockError with a stable code: MAIL_TLS_REQUIRED (`details.reason`:
 * `starttls_unavailable`, `starttls_injection` or `no_tls`) or MAIL_TLS_CERT_INVALID
 * (`details.reason`: Node's verification code, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`). Any other
 * error gives null. In both cases the token was not sent.
 *
 * @example
 * try { await transport.sendMail(mail) } catch (err) { throw mailTlsError(err) ?? err }
 */
export function mailTlsError(err: unknown): AuthdockError | null {
  if (isAuthdockError(err, 'MAIL_TLS_REQUIRED') || isAuthdockError(err, 'MAIL_TLS_CERT_INVALID')) return err
  if (typeof err !== 'object' || err === null) return null
  const e = err as MailLibraryError
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as MailLibraryError
  const codes = [e.code, e.originalCode, cause.code].filter((c): c is string => typeof c === 'string')
  const message = typeof e.message === 'string' ? e.message : ''

  const certCode = codes.find((c) => CERT_CODES.has(c)) ?? CERT_MESSAGES.find(([re]) => re.test(message))?.[1]
  if (certCode) {
    return new AuthdockError(
      'MAIL_TLS_CERT_INVALID',
      `The mail server's certificate did not verify (${certCode}); the token was not sent. Trust its CA with tls.ca if it is a private one.`,
      {
        cause: err,
        // Fixed words and a code name: safe to show, and the admin needs them to act.
        expose: true,
        details: { reason: certCode },
      },
    )
  }
  const required = (reason: string, what: string) =>
    new AuthdockError(
      'MAIL_TLS_REQUIRED',
      `${what}; authdock sends a token only over TLS, so it was not sent (${reason}).`,
      { cause: err, expose: true, details: { reason } },
    )
  if (codes.includes('STARTTLS_INJECTION'))
    return required('starttls_injection', 'The mail server sent data between STARTTLS and the TLS handshake')
  // imapflow: STARTTLS required but not offered or refused.
  if (e.tlsFailed === true) return required('starttls_unavailable', 'The mail server did not offer STARTTLS')
  // nodemailer: the server refused STARTTLS (requireTLS sends it even when not advertised).
  if (codes.includes('ETLS') && e.command === 'STARTTLS' && typeof e.response === 'string')
    return required('starttls_unavailable', 'The mail server did not offer STARTTLS')
  if (/required STARTTLS/i.test(message))
    return required('starttls_unavailable', 'The mail server did not offer STARTTLS')
  // A cleartext server on an implicit-TLS port: its greeting is no TLS record.
  if (
    codes.some((c) => c.startsWith('ERR_SSL_') || c === 'EPROTO') ||
    /wrong version number|packet length too long|unknown protocol/i.test(message)
  ) {
    return required('no_tls', 'The mail server did not answer with TLS')
  }
  return null
}
