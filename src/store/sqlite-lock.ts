/**
 * The SQLite refresh lock: a lease row in `token_locks`. better-sqlite3 is synchronous, so no
 * transaction is held across `fn`; instead the lease is taken by one atomic upsert (free or
 * expired → ours), polled with a short backoff until `waitMs`, and released in the same
 * transaction that writes the patch, only if we still hold it. A dead holder's lease runs out after
 * `timeoutMs` (measured with the injected clock, which every instance shares in production).
 *
 * Within one process the token provider already single-flights; this adds cross-process exclusion.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { AuthdockError } from '../errors.js'
import type { Db } from './db.js'
import type { TokenIo } from './repos/tokens.js'
import type { Store } from './types.js'

const FIRST_DELAY_MS = 5
const MAX_DELAY_MS = 100

export function sqliteRefreshLock(db: Db, now: () => number) {
  return (io: TokenIo): Store['tokens']['withRefreshLock'] =>
    async (profileId, fn, { timeoutMs, waitMs }) => {
      const holder = randomUUID()
      // The wait is measured on the monotonic clock: a test's frozen `now` must not wait forever.
      const deadline = performance.now() + waitMs
      for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
        const at = now()
        const taken = await db.run(
          `INSERT INTO token_locks (profile_id, holder, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (profile_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE token_locks.expires_at <= ?`,
          [profileId, holder, at + timeoutMs, at],
        )
        if (taken) break
        const left = deadline - performance.now()
        if (left <= 0) {
          throw new AuthdockError(
            'LOCK_TIMEOUT',
            `The refresh lock of profile ${profileId} was not free within ${waitMs} ms`,
            {
              details: { profileId },
            },
          )
        }
        await sleep(Math.min(delay, left))
      }

      let outcome
      try {
        outcome = await fn(await io.read(db, profileId))
      } catch (error) {
        await db.run('DELETE FROM token_locks WHERE profile_id = ? AND holder = ?', [profileId, holder])
        throw error
      }
      const { patch, result } = outcome
      await db.transaction(async (tx) => {
        const row = await tx.get('SELECT holder FROM token_locks WHERE profile_id = ?', [profileId])
        // Ours even if expired, as long as nobody took it over: then nobody else wrote meanwhile.
        if (row?.holder !== holder) {
          throw new AuthdockError(
            'LOCK_TIMEOUT',
            `The refresh lock of profile ${profileId} ran out (after ${timeoutMs} ms) and was taken over`,
            {
              details: { profileId },
            },
          )
        }
        if (patch) await io.write(tx, profileId, patch)
        await tx.run('DELETE FROM token_locks WHERE profile_id = ?', [profileId])
      })
      return result
    }
}
