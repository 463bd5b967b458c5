/**
 * The PostgreSQL refresh lock: a row lock (SELECT … FOR UPDATE) on the profile's `token_locks` row,
 * held by a dedicated connection for the whole of `fn`. The record is re-read and the patch written
 * in the same transaction. If the holder dies its connection closes and PostgreSQL releases the
 * lock; a holder that hangs in `fn` for longer than `timeoutMs` is cut off by the server
 * (`idle_in_transaction_session_timeout`), so its late write fails like the SQLite lease's.
 * `lock_timeout` bounds the wait (→ LOCK_TIMEOUT).
 */
import type pg from 'pg'
import { AuthdockError } from '../errors.js'
import type { Db } from './db.js'
import { inTransaction, PgDb } from './postgres-db.js'
import type { TokenIo } from './repos/tokens.js'
import type { Store } from './types.js'

const LOCK_NOT_AVAILABLE = '55P03'

export function postgresRefreshLock(db: Db, pool: pg.Pool) {
  return (io: TokenIo): Store['tokens']['withRefreshLock'] =>
    async (profileId, fn, { timeoutMs, waitMs }) => {
      // Committed before the locking transaction, so that concurrent first lockers wait on the row
      // lock rather than on each other's uncommitted insert.
      await db.run(
        `INSERT INTO token_locks (profile_id, holder, expires_at) VALUES (?, '', 0) ON CONFLICT (profile_id) DO NOTHING`,
        [profileId],
      )
      return inTransaction(pool, async (client) => {
        // lock_timeout 0 would mean "wait forever": at least 1 ms.
        await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${Math.max(1, Math.ceil(waitMs))}ms`])
        try {
          await client.query('SELECT profile_id FROM token_locks WHERE profile_id = $1 FOR UPDATE', [profileId])
        } catch (error) {
          if ((error as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw error
          throw new AuthdockError(
            'LOCK_TIMEOUT',
            `The refresh lock of profile ${profileId} was not free within ${waitMs} ms`,
            {
              cause: error,
              details: { profileId },
            },
          )
        }
        // Held: our own reads and writes below must not time out on the waiting limit, and the
        // server ends the session (releasing the lock) if `fn` keeps it longer than timeoutMs.
        await client.query(
          `SELECT set_config('lock_timeout', '0', true), set_config('idle_in_transaction_session_timeout', $1, true)`,
          [`${Math.max(1, Math.ceil(timeoutMs))}ms`],
        )
        const tx = new PgDb(client, null)
        const { patch, result } = await fn(await io.read(tx, profileId))
        if (patch) await io.write(tx, profileId, patch)
        return result
      })
    }
}
