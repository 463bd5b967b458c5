/**
 * Opening the store named by the `database` option: `sqlite:PATH` (the parent folder is created;
 * `sqlite::memory:` for throwaway use) or `postgres://…` / `postgresql://…`. Migrations run here.
 */
import { AuthdockError } from '../errors.js'
import { Keyring } from './crypto.js'
import type { Store } from './types.js'

/**
 * How openStore opens a database: the encryption keys (newest first) and the clock.
 *
 * @example
 * const store = await openStore(process.env.AUTHDOCK_DATABASE!, { encryptionKeys: [process.env.AUTHDOCK_KEY!], now: Date.now })
 */
export interface OpenStoreOptions {
  /** Base64 keys of 32 bytes, newest first: the first encrypts, all decrypt. */
  encryptionKeys: string[]
  /** The clock every stored time comes from. */
  now: () => number
}

/**
 * @example
 * const store = await openStore('sqlite:./data/authdock.db', { encryptionKeys: [key], now: Date.now })
 */
export async function openStore(database: string, options: OpenStoreOptions): Promise<Store> {
  const keys = new Keyring(options.encryptionKeys)
  if (database.startsWith('sqlite:')) {
    const file = database.slice('sqlite:'.length)
    if (!file)
      throw new AuthdockError('CONFIG_INVALID', 'database: "sqlite:" needs a file path, e.g. sqlite:./data/authdock.db')
    const { openSqliteStore } = await import('./sqlite.js')
    return openSqliteStore(file, keys, options.now)
  }
  if (/^postgres(ql)?:\/\//.test(database)) {
    const { openPostgresStore } = await import('./postgres.js')
    return openPostgresStore(database, keys, options.now)
  }
  throw new AuthdockError('CONFIG_INVALID', 'database: must be sqlite:PATH or a postgres:// URL')
}
