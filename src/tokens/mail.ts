/**
 * Glue between the token provider and the mail libraries hosts use: nodemailer (SMTP) and imapflow
 * (IMAP), plus the account types of ticket systems (`IMAPS_OAuth2`, `SMTPTLS_OAuth2`, …) turned
 * into connection options. The token provider stays the single source of tokens: nodemailer asks
 * it through a provision callback instead of keeping its own refresh token.
 */
import { AuthdockError } from '../errors.js'
import type { TokenProvider } from './types.js'

export type MailAccountType = 'IMAPS_OAuth2' | 'IMAPTLS_OAuth2' | 'POP3S_OAuth2' | 'SMTP_OAuth2' | 'SMTPS_OAuth2' | 'SMTPTLS_OAuth2'

export interface MailTransportSpec {
  protocol: 'imap' | 'pop3' | 'smtp'
  port: number
  /** Implicit TLS from the first byte (IMAPS 993, POP3S 995, SMTPS 465). */
  secure: boolean
  /** Upgrade with STARTTLS and refuse to continue without it. */
  requireStartTls: boolean
}

/**
 * Port and TLS mode per account type. `SMTP_OAuth2` is plain SMTP on port 25 where nodemailer still
 * upgrades with STARTTLS when the server offers it; prefer SMTPTLS (587) or SMTPS (465).
 */
export const MAIL_ACCOUNT_TYPES: Readonly<Record<MailAccountType, MailTransportSpec>> = Object.freeze({
  IMAPS_OAuth2: { protocol: 'imap', port: 993, secure: true, requireStartTls: false },
  IMAPTLS_OAuth2: { protocol: 'imap', port: 143, secure: false, requireStartTls: true },
  POP3S_OAuth2: { protocol: 'pop3', port: 995, secure: true, requireStartTls: false },
  SMTP_OAuth2: { protocol: 'smtp', port: 25, secure: false, requireStartTls: false },
  SMTPS_OAuth2: { protocol: 'smtp', port: 465, secure: true, requireStartTls: false },
  SMTPTLS_OAuth2: { protocol: 'smtp', port: 587, secure: false, requireStartTls: true },
})

export function isMailAccountType(value: unknown): value is MailAccountType {
  return typeof value === 'string' && Object.hasOwn(MAIL_ACCOUNT_TYPES, value)
}

/** nodemailer's provision callback signature (`transporter.set('oauth2_provision_cb', …)`). */
export type ProvisionCallback = (
  user: string,
  renew: boolean,
  callback: (err: Error | null, accessToken?: string, expires?: number) => void,
) => void

/**
 * A nodemailer provision callback backed by the token provider. nodemailer calls it with
 * `renew: true` after the server rejected a token; that becomes `forceRefresh`. The expiry handed
 * back is shortened by the refresh margin so nodemailer asks again in time (our cache answers).
 */
export function nodemailerProvisionCallback(tokens: TokenProvider, profileIdOrName: string, refreshMarginMs = 0): ProvisionCallback {
  return (_user, renew, callback) => {
    tokens.getToken(profileIdOrName, { forceRefresh: renew }).then(
      (t) => callback(null, t.accessToken, t.expiresAt.getTime() - refreshMarginMs),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    )
  }
}

/**
 * nodemailer `auth` for a profile: `createTransport({ host, port, secure, auth: nodemailerAuth(…) })`.
 * The provision callback rides in the auth object; no token is stored in the transport options.
 */
export function nodemailerAuth(tokens: TokenProvider, profileIdOrName: string, user: string, refreshMarginMs = 0) {
  return { type: 'OAuth2' as const, user, provisionCallback: nodemailerProvisionCallback(tokens, profileIdOrName, refreshMarginMs) }
}

/** imapflow `auth` with a current token: `new ImapFlow({ host, port, secure, auth: await imapflowAuth(…) })`. */
export async function imapflowAuth(tokens: TokenProvider, profileIdOrName: string, user: string, options?: { forceRefresh?: boolean }): Promise<{ user: string; accessToken: string }> {
  return { user, accessToken: await tokens.getAccessToken(profileIdOrName, options) }
}

export interface MailConnectionInput {
  host: string
  /** Defaults to the standard port of the account type. */
  port?: number
  user: string
  profileId: string
}

export interface MailConnectionOptions extends MailTransportSpec {
  type: MailAccountType
  host: string
  auth: { user: string; accessToken: string }
}

/**
 * Connection options for a ticket-system account type, with a current token of the profile.
 *
 * @example
 * const o = await mailConnectionOptions(dock.tokens, 'IMAPS_OAuth2', { host: 'outlook.office365.com', user, profileId })
 * const imap = new ImapFlow({ host: o.host, port: o.port, secure: o.secure, doSTARTTLS: o.requireStartTls || undefined, auth: o.auth })
 */
export async function mailConnectionOptions(tokens: TokenProvider, type: MailAccountType, input: MailConnectionInput): Promise<MailConnectionOptions> {
  const spec = MAIL_ACCOUNT_TYPES[type]
  if (!isMailAccountType(type)) {
    throw new AuthdockError('VALIDATION_FAILED', `Unknown mail account type "${String(type)}"`, { fields: { type: `must be one of ${Object.keys(MAIL_ACCOUNT_TYPES).join(', ')}` } })
  }
  const accessToken = await tokens.getAccessToken(input.profileId)
  return { type, ...spec, host: input.host, port: input.port ?? spec.port, auth: { user: input.user, accessToken } }
}
