/**
 * A logged-in request whose session this process holds in memory (the Redis session cache, or the
 * SQLite store's session cache) and that changes nothing in it does not need express-session at
 * all: express-session would verify the cookie's signature (an HMAC), build the Session and Cookie
 * objects, hash the session's JSON three times (SHA-1: on load, for the cookie, for the save check)
 * and then neither write nor send anything. Those were a third of such a request's CPU time on
 * Node 24 (bench/http.ts profile).
 *
 * So such a request gets `req.session`, `req.sessionID` and `req.sessionStore` as properties that
 * run express-session the moment anything touches them — the host, a later middleware, authdock's
 * own pages. Until then the session's data is read from the held JSON (`heldSessionData`), which is
 * what sets `req.user`. When it runs, express-session sees exactly what it would have seen at the
 * start of the request: the same cookie, and the same held value (pinned while it reads, so that a
 * change pushed in between cannot make it wait for the store). From then on it is express-session
 * as always: a change is saved at the end of the request, the cookie set when it must be.
 *
 * The signature is checked as express-session checks it (cookie-signature, every configured
 * secret); a cookie that passed is remembered (a bounded map), so a browser's next
 * requests skip the HMAC. Anything unusual (no held value, a cookie that fails, a session whose
 * JSON does not parse) takes express-session's own path.
 */
import { parse as parseCookies } from 'cookie'
import { unsign as unsignCookie } from 'cookie-signature'
import type { Request, RequestHandler, Response } from 'express'
import type { SessionData } from 'express-session'

const DATA = Symbol('authdock.heldSessionData')
type WithHeld = { [DATA]?: Partial<SessionData> & Record<string, unknown> }

/**
 * The session's data while express-session has not run for this request (see the file comment);
 * undefined once it has, or when the request took express-session's path. Read-only: a change
 * goes through `req.session`.
 */
export function heldSessionData(req: Request): (Partial<SessionData> & Record<string, unknown>) | undefined {
  return (req as WithHeld)[DATA]
}

/** How many verified cookies are remembered; the map starts afresh when full. */
const VERIFIED_MAX = 10_000

/** `Held` is what the cache holds for a session id: Redis's raw JSON, or the SQLite store's record. */
export interface HeldSessions<Held> {
  /** The pinned value of `sid`, if its lazy session is being loaded right now: the store's `get` answers it. */
  pin(sid: string): Held | undefined
  /**
   * express-session `middleware`, with the held-session shortcut in front: `next` is called at once
   * for a request whose session is held, with the lazy properties in place.
   */
  wrap(middleware: RequestHandler): RequestHandler
}

export function heldSessions<Held>(options: {
  cookieName: string
  secrets: readonly string[]
  /** What the cache holds for `sid` now, or undefined. */
  lookup: (sid: string) => Held | undefined
  /** The session's JSON in it. */
  json: (held: Held) => string
  /**
   * Requests (by `req.url`) whose routes read the session anyway (authdock's own pages and its
   * login callback): express-session runs at once, without the shortcut's own work first.
   */
  eager: (url: string) => boolean
}): HeldSessions<Held> {
  const { cookieName, secrets, lookup, json, eager } = options
  const verified = new Map<string, string>()
  let pinnedSid: string | undefined
  let pinnedValue: Held | undefined

  /** Runs `run` with `sid`'s value pinned (see `pin`). */
  function pinned(sid: string, value: Held, run: () => void): void {
    pinnedSid = sid
    pinnedValue = value
    try {
      run()
    } finally {
      pinnedSid = pinnedValue = undefined
    }
  }

  /** The session id in a signed cookie value ("s:<id>.<mac>"), or undefined. */
  function sessionIdOf(signed: string): string | undefined {
    const known = verified.get(signed)
    if (known !== undefined) return known
    const sid = unsign(signed, secrets)
    if (sid === undefined) return undefined
    if (verified.size >= VERIFIED_MAX) verified.clear()
    verified.set(signed, sid)
    return sid
  }

  return {
    pin: (sid) => (sid === pinnedSid ? pinnedValue : undefined),
    wrap(middleware) {
      return (req, res, next) => {
        // Mounted twice (dock.session and dock.router): the first one did the work.
        if (heldSessionData(req) !== undefined || req.session) return next()
        if (eager(req.url)) return middleware(req, res, next)
        const signed = cookieValue(req.headers.cookie, cookieName)
        const sid = signed === undefined ? undefined : sessionIdOf(signed)
        const value = sid === undefined ? undefined : lookup(sid)
        const data = value === undefined ? undefined : parseSession(json(value))
        if (!data) return middleware(req, res, next)
        lazySession(req, data, () => pinned(sid!, value!, () => runNow(middleware, req, res)))
        next()
      }
    },
  }
}

/**
 * The signed value ("<id>.<mac>", without "s:") of the cookie `name`, read by the very parser
 * express-session reads it with (the `cookie` package: the first of equal names wins, the value
 * percent-decoded), so that both always see the same cookie; undefined when there is none or it is
 * not signed.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  const value = parseCookies(header)[name]
  return value?.startsWith('s:') ? value.slice(2) : undefined
}

/**
 * The value of a signed cookie when one of `secrets` signed it, checked by cookie-signature (the
 * package express-session checks it with; the same scheme, HMAC-SHA256 in base64 without padding).
 * An empty value counts as none, as express-session treats it.
 */
export function unsign(signed: string, secrets: readonly string[]): string | undefined {
  for (const secret of secrets) {
    const value = unsignCookie(signed, secret)
    if (value !== false) return value === '' ? undefined : value
  }
  return undefined
}

function parseSession(value: string): (Partial<SessionData> & Record<string, unknown>) | undefined {
  try {
    const data = JSON.parse(value) as unknown
    return data && typeof data === 'object' && !Array.isArray(data)
      ? (data as Partial<SessionData> & Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** express-session, run synchronously on a held session (its store answers before returning). */
function runNow(middleware: RequestHandler, req: Request, res: Response): void {
  let failure: unknown
  let called = false
  void middleware(req, res, (err?: unknown) => {
    called = true
    failure = err
  })
  if (failure !== undefined && failure !== null) throw failure
  if (!called) throw new Error('authdock: express-session did not load a held session synchronously')
}

const LAZY = ['session', 'sessionID', 'sessionStore'] as const
const LOAD = Symbol('authdock.loadSession')
type Lazy = Record<string, unknown> & WithHeld & { [LOAD]?: () => void }

function ensureLoaded(req: Lazy): void {
  const load = req[LOAD]
  if (!load) return
  for (const key of LAZY) delete req[key]
  delete req[DATA]
  delete req[LOAD]
  load()
}

/**
 * The accessors, made once: per request only their slots on `req` are defined. Closures made per
 * request (one getter and setter each) tripled the garbage collector's share of such a request.
 */
const ACCESSORS = Object.fromEntries(
  LAZY.map((key) => [
    key,
    {
      configurable: true,
      enumerable: true,
      get(this: Lazy) {
        ensureLoaded(this)
        return this[key]
      },
      set(this: Lazy, value: unknown) {
        ensureLoaded(this)
        this[key] = value
      },
    } satisfies PropertyDescriptor,
  ]),
) as Record<(typeof LAZY)[number], PropertyDescriptor>

function lazySession(req: Request, data: Partial<SessionData> & Record<string, unknown>, load: () => void): void {
  const target = req as unknown as Lazy
  target[DATA] = data
  target[LOAD] = load
  Object.defineProperties(target, ACCESSORS)
}
