/**
 * Sessions read from Redis, kept in memory while Redis tracks them. A second connection (a RESP3
 * duplicate of the host's client, node-redis `emitInvalidate`) reads the sessions with client
 * tracking on, and Redis pushes an invalidation to it for every key it read as soon as anyone
 * changes, deletes, expires or evicts that key. A logged-in request then costs a Map lookup instead
 * of a GET; a logout or change made by another instance is seen as soon as the push arrives. Redis
 * queues the push while it executes the write, ahead of the writer's own answer, so by the time the
 * other instance has answered its user, the push is on its way to every instance.
 *
 * What keeps it correct:
 * - Only answers of the tracking connection are kept (reading is what registers the tracking); a
 *   write made here drops its key when it is issued and again when it is answered.
 * - An answer that arrives after anything else happened (a write here, a push, a reconnect: the
 *   epoch moved) is passed on but not kept, so a read never brings back what a later change replaced.
 * - A lost connection loses pushes: a disconnect empties the cache, and nothing is served from
 *   memory until the connection is back and tracking is on again.
 * - An open but silent connection (a frozen Redis, a network partition) pushes nothing either: it is
 *   pinged every HEARTBEAT_MS, and memory is used only within TRUST_MS of the last answer. Pushes
 *   and answers arrive in order on one connection, so an answer means every change made before it
 *   has been seen; a silent Redis thus costs at most TRUST_MS of possibly stale sessions, then reads
 *   go to Redis again (and fail with 503 as they would without the cache).
 * - A cached session past its cookie's expiry is read again (Redis expires the key with the cookie).
 *
 * Clients that cannot track (node-redis without `emitInvalidate`, Redis before 6, a cluster, an ACL
 * that refuses CLIENT TRACKING) are recognised at start, when CLIENT TRACKINGINFO does not say "on":
 * the tracking connection is closed and every read goes to Redis, as with `session.redisCache:
 * false`. So is a duplicate that logs in as another Redis user than the host's client (ACL WHOAMI):
 * node-redis's RESP3 handshake sends no AUTH for a user without a password, so such a duplicate
 * would be Redis's `default` user.
 */
import { performance } from 'node:perf_hooks'
import type { Logger } from '../config.js'

/** Enough for every active session of a large instance; beyond it the oldest entries go. */
const MAX_ENTRIES = 10_000
/** How often the tracking connection is asked whether it still hears Redis. */
export const HEARTBEAT_MS = 500
/** How long after Redis's last answer the cache is still used. */
export const TRUST_MS = 1_500

/** What the cache uses of a node-redis (v5+) client and of its duplicate. */
export interface TrackingCapableClient {
  duplicate?(overrides: object): TrackingConnection
  sendCommand?(args: string[]): Promise<unknown>
}

interface TrackingConnection {
  readonly isReady?: boolean
  connect(): Promise<unknown>
  get(key: string): Promise<unknown>
  ping(): Promise<unknown>
  sendCommand(args: string[]): Promise<unknown>
  on(event: string, listener: (arg: unknown) => void): unknown
  destroy?(): unknown
  disconnect?(): unknown
}

export interface RedisSessionCache {
  /** The session stored under `key` if it is held and may be trusted; else undefined. */
  hit(key: string): string | undefined
  /**
   * Read `key` through the tracking connection (keeping the answer) when it may be trusted; else
   * undefined: read it through the host's client. `guard` bounds the wait as for every read.
   */
  read(key: string, guard: <T>(run: () => Promise<T>) => Promise<T>): Promise<unknown> | undefined
  /** A write to `keys` is issued or answered: drop them, and keep no answer that was under way. */
  forget(keys: string | string[]): void
  /** True while sessions are served from memory (tracking on and heard from recently). */
  readonly active: boolean
  /** Sessions held now. */
  readonly size: number
  close(): void
}

interface Entry {
  value: string
  expiresAt: number
}

/**
 * Start the cache on a duplicate of `client`; undefined when the client cannot be duplicated (a
 * cluster, another library). The connection is made in the background: until tracking is confirmed
 * every read goes to Redis.
 */
export function startRedisSessionCache(
  client: TrackingCapableClient,
  options: { logger: Logger; now: () => number },
): RedisSessionCache | undefined {
  if (typeof client.duplicate !== 'function' || 'masters' in client) {
    options.logger.info({}, 'session cache off: the Redis client cannot be duplicated (every request reads Redis)')
    return undefined
  }
  let tracker: TrackingConnection
  try {
    tracker = client.duplicate({ RESP: 3, emitInvalidate: true, disableOfflineQueue: true, name: 'authdock-sessions' })
  } catch (err) {
    // e.g. a client configured with node-redis's own clientSideCache, which excludes emitInvalidate.
    options.logger.info(
      { err: err instanceof Error ? err.message : String(err) },
      'session cache off: no tracking connection could be made (every request reads Redis)',
    )
    return undefined
  }

  const cache = new Map<string, Entry>()
  /** Moves on every write, push and reconnect: an answer that saw an older epoch is not kept. */
  let epoch = 0
  let tracking = false
  let lastAnswer = Number.NEGATIVE_INFINITY
  let pinging = false
  let closed = false
  let everReady = false

  const empty = () => {
    cache.clear()
    epoch++
  }
  const trusted = () => tracking && performance.now() - lastAnswer <= TRUST_MS
  const stop = () => {
    tracking = false
    empty()
  }

  tracker.on('invalidate', (key) => {
    // null: Redis flushed its tracking table (FLUSHALL, or too many tracked keys): forget everything.
    if (key === null || key === undefined) return empty()
    cache.delete(String(key))
    epoch++
  })
  // An error listener keeps node-redis from crashing the host; the host client's own listener
  // (session.ts watchClient) reports an outage once.
  tracker.on('error', (err) => {
    stop()
    // e.g. NOPERM: an ACL that refuses CLIENT TRACKING fails node-redis's handshake.
    if (!everReady) giveUp('the tracking connection failed before it was ready', err)
  })
  tracker.on('end', stop)
  tracker.on('reconnecting', stop)
  tracker.on('ready', () => {
    everReady = true
    stop()
    void confirmTracking()
  })

  function giveUp(reason: string, err?: unknown): void {
    if (closed) return
    options.logger.info(
      err === undefined ? {} : { err: err instanceof Error ? err.message : String(err) },
      `session cache off: ${reason} (every request reads Redis)`,
    )
    sessions.close()
  }

  async function confirmTracking(): Promise<void> {
    let on = false
    let sameUser = false
    try {
      on = trackingOn(await tracker.sendCommand(['CLIENT', 'TRACKINGINFO']))
      const [mine, hosts] = await Promise.all([
        tracker.sendCommand(['ACL', 'WHOAMI']),
        client.sendCommand?.(['ACL', 'WHOAMI']),
      ])
      sameUser = hosts !== undefined && String(mine) === String(hosts)
    } catch (err) {
      return giveUp('the tracking connection could not be checked', err)
    }
    if (closed || !tracker.isReady) return
    if (!on)
      return giveUp('Redis does not track this connection (node-redis 5.9 or later and Redis 6 or later are needed)')
    if (!sameUser) return giveUp("the tracking connection would log in as another Redis user than the host's client")
    empty()
    lastAnswer = performance.now()
    tracking = true
  }

  const heartbeat = setInterval(() => {
    if (!tracking || pinging) return
    pinging = true
    tracker.ping().then(
      () => {
        pinging = false
        lastAnswer = performance.now()
      },
      () => {
        pinging = false
      },
    )
  }, HEARTBEAT_MS)
  heartbeat.unref()

  // The host's client is connected, so Redis is there: a duplicate that cannot connect is refused
  // (an ACL without CLIENT TRACKING, maxclients). Retrying would only churn; reads go to Redis.
  tracker.connect().catch((err: unknown) => giveUp('the tracking connection was refused', err))

  const remember = (key: string, value: string) => {
    let expires: unknown
    try {
      expires = (JSON.parse(value) as { cookie?: { expires?: unknown } }).cookie?.expires
    } catch {
      return
    }
    const expiresAt = typeof expires === 'string' ? Date.parse(expires) : Number.NaN
    // A session without a known expiry is not kept: its key's lifetime is Redis's to say.
    if (!(expiresAt > options.now())) return
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!)
    cache.set(key, { value, expiresAt })
  }

  const sessions: RedisSessionCache = {
    hit(key) {
      if (!trusted()) return undefined
      const entry = cache.get(key)
      if (!entry) return undefined
      if (entry.expiresAt > options.now()) return entry.value
      cache.delete(key)
      return undefined
    },
    read(key, guard) {
      if (!trusted()) return undefined
      const started = epoch
      return guard(() => tracker.get(key)).then((value) => {
        if (typeof value === 'string' && epoch === started && tracking) remember(key, value)
        return value
      })
    },
    forget(keys) {
      if (typeof keys === 'string') cache.delete(keys)
      else for (const key of keys) cache.delete(key)
      epoch++
    },
    get active() {
      return trusted()
    },
    get size() {
      return cache.size
    },
    close() {
      if (closed) return
      closed = true
      clearInterval(heartbeat)
      stop()
      if (typeof tracker.destroy === 'function') tracker.destroy()
      else tracker.disconnect?.()
    },
  }
  return sessions
}

/** CLIENT TRACKINGINFO's flags (RESP3 map, or RESP2 flat array) include "on". */
function trackingOn(info: unknown): boolean {
  let flags: unknown
  if (Array.isArray(info)) flags = info[info.indexOf('flags') + 1]
  else if (info instanceof Map) flags = info.get('flags')
  else if (typeof info === 'object' && info !== null) flags = (info as { flags?: unknown }).flags
  return Array.isArray(flags) && flags.some((flag) => String(flag) === 'on')
}
