/**
 * The small async SQL surface both adapters provide, so the repositories (profiles, tokens, …) are
 * written once. SQL is written with `?` placeholders and the SQL both SQLite (3.35+) and PostgreSQL
 * understand: `INSERT … ON CONFLICT … DO UPDATE`, `RETURNING`. Times are stored as epoch
 * milliseconds in both, so row mapping is the same.
 */
export type Row = Record<string, unknown>

export interface Db {
  readonly dialect: 'sqlite' | 'postgres'
  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>
  get<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>
  /** Runs a statement; resolves to the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>
  /** Runs `fn` in one write transaction; rolls back when it throws. Not re-entrant. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>
}

/** What a unique or foreign-key violation looks like in either database. */
export function constraintKind(error: unknown): 'unique' | 'foreign_key' | null {
  const code = (error as { code?: unknown } | null)?.code
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return 'unique'
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key'
  return null
}
