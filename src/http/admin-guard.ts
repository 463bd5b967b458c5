/**
 * Deny by default: an admin route answers only when the host's `admin.guard` admits the request.
 * Without a guard nobody is admitted (403 FORBIDDEN), the same rule as the profiles admin.
 */
import type { RequestHandler } from 'express'
import type { ResolvedConfig } from '../config.js'
import { AuthdockError } from '../errors.js'

export function requireAdmin(config: Pick<ResolvedConfig, 'admin'>): RequestHandler {
  return (req, _res, next) => {
    const guard = config.admin.guard
    const refuse = () => next(new AuthdockError('FORBIDDEN', 'You are not allowed to open the authdock admin.'))
    if (!guard) return refuse()
    Promise.resolve()
      .then(() => guard(req))
      .then((admitted) => (admitted === true ? next() : refuse()))
      .catch(next)
  }
}
