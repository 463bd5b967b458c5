/**
 * Request plumbing of the profile routers: the body parsers (from http/body.ts), the route
 * parameter check and the async handler wrapper.
 */
import type { Request } from 'express'
import { AuthdockError } from '../errors.js'

export { BODY_LIMIT, formBody, jsonBody } from '../http/body.js'

/** Route ids are opaque but short; anything else cannot be a profile. */
export function profileIdParam(req: Request): string {
  const id = req.params.id
  if (typeof id !== 'string' || id.length === 0 || id.length > 100) {
    throw new AuthdockError('PROFILE_NOT_FOUND', 'There is no OAuth2 profile with this id.')
  }
  return id
}

/** Async handlers go through the shared wrapper (Express 4 does not forward rejected promises). */
export { handler } from '../http/handler.js'
