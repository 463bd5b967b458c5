/**
 * Login callback benchmark (`npm run bench -- login`, not part of npm test).
 *
 * (a) What authdock itself spends in GET /auth/callback until its answer is sent: token exchange
 *     (its HTTP request), ID token signature and claim checks (openid-client), the host's user
 *     lookup and the new session's one write. The remembered device's record (the stored refresh
 *     token for silent login), the audit entry and the old session's destroy are written once the
 *     answer is sent (the store calls of the whole login are counted below the table).
 *     The provider's own time
 *     is kept out: the provider below signs the ID token when it hands out the code (outside the
 *     callback) and answers the token request from that precomputed response; what time it still
 *     spends in its handlers during a callback is measured there and subtracted. Its HTTP parsing
 *     (tens of µs) stays in authdock's figure. Printed next to two baselines of the same run: a bare
 *     jose `jwtVerify` with a cached key, and openid-client's `authorizationCodeGrant` alone (token
 *     request + the same ID token checks, no passport, session or store).
 * (b) Discovery and JWKS requests at the provider per 1,000 logins while keys do not rotate (one
 *     after another, and 8 at a time from a fresh instance); target 1 of each. For comparison, the
 *     same 1,000 logins spread over a working day (a moved clock): the caches' lifetimes then count.
 */
import http from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import express from 'express'
import * as client from 'openid-client'
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose'
import { createAuthdock, type Authdock } from '../src/authdock.js'
import { storeOf } from '../src/internal.js'
import { providerFetch } from '../src/oauth/fetch.js'
import { BrowserClient } from '../test/fixtures/browser-client.js'

const LOGINS = Number(process.env.BENCH_LOGINS ?? 1_000)
const ROUNDS = 5
const WARMUP = 50
const BLOCK = 10
const CONCURRENCY = 8
const DAY_MS = 8 * 3_600_000
// Every round must time at least one block after the warm-up, which falls in the first round.
if (!(LOGINS >= ROUNDS * (WARMUP + BLOCK))) {
  console.error(
    `BENCH_LOGINS must be at least ${ROUNDS * (WARMUP + BLOCK)} (${ROUNDS} rounds, each with ${WARMUP} warm-up logins' room and one block of ${BLOCK})`,
  )
  process.exit(64)
}
/** src/login/discovery.ts DISCOVERY_TTL_MS, for the printout. */
const DISCOVERY_TTL_MIN = 60

// ---------------------------------------------------------------------------------------------
// A provider that does its expensive work (signing) at /authorize and answers /token from memory.

interface BenchOp {
  issuer: string
  clientId: string
  clientSecret: string
  publicJwk: JWK
  requests: Record<string, number>
  /** Nanoseconds spent in the handlers (request event → response finished). */
  handlerNs: bigint
  /** A code with its token response, as /authorize would make it (for the openid-client baseline). */
  mintCode(nonce: string, challenge: string): Promise<string>
  /** An ID token like the ones it issues (for the jose baseline). */
  sampleIdToken(): Promise<string>
  resetCounters(): void
  close(): Promise<void>
}

async function startBenchOp(): Promise<BenchOp> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' }
  const codes = new Map<string, { challenge: string; body: string }>()
  const metadata = JSON.stringify({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'email', 'profile', 'offline_access'],
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
    authorization_response_iss_parameter_supported: true,
  })
  const jwks = JSON.stringify({ keys: [publicJwk] })

  const signIdToken = (clientId: string, nonce: string) => {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({ email: 'alice@example.com', nonce })
      .setProtectedHeader({ alg: 'RS256', kid: publicJwk.kid })
      .setIssuer(issuer)
      .setSubject('alice')
      .setAudience(clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey)
  }

  const op: BenchOp = {
    issuer,
    clientId: 'bench-client',
    clientSecret: randomBytes(24).toString('base64url'),
    publicJwk,
    requests: {},
    handlerNs: 0n,
    async mintCode(nonce, challenge) {
      const code = randomBytes(16).toString('base64url')
      const body = JSON.stringify({
        access_token: randomBytes(24).toString('base64url'),
        token_type: 'Bearer',
        expires_in: 300,
        refresh_token: randomBytes(32).toString('base64url'),
        scope: 'openid email profile offline_access',
        id_token: await signIdToken(op.clientId, nonce),
      })
      codes.set(code, { challenge, body })
      return code
    },
    sampleIdToken: () => signIdToken(op.clientId, 'n'),
    resetCounters() {
      op.requests = {}
      op.handlerNs = 0n
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }

  const send = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(body)
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer)
    op.requests[url.pathname] = (op.requests[url.pathname] ?? 0) + 1
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return send(res, 200, metadata)
      case '/jwks':
        return send(res, 200, jwks)
      case '/authorize': {
        const p = url.searchParams
        const back = new URL(p.get('redirect_uri')!)
        back.searchParams.set('code', await op.mintCode(p.get('nonce') ?? '', p.get('code_challenge') ?? ''))
        back.searchParams.set('state', p.get('state') ?? '')
        back.searchParams.set('iss', issuer)
        res.writeHead(302, { location: back.href })
        return void res.end()
      }
      case '/token': {
        const chunks: Buffer[] = []
        for await (const chunk of req) chunks.push(chunk as Buffer)
        const form = new URLSearchParams(Buffer.concat(chunks).toString())
        const grant = codes.get(form.get('code') ?? '')
        codes.delete(form.get('code') ?? '')
        if (
          !grant ||
          createHash('sha256')
            .update(form.get('code_verifier') ?? '')
            .digest('base64url') !== grant.challenge
        ) {
          return send(res, 400, '{"error":"invalid_grant"}')
        }
        return send(res, 200, grant.body)
      }
      default:
        return send(res, 404, '{"error":"not_found"}')
    }
  }

  server.on('request', (req, res) => {
    const start = process.hrtime.bigint()
    // /authorize signs: that is the provider's work before the callback, never inside it.
    res.on('finish', () => {
      if (!req.url?.startsWith('/authorize')) op.handlerNs += process.hrtime.bigint() - start
    })
    handle(req, res).catch(() => send(res, 500, '{"error":"server_error"}'))
  })
  return op
}

// ---------------------------------------------------------------------------------------------
// The host: createAuthdock on the default embedded store (SQLite), GET /auth/callback timed.

interface Host {
  url: string
  dock: Authdock
  /** Per callback: [wall ns, provider handler ns inside it, store ns inside it, store calls]. */
  callbacks: Array<[bigint, bigint, bigint, number]>
  /** Store calls by method over the whole login (start, callback and after the answer). */
  storeCalls: Record<string, number>
  close(): Promise<void>
}

/** Time spent in (and calls of) the store's session, login-token and audit methods. */
function instrumentStore(dock: Authdock): { ns: bigint; calls: number; byName: Record<string, number> } {
  const meter = { ns: 0n, calls: 0, byName: {} as Record<string, number> }
  for (const group of ['sessions', 'loginTokens', 'audit'] as const) {
    const target = storeOf(dock)[group] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    for (const [name, fn] of Object.entries(target)) {
      // `held` answers at once (no promise): not a store round trip.
      if (typeof fn !== 'function' || name === 'held') continue
      target[name] = (...args) => {
        const start = process.hrtime.bigint()
        meter.calls++
        meter.byName[`${group}.${name}`] = (meter.byName[`${group}.${name}`] ?? 0) + 1
        return fn.apply(target, args).finally(() => (meter.ns += process.hrtime.bigint() - start))
      }
    }
  }
  return meter
}

async function startHost(op: BenchOp, options: { silentLogin?: boolean } = {}): Promise<Host> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const dir = mkdtempSync(join(tmpdir(), 'authdock-bench-login-'))
  const alice = { id: 'u-alice', email: 'alice@example.com', displayName: 'Alice' }
  const dock = await createAuthdock({
    baseUrl: url,
    database: `sqlite:${join(dir, 'authdock.db')}`,
    encryptionKey: randomBytes(32).toString('base64'),
    session: { secret: randomBytes(24).toString('hex') },
    oidc: {
      issuer: op.issuer,
      clientId: op.clientId,
      clientSecret: op.clientSecret,
      silentLogin: options.silentLogin ?? true,
    },
    users: {
      findByClaim: ({ value }) => (value === alice.email ? alice : null),
      findByUsername: () => null,
      findById: ({ id }) => (id === alice.id ? alice : null),
    },
    // Read Date.now on each call, so that moving it (the working-day run below) moves authdock too.
    now: () => Date.now(),
  })
  const callbacks: Host['callbacks'] = []
  const store = instrumentStore(dock)
  const app = express()
  app.use((req, res, next) => {
    if (!req.path.startsWith('/auth/callback')) return next()
    const start = process.hrtime.bigint()
    const [providerBefore, storeBefore, callsBefore] = [op.handlerNs, store.ns, store.calls]
    res.on('finish', () =>
      callbacks.push([
        process.hrtime.bigint() - start,
        op.handlerNs - providerBefore,
        store.ns - storeBefore,
        store.calls - callsBefore,
      ]),
    )
    next()
  })
  app.use(dock.router)
  server.on('request', app)
  return {
    url,
    dock,
    callbacks,
    storeCalls: store.byName,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await dock.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** One full login in a fresh browser: /auth/login → provider → /auth/callback → 303. */
async function login(host: Host): Promise<void> {
  const browser = new BrowserClient()
  let current = `${host.url}/auth/login?returnTo=/`
  for (let hop = 0; hop < 3; hop++) {
    const res = await browser.request(current)
    await res.arrayBuffer()
    const location = res.headers.get('location')
    if (!location) throw new Error(`login stopped at ${new URL(current).pathname} with ${res.status}`)
    if (hop === 2) {
      if (res.status !== 303 || location !== '/') throw new Error(`the callback answered ${res.status} → ${location}`)
      return
    }
    current = new URL(location, current).toString()
  }
}

// ---------------------------------------------------------------------------------------------

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const us = (ns: bigint | number) => Number(ns) / 1000
const f = (x: number, digits = 0) =>
  x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** µs per jose jwtVerify of one of the provider's ID tokens with a cached (imported) key. */
async function joseVerifyUs(
  token: string,
  key: CryptoKey,
  issuer: string,
  audience: string,
  calls: number,
): Promise<number> {
  const options = { issuer, audience, algorithms: ['RS256'] }
  const start = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) await jwtVerify(token, key, options)
  return us(process.hrtime.bigint() - start) / calls
}

/** µs per openid-client authorizationCodeGrant (with ID token signature check), provider time subtracted. */
async function openidClientGrantUs(op: BenchOp, config: client.Configuration, calls: number): Promise<number> {
  const samples: number[] = []
  for (let i = 0; i < calls; i++) {
    const verifier = client.randomPKCECodeVerifier()
    const nonce = client.randomNonce()
    const state = client.randomState()
    const code = await op.mintCode(nonce, await client.calculatePKCECodeChallenge(verifier))
    const callbackUrl = new URL(
      `http://127.0.0.1:9/cb?code=${code}&state=${state}&iss=${encodeURIComponent(op.issuer)}`,
    )
    const providerBefore = op.handlerNs
    const start = process.hrtime.bigint()
    await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    })
    samples.push(us(process.hrtime.bigint() - start - (op.handlerNs - providerBefore)))
  }
  return median(samples)
}

const op = await startBenchOp()
// The baselines ask a provider of their own, so that op counts the logins' requests only.
const baseOp = await startBenchOp()
// The same logins on a provider whose silent login is off (no remembered device: no refresh token
// stored), on a provider of its own so that op's counts stay those of the main host.
const plainOp = await startBenchOp()
const hosts: Host[] = []
try {
  const baselineConfig = (fetch?: client.CustomFetch) =>
    client.discovery(
      new URL(baseOp.issuer),
      baseOp.clientId,
      undefined,
      client.ClientSecretBasic(baseOp.clientSecret),
      {
        execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
        ...(fetch ? { [client.customFetch]: fetch } : {}),
      },
    )
  const bareConfig = await baselineConfig()
  // The same grant through authdock's provider fetch (undici's request, answer buffered), which
  // costs less than openid-client's default fetch: printed so that the part of the callback's gain
  // that is transport shows apart from the rest.
  const ownFetchConfig = await baselineConfig(
    providerFetch({ fetch: globalThis.fetch, timeoutMs: 30_000, proxy: null }),
  )
  ownFetchConfig.timeout = 0
  const cachedKey = (await importJWK(baseOp.publicJwk, 'RS256')) as CryptoKey
  const sampleToken = await baseOp.sampleIdToken()

  // (a) + (b) sequential: one instance, 1,000 logins one after another, counted at the provider.
  op.resetCounters()
  const host = await startHost(op)
  hosts.push(host)
  const plain = await startHost(plainOp, { silentLogin: false })
  hosts.push(plain)
  // Logins and baselines alternate in small blocks (10 logins, 100 verifications, 5 + 5 grants), so
  // that a swing in the machine's load hits both sides of each ratio alike.
  const perRound = LOGINS / ROUNDS
  await joseVerifyUs(sampleToken, cachedKey, baseOp.issuer, baseOp.clientId, 500) // warm up
  const blocks: Array<{ authdock: number; plain: number; jose: number; oidc: number; ownFetch: number }> = []
  const rounds: Array<{
    authdock: number
    provider: number
    wall: number
    store: number
    jose: number
    oidc: number
    ratioJose: number
    ratioOidc: number
  }> = []
  for (let round = 0; round < ROUNDS; round++) {
    const from = host.callbacks.length
    const roundBlocks: typeof blocks = []
    for (let done = 0; done < perRound; done += BLOCK) {
      const blockFrom = host.callbacks.length
      const plainFrom = plain.callbacks.length
      // Which host goes first alternates, so that neither always follows the baselines.
      for (const h of (done / BLOCK) % 2 ? [plain, host] : [host, plain]) for (let i = 0; i < BLOCK; i++) await login(h)
      const jose = await joseVerifyUs(sampleToken, cachedKey, baseOp.issuer, baseOp.clientId, 100)
      const oidc = await openidClientGrantUs(baseOp, bareConfig, 5)
      const ownFetch = await openidClientGrantUs(baseOp, ownFetchConfig, 5)
      // The first WARMUP callbacks (cold JIT, discovery, JWKS) count for (b), not for the timing.
      if (blockFrom < WARMUP) continue
      const timed = host.callbacks.slice(blockFrom)
      roundBlocks.push({
        authdock: median(timed.map(([wall, provider]) => us(wall - provider))),
        plain: median(plain.callbacks.slice(plainFrom).map(([wall, provider]) => us(wall - provider))),
        jose,
        oidc,
        ownFetch,
      })
    }
    blocks.push(...roundBlocks)
    const timed = host.callbacks.slice(Math.max(from, WARMUP))
    rounds.push({
      wall: median(timed.map(([wall]) => us(wall))),
      provider: median(timed.map(([, provider]) => us(provider))),
      authdock: median(timed.map(([wall, provider]) => us(wall - provider))),
      store: median(timed.map(([, , store]) => us(store))),
      jose: median(roundBlocks.map((b) => b.jose)),
      oidc: median(roundBlocks.map((b) => b.oidc)),
      ratioJose: median(roundBlocks.map((b) => b.authdock / b.jose)),
      ratioOidc: median(roundBlocks.map((b) => b.authdock / b.oidc)),
    })
  }
  const seqCounts = { ...op.requests }
  const all = host.callbacks.slice(WARMUP).map(([wall, provider]) => us(wall - provider))

  console.log(
    `(a) login callback, ${f(LOGINS)} logins one after another in ${ROUNDS} rounds (first ${WARMUP} not timed), medians in µs; baselines measured between blocks of ${BLOCK} logins`,
  )
  console.log(
    'round | callback wall | provider in it | authdock | of which store | jose jwtVerify | openid-client grant | authdock/jose | authdock/openid-client',
  )
  for (const [i, r] of rounds.entries()) {
    console.log(
      `${i + 1}     | ${f(r.wall)} | ${f(r.provider)} | ${f(r.authdock)} | ${f(r.store)} | ${f(r.jose, 1)} | ${f(r.oidc)} | ${f(r.ratioJose, 1)} | ${f(r.ratioOidc, 2)}`,
    )
  }
  const ratioJose = median(blocks.map((b) => b.authdock / b.jose))
  const ratioOidc = median(blocks.map((b) => b.authdock / b.oidc))
  console.log(
    `authdock per callback:               ${f(median(all))} µs median, ${f(mean(all))} µs mean, p90 ${f([...all].sort((a, b) => a - b)[Math.floor(all.length * 0.9)])} µs (provider time excluded)`,
  )
  const timedAll = host.callbacks.slice(WARMUP)
  console.log(
    `of which in the store:               ${f(median(timedAll.map(([, , store]) => us(store))))} µs median, ${f(median(timedAll.map(([, , , calls]) => calls)))} calls (sessions, login tokens, audit)`,
  )
  console.log(
    `store calls per login (start + callback + after the answer): ${Object.entries(host.storeCalls)
      .map(([name, n]) => `${name} ${f(n / LOGINS, 1)}`)
      .join(', ')}`,
  )
  console.log(`jose jwtVerify, cached key:          ${f(median(blocks.map((b) => b.jose)), 1)} µs`)
  console.log(
    `openid-client authorizationCodeGrant: ${f(median(blocks.map((b) => b.oidc)))} µs (token request + ID token checks, provider time excluded)`,
  )
  console.log(
    `the same grant through authdock's provider fetch: ${f(median(blocks.map((b) => b.ownFetch)))} µs (for comparison; the target is against the grant above)`,
  )
  console.log(`ratio authdock / jose jwtVerify:      ${f(ratioJose, 1)} (median of ${blocks.length} per-block ratios)`)
  console.log(`ratio authdock / openid-client grant: ${f(ratioOidc, 2)}`)
  console.log(
    `ratio authdock / the grant through authdock's fetch: ${f(median(blocks.map((b) => b.authdock / b.ownFetch)), 2)}`,
  )
  console.log(
    `with silent login off (no remembered device): ${f(median(blocks.map((b) => b.plain)))} µs per callback; ratio / openid-client grant: ${f(median(blocks.map((b) => b.plain / b.oidc)), 2)}; the remembered device's share of the ratio: ${f(median(blocks.map((b) => (b.authdock - b.plain) / b.oidc)), 2)}`,
  )

  // (b) concurrent: a fresh instance, 1,000 logins 8 at a time.
  await host.close()
  await plain.close()
  hosts.length = 0
  op.resetCounters()
  const fresh = await startHost(op)
  hosts.push(fresh)
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < LOGINS) {
        next++
        await login(fresh)
      }
    }),
  )
  const concCounts = { ...op.requests }

  // (b) over a working day: a fresh instance, 1,000 logins spread over 8 hours of a moved clock
  // (Date.now, which authdock, openid-client/oauth4webapi and the provider all read).
  await fresh.close()
  hosts.pop()
  op.resetCounters()
  const day = await startHost(op)
  hosts.push(day)
  const realNow = Date.now
  let offset = 0
  Date.now = () => realNow() + offset
  try {
    for (let i = 0; i < LOGINS; i++) {
      await login(day)
      offset += DAY_MS / LOGINS
    }
  } finally {
    Date.now = realNow
  }
  const dayCounts = { ...op.requests }
  const row = (label: string, c: Record<string, number>) =>
    console.log(
      `${label} | ${c['/.well-known/openid-configuration'] ?? 0} | ${c['/jwks'] ?? 0} | ${c['/token'] ?? 0} | ${c['/authorize'] ?? 0}`,
    )
  console.log(`\n(b) requests at the provider per ${f(LOGINS)} logins, keys not rotating (target: 1 discovery, 1 JWKS)`)
  console.log('logins | discovery | JWKS | token | authorize')
  row('one after another', seqCounts)
  row(`${CONCURRENCY} at a time, fresh instance`, concCounts)
  row(`spread over ${DAY_MS / 3_600_000} h (moved clock), fresh instance`, dayCounts)
  console.log(
    `(over hours: discovery is cached ${DISCOVERY_TTL_MIN} min by authdock; openid-client's JWKS cache (oauth4webapi) keeps a key set at most 300 s)`,
  )
  const met = [seqCounts, concCounts].every((c) => c['/.well-known/openid-configuration'] === 1 && c['/jwks'] === 1)
  console.log(`target met: ${met ? 'yes' : 'NO'}`)
  if (!met) process.exitCode = 1
} finally {
  for (const h of hosts) await h.close()
  await op.close()
  await baseOp.close()
  await plainOp.close()
}
