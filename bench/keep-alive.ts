/**
 * Keep-alive benchmark: one pass over 100, 1,000 and 5,000 idle authorized mailboxes against a local
 * token endpoint (port 0) that answers after a few milliseconds, as a provider would. It prints the
 * pass's wall time next to the interval it must fit in, the most token requests in flight at once
 * next to the bound (`tokens.keepAliveConcurrency`), the requests per profile, and whether a second
 * instance started during the pass found the lease taken. Run: `npm run bench -- keep-alive`.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { createTokenProvider } from '../src/tokens/index.js'
import { makeContext, seedAuthorizedMailboxes } from '../test/tokens/helpers.js'

const SIZES = (process.env.SCALE_SIZES ?? '100,1000,5000').split(',').map(Number)
const DAY = 86_400_000
/** The interval of the pass (and its lease): the jitter shrinks so that the pass fits half of it. */
const INTERVAL_MS = 60_000
const CONCURRENCY = 4
/** What the local token endpoint waits before answering, standing in for the provider's own time. */
const PROVIDER_MS = 5

async function tokenEndpoint() {
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0 }
  const server = http.createServer((req, res) => {
    req.resume()
    stats.requests++
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight)
    setTimeout(() => {
      stats.inFlight--
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          access_token: `at-${stats.requests}`,
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: `rt-${stats.requests}`,
        }),
      )
    }, PROVIDER_MS)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`
  return { stats, url, close: () => new Promise((resolve) => server.close(resolve)) }
}

async function measure(n: number) {
  const endpoint = await tokenEndpoint()
  const t = await makeContext({
    tokens: {
      keepAliveAfterMs: DAY,
      keepAliveIntervalMs: INTERVAL_MS,
      keepAliveConcurrency: CONCURRENCY,
      // Above what fits at 5,000 (30 s × 4 / 5,000 = 24 ms): the pass shortens it itself.
      keepAliveJitterMs: 250,
    },
  })
  try {
    await seedAuthorizedMailboxes(t, n, endpoint.url)
    t.clock.advance(2 * DAY)
    const first = createTokenProvider(t.ctx)
    const second = createTokenProvider(t.ctx)
    const start = process.hrtime.bigint()
    const pass = first.keepAlive()
    // A second instance's timer firing during the pass: it must find the lease held.
    const other = await second.keepAlive()
    const report = await pass
    const passMs = Number(process.hrtime.bigint() - start) / 1e6
    return {
      passMs,
      refreshed: report.refreshed.length,
      failed: report.failed.length,
      requests: endpoint.stats.requests,
      maxInFlight: endpoint.stats.maxInFlight,
      secondRan: other.ran,
    }
  } finally {
    await t.close()
    await endpoint.close()
  }
}

console.log(
  `keep-alive pass: interval ${INTERVAL_MS / 1000} s, keepAliveConcurrency ${CONCURRENCY}, token endpoint answers after ${PROVIDER_MS} ms; load average ${loadavg()[0].toFixed(1)}`,
)
console.log(
  '| idle mailboxes | pass, s | fits interval | max requests in flight (bound) | requests per profile | failed | second instance ran |',
)
console.log('| ---: | ---: | --- | ---: | ---: | ---: | --- |')
let ok = true
for (const n of SIZES) {
  const f = await measure(n)
  const fits = f.passMs < INTERVAL_MS
  ok &&= fits && f.maxInFlight <= CONCURRENCY && f.requests === n && f.refreshed === n && !f.secondRan
  console.log(
    `| ${n.toLocaleString('en')} | ${(f.passMs / 1000).toFixed(1)} | ${fits ? 'yes' : 'NO'} | ${f.maxInFlight} (${CONCURRENCY}) | ${(f.requests / n).toFixed(2)} | ${f.failed} | ${f.secondRan ? 'YES' : 'no'} |`,
  )
}
console.log(`load average at the end ${loadavg()[0].toFixed(1)}; targets ${ok ? 'met' : 'MISSED'}`)
if (!ok) process.exitCode = 1
