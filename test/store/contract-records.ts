import { describe, expect, it, vi } from 'vitest'
import { Keyring } from '../../src/store/crypto.js'
import { secretContext } from '../../src/store/secrets.js'
import { TEST_KEYS } from '../fixtures/databases.js'
import { Clock, fresh, open, withSchemaVersion, type StoreHarness } from './contract-helpers.js'

const HOUR = 3600_000

export function recordContract(h: StoreHarness): void {
  describe('loginTokens', () => {
    it('stores a login refresh token, rotates its device id and forgets it after expiry', async () => {
      const { store, clock } = await fresh(h)
      const start = clock.t
      await store.loginTokens.put({
        deviceHash: 'dev-1',
        providerId: 'default',
        userId: 'u1',
        refreshToken: 'login-refresh-1',
        expiresAt: new Date(start + HOUR),
      })
      expect(await store.loginTokens.get('dev-1')).toEqual({
        deviceHash: 'dev-1',
        familyId: 'dev-1',
        providerId: 'default',
        userId: 'u1',
        refreshToken: 'login-refresh-1',
        createdAt: new Date(start),
        lastUsedAt: new Date(start),
        expiresAt: new Date(start + HOUR),
      })
      expect(await store.loginTokens.getRotated('dev-1')).toBeNull()
      clock.advance(1000)
      expect(await store.loginTokens.rotate('dev-1', { deviceHash: 'dev-2', refreshToken: 'login-refresh-2' })).toBe(
        true,
      )
      expect(await store.loginTokens.get('dev-1')).toBeNull()
      // Same family, same first login and expiry: rotation does not extend the device's life.
      expect(await store.loginTokens.get('dev-2')).toEqual({
        deviceHash: 'dev-2',
        familyId: 'dev-1',
        providerId: 'default',
        userId: 'u1',
        refreshToken: 'login-refresh-2',
        createdAt: new Date(start),
        lastUsedAt: new Date(clock.t),
        expiresAt: new Date(start + HOUR),
      })
      expect(await store.loginTokens.getRotated('dev-1')).toEqual({
        deviceHash: 'dev-1',
        familyId: 'dev-1',
        providerId: 'default',
        userId: 'u1',
        rotatedAt: new Date(clock.t),
        expiresAt: new Date(start + HOUR),
      })
      expect(await store.loginTokens.getRotated('dev-2')).toBeNull()
      // A replaced id cannot be rotated again, nor can an unknown one.
      expect(await store.loginTokens.rotate('dev-1', { deviceHash: 'dev-x', refreshToken: 'x' })).toBe(false)
      expect(await store.loginTokens.rotate('unknown', { deviceHash: 'dev-y', refreshToken: 'y' })).toBe(false)
      expect(await store.loginTokens.get('dev-x')).toBeNull()
      clock.advance(HOUR)
      expect(await store.loginTokens.get('dev-2')).toBeNull()
      expect(await store.loginTokens.getRotated('dev-1')).toBeNull()
      expect(await store.loginTokens.rotate('dev-2', { deviceHash: 'dev-3', refreshToken: 'z' })).toBe(false)
      // The device and its replaced id.
      expect(await store.loginTokens.pruneExpired()).toBe(2)
      expect(await store.loginTokens.pruneExpired()).toBe(0)
      expect(await store.loginTokens.get('unknown')).toBeNull()
    })

    it('deletes one device, a family, or every device of a user; replaced ids stay recognisable', async () => {
      const { store, clock } = await fresh(h)
      const expiresAt = new Date(clock.t + HOUR)
      for (const [deviceHash, userId] of [
        ['d1', 'u1'],
        ['d2', 'u1'],
        ['d3', 'u2'],
      ]) {
        await store.loginTokens.put({
          deviceHash,
          providerId: 'p',
          userId,
          refreshToken: `rt-${deviceHash}`,
          expiresAt,
        })
      }
      expect(await store.loginTokens.rotate('d1', { deviceHash: 'd1b', refreshToken: 'rt-d1b' })).toBe(true)
      expect(await store.loginTokens.deleteFamily('d1')).toBe(1)
      expect(await store.loginTokens.get('d1b')).toBeNull()
      expect(await store.loginTokens.deleteFamily('d1')).toBe(0)
      expect(await store.loginTokens.getRotated('d1')).toMatchObject({ familyId: 'd1', userId: 'u1' })
      await store.loginTokens.delete('d3')
      expect(await store.loginTokens.get('d3')).toBeNull()
      expect(await store.loginTokens.deleteForUser('u1')).toBe(1)
      expect(await store.loginTokens.get('d2')).toBeNull()
      expect(await store.loginTokens.deleteForUser('u1')).toBe(0)
    })

    it('lets exactly one of two instances rotate the same device id', async () => {
      const { store, url, clock } = await fresh(h)
      const other = await open(url, clock)
      await store.loginTokens.put({
        deviceHash: 'shared',
        providerId: 'p',
        userId: 'u1',
        refreshToken: 'rt',
        expiresAt: new Date(clock.t + HOUR),
      })
      for (let round = 0; round < 5; round++) {
        const current = round === 0 ? 'shared' : `winner-${round - 1}`
        const results = await Promise.all([
          store.loginTokens.rotate(current, { deviceHash: `a-${round}`, refreshToken: `rt-a-${round}` }),
          other.loginTokens.rotate(current, { deviceHash: `b-${round}`, refreshToken: `rt-b-${round}` }),
        ])
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = results[0] ? `a-${round}` : `b-${round}`
        const loser = results[0] ? `b-${round}` : `a-${round}`
        expect(await store.loginTokens.get(winner)).toMatchObject({ familyId: 'shared', refreshToken: `rt-${winner}` })
        expect(await store.loginTokens.get(loser)).toBeNull()
        expect(await store.loginTokens.getRotated(current)).toMatchObject({ familyId: 'shared' })
        // Next round starts from the winner, under a name both know.
        expect(
          await store.loginTokens.rotate(winner, { deviceHash: `winner-${round}`, refreshToken: `rt-w-${round}` }),
        ).toBe(true)
      }
    })

    it('migrates devices remembered before families existed: each is a family of its own', async () => {
      const clock = new Clock()
      const url = await h.newDatabase()
      await withSchemaVersion(url, 1, clock, async (db) => {
        const sealed = new Keyring(TEST_KEYS).encrypt(
          'old-refresh',
          secretContext('login_tokens', 'refresh_token', 'old-device'),
        )
        await db.run(
          'INSERT INTO login_tokens (device_hash, provider_id, user_id, refresh_token, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          ['old-device', 'p', 'u1', sealed, clock.t, clock.t, clock.t + HOUR],
        )
      })
      const store = await open(url, clock)
      expect(await store.loginTokens.get('old-device')).toMatchObject({
        familyId: 'old-device',
        refreshToken: 'old-refresh',
        userId: 'u1',
      })
      expect(
        await store.loginTokens.rotate('old-device', { deviceHash: 'new-device', refreshToken: 'new-refresh' }),
      ).toBe(true)
      expect(await store.loginTokens.getRotated('old-device')).toMatchObject({ familyId: 'old-device' })
      expect(await store.loginTokens.get('new-device')).toMatchObject({
        familyId: 'old-device',
        refreshToken: 'new-refresh',
      })
    })
  })

  describe('sessions', () => {
    it('stores, expires (moved clock), prunes and destroys sessions', async () => {
      const { store, clock } = await fresh(h)
      await store.sessions.set('s1', '{"a":1}', new Date(clock.t + 5000))
      await store.sessions.set('s2', '{"b":2}', new Date(clock.t + 1000))
      expect(await store.sessions.get('s1')).toEqual({ data: '{"a":1}', expiresAt: new Date(clock.t + 5000) })
      clock.advance(1000)
      expect(await store.sessions.get('s2')).toBeNull()
      expect(await store.sessions.get('s1')).toMatchObject({ data: '{"a":1}' })
      expect(await store.sessions.pruneExpired()).toBe(1)
      await store.sessions.destroy('s1')
      expect(await store.sessions.get('s1')).toBeNull()
    })

    it('keeps the expiry of a session when a change is saved (absolute lifetime)', async () => {
      const { store, clock } = await fresh(h)
      await store.sessions.set('s1', '{"a":1}', new Date(clock.t + 1000))
      await store.sessions.set('s1', '{"a":2}', new Date(clock.t + 9000))
      expect(await store.sessions.get('s1')).toEqual({ data: '{"a":2}', expiresAt: new Date(clock.t + 1000) })
      clock.advance(1000)
      expect(await store.sessions.get('s1')).toBeNull()
    })
  })

  describe('audit', () => {
    it('lists newest first, filtered by profile and kind, paged by id', async () => {
      const { store, clock } = await fresh(h)
      await store.audit.add({ kind: 'profile.created', actor: 'alice', profileId: 'p1', details: { name: 'a' } })
      clock.advance(1000)
      await store.audit.add({ kind: 'profile.updated', actor: 'bob', profileId: 'p1' })
      await store.audit.add({ kind: 'login.failed', actor: null, details: { reason: 'x' } })
      const all = await store.audit.list()
      expect(all.map((e) => e.kind)).toEqual(['login.failed', 'profile.updated', 'profile.created'])
      expect(all[2]).toMatchObject({
        actor: 'alice',
        profileId: 'p1',
        details: { name: 'a' },
        at: new Date(clock.t - 1000),
      })
      expect(all[0]).toMatchObject({ actor: null, profileId: null, details: { reason: 'x' } })
      expect(all[1].details).toEqual({})
      expect((await store.audit.list({ profileId: 'p1' })).map((e) => e.kind)).toEqual([
        'profile.updated',
        'profile.created',
      ])
      expect((await store.audit.list({ kind: 'profile.created' })).map((e) => e.actor)).toEqual(['alice'])
      expect(await store.audit.list({ profileId: 'p1', kind: 'login.failed' })).toEqual([])
      expect((await store.audit.list({ beforeId: all[0].id, limit: 1 })).map((e) => e.kind)).toEqual([
        'profile.updated',
      ])
      expect(await store.audit.pruneOlderThan(new Date(clock.t))).toBe(1)
      expect((await store.audit.list()).length).toBe(2)
    })

    it('returns 100 entries by default and at most 1000', async () => {
      const { store } = await fresh(h)
      for (let i = 0; i < 1005; i++) await store.audit.add({ kind: 'k', actor: null, details: { i } })
      expect((await store.audit.list()).length).toBe(100)
      expect((await store.audit.list({ limit: 5000 })).length).toBe(1000)
      expect((await store.audit.list({ limit: 0 })).length).toBe(1)
      expect((await store.audit.list())[0].details).toEqual({ i: 1004 })
    })
  })

  describe('leases', () => {
    it('gives a lease to one holder, renews it for that holder, hands it over after expiry or release', async () => {
      const { store, clock } = await fresh(h)
      expect(await store.leases.acquire('daily', 'a', 1000)).toBe(true)
      expect(await store.leases.acquire('daily', 'b', 1000)).toBe(false)
      clock.advance(900)
      expect(await store.leases.acquire('daily', 'a', 1000)).toBe(true)
      clock.advance(900)
      expect(await store.leases.acquire('daily', 'b', 1000)).toBe(false)
      clock.advance(100)
      expect(await store.leases.acquire('daily', 'b', 1000)).toBe(true)
      await store.leases.release('daily', 'a')
      expect(await store.leases.acquire('daily', 'a', 1000)).toBe(false)
      await store.leases.release('daily', 'b')
      expect(await store.leases.acquire('daily', 'a', 1000)).toBe(true)
      expect(await store.leases.acquire('other', 'b', 1000)).toBe(true)
    })
  })

  describe('attempts', () => {
    it('counts parallel attempts atomically: exactly max of them are allowed', async () => {
      const { store } = await fresh(h)
      const counter = store.attempts.counter('login', { max: 5, windowMs: 60_000 })
      const counts = await Promise.all(Array.from({ length: 40 }, () => counter.consume('alice')))
      expect(counts.filter((c) => c.allowed)).toHaveLength(5)
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
      expect(counts.every((c) => c.allowed === c.count <= 5)).toBe(true)
      expect(counts[0].msBeforeReset).toBeGreaterThan(50_000)
    })

    it('keeps keys and counters apart, gives attempts back and forgets a key', async () => {
      const { store } = await fresh(h)
      const login = store.attempts.counter('login', { max: 2, windowMs: 60_000 })
      const other = store.attempts.counter('other', { max: 2, windowMs: 60_000 })
      expect(await login.consume('alice')).toMatchObject({ allowed: true, count: 1 })
      expect(await login.consume('alice')).toMatchObject({ allowed: true, count: 2 })
      expect(await login.consume('alice')).toMatchObject({ allowed: false, count: 3 })
      expect(await login.consume('bob')).toMatchObject({ allowed: true, count: 1 })
      expect(await other.consume('alice')).toMatchObject({ allowed: true, count: 1 })
      await login.reward('alice')
      await login.reward('alice')
      expect(await login.consume('alice')).toMatchObject({ allowed: true, count: 2 })
      await login.delete('alice')
      expect(await login.consume('alice')).toMatchObject({ allowed: true, count: 1 })
      // Keys of any length fit (they are stored as a digest).
      expect(await login.consume('x'.repeat(100_000))).toMatchObject({ allowed: true, count: 1 })
    })

    it('starts a new window after windowMs and prunes ended windows', async () => {
      const { store } = await fresh(h)
      const counter = store.attempts.counter('login', { max: 1, windowMs: 60_000 })
      await counter.consume('alice')
      expect((await counter.consume('alice')).allowed).toBe(false)
      // The counters run on the system clock (the library reads Date.now()).
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 })
      try {
        expect(await store.attempts.pruneExpired()).toBe(1)
        expect(await counter.consume('alice')).toMatchObject({ allowed: true, count: 1 })
        expect(await store.attempts.pruneExpired()).toBe(0)
      } finally {
        vi.useRealTimers()
      }
    })

    it('shares one table between stores opened at once on a fresh database', async () => {
      const url = await h.newDatabase()
      const clock = new Clock()
      const stores = await Promise.all([open(url, clock), open(url, clock), open(url, clock)])
      const counts = await Promise.all(
        stores.map((s) => s.attempts.counter('login', { max: 5, windowMs: 60_000 }).consume('alice')),
      )
      expect(counts.map((c) => c.count).sort()).toEqual([1, 2, 3])
    })

    it('runs no timer of its own, so nothing outlives a closed store', async () => {
      const url = await h.newDatabase()
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
      try {
        const store = await open(url, new Clock())
        await store.ping()
        const before = vi.getTimerCount()
        const counter = store.attempts.counter('login', { max: 5, windowMs: 60_000 })
        await counter.consume('alice')
        await counter.reward('alice')
        expect(vi.getTimerCount()).toBe(before)
        await store.close()
      } finally {
        vi.useRealTimers()
      }
    })
  })
}
