/**
 * The store behind a dock, for authdock's own tests, benchmarks and tools. It is not part of the
 * public surface (the package's `exports` name only its entries): a host writes through
 * `dock.profiles`, whose service audits, emits events and drops cached tokens; a raw store write
 * would do none of that.
 */
import type { RedisSessionCache } from './http/redis-session-cache.js'
import type { Store } from './store/types.js'

const stores = new WeakMap<object, Store>()

export function keepStore(dock: object, store: Store): void {
  stores.set(dock, store)
}

/** Throws when `dock` did not come from createAuthdock. */
export function storeOf(dock: object): Store {
  const store = stores.get(dock)
  if (!store) throw new Error('storeOf: not an authdock instance from createAuthdock')
  return store
}

const sessionCaches = new WeakMap<object, RedisSessionCache>()

export function keepSessionCache(dock: object, cache: RedisSessionCache | undefined): void {
  if (cache) sessionCaches.set(dock, cache)
}

/** The dock's Redis session cache (redis-session-cache.ts); undefined without one. */
export function sessionCacheOf(dock: object): RedisSessionCache | undefined {
  return sessionCaches.get(dock)
}
