/**
 * "Test connection" for a profile: get a token, connect to the mail server, log in with it.
 * Each step reports its own result so an administrator sees where it breaks. The report carries
 * error codes and short server answers only, with the token cut out should a server echo it.
 *
 * nodemailer and imapflow are loaded when a test needs them, so hosts that do not use this pay
 * nothing for them.
 */
import net from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { fieldMessage } from '../http/i18n.js'
import { AuthdockError, isAuthdockError } from '../errors.js'
import { resolveOutbound, throwIfRefused, type DnsLookup } from '../http/outbound-address.js'
import { MAIL_ACCOUNT_TYPES, isMailAccountType, resolveTransport, type MailAccountType } from './adapters.js'
import { mailTlsError, type MailTlsOptions } from './tls.js'
import { pop3XOAuth2Login, Pop3Error } from './pop3.js'
import type { TokenProvider } from '../tokens/types.js'

/**
 * What "Test connection" logs in to: the account type, host, port and mailbox, with the profile's token.
 *
 * @example
 * const report = await testMailConnection(dock.tokens, { profileId, type: 'SMTPTLS_OAuth2', host: 'smtp.office365.com', user: 'desk@example.com' })
 */
export interface ConnectionTestInput {
  profileId: string
  type: MailAccountType
  host: string
  /** Defaults to the standard port of the type. */
  port?: number
  /** The mailbox to log in as. */
  user: string
  /** Per network step; default 15 s. */
  timeoutMs?: number
  /** Trust for the server's certificate (a private CA as `ca`); certificates are always verified. */
  tls?: MailTlsOptions
  /** Test a cleartext server; honoured only for 127.0.0.1, ::1 and localhost, refused otherwise. */
  allowPlaintextOnLoopback?: boolean
  /** DNS lookup for the host (the `lookup` option); node's dns.lookup when absent. */
  lookup?: DnsLookup
}

export type ConnectionTestStepName = 'token' | 'connect' | 'auth'

/**
 * One step of "Test connection" (token, connect, auth) and how it went.
 *
 * @example
 * for (const step of report.steps) console.log(step.step, step.ok, step.code ?? '', step.message ?? '')
 */
export interface ConnectionTestStep {
  step: ConnectionTestStepName
  /** null: not tried because an earlier step failed. */
  ok: boolean | null
  ms: number
  code?: string
  /** Plain words or the server's short answer; never a token or secret. */
  message?: string
}

/**
 * The result of "Test connection": every step, in order, and whether all worked.
 *
 * @example
 * const report: ConnectionTestReport = await testMailConnection(dock.tokens, input)
 * if (!report.ok) console.warn(report.steps.find((s) => s.ok === false))
 */
export interface ConnectionTestReport {
  ok: boolean
  type: MailAccountType
  host: string
  port: number
  user: string
  steps: ConnectionTestStep[]
}

/**
 * Run the test. Never throws for a failed step; throws VALIDATION_FAILED for bad input and
 * OUTBOUND_ADDRESS_REFUSED (on `host`) for a host on a link-local or cloud metadata address,
 * before a token is fetched. The connection goes to the address that was checked, so a name that
 * resolves elsewhere a moment later (DNS rebinding) cannot redirect it. The login happens only over
 * verified TLS: a server without TLS fails the connect step with MAIL_TLS_REQUIRED, a certificate
 * that does not verify with MAIL_TLS_CERT_INVALID, and neither receives AUTH.
 *
 * @example
 * const report = await testMailConnection(dock.tokens, { profileId, type: 'IMAPS_OAuth2', host: 'outlook.office365.com', user: 'box@example.com' })
 */
export async function testMailConnection(
  tokens: TokenProvider,
  input: ConnectionTestInput,
): Promise<ConnectionTestReport> {
  const fields: Record<string, string> = {}
  if (!isMailAccountType(input.type))
    fields.type = fieldMessage('oneOf', { list: Object.keys(MAIL_ACCOUNT_TYPES).join(', ') })
  if (typeof input.host !== 'string' || !/^[A-Za-z0-9.:[\]-]{1,253}$/.test(input.host))
    fields.host = fieldMessage('hostName')
  if (input.port !== undefined && !(Number.isInteger(input.port) && input.port > 0 && input.port < 65536))
    fields.port = fieldMessage('port')
  if (typeof input.user !== 'string' || input.user.length === 0 || input.user.length > 320)
    fields.user = fieldMessage('mailboxUser')
  if (Object.keys(fields).length)
    throw new AuthdockError('VALIDATION_FAILED', `Invalid connection test: ${Object.keys(fields).join(', ')}`, {
      fields,
    })

  const spec = resolveTransport(input.type, input)
  const port = spec.port
  let address: string | undefined
  let resolveError: unknown
  try {
    address = await resolveOutbound(input.host, input.lookup)
  } catch (err) {
    throwIfRefused(err, 'host', fieldMessage('metadataAddressIs'))
    resolveError = err
  }
  const timeoutMs = input.timeoutMs ?? 15_000
  const report: ConnectionTestReport = {
    ok: false,
    type: input.type,
    host: input.host,
    port,
    user: input.user,
    steps: [],
  }
  const skip = (...names: ConnectionTestStepName[]) =>
    names.forEach((step) => report.steps.push({ step, ok: null, ms: 0 }))

  let started = Date.now()
  let accessToken: string
  try {
    accessToken = await tokens.getAccessToken(input.profileId)
    report.steps.push({ step: 'token', ok: true, ms: Date.now() - started })
  } catch (err) {
    report.steps.push({ step: 'token', ok: false, ms: Date.now() - started, ...describe(err, '') })
    skip('connect', 'auth')
    return report
  }

  started = Date.now()
  // The checked address is connected to; the name stays the TLS server name (SNI and certificate).
  const tls = net.isIP(input.host.replace(/^\[(.*)\]$/, '$1')) ? spec.tls : { servername: input.host, ...spec.tls }
  const target: Target = {
    host: address ?? input.host,
    port,
    secure: spec.secure,
    requireStartTls: spec.requireStartTls,
    plaintext: spec.plaintext,
    user: input.user,
    accessToken,
    timeoutMs,
    tls,
  }
  const outcome: Outcome =
    address === undefined
      ? { ok: false, stage: 'connect', error: resolveError }
      : await (spec.protocol === 'smtp'
          ? trySmtp(target)
          : spec.protocol === 'imap'
            ? tryImap(target)
            : tryPop3(target))
  const ms = Date.now() - started
  if (outcome.ok) {
    report.steps.push({ step: 'connect', ok: true, ms }, { step: 'auth', ok: true, ms })
    report.ok = true
  } else if (outcome.stage === 'connect') {
    report.steps.push({ step: 'connect', ok: false, ms, ...describe(outcome.error, accessToken) })
    skip('auth')
  } else {
    report.steps.push(
      { step: 'connect', ok: true, ms },
      { step: 'auth', ok: false, ms, ...describe(outcome.error, accessToken) },
    )
  }
  return report
}

interface Target {
  host: string
  port: number
  secure: boolean
  requireStartTls: boolean
  plaintext: boolean
  user: string
  accessToken: string
  timeoutMs: number
  tls: ConnectionOptions
}

type Outcome = { ok: true } | { ok: false; stage: 'connect' | 'auth'; error: unknown }

async function trySmtp(t: Target): Promise<Outcome> {
  const nodemailer = await import('nodemailer')
  const transport = nodemailer.createTransport({
    host: t.host,
    port: t.port,
    secure: t.secure,
    requireTLS: t.requireStartTls,
    ignoreTLS: t.plaintext,
    auth: { type: 'OAuth2', user: t.user, accessToken: t.accessToken },
    tls: t.tls,
    connectionTimeout: t.timeoutMs,
    greetingTimeout: t.timeoutMs,
    socketTimeout: t.timeoutMs,
    logger: false,
  })
  try {
    await transport.verify()
    return { ok: true }
  } catch (error) {
    const code = (error as { code?: string }).code
    return { ok: false, stage: code === 'EAUTH' || code === 'EOAUTH2' ? 'auth' : 'connect', error }
  } finally {
    transport.close()
  }
}

async function tryImap(t: Target): Promise<Outcome> {
  const { ImapFlow } = await import('imapflow')
  const client = new ImapFlow({
    host: t.host,
    port: t.port,
    secure: t.secure,
    ...(t.secure ? {} : { doSTARTTLS: t.requireStartTls }),
    auth: { user: t.user, accessToken: t.accessToken },
    tls: t.tls,
    logger: false,
    connectionTimeout: t.timeoutMs,
    greetingTimeout: t.timeoutMs,
  })
  client.on('error', () => {}) // surfaced through connect()
  try {
    await client.connect()
    await client.logout()
    return { ok: true }
  } catch (error) {
    client.close()
    return {
      ok: false,
      stage: (error as { authenticationFailed?: boolean }).authenticationFailed ? 'auth' : 'connect',
      error,
    }
  }
}

async function tryPop3(t: Target): Promise<Outcome> {
  try {
    await pop3XOAuth2Login(t)
    return { ok: true }
  } catch (error) {
    return { ok: false, stage: error instanceof Pop3Error ? error.stage : 'connect', error }
  }
}

/** Code and short message of an error, with the token cut out in case a server echoed it. */
function describe(err: unknown, accessToken: string): { code?: string; message?: string } {
  err = mailTlsError(err) ?? err
  if (isAuthdockError(err)) return { code: err.code, message: err.message }
  const e = err as { code?: unknown; responseText?: unknown; response?: unknown; message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : undefined
  let text = String(e?.responseText ?? e?.response ?? e?.message ?? 'failed')
  if (accessToken) {
    for (const secret of [accessToken, Buffer.from(accessToken).toString('base64')])
      text = text.split(secret).join('[token]')
  }
  return { ...(code ? { code } : {}), message: text.replace(/\s+/g, ' ').slice(0, 200) }
}
