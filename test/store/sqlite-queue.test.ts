import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { SqliteDb } from '../../src/store/sqlite-db.js'

describe('SQLite queue: one connection, transactions and single statements', () => {
  let db: SqliteDb
  const open = () => {
    db = new SqliteDb(new Database(':memory:'), ':memory:')
    db.raw.exec('CREATE TABLE t (v TEXT NOT NULL)')
    return db
  }
  const values = () => (db.raw.prepare('SELECT v FROM t ORDER BY rowid').all() as Array<{ v: string }>).map((r) => r.v)
  afterEach(() => db?.close())

  it('applies a statement on an idle database before the call returns', async () => {
    open()
    const written = db.run('INSERT INTO t (v) VALUES (?)', ['now'])
    expect(values()).toEqual(['now'])
    expect(await written).toBe(1)
  })

  it('keeps a statement issued while a transaction awaits out of it, and runs it after the commit or rollback', async () => {
    open()
    let inside!: () => void
    const waiting = new Promise<void>((resolve) => (inside = resolve))
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const tx = db.transaction(async (t) => {
      await t.run('INSERT INTO t (v) VALUES (?)', ['rolled back'])
      inside()
      await held
      throw new Error('roll back')
    })
    await waiting
    const outside = db.run('INSERT INTO t (v) VALUES (?)', ['outside'])
    // Not applied while the transaction is open …
    expect(values()).toEqual(['rolled back'])
    release()
    await expect(tx).rejects.toThrow('roll back')
    await outside
    // … and not rolled back with it.
    expect(values()).toEqual(['outside'])
  })

  it('keeps the order of calls: one issued behind a queued call runs after it', async () => {
    open()
    const tx = db.transaction(async (t) => {
      await t.run('INSERT INTO t (v) VALUES (?)', ['first'])
    })
    const second = db.run('INSERT INTO t (v) VALUES (?)', ['second'])
    await Promise.all([tx, second])
    expect(values()).toEqual(['first', 'second'])
    // Idle again: the next one runs at once.
    void db.run('INSERT INTO t (v) VALUES (?)', ['third'])
    expect(values()).toEqual(['first', 'second', 'third'])
  })

  it('reports a failing statement as a rejected promise, not a throw', async () => {
    open()
    const failing = db.get('SELECT * FROM missing')
    await expect(failing).rejects.toThrow(/no such table/)
  })
})
