/**
 * Attempt counters on rate-limiter-flexible, in the store's own database: its upsert counts and
 * returns the new count in one atomic statement, so parallel attempts on any number of instances
 * never read the same count. The table comes from our migrations (`tableCreated`), and expired rows
 * are pruned by the daily check instead of the library's own 5-minute timer
 * (`clearExpiredByTimeout: false`), which would outlive a closed store.
 */
import { createHash } from 'node:crypto'
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Db } from '../db.js'
import type { AttemptCounter, Store } from '../types.js'

export const ATTEMPTS_TABLE = 'rate_limits'

/** What every limiter of a store shares, whatever the adapter. */
export interface LimiterOptions {
  keyPrefix: string
  points: number
  /** Seconds. */
  duration: number
  tableName: string
  tableCreated: true
  clearExpiredByTimeout: false
}

/** How an adapter builds limiters on its connection and runs their calls. */
export interface AttemptsBackend {
  limiter(options: LimiterOptions): RateLimiterAbstract
  /** Runs one limiter call: serialised with the adapter's other statements, errors mapped. */
  run<T>(call: () => Promise<T>): Promise<T>
}

/** A fixed-length key: user names and addresses of any length take the same room. */
const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest('base64url')

export function attemptsRepo(db: Db, backend: AttemptsBackend): Store['attempts'] {
  return {
    counter(name, { max, windowMs }): AttemptCounter {
      if (!/^[a-z0-9_-]+$/.test(name))
        throw new Error(`attempt counter name must be lower-case letters, digits, - or _: ${name}`)
      const limiter = backend.limiter({
        keyPrefix: name,
        points: max,
        // Whole seconds keep the stored expiry an integer.
        duration: Math.max(1, Math.ceil(windowMs / 1000)),
        tableName: ATTEMPTS_TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
      })
      return {
        async consume(key) {
          const res = await backend.run(() =>
            limiter.consume(digest(key)).catch((over: unknown) => {
              // Over the limit the library rejects with the (already counted) result, not an Error.
              if (over instanceof RateLimiterRes) return over
              throw over
            }),
          )
          return { allowed: res.consumedPoints <= max, count: res.consumedPoints, msBeforeReset: res.msBeforeNext }
        },
        async reward(key) {
          await backend.run(() => limiter.reward(digest(key)))
        },
        async delete(key) {
          await backend.run(() => limiter.delete(digest(key)))
        },
      }
    },
    async pruneExpired() {
      // The library writes expiry times from the system clock, so they are compared with it.
      return db.run(`DELETE FROM ${ATTEMPTS_TABLE} WHERE expire < ?`, [Date.now()])
    },
  }
}
