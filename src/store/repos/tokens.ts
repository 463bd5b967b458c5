/** Token state per profile: an upsert-by-patch with a version counter, secrets sealed per row. */
import { AuthdockError } from '../../errors.js'
import type { Keyring } from '../crypto.js'
import { constraintKind, type Db } from '../db.js'
import { TOKEN_COLUMNS, TOKEN_SECRET_COLUMNS, toMs, toTokenRecord, toTokenSummary } from '../rows.js'
import { sealer } from '../secrets.js'
import type { Store, TokenPatch, TokenRecord } from '../types.js'

/** Reading and writing token records; the adapters' refresh locks use the same two functions. */
export interface TokenIo {
  read(db: Db, profileId: string): Promise<TokenRecord | null>
  write(db: Db, profileId: string, patch: TokenPatch): Promise<TokenRecord>
}

export function tokenIo(keys: Keyring): TokenIo {
  const access = sealer(keys, 'tokens', TOKEN_SECRET_COLUMNS.accessToken)
  const refresh = sealer(keys, 'tokens', TOKEN_SECRET_COLUMNS.refreshToken)
  const decrypt = (row: Record<string, unknown>, id: string) =>
    toTokenRecord(row, access.open(row.access_token, id), refresh.open(row.refresh_token, id))

  return {
    async read(db, profileId) {
      const row = await db.get('SELECT * FROM tokens WHERE profile_id = ?', [profileId])
      return row ? decrypt(row, profileId) : null
    },
    async write(db, profileId, patch) {
      const columns: string[] = []
      const params: unknown[] = []
      for (const [field, column] of Object.entries(TOKEN_COLUMNS)) {
        const value = patch[field as keyof typeof TOKEN_COLUMNS]
        if (value === undefined) continue
        columns.push(column)
        params.push(value instanceof Date ? toMs(value) : value)
      }
      if (patch.accessToken !== undefined) {
        columns.push('access_token')
        params.push(access.seal(patch.accessToken, profileId))
      }
      if (patch.refreshToken !== undefined) {
        columns.push('refresh_token')
        params.push(refresh.seal(patch.refreshToken, profileId))
      }
      const updates = ['version = tokens.version + 1', ...columns.map((c) => `${c} = excluded.${c}`)]
      try {
        const row = await db.get(
          `INSERT INTO tokens (profile_id, version${columns.map((c) => `, ${c}`).join('')})
           VALUES (?, 1${', ?'.repeat(columns.length)})
           ON CONFLICT (profile_id) DO UPDATE SET ${updates.join(', ')} RETURNING *`,
          [profileId, ...params],
        )
        return decrypt(row!, profileId)
      } catch (error) {
        if (constraintKind(error) === 'foreign_key') {
          throw new AuthdockError('PROFILE_NOT_FOUND', `No profile with id ${profileId}`, { cause: error })
        }
        throw error
      }
    },
  }
}

export function tokensRepo(db: Db, io: TokenIo, withRefreshLock: Store['tokens']['withRefreshLock']): Store['tokens'] {
  return {
    get: (profileId) => io.read(db, profileId),
    async summary(profileId) {
      const row = await db.get('SELECT * FROM tokens WHERE profile_id = ?', [profileId])
      return row ? toTokenSummary(row) : null
    },
    async summaries() {
      return (await db.all('SELECT * FROM tokens ORDER BY profile_id')).map(toTokenSummary)
    },
    save: (profileId, patch) => io.write(db, profileId, patch),
    async clear(profileId) {
      await db.run('DELETE FROM tokens WHERE profile_id = ?', [profileId])
    },
    withRefreshLock,
  }
}
