/**
 * A client secret is entered for one provider. Keeping it when the profile is pointed at another
 * server would let whoever edits the profile have the secret sent there with the next token
 * request ("Renew authorization", "Test connection", a refresh): the write-only secret could be
 * read after all. So the secret is bound to the origins of the token and authorization URLs and to
 * the grant type.
 */
import type { GrantType } from './types.js'

/** What a stored client secret is bound to. */
export interface SecretBinding {
  grantType: GrantType
  tokenUrl: string
  authorizationUrl: string | null
}

function origin(url: string | null): string | null {
  if (url === null) return null
  return URL.canParse(url) ? new URL(url).origin : url
}

/**
 * The fields whose change moves the secret to other hands: `tokenUrl` or `authorizationUrl` on
 * another origin, or another `grantType`. A new path on the same origin is no move.
 *
 * @example
 * secretMoves({ grantType: 'authorization_code', tokenUrl: 'https://a/token', authorizationUrl: null },
 *             { grantType: 'authorization_code', tokenUrl: 'https://b/token', authorizationUrl: null }) // ['tokenUrl']
 */
export function secretMoves(before: SecretBinding, after: SecretBinding): Array<keyof SecretBinding> {
  const moved: Array<keyof SecretBinding> = []
  if (before.grantType !== after.grantType) moved.push('grantType')
  if (origin(before.tokenUrl) !== origin(after.tokenUrl)) moved.push('tokenUrl')
  if (origin(before.authorizationUrl) !== origin(after.authorizationUrl)) moved.push('authorizationUrl')
  return moved
}
