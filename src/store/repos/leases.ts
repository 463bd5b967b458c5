/** Named leases (periodic jobs run once across instances). */
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
