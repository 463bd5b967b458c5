import type { RequestHandler, Router } from 'express'

/**
 * Report of "Test well-known": reachability, issuer match, endpoints, algorithms, in plain words.
 *
 * @example
 * const report = await dock.login.testWellKnown('https://login.example.com/realms/staff')
 * if (!report.issuerMatches) console.warn(report.findings)
 */
export interface WellKnownReport {
  issuer: string
  reachable: boolean
  issuerMatches: boolean | null
  endpoints: Record<string, string | null>
  idTokenSigningAlgorithms: string[]
  codeChallengeMethods: string[]
  /** PKCE with S256 is advertised. */
  pkceS256: boolean
  /** RFC 9207 `iss` in authorization responses. */
  authorizationResponseIssParameter: boolean
  /** RP-initiated logout (an end_session_endpoint). */
  endSession: boolean
  /** The request went through `tokens.proxy`. */
  viaProxy: boolean
  /** The code of the first error finding, or null when the provider can be used. */
  failure: WellKnownFindingCode | null
  /** Plain-language findings, worst first. */
  findings: WellKnownFinding[]
}

/**
 * What a finding is about; pages translate it (`providers.wellKnown.finding.<code>`) with `params`.
 *
 * @example
 * if (report.findings.some((f) => f.code === 'issuer_mismatch')) console.warn('wrong issuer')
 */
export type WellKnownFindingCode =
  | 'issuer_invalid'
  | 'issuer_query'
  | 'address_refused'
  | 'entra_multi_tenant'
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'http_status'
  | 'not_json'
  | 'issuer_mismatch'
  | 'endpoint_missing'
  | 'endpoint_insecure'
  | 'alg_unsupported'
  | 'pkce_missing'
  | 'no_userinfo'
  | 'no_end_session'
  | 'no_iss_param'
  | 'usable'

/**
 * One finding of "Test well-known": its level, code and text.
 *
 * @example
 * for (const f of (await dock.login.testWellKnown(issuer)).findings) console.log(f.level, f.code, f.text)
 */
export interface WellKnownFinding {
  level: 'ok' | 'warning' | 'error'
  code: WellKnownFindingCode
  /** English text (logs, JSON clients). */
  text: string
  params?: Record<string, string | number>
}

/**
 * `dock.login`: the login router, silent re-login, requireLogin, and what a host's user admin needs.
 *
 * @example
 * app.get('/admin/users/:id/forget-devices', async (req, res) => res.json({ forgotten: await dock.login.forgetDevices(Number(req.params.id)) }))
 */
export interface LoginModule {
  /** Mounted at `paths.auth`: login, callback(s), password, retry, logout, chooser. */
  router: Router
  /** Runs before the host's routes: re-establishes an ended session from the device cookie. */
  silentLogin: RequestHandler
  /** 401 JSON / redirect to login for requests without a logged-in user. */
  requireLogin: RequestHandler
  testWellKnown(issuer: string): Promise<WellKnownReport>
  /**
   * Forget every remembered device of a user (e.g. after a password change or a lost laptop): no
   * device logs them in silently any more. Sessions already open stay until they end. Resolves to
   * the number of devices forgotten; audited as `login.devices_forgotten`.
   *
   * @example
   * await dock.login.forgetDevices(user.id, { actor: adminName })
   */
  forgetDevices(userId: string | number, options?: { actor?: string | null }): Promise<number>

  /**
   * Origins a page's forms must be allowed to reach (CSP `form-action`): the providers' issuers and
   * their end-session endpoints. Chromium applies form-action to the redirect after posting the
   * logout form, so a host page with its own CSP and a logout button lists these.
   *
   * @example
   * res.set('Content-Security-Policy', `form-action 'self' ${dock.login.formActionOrigins().join(' ')}`)
   */
  formActionOrigins(): string[]
  close(): Promise<void>
}
