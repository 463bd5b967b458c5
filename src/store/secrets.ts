/**
 * Where secrets live and how each is bound to its place: the encryption context (AAD) is
 * `table.column:rowKey`, so a ciphertext moved to another column or row fails to decrypt.
 */
import type { Keyring } from './crypto.js'

export interface EncryptedColumn {
  table: string
  key: string
  column: string
}

/** Every encrypted column of every table (reencryptAll walks this list). */
export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = [
  { table: 'profiles', key: 'id', column: 'client_secret' },
  { table: 'tokens', key: 'profile_id', column: 'access_token' },
  { table: 'tokens', key: 'profile_id', column: 'refresh_token' },
  { table: 'login_tokens', key: 'device_hash', column: 'refresh_token' },
  { table: 'login_providers', key: 'id', column: 'client_secret' },
  { table: 'credentials', key: 'id', column: 'private_key' },
]

export function secretContext(table: string, column: string, rowKey: string): string {
  return `${table}.${column}:${rowKey}`
}

/** Encrypt-or-null and decrypt-or-null for one column. */
export function sealer(keys: Keyring, table: string, column: string) {
  return {
    seal: (plain: string | null, rowKey: string): string | null =>
      plain === null ? null : keys.encrypt(plain, secretContext(table, column, rowKey)),
    open: (stored: unknown, rowKey: string): string | null =>
      stored === null || stored === undefined
        ? null
        : keys.decrypt(String(stored), secretContext(table, column, rowKey)),
  }
}
