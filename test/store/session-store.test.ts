import express from 'express'
import session from 'express-session'
import request from 'supertest'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openStore } from '../../src/store/index.js'
import { StoreSessionStore } from '../../src/store/session-store.js'
import type { Store } from '../../src/store/types.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A fresh "process": its own store connection, session store and app, on the same database. */
async function startApp(database: string, clock: { now: number }, maxAge = 60_000) {
  const store: Store = await openStore(database, { encryptionKeys: TEST_KEYS, now: () => clock.now })
  const sessions = new StoreSessionStore(store, { now: () => clock.now })
  cleanups.push(async () => {
    sessions.close()
    await store.close()
  })
  const app = express()
  app.use(
    session({ secret: 'test-secret', store: sessions, resave: false, saveUninitialized: false, cookie: { maxAge } }),
  )
  app.post('/count', (req, res) => {
    const s = req.session as unknown as { count?: number }
    s.count = (s.count ?? 0) + 1
    res.json({ count: s.count })
  })
  app.get('/count', (req, res) => res.json({ count: (req.session as unknown as { count?: number }).count ?? null }))
  app.post('/logout', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.json({ ok: true }))))
  return { app, store, sessions }
}

const cookieOf = (res: request.Response) => String(res.headers['set-cookie']).split(';')[0]

describe('StoreSessionStore with express-session', () => {
  it('keeps a session across a restart (new app, same SQLite file)', async () => {
    const database = sqliteUrl()
    const clock = { now: Date.now() }
    const first = await startApp(database, clock)
    const created = await request(first.app).post('/count').expect(200)
    const cookie = cookieOf(created)
    await request(first.app).post('/count').set('Cookie', cookie).expect(200, { count: 2 })
    await first.store.close()

    const second = await startApp(database, clock)
    await request(second.app).get('/count').set('Cookie', cookie).expect(200, { count: 2 })
  })

  it('ends a session its cookie lifetime after it was created, however often it is used and changed (injected clock)', async () => {
    const clock = { now: Date.now() }
    const { app, sessions, store } = await startApp(sqliteUrl(), clock, 60_000)
    const created = await request(app).post('/count').expect(200)
    const cookie = cookieOf(created)
    clock.now += 30_000
    await request(app).get('/count').set('Cookie', cookie).expect(200, { count: 1 })
    clock.now += 29_000
    // A change is saved, and its cookie keeps the expiry of the first one.
    const changed = await request(app).post('/count').set('Cookie', cookie).expect(200, { count: 2 })
    expect(String(changed.headers['set-cookie'])).toContain(
      String(created.headers['set-cookie'])
        .split('; ')
        .find((a) => a.startsWith('Expires=')),
    )
    clock.now += 2_000
    await request(app).get('/count').set('Cookie', cookie).expect(200, { count: null })
    expect(await sessions.prune()).toBe(1)
    expect(await store.sessions.pruneExpired()).toBe(0)
  })

  it('has no touch: express-session writes only changed sessions', async () => {
    const { app, store } = await startApp(sqliteUrl(), { now: Date.now() })
    const cookie = cookieOf(await request(app).post('/count').expect(200))
    const set = vi.spyOn(store.sessions, 'set')
    for (let i = 0; i < 3; i++) await request(app).get('/count').set('Cookie', cookie).expect(200, { count: 1 })
    expect(set).not.toHaveBeenCalled()
    expect(new StoreSessionStore(store, { now: Date.now, pruneIntervalMs: 0 }).touch).toBeUndefined()
  })

  it('answers a session the cache holds at once, and one it does not hold through the store', async () => {
    const store = await openStore(sqliteUrl(), { encryptionKeys: TEST_KEYS, now: Date.now })
    cleanups.push(() => store.close())
    const sessions = new StoreSessionStore(store, { now: Date.now, pruneIntervalMs: 0 })
    const data = { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) }, n: 1 }
    await new Promise<void>((resolve, reject) =>
      sessions.set('held', data as never, (err) => (err ? reject(err) : resolve())),
    )
    // The first read of a connection reads the store (the cache starts once the data version is known).
    await new Promise((resolve) => sessions.get('held', resolve))
    let answered: unknown = 'not yet'
    sessions.get('held', (err, value) => (answered = err ?? value))
    // Called back before get returned: no promise round for a held session.
    expect(answered).toMatchObject({ n: 1 })
    const unknown = vi.fn()
    sessions.get('unknown', unknown)
    expect(unknown).not.toHaveBeenCalled()
    await expect.poll(() => unknown.mock.calls.length).toBe(1)
    expect(unknown).toHaveBeenCalledWith(undefined, null)
  })

  it('destroys the session on logout', async () => {
    const { app } = await startApp(sqliteUrl(), { now: Date.now() })
    const cookie = cookieOf(await request(app).post('/count').expect(200))
    await request(app).post('/logout').set('Cookie', cookie).expect(200)
    await request(app).get('/count').set('Cookie', cookie).expect(200, { count: null })
  })

  it('prunes on its timer without keeping the process alive, and close() stops the timer', async () => {
    const clock = { now: Date.now() }
    const store = await openStore(sqliteUrl(), { encryptionKeys: TEST_KEYS, now: () => clock.now })
    cleanups.push(() => store.close())
    await store.sessions.set('old', '{}', new Date(clock.now - 1))
    const sessions = new StoreSessionStore(store, { now: () => clock.now, pruneIntervalMs: 10 })
    await expect
      .poll(async () => (await store.sessions.pruneExpired()) === 0 && (await store.sessions.get('old')) === null)
      .toBe(true)
    sessions.close()
  })
})
