/**
 * Load: 50 connections for 30 s of logged-in requests on a protected route (authdock, sessions in
 * the shared Redis under a key prefix of their own). The server runs in one child process, the
 * load generator (autocannon's CLI) in another, on loopback. Every answer must be a 200, and the
 * server's memory must stay flat: its heap after a full GC at the end may exceed the heap after
 * the warm-up by less than HEAP_GROWTH_LIMIT.
 *
 * Why that bound: at least MIN_REQUESTS requests are served in the 30 s (30,000 to 110,000 on the
 * shared 2-core machine here), so a leak of 200 bytes per request — a retained closure, a header
 * string, far less than a session object — grows the heap by 2 MB or more; a heap without a leak,
 * measured after a full GC both times, moves by under a MB (JIT code, caches: -0.4 to -0.9 MB here).
 * rss is reported, not asserted: the allocator keeps freed pages.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { REDIS_URL, redisAvailable } from '../fixtures/redis-server.js'

const CONNECTIONS = 50
const SECONDS = 30
const WARMUP_SECONDS = 5
const HEAP_GROWTH_LIMIT = 2 * 1024 * 1024
const MIN_REQUESTS = 10_000

interface AutocannonJson {
  requests: { total: number; average: number }
  latency: { p50: number; p99: number; max: number }
  errors: number
  timeouts: number
  non2xx: number
  '2xx': number
}

/** autocannon's CLI in its own process; resolves to its JSON report. */
function autocannon(url: string, cookie: string, seconds: number): Promise<AutocannonJson> {
  const cli = createRequire(import.meta.url).resolve('autocannon')
  const child = spawn(
    process.execPath,
    [
      cli,
      '-c',
      String(CONNECTIONS),
      '-d',
      String(seconds),
      '-j',
      '-H',
      `cookie=${cookie}`,
      '-H',
      'accept=application/json',
      url,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err.slice(-500)}`))
      resolve(JSON.parse(out) as AutocannonJson)
    })
  })
}

function request<T>(server: ChildProcess, message: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (m && typeof m === 'object' && key in m) {
        server.off('message', onMessage)
        resolve((m as Record<string, T>)[key])
      }
    }
    server.on('message', onMessage)
    server.send(message)
  })
}

const redisUp = await redisAvailable('the load test')

describe.skipIf(!redisUp)('load on a protected route (Redis sessions)', () => {
  let server: ChildProcess
  let url: string

  beforeAll(async () => {
    const script = fileURLToPath(new URL('./load-server.ts', import.meta.url))
    server = fork(script, [`authdock:test:load:${randomBytes(4).toString('hex')}:`, REDIS_URL], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    url = await new Promise<string>((resolve, reject) => {
      server.once('message', (m) => resolve((m as { ready: string }).ready))
      server.once('exit', (code) => reject(new Error(`load-server exited (${code}) before it was ready`)))
    })
  })

  afterAll(async () => {
    if (server && server.exitCode === null) await new Promise((resolve) => server.once('exit', resolve).send('stop'))
  })

  it(
    `serves ${CONNECTIONS} connections for ${SECONDS} s without an error or a non-2xx answer, and its memory stays flat`,
    async () => {
      const browser = new BrowserClient()
      const page = await (await browser.request(`${url}/auth/password`)).text()
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]
      expect(
        (
          await browser.request(`${url}/auth/password`, {
            form: { _csrf: csrf, username: 'alice', password: 'alice-password' },
          })
        ).status,
      ).toBe(303)
      const cookie = `authdock.sid=${browser.cookie(url, 'authdock.sid')}`
      const me = await fetch(`${url}/me`, { headers: { cookie, accept: 'application/json' } })
      expect(me.status).toBe(200)
      expect(((await me.json()) as { user: { id: string } }).user.id).toBe('u-alice')

      const warmup = await autocannon(`${url}/me`, cookie, WARMUP_SECONDS)
      expect(warmup.non2xx + warmup.errors + warmup.timeouts).toBe(0)
      const before = await request<NodeJS.MemoryUsage>(server, 'memory', 'memory')

      const run = await autocannon(`${url}/me`, cookie, SECONDS)
      const after = await request<NodeJS.MemoryUsage>(server, 'memory', 'memory')
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`
      console.log(
        `load: ${run.requests.total} requests in ${SECONDS} s (${Math.round(run.requests.average)} req/s, p99 ${run.latency.p99} ms); ` +
          `heapUsed ${mb(before.heapUsed)} → ${mb(after.heapUsed)}, rss ${mb(before.rss)} → ${mb(after.rss)}`,
      )

      expect({ errors: run.errors, timeouts: run.timeouts, non2xx: run.non2xx }).toEqual({
        errors: 0,
        timeouts: 0,
        non2xx: 0,
      })
      expect(run['2xx']).toBe(run.requests.total)
      expect(run.requests.total).toBeGreaterThan(MIN_REQUESTS)
      expect(after.heapUsed - before.heapUsed).toBeLessThan(HEAP_GROWTH_LIMIT)
      // The session is still the same and still in Redis: nothing was re-created under load.
      expect((await fetch(`${url}/me`, { headers: { cookie, accept: 'application/json' } })).status).toBe(200)
    },
    (WARMUP_SECONDS + SECONDS) * 1000 + 60_000,
  )
})
