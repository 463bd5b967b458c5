/**
 * Sessions read from memory where the database can say cheaply that nothing changed: SQLite's
 * `PRAGMA data_version` moves whenever another connection (another process, or another instance in
 * this one) commits to the file. A logged-in request then costs a Map lookup instead of a query
 * through the store's queue; the version is read at most once per event-loop turn, so a session
 * changed or destroyed elsewhere is seen from the next turn on.
 *
 * This connection's own writes do not move the version: set and destroy drop the session from the
 * cache when they are issued (a set puts it back with what it wrote once it is written, unless
 * another write came in between), and a read started before a write (or before the cache was
 * emptied) does not fill it, so a read never brings back what a later write replaced. A session
 * just written (a login, a change) is thus read from memory on the next request too.
 */
import type { SessionRecord, Store } from './types.js'

type Sessions = Store['sessions']

/** Enough for every active session of one machine; beyond it the oldest entries go. */
const MAX_ENTRIES = 10_000

export function cachedSessions(sessions: Sessions, version: () => number, now: () => number): Sessions {
  const cache = new Map<string, SessionRecord>()
  let known = Number.NaN
  let checked = false
  /** Moves on every write and every emptying: a read that saw an older epoch does not fill. */
  let epoch = 0

  const empty = () => {
    cache.clear()
    epoch++
  }
  const remember = (sid: string, record: SessionRecord) => {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!)
    cache.set(sid, record)
  }
  /** False when the version cannot be read (closed database): then every call goes to the store. */
  const current = (): boolean => {
    if (checked) return true
    let seen: number
    try {
      seen = version()
    } catch {
      empty()
      return false
    }
    checked = true
    setImmediate(() => (checked = false))
    if (seen !== known) {
      known = seen
      empty()
    }
    return true
  }

  const held = (sid: string): SessionRecord | undefined => {
    if (!current()) return undefined
    const hit = cache.get(sid)
    if (hit && hit.expiresAt.getTime() > now()) return hit
    if (hit) cache.delete(sid)
    return undefined
  }

  return {
    held,
    async get(sid) {
      const hit = held(sid)
      if (hit) return hit
      const started = epoch
      const record = await sessions.get(sid)
      if (record && epoch === started) remember(sid, record)
      return record
    },
    async set(sid, data, expiresAt) {
      cache.delete(sid)
      const mine = ++epoch
      const stored = await sessions.set(sid, data, expiresAt)
      // Nothing else was written or emptied meanwhile: the row holds what was just written.
      if (epoch === mine) remember(sid, { data, expiresAt: stored })
      return stored
    },
    destroy(sid) {
      cache.delete(sid)
      epoch++
      return sessions.destroy(sid)
    },
    pruneExpired: () => sessions.pruneExpired(),
  }
}
