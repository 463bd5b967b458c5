/** Login refresh tokens for silent re-login, keyed by the hash of a device cookie. */
import type { Keyring } from '../crypto.js'
import type { Db } from '../db.js'
import { toLoginToken } from '../rows.js'
import { sealer } from '../secrets.js'
import type { Store } from '../types.js'

export function loginTokensRepo(db: Db, keys: Keyring, now: () => number): Store['loginTokens'] {
  const refresh = sealer(keys, 'login_tokens', 'refresh_token')
  return {
    async put(record) {
      const at = now()
      await db.run(
        `INSERT INTO login_tokens (device_hash, provider_id, user_id, refresh_token, created_at, last_used_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_hash) DO UPDATE SET provider_id = excluded.provider_id, user_id = excluded.user_id,
           refresh_token = excluded.refresh_token, created_at = excluded.created_at,
           last_used_at = excluded.last_used_at, expires_at = excluded.expires_at`,
        [record.deviceHash, record.providerId, record.userId, refresh.seal(record.refreshToken, record.deviceHash), at, at, record.expiresAt.getTime()],
      )
    },
    async get(deviceHash) {
      // An expired record is as good as none; pruneExpired removes it later.
      const row = await db.get('SELECT * FROM login_tokens WHERE device_hash = ? AND expires_at > ?', [deviceHash, now()])
      return row ? toLoginToken(row, refresh.open(row.refresh_token, deviceHash) as string) : null
    },
    async update(deviceHash, refreshToken, expiresAt) {
      await db.run('UPDATE login_tokens SET refresh_token = ?, expires_at = ?, last_used_at = ? WHERE device_hash = ?', [
        refresh.seal(refreshToken, deviceHash),
        expiresAt.getTime(),
        now(),
        deviceHash,
      ])
    },
    async delete(deviceHash) {
      await db.run('DELETE FROM login_tokens WHERE device_hash = ?', [deviceHash])
    },
    deleteForUser: (userId) => db.run('DELETE FROM login_tokens WHERE user_id = ?', [userId]),
    pruneExpired: () => db.run('DELETE FROM login_tokens WHERE expires_at <= ?', [now()]),
  }
}
