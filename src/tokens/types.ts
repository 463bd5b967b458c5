/**
 * The token provider: what the host's mail module calls.
 *
 * @example
 * const token = await dock.tokens.getAccessToken('Support mailbox', { forceRefresh: true }) // the server refused the last one
 */
export interface GetAccessTokenOptions {
  /** Refresh even if the cached token is still valid (e.g. the server just rejected it). */
  forceRefresh?: boolean
}

/**
 * An access token with what a mail client needs beside it.
 *
 * @example
 * const { accessToken, expiresAt } = await dock.tokens.getToken('Support mailbox')
 */
export interface AccessToken {
  profileId: string
  accessToken: string
  /** When the provider says it expires (or the configured default lifetime). */
  expiresAt: Date
}

/**
 * What one keep-alive run did (profile ids only, never tokens).
 *
 * @example
 * const { ran, refreshed, failed } = await dock.tokens.keepAlive()
 */
export interface KeepAliveReport {
  /** False when another instance holds the keep-alive lease and this run did nothing. */
  ran: boolean
  refreshed: string[]
  failed: Array<{ profileId: string; code: string }>
}

/**
 * The token provider (`dock.tokens`, or openTokenProvider in a worker): valid access tokens for
 * profiles, refreshed in time and once across every instance.
 *
 * @example
 * const token = await dock.tokens.getAccessToken('Support mailbox')
 * imap.authenticate('XOAUTH2', xoauth2('desk@example.com', token))
 */
export interface TokenProvider {
  /** A valid access token for the profile (by id or name); refreshed in time, once across instances. */
  getAccessToken(profileIdOrName: string, options?: GetAccessTokenOptions): Promise<string>
  /** The same with its expiry and the profile id (nodemailer wants the expiry). */
  getToken(profileIdOrName: string, options?: GetAccessTokenOptions): Promise<AccessToken>
  /** Forget cached tokens of a profile (after its settings changed or it was re-authorized). */
  invalidate(profileId: string): void
  /**
   * Refresh every refresh token unused for `tokens.keepAliveAfterMs`, once across instances (a
   * store lease). Providers such as Entra expire refresh tokens that are not used for 90 days.
   */
  keepAlive(): Promise<KeepAliveReport>
  /** Run {@link keepAlive} every `intervalMs` (default `tokens.keepAliveIntervalMs`); the timer never keeps the process alive. Returns a stop function. */
  startKeepAlive(options?: { intervalMs?: number }): () => void
  /** Stops the keep-alive timer and drops the cache. */
  close(): Promise<void>
}
