/**
 * "Test well-known": fetch an issuer's discovery document the way a login would (through
 * `tokens.proxy`, within `tokens.httpTimeoutMs`) and report, in plain words, whether it answers,
 * whether it names the same issuer, which endpoints and algorithms it offers, PKCE and RP-initiated
 * logout. Each failure has its own finding code (unreachable, timeout, untrusted certificate, HTTP
 * status, not JSON, issuer mismatch, Entra's multi-tenant endpoints), so pages can say it in the
 * reader's language. Entra's multi-tenant endpoints are reported before any request; an issuer with
 * a query or fragment (VALIDATION_FAILED) and one on a link-local or metadata address
 * (OUTBOUND_ADDRESS_REFUSED) are refused by throwing, both naming the `issuer` field. Everything
 * else the provider does wrong is reported, never thrown.
 */
import type { Request, RequestHandler } from 'express'
import { isSecureOrLoopbackUrl } from '../config.js'
import type { DockContext } from '../context.js'
import { fieldMessage } from '../http/i18n.js'
import { AuthdockError } from '../errors.js'
import { throwIfRefused } from '../http/outbound-address.js'
import { loginFetch } from './discovery.js'
import type { WellKnownFinding, WellKnownFindingCode, WellKnownReport } from './types.js'

const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
  'end_session_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
] as const
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/
/** Entra's multi-tenant endpoints (the `oidc` option refuses them too). */
const ENTRA_MULTI_TENANT = /^https:\/\/login\.microsoftonline\.com\/(common|organizations|consumers)(\/|$)/i
/** What Node and undici call a certificate the connection does not trust. */
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/

/**
 * OpenID Connect issuers have neither a query nor a fragment (Discovery 1.0, section 2). Refused
 * before any request: with one, the appended `/.well-known/…` would land in the query and any
 * path of the host could be fetched and partly shown.
 */
export function refuseIssuerQuery(issuer: string, field = 'issuer'): void {
  if (issuer.includes('?') || issuer.includes('#')) {
    const message = fieldMessage('issuerQuery')
    throw new AuthdockError('VALIDATION_FAILED', `"${field}" ${message}.`, { fields: { [field]: message } })
  }
}

/** The English text of each finding (pages translate by `code`, with the same `params`). */
const TEXT: Record<WellKnownFindingCode, (p: Record<string, string | number>) => string> = {
  issuer_invalid: () => 'The issuer must be an https URL (http only for this machine).',
  issuer_query: () => 'The issuer must not contain a query (?) or a fragment (#); nothing was fetched.',
  address_refused: () =>
    'The issuer resolves to a link-local or cloud metadata address, which authdock never connects to; nothing was fetched.',
  entra_multi_tenant: () =>
    "Entra ID's /common, /organizations and /consumers cannot be used for login: their metadata names the issuer '{tenantid}', which no ID token matches. Use https://login.microsoftonline.com/<tenant-id>/v2.0.",
  unreachable: (p) =>
    `The provider could not be reached${p.proxy ? ' through the configured proxy' : ''} (connection refused, unknown host or no route).`,
  timeout: (p) => `The provider did not answer within ${p.seconds} s.`,
  tls: (p) =>
    `The provider's TLS certificate is not trusted (${p.reason}), so nothing was read. Use a certificate from a trusted CA, or give Node the CA (NODE_EXTRA_CA_CERTS).`,
  http_status: (p) => `The discovery document answered with HTTP ${p.status}.`,
  not_json: (p) =>
    `The discovery document is not valid JSON${p.contentType ? ` (it is ${p.contentType})` : ''}. Is the issuer URL right?`,
  issuer_mismatch: (p) => `The document names the issuer "${p.found}", not the one entered; logins would be refused.`,
  endpoint_missing: (p) => `The document has no ${p.endpoint}.`,
  endpoint_insecure: (p) => `The ${p.endpoint} does not use https.`,
  alg_unsupported: () => 'The provider signs ID tokens with no algorithm authdock accepts (asymmetric ones only).',
  pkce_missing: () => 'PKCE with S256 is not advertised; authdock sends it anyway, the provider may ignore it.',
  no_userinfo: () => 'There is no UserInfo endpoint; the identifying claim must be in the ID token.',
  no_end_session: () => 'There is no end_session_endpoint; logout ends the session here only.',
  no_iss_param: () =>
    'The provider does not send the issuer in authorization responses (RFC 9207); each provider has its own callback path, which prevents mix-up anyway.',
  usable: () => 'The provider can be used for login.',
}

/** Why a fetch failed: a certificate that is not trusted, no answer in time, or no connection at all. */
function fetchFailure(err: unknown): { code: 'tls' | 'timeout' | 'unreachable'; reason?: string } {
  let current: unknown = err
  for (let i = 0; i < 6 && current !== null && typeof current === 'object'; i++) {
    const c = current as { code?: unknown; name?: unknown; cause?: unknown }
    if (c.name === 'TimeoutError' || c.name === 'AbortError') return { code: 'timeout' }
    if (typeof c.code === 'string' && TLS_CODE.test(c.code)) return { code: 'tls', reason: c.code.slice(0, 60) }
    current = c.cause
  }
  return { code: 'unreachable' }
}

export async function testWellKnown(ctx: DockContext, issuer: string): Promise<WellKnownReport> {
  refuseIssuerQuery(issuer)
  const report = emptyReport(ctx, issuer)
  const fail = (code: WellKnownFindingCode, params: Record<string, string | number> = {}): WellKnownReport =>
    failWith(report, code, params)

  if (!URL.canParse(issuer) || !isSecureOrLoopbackUrl(issuer)) return fail('issuer_invalid')
  // Refused before any request: its metadata could never match a login.
  if (ENTRA_MULTI_TENANT.test(issuer)) return fail('entra_multi_tenant')

  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
  const timeoutMs = ctx.config.tokens.httpTimeoutMs
  let doc: Record<string, unknown>
  try {
    // The login's own fetch: its timeout, proxy and outbound address check.
    const res = await loginFetch(ctx)(url, {
      method: 'GET',
      body: undefined,
      headers: { accept: 'application/json' },
      redirect: 'manual',
    })
    if (!res.ok) {
      await res.body?.cancel()
      return fail('http_status', { status: res.status })
    }
    const body = await res.text()
    try {
      doc = JSON.parse(body) as Record<string, unknown>
    } catch {
      return fail('not_json', { contentType: (res.headers.get('content-type') ?? '').split(';')[0].slice(0, 60) })
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc))
      return fail('not_json', { contentType: 'JSON, but not an object' })
  } catch (err) {
    throwIfRefused(err, 'issuer', fieldMessage('metadataAddress'))
    const why = fetchFailure(err)
    if (why.code === 'tls') return fail('tls', { reason: why.reason ?? 'certificate' })
    if (why.code === 'timeout') return fail('timeout', { seconds: Math.round(timeoutMs / 100) / 10 })
    return fail('unreachable', report.viaProxy ? { proxy: 1 } : {})
  }
  return describeDocument(report, doc)
}

/** A report with nothing found yet. */
function emptyReport(ctx: Pick<DockContext, 'config'>, issuer: string): WellKnownReport {
  return {
    issuer,
    reachable: false,
    issuerMatches: null,
    endpoints: Object.fromEntries(ENDPOINTS.map((e) => [e, null])),
    idTokenSigningAlgorithms: [],
    codeChallengeMethods: [],
    pkceS256: false,
    authorizationResponseIssParameter: false,
    endSession: false,
    viaProxy: Boolean(ctx.config.tokens.proxy),
    failure: null,
    findings: [],
  }
}

function addFinding(
  report: WellKnownReport,
  level: WellKnownFinding['level'],
  code: WellKnownFindingCode,
  params: Record<string, string | number> = {},
): void {
  report.findings.push({ level, code, text: TEXT[code](params), ...(Object.keys(params).length ? { params } : {}) })
}

function failWith(
  report: WellKnownReport,
  code: WellKnownFindingCode,
  params: Record<string, string | number> = {},
): WellKnownReport {
  addFinding(report, 'error', code, params)
  report.failure = code
  return report
}

/**
 * A report for an issuer refused before any request (`issuer_query`, `address_refused`), for pages
 * that show every outcome the same way.
 */
export function refusedReport(
  ctx: Pick<DockContext, 'config'>,
  issuer: string,
  code: 'issuer_query' | 'address_refused',
): WellKnownReport {
  return failWith(emptyReport(ctx, issuer), code)
}

/** What the discovery document says, in findings (worst first). */
function describeDocument(report: WellKnownReport, doc: Record<string, unknown>): WellKnownReport {
  const add = (
    level: WellKnownFinding['level'],
    code: WellKnownFindingCode,
    params: Record<string, string | number> = {},
  ) => addFinding(report, level, code, params)
  const issuer = report.issuer
  report.reachable = true
  report.issuerMatches = doc.issuer === issuer
  for (const e of ENDPOINTS) report.endpoints[e] = typeof doc[e] === 'string' ? (doc[e] as string) : null
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
  report.idTokenSigningAlgorithms = list(doc.id_token_signing_alg_values_supported)
  report.codeChallengeMethods = list(doc.code_challenge_methods_supported)
  report.pkceS256 = report.codeChallengeMethods.includes('S256')
  report.authorizationResponseIssParameter = doc.authorization_response_iss_parameter_supported === true
  report.endSession = report.endpoints.end_session_endpoint !== null

  const found = String(doc.issuer).slice(0, 300)
  if (!report.issuerMatches) {
    // Entra names a template issuer for its multi-tenant endpoints, however they were reached.
    if (found.includes('{tenantid}')) add('error', 'entra_multi_tenant')
    else add('error', 'issuer_mismatch', { found })
  }
  for (const e of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (!report.endpoints[e]) add('error', 'endpoint_missing', { endpoint: e })
    else if (!isSecureOrLoopbackUrl(report.endpoints[e]!)) add('error', 'endpoint_insecure', { endpoint: e })
  }
  if (!report.pkceS256) add('warning', 'pkce_missing')
  if (report.idTokenSigningAlgorithms.length && !report.idTokenSigningAlgorithms.some((a) => ASYMMETRIC.test(a)))
    add('error', 'alg_unsupported')
  if (!report.endpoints.userinfo_endpoint) add('warning', 'no_userinfo')
  if (!report.endSession) add('warning', 'no_end_session')
  if (!report.authorizationResponseIssParameter) add('warning', 'no_iss_param')
  if (report.findings.every((f) => f.level !== 'error')) add('ok', 'usable')
  const order = { error: 0, warning: 1, ok: 2 }
  report.findings.sort((a, b) => order[a.level] - order[b.level])
  report.failure = report.findings.find((f) => f.level === 'error')?.code ?? null
  return report
}

/**
 * JSON handler for the admin API: `GET ?issuer=…` or `?provider=<id>` → WellKnownReport. Mount it
 * behind the admin guard; it fetches URLs given by the caller.
 */
export function wellKnownHandler(
  ctx: { config: Pick<DockContext['config'], 'oidc'> },
  test: (issuer: string) => Promise<WellKnownReport>,
): RequestHandler {
  return (req: Request, res, next) => {
    const providerId = typeof req.query.provider === 'string' ? req.query.provider : undefined
    const issuer = providerId
      ? ctx.config.oidc.find((p) => p.id === providerId)?.issuer
      : typeof req.query.issuer === 'string'
        ? req.query.issuer
        : undefined
    if (!issuer) {
      return next(
        new AuthdockError('VALIDATION_FAILED', 'Give an issuer URL or a configured provider id', {
          fields: { issuer: fieldMessage('requiredShort') },
        }),
      )
    }
    test(issuer).then((report) => res.json(report), next)
  }
}
