/**
 * Body parsers of authdock's routers, with a size limit, whose failures become AuthdockErrors
 * (413 REQUEST_TOO_LARGE, 400 VALIDATION_FAILED) instead of bare 500s.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import { AuthdockError } from '../errors.js'

/** Largest accepted body; a profile is a few kB at most (every field is length-limited). */
export const BODY_LIMIT = '64kb'

function bodyError(err: unknown): AuthdockError {
  const type = (err as { type?: unknown } | null)?.type
  if (type === 'entity.too.large' || type === 'parameters.too.many') {
    return new AuthdockError('REQUEST_TOO_LARGE', `The request is too large (at most ${BODY_LIMIT} and 100 fields).`, {
      cause: err,
    })
  }
  if (type === 'entity.parse.failed')
    return new AuthdockError('VALIDATION_FAILED', 'The request body is not valid JSON.', { cause: err })
  return new AuthdockError('VALIDATION_FAILED', 'The request body could not be read.', { cause: err })
}

function wrap(parser: RequestHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) =>
    parser(req, res, (err?: unknown) => (err ? next(bodyError(err)) : next()))
}

/** Form posts: flat string fields only (extended: false), at most 100 of them. */
export const formBody: RequestHandler = wrap(
  express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 100 }),
)

/** JSON bodies (only objects and arrays: `strict`). */
export const jsonBody: RequestHandler = wrap(express.json({ limit: BODY_LIMIT, strict: true }))
