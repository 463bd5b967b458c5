/**
 * Login refresh tokens for silent re-login, keyed by the hash of a device cookie. The cookie's id
 * is replaced at every silent login (rotate); the replaced ids are kept, without any secret, until
 * the device would have expired, so that a copied cookie presented later is recognised.
 */
import type { Keyring } from '../crypto.js'
import type { Db } from '../db.js'
import { toLoginToken, toRotatedLoginDevice } from '../rows.js'
import { sealer } from '../secrets.js'
import type { Store } from '../types.js'

export function loginTokensRepo(db: Db, keys: Keyring, now: () => number): Store['loginTokens'] {
  const refresh = sealer(keys, 'login_tokens', 'refresh_token')
  return {
    async put(record) {
      const at = now()
      await db.run(
        `INSERT INTO login_tokens (device_hash, family_id, provider_id, user_id, refresh_token, created_at, last_used_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_hash) DO UPDATE SET family_id = excluded.family_id, provider_id = excluded.provider_id,
           user_id = excluded.user_id, refresh_token = excluded.refresh_token, created_at = excluded.created_at,
           last_used_at = excluded.last_used_at, expires_at = excluded.expires_at`,
        [
          record.deviceHash,
          record.deviceHash,
          record.providerId,
          record.userId,
          refresh.seal(record.refreshToken, record.deviceHash),
          at,
          at,
          record.expiresAt.getTime(),
        ],
      )
    },
    async get(deviceHash) {
      // An expired record is as good as none; pruneExpired removes it later.
      const row = await db.get('SELECT * FROM login_tokens WHERE device_hash = ? AND expires_at > ?', [
        deviceHash,
        now(),
      ])
      return row ? toLoginToken(row, refresh.open(row.refresh_token, deviceHash) as string) : null
    },
    async getRotated(deviceHash) {
      const row = await db.get('SELECT * FROM login_token_rotations WHERE device_hash = ? AND expires_at > ?', [
        deviceHash,
        now(),
      ])
      return row ? toRotatedLoginDevice(row) : null
    },
    rotate(deviceHash, next) {
      return db.transaction(async (tx) => {
        const at = now()
        // The condition on the old id makes concurrent rotations of one id yield a single winner
        // (PostgreSQL re-checks it after the row lock; SQLite runs one write transaction at a time).
        const changed = await tx.run(
          'UPDATE login_tokens SET device_hash = ?, refresh_token = ?, last_used_at = ? WHERE device_hash = ? AND expires_at > ?',
          [next.deviceHash, refresh.seal(next.refreshToken, next.deviceHash), at, deviceHash, at],
        )
        if (changed !== 1) return false
        const row = await tx.get(
          'SELECT family_id, provider_id, user_id, expires_at FROM login_tokens WHERE device_hash = ?',
          [next.deviceHash],
        )
        if (!row) throw new Error('login token vanished inside its own transaction')
        await tx.run(
          `INSERT INTO login_token_rotations (device_hash, family_id, provider_id, user_id, rotated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (device_hash) DO NOTHING`,
          [deviceHash, row.family_id ?? deviceHash, row.provider_id, row.user_id, at, Number(row.expires_at)],
        )
        return true
      })
    },
    async delete(deviceHash) {
      await db.run('DELETE FROM login_tokens WHERE device_hash = ?', [deviceHash])
    },
    deleteFamily: (familyId) => db.run('DELETE FROM login_tokens WHERE family_id = ?', [familyId]),
    deleteForUser: (userId) => db.run('DELETE FROM login_tokens WHERE user_id = ?', [userId]),
    async pruneExpired() {
      const at = now()
      const devices = await db.run('DELETE FROM login_tokens WHERE expires_at <= ?', [at])
      return devices + (await db.run('DELETE FROM login_token_rotations WHERE expires_at <= ?', [at]))
    },
  }
}
