/** The token provider: what the host's mail module calls. */
export interface GetAccessTokenOptions {
  /** Refresh even if the cached token is still valid (e.g. the server just rejected it). */
  forceRefresh?: boolean
}

export interface TokenProvider {
  /** A valid access token for the profile (by id or name); refreshed in time, once across instances. */
  getAccessToken(profileIdOrName: string, options?: GetAccessTokenOptions): Promise<string>
  /** Forget cached tokens of a profile (after its settings changed or it was re-authorized). */
  invalidate(profileId: string): void
  close(): Promise<void>
}
