/**
 * The embedded express-session store: sessions live in the authdock Store (SQLite file or
 * PostgreSQL), so they survive a restart without Redis. Expired sessions are invisible at once and
 * removed by a periodic prune whose timer never keeps the process alive.
 *
 * A session's lifetime is absolute: it ends `maxAge` after it was created (at login, where
 * passport regenerates the session), however often it is used. A used session that was extended
 * on every request never ended, and a copied cookie stayed good for as long as someone used it.
 * There is no `touch`, so express-session writes only sessions that changed: a request that
 * changes nothing costs one read and no write.
 */
import type { Request } from 'express'
import session from 'express-session'
import type { Session, SessionData } from 'express-session'
import type { SessionRecord, Store } from './types.js'

/** One day: what express-session itself assumes for a cookie without maxAge. */
const DEFAULT_TTL_MS = 86_400_000
const DEFAULT_PRUNE_INTERVAL_MS = 15 * 60_000

type Callback<T = void> = (err?: unknown, value?: T) => void

/**
 * express-session calls `touch()` on the session at the end of every request, which moves the
 * cookie's expiry to now + maxAge; a changed session is then saved and its cookie sent with that
 * later expiry. A session loaded from a store keeps the expiry it was created with instead.
 *
 * @example
 * const store = new RedisStore({ client })
 * const load = store.createSession.bind(store)
 * store.createSession = (req, data) => keepCookieExpiry(load(req, data))
 */
export function keepCookieExpiry<S extends Session>(loaded: S): S {
  Object.defineProperty(loaded, 'touch', { value: keptExpiry, configurable: true, writable: true, enumerable: false })
  return loaded
}

function keptExpiry<S>(this: S): S {
  return this
}

function sessionDataOf(record: SessionRecord): SessionData {
  const data = JSON.parse(record.data) as SessionData
  // The stored expiry is the session's own: a cookie sent after a change carries it, not a later one.
  if (data.cookie) data.cookie.expires = new Date(record.expiresAt)
  return data
}

/**
 * @example
 * app.use(session({ secret, store: new StoreSessionStore(store, { now: Date.now }), resave: false, saveUninitialized: false }))
 */
export class StoreSessionStore extends session.Store {
  readonly #store: Store
  readonly #now: () => number
  readonly #pinned: ((sid: string) => SessionRecord | undefined) | undefined
  #timer: NodeJS.Timeout | null

  /**
   * `pinned`: a session being loaded for a request that began with it held (src/http/held-session.ts),
   * answered as it was then.
   */
  constructor(
    store: Store,
    options: { now: () => number; pruneIntervalMs?: number; pinned?: (sid: string) => SessionRecord | undefined },
  ) {
    super()
    this.#store = store
    this.#now = options.now
    this.#pinned = options.pinned
    const interval = options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS
    this.#timer = interval > 0 ? setInterval(() => void this.prune(), interval) : null
    this.#timer?.unref()
  }

  /** Removes expired sessions now; resolves to how many. Errors are emitted, never thrown. */
  async prune(): Promise<number> {
    try {
      return await this.#store.sessions.pruneExpired()
    } catch (error) {
      // An 'error' event nobody listens to would throw here and crash the host from the timer.
      if (this.listenerCount('error') > 0) this.emit('error', error)
      return 0
    }
  }

  /** Stops the prune timer. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    // A session the cache holds is answered at once, without the store's promise round (as the
    // Redis session cache does): most requests of a logged-in user.
    const held = this.#pinned?.(sid) ?? this.#store.sessions.held?.(sid)
    if (held) {
      let data: SessionData
      try {
        data = sessionDataOf(held)
      } catch (error) {
        return callback(error)
      }
      return callback(undefined, data)
    }
    void this.#settle(async () => {
      const record = await this.#store.sessions.get(sid)
      return record ? sessionDataOf(record) : null
    }, callback)
  }

  /** Saves a changed session; the expiry is set when the session is first saved and kept after. */
  override set(sid: string, data: SessionData, callback?: Callback): void {
    void this.#settle(async () => {
      await this.#store.sessions.set(sid, JSON.stringify(data), this.#expiry(data))
    }, callback)
  }

  override destroy(sid: string, callback?: Callback): void {
    void this.#settle(() => this.#store.sessions.destroy(sid), callback)
  }

  override createSession(req: Request, data: SessionData): Session & SessionData {
    return keepCookieExpiry(super.createSession(req, data))
  }

  /** Runs `work` and calls back once, with its error (store failure, unreadable data) or value. */
  async #settle<T>(work: () => Promise<T>, callback?: Callback<T>): Promise<void> {
    let value: T
    try {
      value = await work()
    } catch (error) {
      callback?.(error)
      return
    }
    callback?.(undefined, value)
  }

  /**
   * The expiry of a new session: now + the cookie's remaining lifetime (maxAge), else
   * cookie.expires, else a day. The remaining lifetime is anchored on the injected clock:
   * express-session computes `expires` from the wall clock, which a test that moves `now` would
   * otherwise contradict.
   */
  #expiry(data: SessionData): Date {
    const cookie = data.cookie as { expires?: Date | string | null; maxAge?: number | null } | undefined
    if (typeof cookie?.maxAge === 'number') return new Date(this.#now() + cookie.maxAge)
    if (cookie?.expires) return new Date(cookie.expires)
    return new Date(this.#now() + DEFAULT_TTL_MS)
  }
}
