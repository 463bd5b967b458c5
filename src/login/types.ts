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
  /** RFC 9207 `iss` in authorization responses. */
  authorizationResponseIssParameter: boolean
  endSession: boolean
  /** Plain-language findings, worst first: { level, text }. */
  findings: Array<{ level: 'ok' | 'warning' | 'error'; text: string }>
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
