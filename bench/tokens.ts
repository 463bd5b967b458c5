/**
 * Token provider benchmark: cached getAccessToken calls per second next to a plain Map lookup with
 * an expiry check (both through async/await, measured in the same run, since absolute numbers
 * swing here), and refresh requests per burst of concurrent callers on an expired token at a real
 * oidc-provider. Run: `npx tsx bench/tokens.ts` (not part of npm test).
 */
import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveConfig } from '../src/config.js'
import type { DockContext } from '../src/context.js'
import { openStore } from '../src/store/index.js'
import { createTokenProvider } from '../src/tokens/index.js'
import { authorize, profileInput, startMailOp } from '../test/tokens/helpers.js'
import { tokenSetToPatch } from '../src/oauth/client.js'

const CALLS = 500_000
const BURST = 1_000
const BURSTS = 5

async function perSecond(calls: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10_000; i++) await fn() // warm up
  const start = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) await fn()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return calls / seconds
}

const dir = mkdtempSync(join(tmpdir(), 'authdock-bench-'))
const op = await startMailOp({ accessTokenTtlSec: 3600 })
const config = resolveConfig({
  baseUrl: 'http://127.0.0.1:3000',
  database: `sqlite:${join(dir, 'bench.db')}`,
  encryptionKey: Buffer.alloc(32, 7).toString('base64'),
  session: { secret: 'bench-session-secret-0123456789' },
  users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
})
const store = await openStore(config.database, { encryptionKeys: config.encryptionKey, now: Date.now })
const ctx: DockContext = { config, store, now: Date.now, fetch: globalThis.fetch, logger: config.logger, events: new EventEmitter(), views: undefined as never }
try {
  const profile = await store.profiles.create(profileInput(op))
  await store.tokens.save(profile.id, tokenSetToPatch(await authorize(op), Date.now(), 600))
  const tokens = createTokenProvider(ctx)

  // 1. cached calls vs a Map lookup with an expiry check
  const map = new Map([[profile.id, { token: 'x', expiresAt: Date.now() + 3600_000 }]])
  const mapLookup = async () => {
    const e = map.get(profile.id)
    return e && e.expiresAt - 120_000 > Date.now() ? e.token : undefined
  }
  await tokens.getAccessToken(profile.id)
  // Alternate the two over several rounds and take the medians: the JIT favours whatever runs later.
  const mapRates: number[] = []
  const cachedRates: number[] = []
  for (let round = 0; round < 5; round++) {
    mapRates.push(await perSecond(CALLS, mapLookup))
    cachedRates.push(await perSecond(CALLS, () => tokens.getAccessToken(profile.id)))
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const mapRate = median(mapRates)
  const cachedRate = median(cachedRates)
  console.log(`Map lookup + expiry check:  ${Math.round(mapRate).toLocaleString('en')} calls/s (median of 5)`)
  console.log(`cached getAccessToken:      ${Math.round(cachedRate).toLocaleString('en')} calls/s (median of 5)`)
  console.log(`ratio cached/Map:           ${(cachedRate / mapRate).toFixed(2)}`)

  // 2. refresh requests per burst of concurrent callers on an expired token
  const perBurst: number[] = []
  for (let i = 0; i < BURSTS; i++) {
    await store.tokens.save(profile.id, { accessTokenExpiresAt: new Date(Date.now() - 1000) })
    tokens.invalidate(profile.id)
    op.resetCounters()
    const start = process.hrtime.bigint()
    await Promise.all(Array.from({ length: BURST }, () => tokens.getAccessToken(profile.id)))
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    perBurst.push(op.grants.refresh_token ?? 0)
    console.log(`burst ${i + 1}: ${BURST} concurrent callers on an expired token → ${op.grants.refresh_token ?? 0} refresh request(s), ${ms.toFixed(1)} ms`)
  }
  console.log(`refresh requests per burst: ${perBurst.join(', ')} (expected 1 each)`)
  await tokens.close()
} finally {
  await store.close()
  await op.close()
  rmSync(dir, { recursive: true, force: true })
}
