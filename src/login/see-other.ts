/**
 * The 303 that ends a successful login. Express's `res.redirect` negotiates a body for the Accept
 * header (text or HTML "See Other. Redirecting to …") that a browser following the redirect never
 * shows; on Node 20 that negotiation was a measurable part of the login callback (bench/login.ts).
 * The answer here is the status, the Location and an empty body.
 */
import type { Response } from 'express'

/** Printable ASCII without space: what safeReturnTo returns (URL-serialised) and configured paths are. */
const PLAIN_PATH = /^\/[\u0021-\u007e]*$/

export function seeOther(res: Response, path: string): void {
  // Anything else gets Express's encoding of the Location header.
  if (!PLAIN_PATH.test(path)) return res.redirect(303, path)
  res.statusCode = 303
  res.setHeader('Location', path)
  res.setHeader('Content-Length', '0')
  res.end()
}
