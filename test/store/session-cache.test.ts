/**
 * SQLite sessions are served from memory while no other connection has written to the file: a
 * session changed or destroyed through another connection (another process, another instance) is
 * seen from the next event-loop turn on, this connection's own writes at once, and a read that
 * raced a write never brings the older content back.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.js'
import type { Store } from '../../src/store/types.js'
import { TEST_KEYS } from '../fixtures/databases.js'

const options = { encryptionKeys: TEST_KEYS, now: () => Date.now() }
const later = () => new Date(Date.now() + 3_600_000)
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))
const dataOf = async (store: Store, sid: string) => (await store.sessions.get(sid))?.data ?? null

const opened: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (opened.length) await opened.pop()!()
})

/** Two connections to one new SQLite file, as two processes (or two instances) would have. */
async function twoConnections(): Promise<[Store, Store]> {
  const dir = mkdtempSync(join(tmpdir(), 'authdock-session-cache-'))
  opened.push(() => rmSync(dir, { recursive: true, force: true }))
  const url = `sqlite:${join(dir, 'authdock.db')}`
  const a = await openStore(url, options)
  opened.push(() => a.close())
  const b = await openStore(url, options)
  opened.push(() => b.close())
  return [a, b]
}

describe('SQLite sessions read through the in-memory cache', () => {
  it("sees another connection's change and destroy from the next turn on", async () => {
    const [a, b] = await twoConnections()
    await a.sessions.set('s1', '{"v":1}', later())
    expect(await dataOf(b, 's1')).toBe('{"v":1}')
    expect(await dataOf(b, 's1')).toBe('{"v":1}')

    await a.sessions.set('s1', '{"v":2}', later())
    await nextTurn()
    expect(await dataOf(b, 's1')).toBe('{"v":2}')

    await a.sessions.destroy('s1')
    await nextTurn()
    expect(await dataOf(b, 's1')).toBeNull()
  })

  it("sees this connection's own writes at once", async () => {
    const [, b] = await twoConnections()
    await b.sessions.set('s2', '{"v":1}', later())
    expect(await dataOf(b, 's2')).toBe('{"v":1}')
    await b.sessions.set('s2', '{"v":2}', later())
    expect(await dataOf(b, 's2')).toBe('{"v":2}')
    await b.sessions.destroy('s2')
    expect(await dataOf(b, 's2')).toBeNull()
  })

  it('holds a session for an answer at once only while it is known to be current', async () => {
    const [a, b] = await twoConnections()
    expect(b.sessions.held?.('s5')).toBeUndefined()
    await b.sessions.set('s5', '{"v":1}', later())
    expect(b.sessions.held?.('s5')?.data).toBe('{"v":1}')
    // Another connection commits: from the next turn on nothing is held until read again.
    await a.sessions.set('s5', '{"v":2}', later())
    await nextTurn()
    expect(b.sessions.held?.('s5')).toBeUndefined()
    expect(await dataOf(b, 's5')).toBe('{"v":2}')
    expect(b.sessions.held?.('s5')?.data).toBe('{"v":2}')
    await b.sessions.destroy('s5')
    expect(b.sessions.held?.('s5')).toBeUndefined()
  })

  it('does not keep what a read saw when a write was issued while it ran', async () => {
    const [a, b] = await twoConnections()
    await a.sessions.set('s3', '{"v":1}', later())
    await nextTurn()
    const read = b.sessions.get('s3')
    const write = b.sessions.set('s3', '{"v":2}', later())
    expect((await read)?.data).toBe('{"v":1}')
    await write
    expect(await dataOf(b, 's3')).toBe('{"v":2}')
  })

  it('treats a cached session as gone once it expires', async () => {
    let now = Date.now()
    const dir = mkdtempSync(join(tmpdir(), 'authdock-session-cache-'))
    opened.push(() => rmSync(dir, { recursive: true, force: true }))
    const store = await openStore(`sqlite:${join(dir, 'authdock.db')}`, { ...options, now: () => now })
    opened.push(() => store.close())
    await store.sessions.set('s4', '{}', new Date(now + 1_000))
    expect(await dataOf(store, 's4')).toBe('{}')
    now += 1_000
    expect(await dataOf(store, 's4')).toBeNull()
  })
})
