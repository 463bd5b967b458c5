/**
 * Versioned migrations: each version runs once, recorded in `schema_migrations`, all pending versions
 * in one transaction (a failed migration leaves the schema as it was).
 */
import type { Db } from '../db.js'

export interface Migration {
  version: number
  name: string
  statements: string[]
}

/**
 * Apply the pending migrations. `lockStatement` runs first inside the transaction: PostgreSQL passes
 * an advisory transaction lock so that instances starting together apply each migration once
 * (SQLite's BEGIN IMMEDIATE already serialises writers).
 */
export async function runMigrations(
  db: Db,
  migrations: readonly Migration[],
  now: () => number,
  lockStatement?: string,
): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (lockStatement) await tx.get(lockStatement)
    await tx.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ${
        db.dialect === 'postgres' ? 'BIGINT' : 'INTEGER'
      } NOT NULL)`,
    )
    const done = new Set(
      (await tx.all<{ version: unknown }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)),
    )
    const applied: number[] = []
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue
      for (const statement of m.statements) await tx.run(statement)
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        now(),
      ])
      applied.push(m.version)
    }
    return applied
  })
}

/**
 * Apply the pending migrations to a database just opened; when they fail, close it again (so no
 * connection or file handle outlives the failed open) and rethrow.
 */
export async function migrateOrClose(
  db: Db,
  migrations: readonly Migration[],
  options: { now: () => number; close: () => Promise<unknown>; lockStatement?: string },
): Promise<void> {
  try {
    await runMigrations(db, migrations, options.now, options.lockStatement)
  } catch (error) {
    await options.close()
    throw error
  }
}
