/**
 * SASL initial responses for OAuth2 bearer tokens. Each exists in two forms: raw (what the SASL
 * mechanism defines) and base64 (what IMAP `AUTHENTICATE`, POP3 `AUTH` and SMTP `AUTH` send).
 * The results contain the access token: never log them.
 */

/**
 * Google/Microsoft XOAUTH2: `user=…^Aauth=Bearer …^A^A`.
 *
 * @example
 * const raw = xoauth2Raw('desk@example.com', token) // for a client that base64-encodes itself
 */
export function xoauth2Raw(user: string, accessToken: string): string {
  return `user=${user}\x01auth=Bearer ${accessToken}\x01\x01`
}

/**
 * XOAUTH2 initial response, base64 encoded.
 *
 * @example
 * socket.write(`AUTH XOAUTH2 ${xoauth2('box@example.com', token)}\r\n`)
 */
export function xoauth2(user: string, accessToken: string): string {
  return Buffer.from(xoauth2Raw(user, accessToken), 'utf8').toString('base64')
}

/** RFC 5801 saslname: `,` and `=` in the authorization identity are escaped. */
function saslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

/**
 * OAUTHBEARER (RFC 7628 section 3.1): GS2 header `n,a=user,` then `^A`-separated key/value pairs
 * (`host`, `port` when known, `auth=Bearer …`) and a closing `^A^A`.
 *
 * @example
 * const raw = oauthbearerRaw('desk@example.com', token, { host: 'imap.example.com', port: 993 })
 */
export function oauthbearerRaw(user: string, accessToken: string, host?: string, port?: number): string {
  const pairs = [
    ...(host ? [`host=${host}`] : []),
    ...(port !== undefined ? [`port=${port}`] : []),
    `auth=Bearer ${accessToken}`,
  ]
  return `n,a=${saslName(user)},\x01${pairs.join('\x01')}\x01\x01`
}

/**
 * OAUTHBEARER initial response, base64 encoded.
 *
 * @example
 * socket.write(`AUTH OAUTHBEARER ${oauthbearer('desk@example.com', token, { host: 'smtp.example.com', port: 587 })}\r\n`)
 */
export function oauthbearer(user: string, accessToken: string, host?: string, port?: number): string {
  return Buffer.from(oauthbearerRaw(user, accessToken, host, port), 'utf8').toString('base64')
}
