/** The PostgreSQL adapter (pg): for several instances sharing one database. */
import type pg from 'pg'
import { RateLimiterPostgres } from 'rate-limiter-flexible'
import { buildStore } from './build.js'
import { importOptionalPeer } from '../optional-peer.js'
import type { Keyring } from './crypto.js'
import { postgresMigrations } from './migrations/postgres.js'
import { migrateOrClose } from './migrations/run.js'
import { mapPgError, PgDb } from './postgres-db.js'
import { postgresRefreshLock } from './postgres-lock.js'
import type { Store } from './types.js'

/** Serialises migrations of instances starting together (any constant unique to authdock). */
const MIGRATION_LOCK = `SELECT pg_advisory_xact_lock(hashtext('authdock:migrations'))`

/** Open a pool on `url` and migrate. Throws STORE_UNAVAILABLE when the database does not answer. */
export async function openPostgresStore(url: string, keys: Keyring, now: () => number): Promise<Store> {
  // pg is an optional peer dependency: a SQLite-only host does not install it.
  const { Pool } = (await importOptionalPeer('pg', 'database (a postgres:// URL)', () => import('pg')))
    .default as typeof pg
  // TCP keep-alive: a connection whose peer vanished without a reset (a network split, a failover
  // behind a load balancer) is noticed and dropped instead of hanging the queries sent on it.
  const pool = new Pool({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    max: 10,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  })
  // An idle connection dropped by the server must not crash the host: the next query reconnects.
  pool.on('error', () => undefined)
  const db = new PgDb(pool, pool)
  await migrateOrClose(db, postgresMigrations, {
    now,
    close: () => pool.end().catch(() => undefined),
    lockStatement: MIGRATION_LOCK,
  })
  return buildStore({
    kind: 'postgres',
    db,
    keys,
    now,
    close: () => pool.end(),
    refreshLock: (io) => postgresRefreshLock(db, pool)(io),
    attempts: {
      limiter: (options) => new RateLimiterPostgres({ ...options, storeClient: pool, storeType: 'pool' }),
      run: (call) => call().catch((error: unknown) => Promise.reject(mapPgError(error))),
    },
  })
}
