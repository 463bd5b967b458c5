/** express-session data (not encrypted: sessions hold no secrets by design). */
import type { Db } from '../db.js'
import { toDate } from '../rows.js'
import type { Store } from '../types.js'

export function sessionsRepo(db: Db, now: () => number): Store['sessions'] {
  return {
    async get(sid) {
      const row = await db.get('SELECT data, expires_at FROM sessions WHERE sid = ? AND expires_at > ?', [sid, now()])
      return row ? { data: String(row.data), expiresAt: toDate(row.expires_at) as Date } : null
    },
    async set(sid, data, expiresAt) {
      // An existing session keeps its expiry: saving a change must not extend it.
      const row = await db.get(
        `INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (sid) DO UPDATE SET data = excluded.data
         RETURNING expires_at`,
        [sid, data, expiresAt.getTime()],
      )
      return (toDate(row?.expires_at) as Date | null) ?? expiresAt
    },
    async destroy(sid) {
      await db.run('DELETE FROM sessions WHERE sid = ?', [sid])
    },
    pruneExpired: () => db.run('DELETE FROM sessions WHERE expires_at <= ?', [now()]),
  }
}
