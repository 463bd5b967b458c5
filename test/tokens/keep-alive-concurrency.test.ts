/**
 * The keep-alive over many mailboxes: a local token endpoint (port 0) counts the requests in
 * flight; the pass reaches but never exceeds `tokens.keepAliveConcurrency`, and refreshes each due
 * profile once.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTokenProvider } from '../../src/tokens/index.js'
import { makeContext, seedAuthorizedMailboxes, type TokenTestContext } from './helpers.js'

const DAY = 24 * 3600_000
const PROFILES = 60

describe('keep-alive concurrency', () => {
  let server: http.Server
  let tokenUrl: string
  let inFlight = 0
  let maxInFlight = 0
  let requests = 0
  let t: TokenTestContext
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume()
      requests++
      maxInFlight = Math.max(maxInFlight, ++inFlight)
      // Held a little, so that requests a pass sends together overlap here.
      setTimeout(() => {
        inFlight--
        res.setHeader('content-type', 'application/json')
        res.end(
          JSON.stringify({
            access_token: `at-${requests}`,
            token_type: 'Bearer',
            expires_in: 3600,
            refresh_token: `rt-${requests}`,
          }),
        )
      }, 15)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })
  afterEach(async () => {
    await t?.close()
  })

  it(
    `refreshes ${PROFILES} idle mailboxes with at most keepAliveConcurrency requests at once`,
    { timeout: 30_000 },
    async () => {
      t = await makeContext({
        tokens: { keepAliveAfterMs: DAY, keepAliveIntervalMs: 3600_000, keepAliveConcurrency: 3, keepAliveJitterMs: 5 },
      })
      const ids = await seedAuthorizedMailboxes(t, PROFILES, tokenUrl)
      t.clock.advance(2 * DAY)
      const report = await createTokenProvider(t.ctx).keepAlive()
      expect(report.failed).toEqual([])
      expect(report.refreshed).toEqual(ids)
      expect(requests).toBe(PROFILES)
      expect(maxInFlight).toBe(3)
    },
  )
})
