import { describe, expect, it } from 'vitest'
import { codeOf, deferred, fresh, open, profileInput, type StoreHarness } from './contract-helpers.js'

const LOCK = { timeoutMs: 30_000, waitMs: 10_000 }

export function lockContract(h: StoreHarness): void {
  describe('tokens.withRefreshLock', () => {
    it('passes the current record, writes the returned patch and returns the result', async () => {
      const { store } = await fresh(h)
      const p = await store.profiles.create(profileInput())
      expect(
        await store.tokens.withRefreshLock(p.id, async (current) => ({ patch: null, result: current }), LOCK),
      ).toBeNull()
      await store.tokens.save(p.id, { refreshToken: 'refresh-1' })
      const result = await store.tokens.withRefreshLock(
        p.id,
        async (current) => ({
          patch: { accessToken: `from-${current?.refreshToken}`, failureCount: 0 },
          result: current?.version,
        }),
        LOCK,
      )
      expect(result).toBe(1)
      expect(await store.tokens.get(p.id)).toMatchObject({
        accessToken: 'from-refresh-1',
        refreshToken: 'refresh-1',
        version: 2,
      })
    })

    it('writes nothing and frees the lock when fn throws', async () => {
      const { store } = await fresh(h)
      const p = await store.profiles.create(profileInput())
      await store.tokens.save(p.id, { refreshToken: 'refresh-1' })
      const failure = new Error('provider down')
      await expect(store.tokens.withRefreshLock(p.id, async () => Promise.reject(failure), LOCK)).rejects.toBe(failure)
      expect((await store.tokens.get(p.id))?.version).toBe(1)
      // Free at once: a short wait suffices.
      expect(
        await store.tokens.withRefreshLock(p.id, async () => ({ patch: null, result: 'again' }), {
          timeoutMs: 1000,
          waitMs: 50,
        }),
      ).toBe('again')
    })

    it('makes a second instance wait for the holder and then see what the holder wrote', async () => {
      const { store: a, url, clock } = await fresh(h)
      const b = await open(url, clock)
      const p = await a.profiles.create(profileInput())
      const release = deferred()
      const entered = deferred()
      const holding = a.tokens.withRefreshLock(
        p.id,
        async () => {
          entered.resolve()
          await release.promise
          return { patch: { accessToken: 'refreshed-by-a' }, result: 'a' }
        },
        LOCK,
      )
      await entered.promise
      let bRan = false
      const waiting = b.tokens.withRefreshLock(
        p.id,
        async (current) => {
          bRan = true
          return { patch: null, result: current?.accessToken }
        },
        LOCK,
      )
      // b must still be waiting while a holds the lock (checked after a database round trip of b's).
      await b.ping()
      expect(bRan).toBe(false)
      release.resolve()
      expect(await holding).toBe('a')
      expect(await waiting).toBe('refreshed-by-a')
    })

    it('gives up with LOCK_TIMEOUT when the lock is not free within waitMs', async () => {
      const { store: a, url, clock } = await fresh(h)
      const b = await open(url, clock)
      const p = await a.profiles.create(profileInput())
      const release = deferred()
      const entered = deferred()
      const holding = a.tokens.withRefreshLock(
        p.id,
        async () => (entered.resolve(), await release.promise, { patch: null, result: 1 }),
        LOCK,
      )
      await entered.promise
      const started = performance.now()
      expect(
        await codeOf(
          b.tokens.withRefreshLock(p.id, async () => ({ patch: null, result: 2 }), { timeoutMs: 30_000, waitMs: 200 }),
        ),
      ).toBe('LOCK_TIMEOUT')
      expect(performance.now() - started).toBeGreaterThanOrEqual(150)
      release.resolve()
      await holding
    })

    it('serialises read-modify-write across two instances (no lost update)', async () => {
      const { store: a, url, clock } = await fresh(h)
      const b = await open(url, clock)
      const p = await a.profiles.create(profileInput())
      await a.tokens.save(p.id, { failureCount: 0 })
      const bump = (s: typeof a) =>
        s.tokens.withRefreshLock(
          p.id,
          async (current) => {
            const seen = current?.failureCount ?? 0
            // Yield to the other instance between read and write: without the lock this loses updates.
            await new Promise((r) => setImmediate(r))
            return { patch: { failureCount: seen + 1 }, result: seen }
          },
          LOCK,
        )
      await Promise.all(Array.from({ length: 6 }, (_, i) => bump(i % 2 ? a : b)))
      expect((await a.tokens.get(p.id))?.failureCount).toBe(6)
    })

    it('recovers the lock of a holder that died, and the dead holder cannot write afterwards', async () => {
      const { store: a, url, clock } = await fresh(h)
      const b = await open(url, clock)
      const p = await a.profiles.create(profileInput())
      await a.tokens.save(p.id, { refreshToken: 'refresh-1' })
      const timeoutMs = 5_000
      const entered = deferred()
      const release = deferred()
      const dead = a.tokens.withRefreshLock(
        p.id,
        async () => (
          entered.resolve(),
          await release.promise,
          { patch: { refreshToken: 'written-by-dead-holder' }, result: 'dead' }
        ),
        { timeoutMs, waitMs: 1000 },
      )
      await entered.promise
      await h.killLockHolder(url, clock, timeoutMs)
      const taken = await b.tokens.withRefreshLock(
        p.id,
        async (current) => ({ patch: { refreshToken: 'refresh-2' }, result: current?.refreshToken }),
        LOCK,
      )
      expect(taken).toBe('refresh-1')
      release.resolve()
      expect(await codeOf(dead)).toBe(h.deadHolderError)
      expect((await b.tokens.get(p.id))?.refreshToken).toBe('refresh-2')
    })
  })
}
