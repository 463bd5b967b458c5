/** Named leases (periodic jobs run once across instances) and fixed-window counters. */
import type { Db } from '../db.js'
import type { Store } from '../types.js'

export function leasesRepo(db: Db, now: () => number): Store['leases'] {
  return {
    async acquire(name, holder, ttlMs) {
      const at = now()
      // One atomic statement: take when free or expired, renew when already ours.
      const changed = await db.run(
        `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
        [name, holder, at + ttlMs, at],
      )
      return changed > 0
    },
    async release(name, holder) {
      await db.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder])
    },
  }
}

export function countersRepo(db: Db, now: () => number): Store['counters'] {
  return {
    async hit(key, windowMs) {
      const at = now()
      // The window starts at the first hit; a hit after it ended starts a new window at 1.
      const row = await db.get<{ count: unknown }>(
        `INSERT INTO counters (key, count, window_start, window_ms) VALUES (?, 1, ?, ?)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN counters.window_start + counters.window_ms <= ? THEN 1 ELSE counters.count + 1 END,
           window_start = CASE WHEN counters.window_start + counters.window_ms <= ? THEN excluded.window_start ELSE counters.window_start END,
           window_ms = CASE WHEN counters.window_start + counters.window_ms <= ? THEN excluded.window_ms ELSE counters.window_ms END
         RETURNING count`,
        [key, at, windowMs, at, at, at],
      )
      return Number(row!.count)
    },
    async get(key) {
      const row = await db.get<{ count: unknown }>('SELECT count FROM counters WHERE key = ? AND window_start + window_ms > ?', [key, now()])
      return row ? Number(row.count) : 0
    },
    async reset(key) {
      await db.run('DELETE FROM counters WHERE key = ?', [key])
    },
  }
}
