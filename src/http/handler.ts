/**
 * The one way authdock writes a route handler that may be async, so it behaves the same under the
 * host's Express 4 and Express 5 (express is a peer dependency: the host's copy runs). Express 5
 * forwards a rejected promise to the error handlers; Express 4 ignores it, so the request would hang
 * and Node would end the process on the unhandled rejection. Every async handler goes through
 * `handler`, which hands a rejection (or a synchronous throw) to `next` itself.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'

/** A route handler that may return a promise. */
export type AsyncHandler = (req: Request, res: Response, next: NextFunction) => Promise<unknown> | void

/** Wrap a handler so that its failure reaches `next(err)` under Express 4 and 5 alike. */
export function handler(fn: AsyncHandler): RequestHandler {
  return (req, res, next) => {
    try {
      const result = fn(req, res, next)
      if (result) result.catch(next)
    } catch (err) {
      next(err)
    }
  }
}
