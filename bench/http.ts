/**
 * Protected-route benchmark: requests per second on GET /me with a logged-in session, for seven
 * servers measured in the same run (absolute figures swing ±25 % on a shared machine; ratios hold):
 * bare Express 5; express-session + passport on connect-redis (as configured by default and with
 * connect-redis's touch disabled) and on express-session's MemoryStore; express-openid-connect's
 * requiresAuth(); authdock with Redis sessions and with its embedded default (SQLite). Each server
 * runs in its own child process (bench/http-server.ts); autocannon generates the load from this
 * one, on loopback.
 *
 * Run: `npm run bench -- http`. BENCH_SECONDS (default 6), BENCH_ROUNDS (5), BENCH_CONNECTIONS
 * (50) change the run; each round measures every variant once, in a random order, and the median
 * round counts. Every response must be a 2xx: a run with errors says so and fails. Next to req/s it
 * prints each server's own CPU time per request (Redis's not included). BENCH_VARIANTS (ids, comma
 * separated) measures some only; BENCH_SERVER_ARGS adds node flags to the servers (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`). BENCH_REQUESTS=N sends N requests per variant and round
 * instead of running for BENCH_SECONDS: every server then answers the same work, which steadies the
 * CPU-per-request figure on a machine whose speed drifts during a run.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BrowserClient } from '../test/fixtures/browser-client.js'
import type { LoginKind, ReadyMessage, Variant } from './http-server.js'

interface AutocannonResult {
  requests: { average: number; total: number }
  latency: { p50: number; p99: number }
  errors: number
  timeouts: number
  non2xx: number
  duration: number
}
type Autocannon = (options: {
  url: string
  connections: number
  duration?: number
  amount?: number
  headers: Record<string, string>
}) => Promise<AutocannonResult>
// autocannon ships no types; this is the part of its programmatic API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const WARMUP_SECONDS = 3
const REQUESTS = process.env.BENCH_REQUESTS ? Number(process.env.BENCH_REQUESTS) : undefined
const ALL_VARIANTS: Array<{ id: Variant; label: string }> = [
  { id: 'bare', label: '(a) bare Express 5 route' },
  { id: 'passport', label: '(b) express-session + connect-redis + passport' },
  { id: 'passport-untouched', label: "(b') the same, connect-redis disableTouch" },
  { id: 'passport-memory', label: '(e) express-session MemoryStore + passport' },
  { id: 'eoc', label: '(c) express-openid-connect requiresAuth()' },
  { id: 'authdock', label: '(d) authdock, Redis sessions, requireLogin' },
  { id: 'authdock-sqlite', label: '(f) authdock, embedded default (SQLite sessions), requireLogin' },
]
const only = process.env.BENCH_VARIANTS?.split(',').map((v) => v.trim())
const VARIANTS = only ? ALL_VARIANTS.filter((v) => only.includes(v.id)) : ALL_VARIANTS
const SERVER_ARGS = process.env.BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? []

const here = dirname(fileURLToPath(import.meta.url))

interface Running {
  id: Variant
  child: ChildProcess
  url: string
  cookie: string
}

async function start(id: Variant): Promise<Running> {
  const child = fork(join(here, 'http-server.ts'), [id], {
    execArgv: ['--import', 'tsx', ...SERVER_ARGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ReadyMessage))
    child.once('exit', (code) => reject(new Error(`server "${id}" exited (${code}) before it was ready`)))
  })
  const cookie = await logIn(ready.ready, ready.login)
  return { id, child, url: ready.ready, cookie }
}

/** A logged-in session's Cookie header, obtained the way a user would. */
async function logIn(url: string, kind: LoginKind): Promise<string> {
  const browser = new BrowserClient()
  switch (kind) {
    case 'none':
      return ''
    case 'get-login':
      await (await browser.request(`${url}/login`)).arrayBuffer()
      break
    case 'oidc': {
      const landed = await browser.navigate(`${url}/login`)
      if (landed.url !== `${url}/`) throw new Error(`OIDC login ended at ${landed.url} (${landed.res.status})`)
      break
    }
    case 'password': {
      const page = await (await browser.request(`${url}/auth/password`)).text()
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1]
      if (!csrf) throw new Error('no CSRF token on the password page')
      const res = await browser.request(`${url}/auth/password`, {
        form: { _csrf: csrf, username: 'alice', password: 'alice-password' },
      })
      if (res.status !== 303) throw new Error(`password login answered ${res.status}`)
      break
    }
  }
  const jar = browser.cookies.get(new URL(url).host)
  return [...(jar ?? new Map())].map(([name, c]) => `${name}=${c.value}`).join('; ')
}

/** The session must work (200 with alice) and be needed (refused without it). */
async function check(server: Running): Promise<void> {
  const withSession = await fetch(`${server.url}/me`, {
    headers: { cookie: server.cookie, accept: 'application/json' },
    redirect: 'manual',
  })
  const body = (await withSession.json()) as { user?: { id?: string } }
  if (withSession.status !== 200 || body.user?.id !== 'u-alice')
    throw new Error(`${server.id}: GET /me with the session answered ${withSession.status}`)
  if (server.id === 'bare') return
  const without = await fetch(`${server.url}/me`, { headers: { accept: 'application/json' }, redirect: 'manual' })
  await without.arrayBuffer()
  if (without.status === 200) throw new Error(`${server.id}: GET /me without a session answered 200`)
}

function cpuOf(server: Running): Promise<number> {
  return new Promise((resolve) => {
    server.child.once('message', (m) => resolve((m as { cpu: number }).cpu))
    server.child.send('cpu')
  })
}

function load(server: Running, seconds: number): Promise<AutocannonResult> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (server.cookie) headers.cookie = server.cookie
  const run = REQUESTS && seconds !== WARMUP_SECONDS ? { amount: REQUESTS } : { duration: seconds }
  return autocannon({ url: `${server.url}/me`, connections: CONNECTIONS, ...run, headers })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

console.log(
  `protected route GET /me: ${CONNECTIONS} connections, ${ROUNDS} rounds × ${REQUESTS ? `${REQUESTS} requests` : `${SECONDS} s`} per variant (after ${WARMUP_SECONDS} s warm-up), node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
)
const servers: Running[] = []
let failed = false
try {
  for (const v of VARIANTS) servers.push(await start(v.id))
  for (const s of servers) await check(s)
  for (const s of servers) await load(s, WARMUP_SECONDS)
  const rates = new Map<Variant, number[]>(VARIANTS.map((v) => [v.id, []]))
  const p99 = new Map<Variant, number[]>(VARIANTS.map((v) => [v.id, []]))
  const cpuPerRequest = new Map<Variant, number[]>(VARIANTS.map((v) => [v.id, []]))
  for (let round = 0; round < ROUNDS; round++) {
    // A fresh random order each round: whatever the machine does meanwhile (and whatever one server
    // leaves behind for the next) falls on every variant alike.
    const order = [...servers].sort(() => Math.random() - 0.5)
    const line: string[] = []
    for (const s of order) {
      const cpuBefore = await cpuOf(s)
      const started = performance.now()
      const r = await load(s, SECONDS)
      const elapsedSeconds = (performance.now() - started) / 1000
      cpuPerRequest.get(s.id)!.push(((await cpuOf(s)) - cpuBefore) / r.requests.total)
      if (r.errors || r.timeouts || r.non2xx) {
        failed = true
        console.error(`${s.id}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`)
      }
      // A fixed number of requests is over in a few seconds: autocannon's per-second buckets (and
      // its duration, in whole seconds) are too coarse for it.
      const perSecond = REQUESTS ? r.requests.total / elapsedSeconds : r.requests.average
      rates.get(s.id)!.push(perSecond)
      p99.get(s.id)!.push(r.latency.p99)
      line.push(`${s.id} ${Math.round(perSecond)}`)
    }
    console.log(`round ${round + 1}: ${line.join(', ')} req/s`)
  }
  const rate = (id: Variant) => median(rates.get(id) ?? [])
  const bare = rate('bare')
  console.log(
    '\n| variant | req/s (median) | × bare | server CPU per request | p99 latency |\n| --- | ---: | ---: | ---: | ---: |',
  )
  for (const v of VARIANTS) {
    const cpu = median(cpuPerRequest.get(v.id)!)
    console.log(
      `| ${v.label} | ${Math.round(rate(v.id)).toLocaleString('en')} | ${bare ? (rate(v.id) / bare).toFixed(2) : '–'} | ${Math.round(cpu)} µs | ${median(p99.get(v.id)!)} ms |`,
    )
  }
  // Each ratio also per round (the same round measured both), so one lucky round cannot carry it.
  const ratio = (a: Variant, b: Variant, label: string, target?: number) => {
    if (!rates.get(a) || !rates.get(b)) return
    const perRound = rates.get(a)!.map((x, i) => x / rates.get(b)![i])
    const value = rate(a) / rate(b)
    const verdict = target === undefined ? '' : ` (target ≥ ${target}: ${value >= target ? 'met' : 'NOT met'})`
    console.log(`${label}: ${value.toFixed(2)}${verdict}; per round ${perRound.map((r) => r.toFixed(2)).join(', ')}`)
  }
  console.log('')
  ratio('authdock-sqlite', 'passport-memory', '(f) authdock SQLite / (e) MemoryStore + passport', 1.2)
  ratio('authdock', 'passport', '(d) authdock Redis / (b) connect-redis + passport', 1.5)
  ratio('authdock', 'eoc', '(d) authdock Redis / (c) express-openid-connect', 1.6)
  ratio('authdock', 'passport-untouched', "(d) authdock Redis / (b') the same Redis work")
  if (failed) console.error('\nsome answers were not 2xx: the figures above are not valid')
} finally {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.child.once('exit', resolve).send('stop'))))
}
process.exit(failed ? 1 : 0)
