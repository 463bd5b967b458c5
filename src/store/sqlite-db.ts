/**
 * The Db surface over better-sqlite3. better-sqlite3 is synchronous and one connection serves the
 * whole process, so an open transaction would swallow any statement another caller issued while
 * the transaction's code awaited. Every call therefore runs through one in-process queue: a
 * transaction holds the queue until it commits. Statements inside a transaction run directly, and
 * so does a statement issued while the queue is empty.
 *
 * The queue is shared by every connection of this process to the same file: a second connection's
 * write would otherwise block the (single) thread in busy_timeout while the first connection's
 * transaction, waiting for that same thread, could never commit.
 */
import type { Database, Statement } from 'better-sqlite3'
import { AuthdockError } from '../errors.js'
import type { Db, Row } from './db.js'

const UNAVAILABLE = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_FULL',
])

/** better-sqlite3 binds neither booleans nor undefined. */
function bind(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p))
}

function mapError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && [...UNAVAILABLE].some((c) => code.startsWith(c))) {
    return new AuthdockError('STORE_UNAVAILABLE', `The SQLite database is unavailable (${code})`, { cause: error })
  }
  if (error instanceof TypeError && /database connection is not open/.test(error.message)) {
    return new AuthdockError('STORE_UNAVAILABLE', 'The SQLite database is closed', { cause: error })
  }
  return error
}

interface Queue {
  tail: Promise<unknown>
  users: number
  /** Calls queued and not yet settled: at 0 no transaction is open and nothing waits. */
  pending: number
}

const queues = new Map<string, Queue>()

function queueFor(file: string): Queue {
  // Every ':memory:' database is its own.
  if (file === ':memory:') return { tail: Promise.resolve(), users: 1, pending: 0 }
  let queue = queues.get(file)
  if (!queue) queues.set(file, (queue = { tail: Promise.resolve(), users: 0, pending: 0 }))
  queue.users++
  return queue
}

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const
  readonly #file: string
  readonly #queue: Queue
  readonly #statements = new Map<string, Statement>()
  readonly #direct: Db

  /** `file` is the resolved path (or ':memory:'): it names the shared queue. */
  constructor(
    readonly raw: Database,
    file: string,
  ) {
    this.#file = file
    this.#queue = queueFor(file)
    this.#direct = {
      dialect: 'sqlite',
      all: async <T extends Row>(sql: string, params: readonly unknown[] = []) =>
        this.#now(() => this.#prepare(sql).all(...bind(params)) as T[]),
      get: async <T extends Row>(sql: string, params: readonly unknown[] = []) =>
        this.#now(() => this.#prepare(sql).get(...bind(params)) as T | undefined),
      run: async (sql: string, params: readonly unknown[] = []) =>
        this.#now(() => this.#prepare(sql).run(...bind(params)).changes),
      transaction: () => Promise.reject(new Error('SqliteDb: nested transactions are not supported')),
    }
  }

  all<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.#idle()) return this.#settled(() => this.#prepare(sql).all(...bind(params)) as T[])
    return this.#serial(() => this.#direct.all<T>(sql, params))
  }

  get<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    if (this.#idle()) return this.#settled(() => this.#prepare(sql).get(...bind(params)) as T | undefined)
    return this.#serial(() => this.#direct.get<T>(sql, params))
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    if (this.#idle()) return this.#settled(() => this.#prepare(sql).run(...bind(params)).changes)
    return this.#serial(() => this.#direct.run(sql, params))
  }

  /** BEGIN IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      this.#now(() => this.raw.exec('BEGIN IMMEDIATE'))
      try {
        const result = await fn(this.#direct)
        this.#now(() => this.raw.exec('COMMIT'))
        return result
      } catch (error) {
        if (this.raw.open && this.raw.inTransaction) this.raw.exec('ROLLBACK')
        throw error
      }
    })
  }

  /**
   * Runs `call`, which uses the raw connection itself (a library's own statements), in the queue:
   * its statements then never land inside a transaction another caller holds open.
   */
  exclusive<T>(call: () => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      try {
        return await call()
      } catch (error) {
        throw mapError(error)
      }
    })
  }

  /** Waits for the queued calls, then closes the connection. */
  async close(): Promise<void> {
    await this.#serial(async () => this.raw.close())
    if (--this.#queue.users <= 0) queues.delete(this.#file)
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const queue = this.#queue
    queue.pending++
    const result = queue.tail.then(task, task)
    queue.tail = result.then(
      () => void queue.pending--,
      () => void queue.pending--,
    )
    return result
  }

  /**
   * Nothing queued and no transaction open: a single statement can run at once. It then skips the
   * queue's promise hops, which were most of a session write's cost beyond SQLite's own in the
   * login callback's profile; the order of calls is the same, since anything queued runs first.
   */
  #idle(): boolean {
    return this.#queue.pending === 0
  }

  #settled<T>(op: () => T): Promise<T> {
    try {
      return Promise.resolve(this.#now(op))
    } catch (error) {
      return Promise.reject(error as Error)
    }
  }

  #now<T>(op: () => T): T {
    try {
      return op()
    } catch (error) {
      throw mapError(error)
    }
  }

  #prepare(sql: string): Statement {
    let statement = this.#statements.get(sql)
    if (!statement) {
      // Dynamic SQL (filters, patches) has few shapes; the bound keeps a bug from growing it forever.
      if (this.#statements.size > 500) this.#statements.clear()
      statement = this.raw.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }
}
