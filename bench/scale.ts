/**
 * Scale benchmark: how the admin and the token cache behave for a large ticket system. At 100,
 * 1,000 and 5,000 profiles (and 20 audit entries per profile: 100,000 at 5,000), seeded straight
 * into a SQLite store, it measures in one run:
 *  - the median time of the overview page, a search on it, the JSON list, the audit page and the
 *    readiness report, over real HTTP to the app in this process;
 *  - the memory while the profile and the audit CSV exports stream to a client that reads and
 *    drops them, above the idle figure after a GC: the live heap (what the export holds, by a full
 *    collection every 25 ms), and the peaks of RSS and of the heap with its garbage (every 2 ms);
 *  - cached getAccessToken calls per second over all N profiles next to an async Map lookup of N
 *    entries, and the heap each cached profile costs.
 * Run: `npm run bench -- scale` (not part of npm test).
 */
import { EventEmitter } from 'node:events'
import { loadavg } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { DockContext } from '../src/context.js'
import { openStore } from '../src/store/index.js'
import { createTokenProvider } from '../src/tokens/index.js'
import { sqliteUrl } from '../test/fixtures/databases.js'
import { seedScale, seededProfile } from '../test/fixtures/scale-seed.js'
import { startProfilesApp } from '../test/profiles/helpers.js'

const SIZES = (process.env.SCALE_SIZES ?? '100,1000,5000').split(',').map(Number)
const AUDIT_PER_PROFILE = 20
const RUNS = 30
const CALLS = 300_000

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const settle = () => {
  gc()
  gc()
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function medianMs(url: string, headers: Record<string, string>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < RUNS + 5; i++) {
    const start = process.hrtime.bigint()
    const res = await fetch(url, { headers })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
    if (i >= 5) times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return median(times)
}

/**
 * Peak live heap, peak RSS and peak heap, each above idle, while `url` is downloaded and dropped
 * chunk by chunk. The heap's own peak counts garbage not yet collected, and how much of it there is
 * depends on when V8 collects: on Node 24 the young generation grows to tens of MB under a steady
 * allocation rate (the same export stays near 10 MB with `--max-semi-space-size=8`), and what a
 * scavenge promotes waits in the old generation for the next full collection (0.3 to 24 MB in runs
 * a minute apart). What the export holds is the live heap: measured every 25 ms by a full
 * collection (which slows the export down, not the figure).
 */
async function exportMemory(url: string, headers: Record<string, string>): Promise<ExportMemory> {
  settle()
  const idle = process.memoryUsage()
  let peakRss = idle.rss
  let peakHeap = idle.heapUsed
  let peakLive = idle.heapUsed
  const sample = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }, 2)
  const live = setInterval(() => {
    gc()
    peakLive = Math.max(peakLive, process.memoryUsage().heapUsed)
  }, 25)
  let bytes = 0
  try {
    const res = await fetch(url, { headers })
    const reader = res.body!.getReader()
    for (let part = await reader.read(); !part.done; part = await reader.read()) bytes += part.value.byteLength
  } finally {
    clearInterval(sample)
    clearInterval(live)
  }
  const mb = (n: number) => n / 2 ** 20
  return {
    rssMb: mb(peakRss - idle.rss),
    heapMb: mb(peakHeap - idle.heapUsed),
    liveMb: mb(peakLive - idle.heapUsed),
    bytes,
  }
}

interface ExportMemory {
  rssMb: number
  heapMb: number
  /** The live heap's peak (after a full collection): what the export holds. */
  liveMb: number
  bytes: number
}

async function perSecond(calls: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10_000; i++) await fn(i)
  const start = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) await fn(i)
  return calls / (Number(process.hrtime.bigint() - start) / 1e9)
}

interface Figures {
  overviewMs: number
  searchMs: number
  jsonMs: number
  auditMs: number
  readyMs: number
  readySummaryMs: number
  profilesCsv: ExportMemory
  auditCsv: ExportMemory
  mapRate: number
  cachedRate: number
  bytesPerCached: number
}

async function measure(n: number): Promise<Figures> {
  const app = await startProfilesApp({ database: sqliteUrl() })
  const now = app.clock.now()
  const database = app.dock.config.database
  await seedScale(database, { profiles: n, audit: n * AUDIT_PER_PROFILE }, now)
  const admin = { 'x-test-admin': 'yes' }
  const store = await openStore(database, { encryptionKeys: app.dock.config.encryptionKey, now: Date.now })
  try {
    const f = {} as Figures
    f.overviewMs = await medianMs(`${app.url}${app.admin}/`, admin)
    f.searchMs = await medianMs(`${app.url}${app.admin}/?q=desk0&state=ok&expires=30`, admin)
    f.jsonMs = await medianMs(`${app.url}${app.api}/`, admin)
    f.auditMs = await medianMs(`${app.url}${app.dock.config.paths.audit}/`, admin)
    f.readyMs = await medianMs(`${app.url}${app.dock.config.paths.health}/ready`, admin)
    f.readySummaryMs = await medianMs(`${app.url}${app.dock.config.paths.health}/ready`, {})
    f.profilesCsv = await exportMemory(`${app.url}${app.admin}/export.csv`, admin)
    f.auditCsv = await exportMemory(`${app.url}${app.dock.config.paths.audit}/export.csv`, admin)

    // The token cache: every profile holds a real (sealed) access token valid for an hour.
    const ids = Array.from({ length: n }, (_, i) => seededProfile(i, now).id)
    for (const id of ids)
      await store.tokens.save(id, {
        accessToken: `access-token-${id}`,
        refreshToken: null,
        accessTokenExpiresAt: new Date(Date.now() + 3600_000),
        status: 'ok',
      })
    const config = app.dock.config
    const ctx: DockContext = {
      config,
      store,
      now: Date.now,
      fetch: globalThis.fetch,
      logger: config.logger,
      events: new EventEmitter(),
      views: undefined as never,
    }
    const tokens = createTokenProvider(ctx)
    settle()
    const before = process.memoryUsage().heapUsed
    for (const id of ids) await tokens.getAccessToken(id)
    settle()
    f.bytesPerCached = (process.memoryUsage().heapUsed - before) / n
    const map = new Map(ids.map((id) => [id, { token: `access-token-${id}`, expiresAt: Date.now() + 3600_000 }]))
    const mapLookup = async (i: number) => {
      const e = map.get(ids[i % n])
      return e && e.expiresAt - 120_000 > Date.now() ? e.token : undefined
    }
    const mapRates: number[] = []
    const cachedRates: number[] = []
    for (let round = 0; round < 5; round++) {
      mapRates.push(await perSecond(CALLS, mapLookup))
      cachedRates.push(await perSecond(CALLS, (i) => tokens.getAccessToken(ids[i % n])))
    }
    f.mapRate = median(mapRates)
    f.cachedRate = median(cachedRates)
    await tokens.close()
    return f
  } finally {
    await store.close()
    await app.close()
  }
}

const fmt = (x: number, digits = 1) => x.toFixed(digits)
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
)
const results: Array<[number, Figures]> = []
for (const n of SIZES) results.push([n, await measure(n)])
console.log(
  `load average at end:   ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
)
console.log(
  `| figure | target | ${SIZES.map((n) => `${n.toLocaleString('en')} profiles / ${(n * AUDIT_PER_PROFILE).toLocaleString('en')} entries`).join(' | ')} |`,
)
console.log(`| --- | --- | ${SIZES.map(() => '---').join(' | ')} |`)
const row = (name: string, target: string, value: (f: Figures) => string) =>
  console.log(`| ${name} | ${target} | ${results.map(([, f]) => value(f)).join(' | ')} |`)
row('overview page, median ms', '≤ 30 at 5,000', (f) => fmt(f.overviewMs))
row('overview search (q, state, expiry), median ms', '≤ 30', (f) => fmt(f.searchMs))
row('JSON list (first page), median ms', '—', (f) => fmt(f.jsonMs))
row('audit page, median ms', '≤ 30 at 100,000', (f) => fmt(f.auditMs))
row('readiness report (detail: counts, ≤ 50 needing attention), median ms', 'flat', (f) => fmt(f.readyMs))
row('readiness summary (anonymous probe), median ms', 'flat', (f) => fmt(f.readySummaryMs))
const exportRow = (m: ExportMemory) =>
  `${fmt(m.liveMb)} (peak RSS ${fmt(m.rssMb)}, heap with garbage ${fmt(m.heapMb)}; ${fmt(m.bytes / 2 ** 20, 2)} MB sent)`
row('profile CSV export: live heap above idle, MB', '≤ +20', (f) => exportRow(f.profilesCsv))
row('audit CSV export: live heap above idle, MB', '≤ +20', (f) => exportRow(f.auditCsv))
row('async Map lookup, calls/s', '—', (f) => Math.round(f.mapRate).toLocaleString('en'))
row('cached getAccessToken, calls/s', '—', (f) => Math.round(f.cachedRate).toLocaleString('en'))
row('ratio getAccessToken / Map', '≥ 0.5', (f) => fmt(f.cachedRate / f.mapRate, 2))
row('heap per cached profile, bytes', '—', (f) => Math.round(f.bytesPerCached).toLocaleString('en'))
process.exit(0)
