/** The SQLite adapter (better-sqlite3): the embedded default, one file, WAL. */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { RateLimiterSQLite } from 'rate-limiter-flexible'
import { AuthdockError } from '../errors.js'
import { buildStore } from './build.js'
import type { Keyring } from './crypto.js'
import { sqliteMigrations } from './migrations/sqlite.js'
import { migrateOrClose } from './migrations/run.js'
import { SqliteDb } from './sqlite-db.js'
import { sqliteRefreshLock } from './sqlite-lock.js'
import type { Store } from './types.js'

/** How long a statement waits for another process's write lock before STORE_UNAVAILABLE. */
const BUSY_TIMEOUT_MS = 5000

/** Open (creating when missing) the SQLite database at `file` (or ':memory:') and migrate it. */
export async function openSqliteStore(file: string, keys: Keyring, now: () => number): Promise<Store> {
  let raw: Database.Database
  const path = file === ':memory:' ? file : resolve(file)
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    raw = new Database(path)
    raw.pragma('journal_mode = WAL')
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    raw.pragma('foreign_keys = ON')
    raw.pragma('synchronous = NORMAL')
  } catch (cause) {
    throw new AuthdockError('STORE_UNAVAILABLE', `Cannot open the SQLite database ${file}`, { cause })
  }
  const db = new SqliteDb(raw, path)
  await migrateOrClose(db, sqliteMigrations, { now, close: () => db.close() })
  const dataVersion = raw.prepare('PRAGMA data_version').pluck()
  return buildStore({
    kind: 'sqlite',
    changeVersion: () => dataVersion.get() as number,
    db,
    keys,
    now,
    close: () => db.close(),
    refreshLock: sqliteRefreshLock(db, now),
    attempts: {
      limiter: (options) => new RateLimiterSQLite({ ...options, storeClient: raw, storeType: 'better-sqlite3' }),
      run: (call) => db.exclusive(call),
    },
  })
}
