/**
 * Glue between the token provider and the mail libraries hosts use: nodemailer (SMTP) and imapflow
 * (IMAP), plus the account types of ticket systems (`IMAPS_OAuth2`, `SMTPTLS_OAuth2`, …) turned
 * into connection options. The token provider stays the single source of tokens: nodemailer asks
 * it through a provision callback instead of keeping its own refresh token.
 */
import type { ConnectionOptions } from 'node:tls'
import { AuthdockError } from '../errors.js'
import { resolveMailTls, type MailTlsInput, type MailTlsOptions } from './tls.js'
import type { TokenProvider } from '../tokens/types.js'

/**
 * The OAuth2 mail account types of ticket systems (README "Sending and reading mail").
 *
 * @example
 * const type: MailAccountType = 'SMTPTLS_OAuth2'
 */
export type MailAccountType =
  | 'IMAP_OAuth2'
  | 'IMAPS_OAuth2'
  | 'IMAPTLS_OAuth2'
  | 'POP3_OAuth2'
  | 'POP3S_OAuth2'
  | 'POP3TLS_OAuth2'
  | 'SMTP_OAuth2'
  | 'SMTPS_OAuth2'
  | 'SMTPTLS_OAuth2'

export interface MailTransportSpec {
  protocol: 'imap' | 'pop3' | 'smtp'
  /** `inbound` reads mail (IMAP, POP3), `outbound` sends it (SMTP). */
  direction: 'inbound' | 'outbound'
  port: number
  /** `implicit`: TLS from the first byte; `starttls`: cleartext greeting, then STARTTLS/STLS, required. */
  tlsMode: 'implicit' | 'starttls'
  /** Implicit TLS from the first byte (IMAPS 993, POP3S 995, SMTPS 465). */
  secure: boolean
  /** Upgrade with STARTTLS and refuse to continue without it. */
  requireStartTls: boolean
}

const transport =
  (tlsMode: MailTransportSpec['tlsMode']) =>
  (protocol: MailTransportSpec['protocol'], port: number): MailTransportSpec => ({
    protocol,
    direction: protocol === 'smtp' ? 'outbound' : 'inbound',
    port,
    tlsMode,
    secure: tlsMode === 'implicit',
    requireStartTls: tlsMode === 'starttls',
  })
const implicit = transport('implicit')
const starttls = transport('starttls')

/**
 * Port and TLS mode per account type, named as ticket systems name them: `…S` is implicit TLS,
 * `…TLS` is STARTTLS, the plain name is the protocol's cleartext port. Every type is implicit TLS
 * or required STARTTLS: the token is a bearer credential, and STARTTLS used only "when offered" is
 * stripped by anyone on the path. So the plain `IMAP_OAuth2`, `POP3_OAuth2` and `SMTP_OAuth2`,
 * which a ticket system would run without TLS, exist for compatibility and behave like their
 * `…TLS` siblings (SMTP keeps port 25, SMTPTLS uses the submission port 587).
 *
 * @example
 * const { port, secure } = MAIL_ACCOUNT_TYPES.IMAPS_OAuth2 // 993, implicit TLS
 */
export const MAIL_ACCOUNT_TYPES: Readonly<Record<MailAccountType, Readonly<MailTransportSpec>>> = Object.freeze({
  IMAP_OAuth2: starttls('imap', 143),
  IMAPS_OAuth2: implicit('imap', 993),
  IMAPTLS_OAuth2: starttls('imap', 143),
  POP3_OAuth2: starttls('pop3', 110),
  POP3S_OAuth2: implicit('pop3', 995),
  POP3TLS_OAuth2: starttls('pop3', 110),
  SMTP_OAuth2: starttls('smtp', 25),
  SMTPS_OAuth2: implicit('smtp', 465),
  SMTPTLS_OAuth2: starttls('smtp', 587),
})

/**
 * Whether `value` is one of the OAuth2 account types.
 *
 * @example
 * if (isMailAccountType(account.type)) transport = nodemailer.createTransport(nodemailerOptions(dock.tokens, account.type, account))
 */
export function isMailAccountType(value: unknown): value is MailAccountType {
  return typeof value === 'string' && Object.hasOwn(MAIL_ACCOUNT_TYPES, value)
}

/**
 * nodemailer's provision callback signature (`transporter.set('oauth2_provision_cb', …)`).
 *
 * @example
 * transporter.set('oauth2_provision_cb', nodemailerProvisionCallback(dock.tokens, 'Support mailbox'))
 */
export type ProvisionCallback = (
  user: string,
  renew: boolean,
  callback: (err: Error | null, accessToken?: string, expires?: number) => void,
) => void

/**
 * A nodemailer provision callback backed by the token provider. nodemailer calls it with
 * `renew: true` after the server rejected a token; that becomes `forceRefresh`. The expiry handed
 * back is shortened by the refresh margin so nodemailer asks again in time (our cache answers).
 *
 * @example
 * transporter.set('oauth2_provision_cb', nodemailerProvisionCallback(dock.tokens, 'Support mailbox', 60_000))
 */
export function nodemailerProvisionCallback(
  tokens: TokenProvider,
  profileIdOrName: string,
  refreshMarginMs = 0,
): ProvisionCallback {
  return (_user, renew, callback) => {
    tokens.getToken(profileIdOrName, { forceRefresh: renew }).then(
      (t) => callback(null, t.accessToken, t.expiresAt.getTime() - refreshMarginMs),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    )
  }
}

/**
 * nodemailer `auth` for a profile. The provision callback rides in the auth object; no token is
 * stored in the transport options. This is the auth part only: `nodemailerOptions` gives the whole
 * options, TLS included (`secure` / `requireTLS`, verified certificate).
 *
 * @example
 * nodemailer.createTransport({ host: 'smtp.office365.com', port: 587, requireTLS: true, auth: nodemailerAuth(dock.tokens, 'Support mailbox', 'desk@example.com') })
 */
export function nodemailerAuth(tokens: TokenProvider, profileIdOrName: string, user: string, refreshMarginMs = 0) {
  return {
    type: 'OAuth2' as const,
    user,
    provisionCallback: nodemailerProvisionCallback(tokens, profileIdOrName, refreshMarginMs),
  }
}

/**
 * imapflow `auth` with a current token; `imapflowOptions` gives the whole options, TLS included.
 *
 * @example
 * const imap = new ImapFlow({ host: 'outlook.office365.com', port: 993, secure: true, auth: await imapflowAuth(dock.tokens, 'Support mailbox', 'desk@example.com') })
 */
export async function imapflowAuth(
  tokens: TokenProvider,
  profileIdOrName: string,
  user: string,
  options?: { forceRefresh?: boolean },
): Promise<{ user: string; accessToken: string }> {
  return { user, accessToken: await tokens.getAccessToken(profileIdOrName, options) }
}

/**
 * Where and as whom a mail connection logs in with a profile's token.
 *
 * @example
 * const input: MailConnectionInput = { host: 'outlook.office365.com', user: 'desk@example.com', profileId }
 * const imap = new ImapFlow(await imapflowOptions(dock.tokens, 'IMAPS_OAuth2', input))
 */
export interface MailConnectionInput extends MailTlsInput {
  host: string
  /** Defaults to the standard port of the account type. */
  port?: number
  user: string
  profileId: string
  /** The server's certificate is always verified; `ca` adds a private CA. */
  tls?: MailTlsOptions
}

/**
 * Connection settings for an account type with a current token, for mail clients other than
 * nodemailer and imapflow.
 *
 * @example
 * const { host, port, secure, requireStartTls, tls, auth } = await mailConnectionOptions(dock.tokens, 'POP3S_OAuth2', input)
 */
export interface MailConnectionOptions extends MailTransportSpec {
  type: MailAccountType
  host: string
  auth: { user: string; accessToken: string }
  /** For `tls.connect` / the mail library's `tls` option: `rejectUnauthorized: true`, plus `ca` if given. */
  tls: ConnectionOptions
  /** True only with `allowPlaintextOnLoopback` on a loopback host: then `secure` and `requireStartTls` are false. */
  plaintext: boolean
}

interface ResolvedTransport extends MailTransportSpec {
  host: string
  tls: ConnectionOptions
  plaintext: boolean
}

/** Check the type and the TLS wishes; the one place that decides how a mail connection is secured. */
export function resolveTransport(
  type: MailAccountType,
  input: Omit<MailConnectionInput, 'user' | 'profileId'>,
  protocol?: MailTransportSpec['protocol'],
): ResolvedTransport {
  if (!isMailAccountType(type)) {
    throw new AuthdockError('VALIDATION_FAILED', `Unknown mail account type "${String(type)}"`, {
      fields: { type: `must be one of ${Object.keys(MAIL_ACCOUNT_TYPES).join(', ')}` },
    })
  }
  const spec = MAIL_ACCOUNT_TYPES[type]
  if (protocol && spec.protocol !== protocol) {
    const types = Object.keys(MAIL_ACCOUNT_TYPES).filter(
      (t) => MAIL_ACCOUNT_TYPES[t as MailAccountType].protocol === protocol,
    )
    throw new AuthdockError('VALIDATION_FAILED', `"${type}" is not a ${protocol.toUpperCase()} account type`, {
      fields: { type: `must be one of ${types.join(', ')}` },
    })
  }
  const { plaintext, tls } = resolveMailTls(input)
  return {
    ...spec,
    ...(plaintext ? { secure: false, requireStartTls: false } : {}),
    host: input.host,
    port: input.port ?? spec.port,
    tls,
    plaintext,
  }
}

/**
 * Connection options for a ticket-system account type, with a current token of the profile.
 * Prefer `nodemailerOptions` / `imapflowOptions`, which map these onto the libraries' options.
 *
 * @example
 * const o = await mailConnectionOptions(dock.tokens, 'IMAPS_OAuth2', { host: 'outlook.office365.com', user, profileId })
 * // o.secure, o.requireStartTls, o.tls ({ rejectUnauthorized: true, ca? }), o.auth
 */
export async function mailConnectionOptions(
  tokens: TokenProvider,
  type: MailAccountType,
  input: MailConnectionInput,
): Promise<MailConnectionOptions> {
  const { host, protocol, direction, port, tlsMode, secure, requireStartTls, tls, plaintext } = resolveTransport(
    type,
    input,
  )
  const accessToken = await tokens.getAccessToken(input.profileId)
  return {
    type,
    protocol,
    direction,
    port,
    tlsMode,
    secure,
    requireStartTls,
    host,
    auth: { user: input.user, accessToken },
    tls,
    plaintext,
  }
}

/**
 * What `nodemailerOptions` returns: pass it to `nodemailer.createTransport` (add pool, timeouts, …).
 *
 * @example
 * const transport = nodemailer.createTransport({ ...nodemailerOptions(dock.tokens, 'SMTPS_OAuth2', input), pool: true })
 */
export interface NodemailerTransportOptions {
  host: string
  port: number
  /** Implicit TLS (SMTPS). */
  secure: boolean
  /** STARTTLS is sent and must succeed before AUTH, whether or not the server advertised it. */
  requireTLS: boolean
  /** True only for an allowed loopback plaintext server. */
  ignoreTLS: boolean
  tls: ConnectionOptions
  auth: ReturnType<typeof nodemailerAuth>
}

/**
 * Complete nodemailer transport options for an SMTP account type: implicit TLS or required
 * STARTTLS with a verified certificate, and the provision callback for the token. No token is
 * fetched here; nodemailer asks when it connects.
 *
 * @example
 * const transport = nodemailer.createTransport(nodemailerOptions(dock.tokens, 'SMTPTLS_OAuth2', { host: 'smtp.office365.com', user: 'desk@example.com', profileId }))
 */
export function nodemailerOptions(
  tokens: TokenProvider,
  type: MailAccountType,
  input: MailConnectionInput,
  options: { refreshMarginMs?: number } = {},
): NodemailerTransportOptions {
  const t = resolveTransport(type, input, 'smtp')
  return {
    host: t.host,
    port: t.port,
    secure: t.secure,
    requireTLS: t.requireStartTls,
    ignoreTLS: t.plaintext,
    tls: t.tls,
    auth: nodemailerAuth(tokens, input.profileId, input.user, options.refreshMarginMs ?? 0),
  }
}

/**
 * What `imapflowOptions` returns: pass it to `new ImapFlow(…)` (add logger, timeouts, …).
 *
 * @example
 * const imap = new ImapFlow({ ...(await imapflowOptions(dock.tokens, 'IMAPTLS_OAuth2', input)), logger: false })
 */
export interface ImapflowConnectOptions {
  host: string
  port: number
  /** Implicit TLS (IMAPS). */
  secure: boolean
  /** true: STARTTLS must succeed before AUTHENTICATE; false only for an allowed loopback plaintext server. */
  doSTARTTLS?: boolean
  tls: ConnectionOptions
  auth: { user: string; accessToken: string }
}

/**
 * Complete imapflow options for an IMAP account type, with a current token: implicit TLS or
 * required STARTTLS with a verified certificate. Call it per connection (the token is fresh).
 *
 * @example
 * const imap = new ImapFlow(await imapflowOptions(dock.tokens, 'IMAPS_OAuth2', { host: 'outlook.office365.com', user: 'desk@example.com', profileId }))
 */
export async function imapflowOptions(
  tokens: TokenProvider,
  type: MailAccountType,
  input: MailConnectionInput,
): Promise<ImapflowConnectOptions> {
  const t = resolveTransport(type, input, 'imap')
  return {
    host: t.host,
    port: t.port,
    secure: t.secure,
    // imapflow refuses secure together with doSTARTTLS; implicit TLS needs no STARTTLS.
    ...(t.secure ? {} : { doSTARTTLS: t.requireStartTls }),
    tls: t.tls,
    auth: await imapflowAuth(tokens, input.profileId, input.user),
  }
}
