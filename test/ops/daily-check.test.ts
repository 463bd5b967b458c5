import { afterEach, describe, expect, it, vi } from 'vitest'
import { startOperations, msUntilNextUtcDay, type Operations } from '../../src/ops/scheduler.js'
import { createOperations } from '../../src/ops/index.js'
import { createPostgresDatabase, sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { DAY, fixedClock, opsContext, profileInput, type OpsContext } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function instance(
  database: string,
  clock = fixedClock(),
  options: Parameters<typeof opsContext>[2] = {},
): Promise<{ ops: OpsContext; daily: Operations }> {
  const ops = await opsContext(database, TEST_KEYS, options, clock)
  const daily = startOperations(ops.ctx, { runAtStart: false })
  cleanups.push(async () => {
    await daily.stop()
    await ops.close()
  })
  return { ops, daily }
}

describe('the daily check runs once a day across instances', () => {
  it('two instances sharing a fresh PostgreSQL database: of two concurrent runs exactly one runs', async (t) => {
    const db = await createPostgresDatabase()
    if (!db) return t.skip('PostgreSQL is not running on this machine')
    cleanups.push(db.drop)
    const clock = fixedClock()
    const a = await instance(db.url, clock)
    const b = await instance(db.url, clock)
    await a.ops.store.profiles.create(
      profileInput({ name: 'Soon', secretExpiresAt: new Date(clock.now() + 10.5 * DAY) }),
    )
    const events: unknown[] = []
    a.ops.ctx.events.on('secret.expiring', (e) => events.push(e))
    b.ops.ctx.events.on('secret.expiring', (e) => events.push(e))

    const results = await Promise.all([a.daily.runDailyCheck(), b.daily.runDailyCheck()])
    expect(results.filter((r) => r.ran)).toHaveLength(1)
    expect(results.find((r) => r.ran)!.findings).toMatchObject([
      { kind: 'profile', name: 'Soon', daysLeft: 10, level: 'warning' },
    ])
    expect(events).toHaveLength(1)

    // Later the same day neither runs again, however often asked.
    clock.advance(Math.min(60 * 60_000, msUntilNextUtcDay(clock.now()) - 1000))
    const again = await Promise.all([a.daily.runDailyCheck(), b.daily.runDailyCheck(), a.daily.runDailyCheck()])
    expect(again.map((r) => r.ran)).toEqual([false, false, false])

    // The next day: once again, on whichever instance asks first.
    clock.advance(DAY)
    const nextDay = await Promise.all([b.daily.runDailyCheck(), a.daily.runDailyCheck()])
    expect(nextDay.filter((r) => r.ran)).toHaveLength(1)
    expect(events).toHaveLength(2)
    const audit = await a.ops.store.audit.list({ kind: 'secret.expiry' })
    expect(audit).toHaveLength(2)
  })

  it('an instance restarted the same day (new instance id) does not run it again', async () => {
    const url = await sqliteUrl()
    const clock = fixedClock()
    const first = await instance(url, clock)
    expect((await first.daily.runDailyCheck()).ran).toBe(true)
    const restarted = await instance(url, clock)
    expect((await restarted.daily.runDailyCheck()).ran).toBe(false)
  })

  it('prunes audit entries older than audit.retentionDays', async () => {
    const url = await sqliteUrl()
    const clock = fixedClock()
    const { ops, daily } = await instance(url, clock, { audit: { retentionDays: 30 } })
    await ops.store.audit.add({ kind: 'profile.updated', actor: 'old-admin', details: {} })
    clock.advance(31 * DAY)
    await ops.store.audit.add({ kind: 'profile.updated', actor: 'recent-admin', details: {} })
    const result = await daily.runDailyCheck()
    expect(result).toMatchObject({ ran: true, pruned: 1 })
    expect((await ops.store.audit.list()).map((e) => e.actor)).toEqual(['recent-admin'])
  })

  it('prunes login attempt counters whose window has ended', async () => {
    const url = await sqliteUrl()
    const { ops, daily } = await instance(url)
    const counter = ops.store.attempts.counter('login', { max: 5, windowMs: 60_000 })
    await counter.consume('ended')
    // The counters run on the system clock (the library reads Date.now()).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 })
    try {
      await counter.consume('current')
      expect((await daily.runDailyCheck()).ran).toBe(true)
      expect(await ops.store.attempts.pruneExpired()).toBe(0)
      expect(await counter.consume('current')).toMatchObject({ count: 2 })
    } finally {
      vi.useRealTimers()
    }
  })

  it('prunes expired login devices and replaced device ids', async () => {
    const url = await sqliteUrl()
    const clock = fixedClock()
    const { ops, daily } = await instance(url, clock)
    const devices = ops.store.loginTokens
    await devices.put({
      deviceHash: 'short',
      providerId: 'p',
      userId: 'u1',
      refreshToken: 'rt-short',
      expiresAt: new Date(clock.now() + DAY),
    })
    await devices.put({
      deviceHash: 'long',
      providerId: 'p',
      userId: 'u2',
      refreshToken: 'rt-long',
      expiresAt: new Date(clock.now() + 10 * DAY),
    })
    expect(await devices.rotate('short', { deviceHash: 'short-2', refreshToken: 'rt-short-2' })).toBe(true)
    clock.advance(2 * DAY)
    const result = await daily.runDailyCheck()
    // The short-lived device and its replaced id; the other device stays.
    expect(result).toMatchObject({ ran: true, prunedDevices: 2 })
    expect(await devices.pruneExpired()).toBe(0)
    expect(await devices.get('long')).toMatchObject({ userId: 'u2' })
    expect(ops.logger.lines.map((l) => l.msg)).toContain('authdock: pruned expired login devices')
  })

  it('gives the day back when the check fails, so the next attempt retries', async () => {
    const url = await sqliteUrl()
    const clock = fixedClock()
    const { ops, daily } = await instance(url, clock)
    const original = ops.store.audit.pruneOlderThan
    ops.store.audit.pruneOlderThan = async () => {
      throw new Error('disk full')
    }
    await expect(daily.runDailyCheck()).rejects.toThrow('disk full')
    ops.store.audit.pruneOlderThan = original
    const other = await instance(url, clock)
    expect((await other.daily.runDailyCheck()).ran).toBe(true)
  })

  it('runs at start and then on its interval, on a timer that does not keep the process alive', async () => {
    const ops = await opsContext(await sqliteUrl(), TEST_KEYS)
    cleanups.push(() => ops.close())
    await ops.store.profiles.create(
      profileInput({ name: 'Soon', secretExpiresAt: new Date(ops.clock.now() + 100.5 * DAY) }),
    )
    // Every run finds the secret (one event); each run moves the clock to the next day so the
    // following tick may run again.
    const days: number[] = []
    const twoRuns = new Promise<void>((resolve) => {
      ops.ctx.events.on('secret.expiring', (f: { daysLeft: number }) => {
        days.push(f.daysLeft)
        ops.clock.advance(DAY)
        if (days.length === 2) resolve()
      })
    })
    ops.clock.advance(11 * DAY)
    const daily = startOperations(ops.ctx, { intervalMs: 10 })
    cleanups.push(() => daily.stop())
    await twoRuns
    expect(days.slice(0, 2)).toEqual([89, 88])
  })

  it('createOperations checks at start, and close() waits for that check before the store closes', async () => {
    const ops = await opsContext(await sqliteUrl(), TEST_KEYS)
    await ops.store.profiles.create(
      profileInput({ name: 'Soon', secretExpiresAt: new Date(ops.clock.now() + 3.5 * DAY) }),
    )
    const found = new Promise((resolve) => ops.ctx.events.once('secret.expiring', resolve))
    const module = await createOperations(ops.ctx)
    expect(await found).toMatchObject({ name: 'Soon', daysLeft: 3, level: 'error' })
    await module.close()
    await ops.close()
    expect(ops.logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'authdock: a client secret expires soon',
    ])
  })
})
