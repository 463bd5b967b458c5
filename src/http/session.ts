/**
 * The session middleware and its store: express-session on connect-redis when the host passes a
 * node-redis client (several instances), else on the store-backed session store (one machine).
 *
 * Sessions are not rolling, in either store: a session ends `session.maxAgeMs` after it was
 * created (at login), however often it is used; saving a change keeps the cookie's expiry (see
 * keepCookieExpiry), so a copied cookie cannot be kept alive.
 *
 * With Redis, a request costs at most one round trip: a GET. connect-redis would also send an EXPIRE
 * ("touch") on every request, but that only kept the key alive on the server past the cookie.
 * Without it the key expires with the cookie: connect-redis sets the TTL from the cookie's expiry.
 * A session read once is then kept in memory while Redis tracks it and pushes every change
 * (redis-session-cache.ts; `session.redisCache`), so a logged-in request usually needs no round
 * trip at all.
 *
 * Redis down must not hang requests: node-redis queues commands while it reconnects (its offline
 * queue), so every store call first checks `client.isReady` and is bounded by
 * `session.redisTimeoutMs`. A request that needs the session then fails at once with 503
 * `SESSION_STORE_UNAVAILABLE` (a page or JSON, by the error handler); requests without a session
 * cookie still pass (public pages need no store). When node-redis has reconnected, requests work
 * again by themselves.
 *
 * A request whose session is held in memory (the Redis cache, or the SQLite store's) runs
 * express-session only if something touches the session (held-session.ts); authdock's own paths,
 * whose routes always do, run it at once.
 *
 * On Node 20 the middleware also switches `req` and `res` to dictionary properties before
 * express-session and passport add theirs (see dictionaryProperties): there the largest
 * per-request cost it removes.
 */
import type { Request, RequestHandler } from 'express'
import session from 'express-session'
import type { SessionData } from 'express-session'
import type { RedisStore } from 'connect-redis'
import type { Logger, ResolvedConfig } from '../config.js'
import { AuthdockError, isAuthdockError } from '../errors.js'
import { importOptionalPeer } from '../optional-peer.js'
import { startRedisSessionCache, type RedisSessionCache, type TrackingCapableClient } from './redis-session-cache.js'
import { keepCookieExpiry, StoreSessionStore } from '../store/session-store.js'
import type { SessionRecord, Store } from '../store/types.js'
import { randomBytesPooled } from '../random.js'
import { ownPathMatcher } from './dispatch.js'
import { heldSessions, type HeldSessions } from './held-session.js'

/** What authdock uses of a node-redis (v4–v6) client. */
interface RedisClientLike {
  /** node-redis: false while (re)connecting; undefined for clients without it (then only the timeout guards). */
  readonly isReady?: boolean
  get(key: string): Promise<unknown>
  set(key: string, value: string, options?: unknown): Promise<unknown>
  expire(key: string, seconds: number): Promise<unknown>
  del(keys: string | string[]): Promise<unknown>
  mGet(keys: string[]): Promise<unknown>
  scanIterator(options: unknown): AsyncIterable<unknown>
  on?(event: string, listener: (arg: unknown) => void): unknown
  off?(event: string, listener: (arg: unknown) => void): unknown
}

export interface SessionSetup {
  /** express-session, guarded against an unavailable Redis. */
  middleware: RequestHandler
  store: session.Store
  /** Sessions kept in memory while Redis tracks them (Redis with `session.redisCache` only). */
  cache?: RedisSessionCache
  close(): void
}

/** connect-redis's store class (connect-redis is an optional peer dependency). */
export type RedisStoreClass = typeof RedisStore

/**
 * Load connect-redis when `session.redis` is given (else undefined): before anything is opened, so a
 * missing package (CONFIG_INVALID naming it) leaves nothing to close.
 */
export async function loadRedisStore(config: ResolvedConfig): Promise<RedisStoreClass | undefined> {
  if (!config.session.redis) return undefined
  const mod = await importOptionalPeer('connect-redis', 'session.redis', () => import('connect-redis'))
  return mod.RedisStore
}

/** Build the session middleware for one authdock instance (`redisStore` from loadRedisStore). */
export function createSession(
  config: ResolvedConfig,
  store: Store,
  options: {
    logger: Logger
    now: () => number
    redisStore?: RedisStoreClass
    /** authdock's own path prefixes: their routes read the session anyway (see held-session.ts). */
    ownPaths?: readonly string[]
  },
): SessionSetup {
  const redis = config.session.redis as RedisClientLike | undefined
  const timeoutMs = config.session.redisTimeoutMs
  const cache =
    redis && config.session.redisCache
      ? startRedisSessionCache(redis as TrackingCapableClient, { logger: options.logger, now: options.now })
      : undefined
  const prefix = config.session.redisPrefix
  const held = {
    cookieName: config.session.cookieName,
    secrets: [config.session.secret as string | string[]].flat(),
    eager: ownPathMatcher(options.ownPaths ?? []),
  }
  // Sessions held in memory: Redis's (the cache's JSON), or the SQLite store's (its records).
  const heldRedis = cache
    ? heldSessions({ ...held, lookup: (sid) => cache.hit(prefix + sid), json: (value: string) => value })
    : undefined
  const heldRecords =
    !redis && store.sessions.held
      ? heldSessions({ ...held, lookup: store.sessions.held, json: (record: SessionRecord) => record.data })
      : undefined
  const sessionStore = redis
    ? untouchedRedisStore(
        redisStoreClass(options.redisStore),
        guardedClient(redis, timeoutMs, cache),
        prefix,
        cache,
        heldRedis,
      )
    : new StoreSessionStore(store, { now: options.now, pinned: heldRecords?.pin })
  const secure = config.session.secureCookie ?? config.baseUrl.startsWith('https:')
  const middleware = session({
    name: config.session.cookieName,
    secret: config.session.secret as string | string[],
    store: sessionStore,
    // The same ids as express-session's own (24 random bytes, base64url), from the pool (random.ts).
    genid: () => randomBytesPooled(24).toString('base64url'),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: secure ? true : undefined,
    cookie: { httpOnly: true, sameSite: 'lax', secure, maxAge: config.session.maxAgeMs, path: '/' },
  })
  if (!redis) {
    const sessions = heldRecords ? heldRecords.wrap(middleware) : middleware
    const plain: RequestHandler = (req, res, next) => {
      dictionaryProperties(req, res)
      sessions(req, res, next)
    }
    return { middleware: plain, store: sessionStore, close: () => (sessionStore as StoreSessionStore).close() }
  }

  const detach = watchClient(redis, options.logger)
  const cookiePrefix = `${config.session.cookieName}=`
  const authPath = config.paths.auth
  // While Redis is known to be down, a request that carries a session or goes to the login (which
  // writes one) is refused before express-session runs: its save would otherwise fail only after
  // the page was sent. Anonymous requests elsewhere need no store and pass.
  const needsStore = (url: string, cookie: string | undefined): boolean =>
    (cookie !== undefined && cookie.includes(cookiePrefix)) ||
    url === authPath ||
    url.startsWith(`${authPath}/`) ||
    url.startsWith(`${authPath}?`)
  // A request whose session the cache holds runs express-session only if something touches it.
  const sessions = heldRedis ? heldRedis.wrap(middleware) : middleware
  const guarded: RequestHandler = (req, res, next) => {
    dictionaryProperties(req, res)
    if (redis.isReady === false && needsStore(req.originalUrl, req.headers.cookie)) {
      res.setHeader('Retry-After', '1')
      return next(unavailable('offline'))
    }
    sessions(req, res, (err?: unknown) => {
      if (isAuthdockError(err, 'SESSION_STORE_UNAVAILABLE') && !res.headersSent) res.setHeader('Retry-After', '1')
      next(err)
    })
  }
  return {
    middleware: guarded,
    store: sessionStore,
    cache,
    close: () => {
      cache?.close()
      detach()
    },
  }
}

const first = Symbol('authdock.first')
const second = Symbol('authdock.second')

/**
 * Express 5 gives every request and response its app's prototype (`Object.setPrototypeOf(req,
 * app.request)`). On Node 20 (V8 11.3) each property added to such an object afterwards costs
 * microseconds — it gets a fresh hidden class every time — and a logged-in request adds a dozen:
 * express-session (sessionStore, sessionID, session, res.end, res.writeHead), passport (login,
 * logIn, logout, logOut, isAuthenticated, isUnauthenticated, _sessionManager, user). Deleting a
 * property that is not the last one added switches an object to dictionary properties, where an
 * added property is a hash insert; reads stay cheap. Both helper properties are gone afterwards.
 * Measured with bench/http.ts (docs/benchmarks.md): on Node 20 authdock / express-session +
 * connect-redis + passport went from 0.97 to 1.47 with this alone. On Node 24 (V8 13.6) added
 * properties are cheap and dictionary-mode objects cost more than they save (the Redis variant ran
 * at about a third of its speed with it), so it is done only where it was measured to pay: V8 11.
 */
function dictionaryProperties(req: object, res: object): void {
  if (!DICTIONARY_PAYS) return
  toDictionary(req as Record<symbol, unknown>)
  toDictionary(res as Record<symbol, unknown>)
}

const DICTIONARY_PAYS = Number(process.versions.v8.split('.')[0]) <= 11

function toDictionary(o: Record<symbol, unknown>): void {
  o[first] = true
  o[second] = true
  delete o[first]
  delete o[second]
}

/**
 * connect-redis without touch (see the file comment). Hiding the method, not just disabling it,
 * also spares express-session its per-request "should I touch?" check, which hashes the session.
 * A session the cache holds is answered at once, without connect-redis's promise round.
 */
function untouchedRedisStore(
  Store: RedisStoreClass,
  client: RedisClientLike,
  prefix: string,
  cache: RedisSessionCache | undefined,
  held: HeldSessions<string> | undefined,
): RedisStore {
  const redisStore = new Store({ client: client as never, prefix, disableTouch: true })
  Object.defineProperty(redisStore, 'touch', { value: undefined })
  if (cache) {
    const read = redisStore.get.bind(redisStore)
    Object.defineProperty(redisStore, 'get', {
      value: (sid: string, callback: (err: unknown, data?: SessionData | null) => void) => {
        const value = held?.pin(sid) ?? cache.hit(prefix + sid)
        if (value === undefined) return read(sid, callback)
        let data: SessionData
        try {
          data = JSON.parse(value) as SessionData
        } catch (err) {
          return callback(err)
        }
        callback(null, data)
      },
    })
  }
  const load = redisStore.createSession.bind(redisStore)
  Object.defineProperty(redisStore, 'createSession', {
    value: (req: Request, data: SessionData) => keepCookieExpiry(load(req, data)),
  })
  return redisStore
}

function redisStoreClass(loaded: RedisStoreClass | undefined): RedisStoreClass {
  if (!loaded)
    throw new AuthdockError('INTERNAL', 'session.redis: connect-redis was not loaded (call loadRedisStore first)')
  return loaded
}

function unavailable(reason: 'offline' | 'timeout' | 'error', cause?: unknown): AuthdockError {
  return new AuthdockError(
    'SESSION_STORE_UNAVAILABLE',
    'Sessions are unavailable for a moment: the session store does not answer. Try again shortly.',
    {
      expose: true,
      cause,
      details: { reason },
    },
  )
}

/**
 * The client as connect-redis sees it: each command fails at once while node-redis is not ready
 * (instead of waiting in its offline queue) and after `timeoutMs` when Redis does not answer. Reads
 * go through the cache's tracking connection when it is on (so their answers may be kept); writes
 * drop what it holds of their keys.
 */
function guardedClient(client: RedisClientLike, timeoutMs: number, cache?: RedisSessionCache): RedisClientLike {
  function guard<T>(run: () => Promise<T>): Promise<T> {
    if (client.isReady === false) return Promise.reject(unavailable('offline'))
    let command: Promise<T>
    try {
      command = run()
    } catch (err) {
      return Promise.reject(unavailable('error', err))
    }
    return new Promise<T>((resolve, reject) => {
      // A busy event loop runs due timers before it reads sockets: give an answer that is already
      // there one I/O phase (setImmediate) before calling it a timeout. A late answer or error
      // after the timeout lands on a settled promise: handled, ignored.
      const timer = setTimeout(() => setImmediate(() => reject(unavailable('timeout'))), timeoutMs)
      command.then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (err: unknown) => {
          clearTimeout(timer)
          reject(unavailable('error', err))
        },
      )
    })
  }
  /** A write: the cache drops its keys when it is issued and again once it is answered. */
  function write<T>(keys: string | string[], run: () => Promise<T>): Promise<T> {
    if (!cache) return guard(run)
    cache.forget(keys)
    const done = () => cache.forget(keys)
    return guard(run).then(
      (value) => {
        done()
        return value
      },
      (err: unknown) => {
        done()
        throw err
      },
    )
  }
  const guarded: RedisClientLike = {
    // What the cache holds is answered before connect-redis asks (untouchedRedisStore).
    get: (key) => cache?.read(key, guard) ?? guard(() => client.get(key)),
    set: (key, value, options) => write(key, () => client.set(key, value, options)),
    expire: (key, seconds) => write(key, () => client.expire(key, seconds)),
    del: (keys) => write(keys, () => client.del(keys)),
    mGet: (keys) => guard(() => client.mGet(keys)),
    scanIterator: (options) => client.scanIterator(options),
  }
  // connect-redis scans a cluster through its masters.
  if ('masters' in client) {
    const cluster = client as unknown as { masters: unknown; nodeClient(master: unknown): unknown }
    Object.defineProperty(guarded, 'masters', { get: () => cluster.masters })
    Object.assign(guarded, { nodeClient: (master: unknown) => cluster.nodeClient(master) })
  }
  return guarded
}

/**
 * node-redis emits 'error' on every failed (re)connect; without a listener that would crash the
 * host. Listen while this instance is open, and log each outage once (never a key: keys carry
 * session ids).
 */
function watchClient(client: RedisClientLike, logger: Logger): () => void {
  if (typeof client.on !== 'function') return () => {}
  let down = false
  const onError = (err: unknown) => {
    if (down) return
    down = true
    logger.warn(
      { err: errorSummary(err) },
      'session store (Redis) unavailable: requests that need a session get 503 SESSION_STORE_UNAVAILABLE until it is back',
    )
  }
  const onReady = () => {
    if (!down) return
    down = false
    logger.info({}, 'session store (Redis) is back')
  }
  client.on('error', onError)
  client.on('ready', onReady)
  return () => {
    client.off?.('error', onError)
    client.off?.('ready', onReady)
  }
}

function errorSummary(err: unknown): { name?: string; code?: string; message: string } {
  if (err instanceof Error)
    return { name: err.name, code: (err as { code?: string }).code, message: err.message.slice(0, 200) }
  return { message: String(err).slice(0, 200) }
}
