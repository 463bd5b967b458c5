import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import request from 'supertest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, TEST_USERS } from '../fixtures/test-app.js'
import { csrfOf } from '../login/helpers.js'
import { startAuditApp, type AuditApp } from '../audit/audit-app.js'
import { profileInput } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A server that accepts connections and never answers (a provider that hangs). */
async function silentServer(): Promise<string> {
  const server = http.createServer(() => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

/** A supertest agent whose session the audit app's guard admits. */
async function adminAgent(app: AuditApp['app']) {
  const agent = request.agent(app)
  await agent.get('/test/admin').expect(200)
  return agent
}

describe('the readiness report', () => {
  let op: OidcProviderFixture
  let t: AuditApp

  it('says per provider whether discovery answers and per profile how its tokens are, without secrets', async () => {
    op = await startOidcProvider({
      clients: [
        { client_id: 'app', client_secret: 'login-secret-DO-NOT-LEAK', redirect_uris: ['http://127.0.0.1/cb'] },
      ],
    })
    cleanups.push(() => op.close())
    const hanging = await silentServer()
    const closed = await closedPort()
    t = await startAuditApp({
      oidc: [
        { id: 'real', issuer: op.issuer, clientId: 'app', clientSecret: 'login-secret-DO-NOT-LEAK' },
        { id: 'hanging', issuer: hanging, clientId: 'app' },
        { id: 'down', issuer: closed, clientId: 'app' },
      ],
    })
    cleanups.push(() => t.close())
    const { store, clock } = t.ops
    const ok = await store.profiles.create(profileInput({ name: 'Healthy' }))
    const expiresAt = new Date(clock.now() + 3600_000)
    await store.tokens.save(ok.id, {
      accessToken: 'access-token-DO-NOT-LEAK',
      refreshToken: 'refresh-token-DO-NOT-LEAK',
      accessTokenExpiresAt: expiresAt,
      status: 'ok',
      scope: 'imap',
    })
    const broken = await store.profiles.create(profileInput({ name: 'Broken' }))
    await store.tokens.save(broken.id, {
      status: 'reauthorization_required',
      lastErrorCode: 'TOKEN_REAUTHORIZATION_REQUIRED',
      refreshToken: null,
    })
    await store.profiles.create(profileInput({ name: 'Never authorized' }))

    const res = await (await adminAgent(t.app)).get('/healthz/ready')
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('degraded')
    expect(res.body.store).toBe(true)
    expect(res.body.providers).toEqual([
      { id: 'real', discovery: true },
      { id: 'hanging', discovery: false, error: 'timeout' },
      { id: 'down', discovery: false, error: 'unreachable' },
    ])
    // Only what needs attention is listed; the healthy and the never-authorized ones are counted.
    expect(res.body.profiles).toEqual([
      {
        id: broken.id,
        name: 'Broken',
        valid: true,
        status: 'reauthorization_required',
        hasAccessToken: false,
        hasRefreshToken: false,
        accessTokenExpiresAt: null,
        lastErrorCode: 'TOKEN_REAUTHORIZATION_REQUIRED',
        secretExpiresAt: null,
      },
    ])
    expect(res.body.profileCounts).toEqual({ total: 3, needingAttention: 1 })
    expect(res.text).not.toContain('DO-NOT-LEAK')

    // Anonymous callers learn whether each part works, nothing about what is configured.
    const anonymous = await request(t.app).get('/healthz/ready')
    expect(anonymous.status).toBe(200)
    expect(anonymous.body).toEqual({
      status: 'degraded',
      store: true,
      sessions: true,
      providers: false,
      profiles: false,
    })
    for (const hidden of [
      'Healthy',
      'Broken',
      ok.id,
      broken.id,
      'real',
      'hanging',
      'TOKEN_REAUTHORIZATION_REQUIRED',
      'timeout',
      'unreachable',
      expiresAt.toISOString(),
    ]) {
      expect(anonymous.text).not.toContain(hidden)
    }
  })

  it('is ok when every provider answers and every token is healthy; liveness answers 200', async () => {
    op = await startOidcProvider({
      clients: [{ client_id: 'app', client_secret: 'x'.repeat(32), redirect_uris: ['http://127.0.0.1/cb'] }],
    })
    cleanups.push(() => op.close())
    t = await startAuditApp({ oidc: { issuer: op.issuer, clientId: 'app' } })
    cleanups.push(() => t.close())
    const res = await (await adminAgent(t.app)).get('/healthz/ready')
    expect(res.body).toEqual({
      status: 'ok',
      store: true,
      sessions: { kind: 'store', ready: true },
      providers: [{ id: 'default', discovery: true }],
      profiles: [],
      profileCounts: { total: 0, needingAttention: 0 },
    })
    expect((await request(t.app).get('/healthz/ready')).body).toEqual({
      status: 'ok',
      store: true,
      sessions: true,
      providers: true,
      profiles: true,
    })
    expect((await request(t.app).get('/healthz')).body).toEqual({ status: 'ok' })
  })

  it('answers 503 when the store does not answer', async () => {
    t = await startAuditApp()
    await t.ops.store.close()
    const live = await request(t.app).get('/healthz')
    expect(live.status).toBe(503)
    const ready = await request(t.app).get('/healthz/ready')
    expect(ready.status).toBe(503)
    expect(ready.body).toMatchObject({ status: 'unavailable', store: false, sessions: false })
    const detailed = await (await adminAgent(t.app)).get('/healthz/ready')
    expect(detailed.status).toBe(503)
    expect(detailed.body).toMatchObject({
      status: 'unavailable',
      store: false,
      sessions: { kind: 'store', ready: false },
    })
  })

  it('shows everyone the detail with health.detail "public"', async () => {
    t = await startAuditApp({ health: { detail: 'public' } })
    cleanups.push(() => t.close())
    const shown = await t.ops.store.profiles.create(profileInput({ name: 'Shown' }))
    await t.ops.store.tokens.save(shown.id, { status: 'error', lastErrorCode: 'TOKEN_REFRESH_FAILED' })
    const res = await request(t.app).get('/healthz/ready')
    expect(res.body).toMatchObject({
      status: 'degraded',
      sessions: { kind: 'store', ready: true },
      profiles: [{ name: 'Shown', status: 'error', lastErrorCode: 'TOKEN_REFRESH_FAILED' }],
      profileCounts: { total: 1, needingAttention: 1 },
    })
  })

  it('asks each provider for its discovery document once per health.probeCacheMs, however many ask for the report', async () => {
    op = await startOidcProvider({
      clients: [{ client_id: 'app', client_secret: 'x'.repeat(32), redirect_uris: ['http://127.0.0.1/cb'] }],
    })
    cleanups.push(() => op.close())
    t = await startAuditApp({ oidc: { issuer: op.issuer, clientId: 'app' }, health: { probeCacheMs: 30_000 } })
    cleanups.push(() => t.close())
    const admin = await adminAgent(t.app)
    op.resetCounters()
    const answers = await Promise.all(Array.from({ length: 10 }, () => request(t.app).get('/healthz/ready')))
    for (let i = 0; i < 10; i++) answers.push(await (i % 2 ? admin : request(t.app)).get('/healthz/ready'))
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200))
    expect(op.requests['/.well-known/openid-configuration']).toBe(1)
    // The window is over: the next report asks again.
    t.ops.clock.advance(30_001)
    expect((await admin.get('/healthz/ready')).body.providers).toEqual([{ id: 'default', discovery: true }])
    expect(op.requests['/.well-known/openid-configuration']).toBe(2)
  })
})

describe('the readiness report in createAuthdock', () => {
  it('gives the detail to a logged-in admin (the real session and guard) and the summary to anyone else', async () => {
    const carol = {
      id: 'u-carol',
      username: 'carol',
      email: 'carol@example.com',
      password: 'carol-password',
      passwordLogin: true,
      admin: false,
    }
    const app = await startTestApp({ users: [...TEST_USERS, carol] })
    cleanups.push(() => app.close())
    const summary = { status: 'ok', store: true, sessions: true, providers: true, profiles: true }
    const logIn = async (username: string, password: string) => {
      const browser = new BrowserClient()
      const res = await browser.request(`${app.url}/auth/password`, {
        form: { _csrf: await csrfOf(browser, app), username, password },
      })
      expect(res.status).toBe(303)
      return browser
    }
    const ready = async (browser: BrowserClient) => (await browser.request(`${app.url}/healthz/ready`)).json()

    expect(await ready(new BrowserClient())).toEqual(summary)
    expect(await ready(await logIn('carol', 'carol-password'))).toEqual(summary)
    expect(await ready(await logIn('alice', 'alice-password'))).toEqual({
      status: 'ok',
      store: true,
      sessions: { kind: 'store', ready: true },
      providers: [],
      profiles: [],
      profileCounts: { total: 0, needingAttention: 0 },
    })
  })
})
