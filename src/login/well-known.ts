/**
 * "Test well-known": fetch an issuer's discovery document and report, in plain words, whether it
 * answers, whether it names the same issuer, which endpoints and algorithms it offers. Used by the
 * admin before saving a provider; reports, never throws for a bad provider.
 */
import type { Request, RequestHandler } from 'express'
import { isSecureOrLoopbackUrl } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { outboundRefusal } from '../http/outbound-address.js'
import { loginFetch } from './discovery.js'
import type { WellKnownReport } from './types.js'

/**
 * OpenID Connect issuers have neither a query nor a fragment (Discovery 1.0, section 2). Refused
 * before any request: with one, the appended `/.well-known/…` would land in the query and any
 * path of the host could be fetched and partly shown.
 */
export function refuseIssuerQuery(issuer: string, field = 'issuer'): void {
  if (issuer.includes('?') || issuer.includes('#')) {
    const message = 'must not contain a query (?) or fragment (#): an issuer has neither'
    throw new AuthdockError('VALIDATION_FAILED', `"${field}" ${message}.`, { fields: { [field]: message } })
  }
}

const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint', 'revocation_endpoint', 'introspection_endpoint'] as const
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/

/**
 * Throws VALIDATION_FAILED for an issuer with a query or fragment and OUTBOUND_ADDRESS_REFUSED for
 * one on a link-local or metadata address (both on the `issuer` field); everything else the
 * provider does wrong is reported.
 */
export async function testWellKnown(ctx: DockContext, issuer: string): Promise<WellKnownReport> {
  refuseIssuerQuery(issuer)
  const report: WellKnownReport = {
    issuer,
    reachable: false,
    issuerMatches: null,
    endpoints: Object.fromEntries(ENDPOINTS.map((e) => [e, null])),
    idTokenSigningAlgorithms: [],
    codeChallengeMethods: [],
    authorizationResponseIssParameter: false,
    endSession: false,
    findings: [],
  }
  const add = (level: 'ok' | 'warning' | 'error', text: string) => report.findings.push({ level, text })
  if (!isSecureOrLoopbackUrl(issuer)) {
    add('error', 'The issuer must be an https URL (http only for this machine).')
    return report
  }
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
  let doc: Record<string, unknown>
  try {
    // The login's own fetch: its timeout, proxy and outbound address check.
    const res = await loginFetch(ctx)(url, { method: 'GET', body: undefined, headers: { accept: 'application/json' }, redirect: 'manual' })
    if (!res.ok) {
      add('error', `The discovery document answered with HTTP ${res.status}.`)
      return report
    }
    doc = (await res.json()) as Record<string, unknown>
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not an object')
  } catch (err) {
    const refused = outboundRefusal(err)
    if (refused) throw new AuthdockError('OUTBOUND_ADDRESS_REFUSED', refused.message, { cause: refused, fields: { issuer: 'resolves to a link-local or cloud metadata address, which authdock never connects to' } })
    add('error', err instanceof SyntaxError || (err as Error).message === 'not an object' ? 'The discovery document is not valid JSON.' : 'The discovery document could not be fetched (no answer in time or connection refused).')
    return report
  }
  report.reachable = true
  report.issuerMatches = doc.issuer === issuer
  for (const e of ENDPOINTS) report.endpoints[e] = typeof doc[e] === 'string' ? (doc[e] as string) : null
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
  report.idTokenSigningAlgorithms = list(doc.id_token_signing_alg_values_supported)
  report.codeChallengeMethods = list(doc.code_challenge_methods_supported)
  report.authorizationResponseIssParameter = doc.authorization_response_iss_parameter_supported === true
  report.endSession = report.endpoints.end_session_endpoint !== null

  if (!report.issuerMatches) add('error', `The document names the issuer "${String(doc.issuer)}", not the one entered; logins would be refused.`)
  for (const e of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (!report.endpoints[e]) add('error', `The document has no ${e}.`)
    else if (!isSecureOrLoopbackUrl(report.endpoints[e]!)) add('error', `The ${e} does not use https.`)
  }
  if (!report.codeChallengeMethods.includes('S256')) add('warning', 'PKCE with S256 is not advertised; authdock sends it anyway, the provider may ignore it.')
  if (report.idTokenSigningAlgorithms.length && !report.idTokenSigningAlgorithms.some((a) => ASYMMETRIC.test(a))) {
    add('error', 'The provider signs ID tokens with no algorithm authdock accepts (asymmetric ones only).')
  }
  if (!report.endpoints.userinfo_endpoint) add('warning', 'There is no UserInfo endpoint; the identifying claim must be in the ID token.')
  if (!report.endSession) add('warning', 'There is no end_session_endpoint; logout ends the session here only.')
  if (!report.authorizationResponseIssParameter) add('warning', 'The provider does not send the issuer in authorization responses (RFC 9207); each provider has its own callback path, which prevents mix-up anyway.')
  if (report.findings.every((f) => f.level !== 'error')) add('ok', 'The provider can be used for login.')
  const order = { error: 0, warning: 1, ok: 2 }
  report.findings.sort((a, b) => order[a.level] - order[b.level])
  return report
}

/**
 * JSON handler for the admin API: `GET ?issuer=…` or `?provider=<id>` → WellKnownReport. Mount it
 * behind the admin guard; it fetches URLs given by the caller.
 */
export function wellKnownHandler(ctx: DockContext): RequestHandler {
  return (req: Request, res, next) => {
    const providerId = typeof req.query.provider === 'string' ? req.query.provider : undefined
    const issuer = providerId ? ctx.config.oidc.find((p) => p.id === providerId)?.issuer : typeof req.query.issuer === 'string' ? req.query.issuer : undefined
    if (!issuer) {
      return next(new AuthdockError('VALIDATION_FAILED', 'Give an issuer URL or a configured provider id', { fields: { issuer: 'required' } }))
    }
    testWellKnown(ctx, issuer).then((report) => res.json(report), next)
  }
}
