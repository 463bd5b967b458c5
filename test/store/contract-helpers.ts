/** Shared pieces of the Store contract suite: the harness each adapter provides, a clock, inputs. */
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterEach } from 'vitest'
import type { AuthdockErrorCode } from '../../src/errors.js'
import type { Db } from '../../src/store/db.js'
import { openStore } from '../../src/store/index.js'
import { postgresMigrations } from '../../src/store/migrations/postgres.js'
import { runMigrations } from '../../src/store/migrations/run.js'
import { sqliteMigrations } from '../../src/store/migrations/sqlite.js'
import { PgDb } from '../../src/store/postgres-db.js'
import { SqliteDb } from '../../src/store/sqlite-db.js'
import type { ProfileInput, Store } from '../../src/store/types.js'
import { TEST_KEYS } from '../fixtures/databases.js'

/** A clock that stands still unless a test moves it. */
export class Clock {
  constructor(public t = Date.UTC(2030, 0, 1)) {}
  now = (): number => this.t
  advance(ms: number): void {
    this.t += ms
  }
}

/** What each adapter's test file gives the contract suite. */
export interface StoreHarness {
  kind: 'sqlite' | 'postgres'
  /** A fresh, empty database URL (dropped after the file's tests). */
  newDatabase(): Promise<string>
  /**
   * Make the holder of a refresh lock on `url` "die" so that the lock becomes free: SQLite moves
   * the clock past the lease; PostgreSQL terminates the holder's backend.
   */
  killLockHolder(url: string, clock: Clock, timeoutMs: number): Promise<void>
  /** What the dead holder sees when its work finishes after all. */
  deadHolderError: AuthdockErrorCode
}

export interface Opened {
  store: Store
  url: string
  clock: Clock
}

const toClose: Store[] = []
afterEach(async () => {
  while (toClose.length) await toClose.pop()!.close()
})

/** Open a store (closed after the test). */
export async function open(url: string, clock: Clock, keys: string[] = TEST_KEYS): Promise<Store> {
  const store = await openStore(url, { encryptionKeys: keys, now: clock.now })
  toClose.push(store)
  return store
}

/**
 * Bring the database at `url` to schema `version` only (as an older release left it), run `fn`
 * on it, and close it: the next open() migrates the rest, as an upgrade does.
 */
export async function withSchemaVersion(
  url: string,
  version: number,
  clock: Clock,
  fn: (db: Db) => Promise<void>,
): Promise<void> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length)
    const db = new SqliteDb(new Database(path), path)
    try {
      await runMigrations(
        db,
        sqliteMigrations.filter((m) => m.version <= version),
        clock.now,
      )
      await fn(db)
    } finally {
      await db.close()
    }
    return
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  try {
    const db = new PgDb(pool, pool)
    await runMigrations(
      db,
      postgresMigrations.filter((m) => m.version <= version),
      clock.now,
    )
    await fn(db)
  } finally {
    await pool.end()
  }
}

/** A fresh database with a store open on it. */
export async function fresh(h: StoreHarness, clock = new Clock()): Promise<Opened> {
  const url = await h.newDatabase()
  return { store: await open(url, clock), url, clock }
}

export function profileInput(overrides: Partial<ProfileInput> = {}): ProfileInput {
  return {
    name: 'Mailbox',
    grantType: 'authorization_code',
    authorizationUrl: 'https://login.example.com/authorize',
    tokenUrl: 'https://login.example.com/token',
    redirectUrl: 'https://app.example.com/oauth2redirect',
    clientId: 'client-1',
    clientSecret: 'client-secret-value',
    scope: 'offline_access mail',
    valid: true,
    secretExpiresAt: null,
    proxy: null,
    preset: null,
    tenantId: null,
    ...overrides,
  }
}

/** The rejection's AuthdockError code (or a marker when it resolved). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'RESOLVED'
  } catch (error) {
    return (error as { code?: string }).code ?? `NO_CODE: ${(error as Error).message}`
  }
}

/** A promise with its resolve function exposed (to hold a lock open until the test lets go). */
export function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}
