import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.js'
import { TEST_KEYS } from '../fixtures/databases.js'

const options = { encryptionKeys: TEST_KEYS, now: () => Date.now() }
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'RESOLVED',
    (e: { code?: string }) => e.code,
  )

describe('openStore', () => {
  it('creates the parent folders of a new SQLite file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'authdock-open-')), 'a', 'b', 'authdock.db')
    const store = await openStore(`sqlite:${file}`, options)
    expect(store.kind).toBe('sqlite')
    await store.close()
    expect(existsSync(file)).toBe(true)
  })

  it('opens an in-memory SQLite database', async () => {
    const store = await openStore('sqlite::memory:', options)
    await store.sessions.set('s', '{}', new Date(Date.now() + 1000))
    expect(await store.sessions.get('s')).not.toBeNull()
    await store.close()
  })

  it('refuses an unknown scheme, an empty SQLite path and bad keys with CONFIG_INVALID', async () => {
    expect(await codeOf(openStore('mysql://localhost/db', options))).toBe('CONFIG_INVALID')
    expect(await codeOf(openStore('sqlite:', options))).toBe('CONFIG_INVALID')
    expect(await codeOf(openStore('sqlite::memory:', { ...options, encryptionKeys: ['short'] }))).toBe('CONFIG_INVALID')
  })

  it('answers STORE_UNAVAILABLE when PostgreSQL does not answer', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    expect(await codeOf(openStore('postgres://postgres@127.0.0.1:1/none', options))).toBe('STORE_UNAVAILABLE')
  })

  it('answers STORE_UNAVAILABLE when the SQLite file cannot be created', async () => {
    // The "folder" is a file, so neither the folder nor the database can be made.
    const notAFolder = join(mkdtempSync(join(tmpdir(), 'authdock-open-')), 'file')
    writeFileSync(notAFolder, 'x')
    expect(await codeOf(openStore(`sqlite:${notAFolder}/authdock.db`, options))).toBe('STORE_UNAVAILABLE')
  })
})
