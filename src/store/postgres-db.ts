/** The Db surface over a pg Pool (or one checked-out client inside a transaction). */
import type pg from 'pg'
import { AuthdockError } from '../errors.js'
import type { Db, Row } from './db.js'

const placeholders = new Map<string, string>()

/** `?` → `$1, $2, …` (our SQL never has a `?` inside a literal). */
export function toPgSql(sql: string): string {
  let converted = placeholders.get(sql)
  if (converted === undefined) {
    let n = 0
    converted = sql.replace(/\?/g, () => `$${++n}`)
    if (placeholders.size > 500) placeholders.clear()
    placeholders.set(sql, converted)
  }
  return converted
}

/** Connection-level failures (class 08, shutdowns, refused, timeouts, unknown database, auth). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string') {
    return (
      /^(08|28|3D|57P0)/.test(code) ||
      ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE'].includes(code)
    )
  }
  return (
    error instanceof Error &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
      error.message,
    )
  )
}

/** Maps connection failures to STORE_UNAVAILABLE; other errors pass through unchanged. */
export function mapPgError(error: unknown): unknown {
  if (error instanceof AuthdockError || !isConnectionError(error)) return error
  const code = (error as { code?: unknown }).code
  return new AuthdockError(
    'STORE_UNAVAILABLE',
    `The PostgreSQL database is unavailable${typeof code === 'string' ? ` (${code})` : ''}`,
    {
      cause: error,
    },
  )
}

type Queryable = pg.Pool | pg.PoolClient

export class PgDb implements Db {
  readonly dialect = 'postgres' as const

  /** `pool` is given only for the pool-level Db, which can open transactions. */
  constructor(
    private readonly target: Queryable,
    private readonly pool: pg.Pool | null,
  ) {}

  async all<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.#query(sql, params)).rows as T[]
  }

  async get<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.#query(sql, params)).rows[0] as T | undefined
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.#query(sql, params)).rowCount ?? 0
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (!this.pool) throw new Error('PgDb: nested transactions are not supported')
    return inTransaction(this.pool, (client) => fn(new PgDb(client, null)))
  }

  async #query(sql: string, params: readonly unknown[]) {
    try {
      return await this.target.query(toPgSql(sql), params as unknown[])
    } catch (error) {
      throw mapPgError(error)
    }
  }
}

/** A client from the pool, with connection failures as STORE_UNAVAILABLE. */
export async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect()
  } catch (error) {
    throw mapPgError(error) instanceof AuthdockError
      ? mapPgError(error)
      : new AuthdockError('STORE_UNAVAILABLE', 'The PostgreSQL database is unavailable', { cause: error })
  }
}

/**
 * Run `fn` in a transaction on a client of its own: BEGIN, COMMIT, ROLLBACK on any error (a broken
 * connection is not returned to the pool), pg errors mapped to AuthdockErrors.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool)
  // A checked-out client has no listener of the pool's: a server that goes away between two
  // statements (restart, failover) would emit 'error' unheard and crash the host. The next
  // statement fails with the same cause, and that is where it is handled.
  const ignore = () => undefined
  client.on('error', ignore)
  let broken = false
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    broken = await rollback(client)
    throw mapPgError(error)
  } finally {
    client.off('error', ignore)
    client.release(broken)
  }
}

/** Rolls back; resolves to true when the connection is broken and must not go back to the pool. */
export async function rollback(client: pg.PoolClient): Promise<boolean> {
  try {
    await client.query('ROLLBACK')
    return false
  } catch {
    return true
  }
}
