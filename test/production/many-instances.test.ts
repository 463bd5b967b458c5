/**
 * Many instances: two example-app processes (as `npm start` runs them) behind one identity provider,
 * sharing their sessions in Redis and their store in PostgreSQL, with the same AUTHDOCK_KEY and
 * SESSION_SECRET — the way a host runs behind a load balancer.
 *
 * - A login on instance A continues on instance B, and a logout on B ends it on A.
 * - A burst of token requests on both instances, on an expired access token, costs exactly one
 *   refresh request at the provider, and every caller gets the new token.
 * - The daily check, started by both instances at once, runs on exactly one.
 *
 * The browser is one cookie jar for both instances: browsers do not keep cookies apart by port
 * (RFC 6265 §8.5), so localhost:A and localhost:B see the same cookies, as behind a load balancer.
 * Skips with a message where PostgreSQL or Redis is absent on a developer's machine; in CI it runs.
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.js'
import type { Store } from '../../src/store/types.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { createPostgresDatabase, postgresAvailable } from '../fixtures/databases.js'
import { startExampleProcess, type ExampleProcess } from '../fixtures/example-process.js'
import { REDIS_URL, clearRedisPrefix, redisAvailable } from '../fixtures/redis-server.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { sha256, startSmtpServer, type SmtpFixture } from '../fixtures/smtp-server.js'
import { createTestCa } from '../fixtures/test-ca.js'

// Both instances listen on ports the OS picks, so the provider cannot list their redirect URIs in
// advance. Registered as native clients, their loopback redirect URIs match on any port (RFC 8252
// §7.3), which oidc-provider implements; nothing else about the flow changes.
const LOGIN_CLIENT = {
  client_id: 'authdock-example',
  client_secret: 'login-client-secret-0123456789',
  application_type: 'native',
  redirect_uris: ['http://localhost/auth/callback'],
  post_logout_redirect_uris: ['http://localhost/'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
}
const MAILBOX_CLIENT = {
  client_id: 'mailbox',
  client_secret: 'mailbox-client-secret-0123456789',
  application_type: 'native',
  redirect_uris: ['http://localhost/oauth2redirect'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
}
/** The mail server (the SMTP fixture) checks tokens by introspection. */
const MAIL_SERVER_CLIENT = {
  client_id: 'mail-server',
  client_secret: 'mail-server-secret-0123456789',
  grant_types: [],
  response_types: [],
  redirect_uris: [],
}
/** Token requests per instance in the burst. */
const BURST_PER_INSTANCE = 40
/** The per-run mail CA, trusted by the instances through MAIL_CA_FILE. */
const mailCaFile = join(tmpdir(), `authdock-mail-ca-${randomBytes(6).toString('hex')}.pem`)

const JSON_ACCEPT = { accept: 'application/json' }
const API = '/admin/api/oauth2-profiles'

// Skips with a message when PostgreSQL or Redis is absent (never in CI: both throw there).
const hasPostgres = await postgresAvailable()
const hasRedis = await redisAvailable('the many-instances tests')

/** One browser whose cookies both instances see. */
function sharedBrowser(...origins: string[]): BrowserClient {
  const browser = new BrowserClient()
  const jar = new Map()
  for (const origin of origins) browser.cookies.set(new URL(origin).host, jar)
  return browser
}

/** The same secrets and services for every instance; each run its own Redis key prefix. */
function instanceEnv(op: OidcProviderFixture, database: string): Record<string, string> {
  return {
    MAIL_CA_FILE: mailCaFile,
    OIDC_ISSUER: op.issuer,
    OIDC_CLIENT_ID: LOGIN_CLIENT.client_id,
    OIDC_CLIENT_SECRET: LOGIN_CLIENT.client_secret,
    AUTHDOCK_DATABASE: database,
    // The test provider's accounts are the demo users; beside a real provider they are off by default.
    DEMO_USERS: '1',
    REDIS_URL,
    REDIS_PREFIX: `authdock-test:${randomBytes(6).toString('hex')}:sess:`,
    AUTHDOCK_KEY: randomBytes(32).toString('base64'),
    SESSION_SECRET: randomBytes(24).toString('base64url'),
  }
}

describe.skipIf(!hasPostgres || !hasRedis)('two example app processes sharing PostgreSQL and Redis', () => {
  let op: OidcProviderFixture
  let smtp: SmtpFixture
  let db: { url: string; drop(): Promise<void> }
  let env: Record<string, string>
  let store: Store
  let a: ExampleProcess
  let b: ExampleProcess

  beforeAll(async () => {
    op = await startOidcProvider({ clients: [LOGIN_CLIENT, MAILBOX_CLIENT, MAIL_SERVER_CLIENT] as never })
    // The mail server speaks STARTTLS with a certificate of a per-run CA that the instances trust.
    const ca = createTestCa()
    writeFileSync(mailCaFile, ca.cert)
    smtp = await startSmtpServer(
      {
        url: `${op.issuer}/token/introspection`,
        clientId: MAIL_SERVER_CLIENT.client_id,
        clientSecret: MAIL_SERVER_CLIENT.client_secret,
      },
      { tls: { mode: 'starttls', ...ca.issueServer() } },
    )
    db = (await createPostgresDatabase())!
    env = instanceEnv(op, db.url)
    ;[a, b] = await Promise.all([startExampleProcess(env), startExampleProcess(env)])
    // The test's own look into the shared store (same database, same key).
    store = await openStore(db.url, { encryptionKeys: [env.AUTHDOCK_KEY], now: Date.now })
  })
  afterAll(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()])
    await store?.close()
    if (env) await clearRedisPrefix(env.REDIS_PREFIX)
    await smtp?.close()
    await op?.close()
    await db?.drop()
    // Both shut down cleanly (their store, Redis and timers closed).
    expect(codes).toEqual([0, 0])
  })

  /** Alice logs in on A through the provider (full authorization-code flow); the browser is shared with B. */
  async function aliceLoggedInOnA(): Promise<BrowserClient> {
    const browser = sharedBrowser(a.url, b.url)
    op.defaultAccount = 'alice'
    const done = await browser.navigate(`${a.url}/auth/login?returnTo=/me`, { headers: JSON_ACCEPT })
    expect(done.url).toBe(`${a.url}/me`)
    expect(done.res.status).toBe(200)
    expect(JSON.parse(done.body)).toMatchObject({ user: { id: 'alice', email: 'alice@example.com' } })
    return browser
  }

  async function me(browser: BrowserClient, instance: ExampleProcess): Promise<{ status: number; body: any }> {
    const res = await browser.request(`${instance.url}/me`, { headers: JSON_ACCEPT })
    return { status: res.status, body: await res.json() }
  }

  async function apiCsrf(browser: BrowserClient, instance: ExampleProcess): Promise<string> {
    const res = await browser.request(`${instance.url}${API}/csrf`, { headers: JSON_ACCEPT })
    expect(res.status).toBe(200)
    return ((await res.json()) as { csrfToken: string }).csrfToken
  }

  /** A JSON request to the admin API with the browser's session cookie and CSRF token. */
  async function apiPost(
    browser: BrowserClient,
    instance: ExampleProcess,
    path: string,
    csrf: string,
    body: unknown,
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${instance.url}${API}${path}`, {
      method: 'POST',
      headers: {
        ...JSON_ACCEPT,
        'content-type': 'application/json',
        'x-csrf-token': csrf,
        cookie: `authdock.sid=${browser.cookie(instance.url, 'authdock.sid')}`,
      },
      body: JSON.stringify(body),
    })
    return { status: res.status, body: await res.json() }
  }

  it('continues a login made on instance A on instance B, and a logout on B ends it on A', async () => {
    const browser = await aliceLoggedInOnA()
    const sid = browser.cookie(a.url, 'authdock.sid')
    expect(sid).toBeTruthy()

    // B has never seen this browser: the session comes from Redis.
    const onB = await me(browser, b)
    expect(onB.status).toBe(200)
    expect(onB.body.user).toMatchObject({ id: 'alice', email: 'alice@example.com' })
    expect(b.events('login.succeeded')).toEqual([])

    const out = await browser.request(`${b.url}/auth/logout`, { form: { _csrf: await apiCsrf(browser, b) } })
    expect(out.status).toBe(303)
    // RP-initiated logout at the provider, which sends the browser back to B afterwards.
    const endSession = new URL(out.headers.get('location')!)
    expect(endSession.origin).toBe(op.issuer)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${b.url}/`)
    expect(await b.waitForEvents('logout', 1)).toEqual([{ userId: 'alice', providerId: 'default' }])

    // A sees the session gone, and no stored device token logs alice back in silently.
    const onA = await me(browser, a)
    expect(onA.status).toBe(401)
    expect(onA.body.error.code).toBe('UNAUTHENTICATED')
    // Even with the old session cookie put back, as a copy kept by an attacker would be.
    browser.setCookie(a.url, 'authdock.sid', sid!)
    const replayed = await me(browser, a)
    expect(replayed.status).toBe(401)
    expect(replayed.body.error.code).toBe('UNAUTHENTICATED')
  })

  it(
    `refreshes an expired token once for ${2 * BURST_PER_INSTANCE} concurrent requests on both instances, and every caller gets the new token`,
    { timeout: 60_000 },
    async () => {
      const browser = await aliceLoggedInOnA()
      const csrf = await apiCsrf(browser, a)

      // An administrator creates the profile on A and renews its authorization there (code flow at the provider).
      const created = await apiPost(browser, a, '', csrf, {
        name: 'Support mailbox',
        grantType: 'authorization_code',
        authorizationUrl: `${op.issuer}/auth`,
        tokenUrl: `${op.issuer}/token`,
        redirectUrl: `${a.url}/oauth2redirect`,
        clientId: MAILBOX_CLIENT.client_id,
        clientSecret: MAILBOX_CLIENT.client_secret,
        scope: 'openid offline_access mail',
        valid: true,
      })
      expect(created.status).toBe(201)
      const profileId = created.body.profile.id as string
      const renewed = await browser.navigate(`${a.url}/admin/oauth2-profiles/${profileId}/authorize`, {
        method: 'POST',
        form: { _csrf: csrf },
      })
      expect(renewed.res.status).toBe(200)
      expect(renewed.body).toContain('Authorization renewed')

      // The access token runs out: moved to expired in the shared store, before either instance
      // has asked for it (so neither holds it in memory).
      const before = (await store.tokens.get(profileId))!
      expect(before.refreshToken).toBeTruthy()
      await store.tokens.save(profileId, { accessTokenExpiresAt: new Date(Date.now() - 1000) })
      op.resetCounters()

      // "Test connection" on both instances at once: each gets the profile's token from its token
      // provider and logs in with it at the mail server, which asks the provider whether it is active.
      const test = { type: 'SMTP_OAuth2', host: '127.0.0.1', port: smtp.port, user: 'alice' }
      const calls = [a, b].flatMap((instance) =>
        Array.from({ length: BURST_PER_INSTANCE }, () =>
          apiPost(browser, instance, `/${profileId}/test-connection`, csrf, test),
        ),
      )
      const answers = await Promise.all(calls)

      expect(answers.filter((r) => r.status !== 200)).toEqual([])
      const reports = answers.map(
        (r) => r.body.report as { ok: boolean; steps: Array<{ step: string; ok: boolean | null; code?: string }> },
      )
      expect(reports.filter((r) => !r.ok)).toEqual([])
      expect(smtp.attempts).toHaveLength(2 * BURST_PER_INSTANCE)
      expect(smtp.attempts.filter((l) => !l.accepted)).toEqual([])

      // Exactly one refresh reached the provider's token endpoint, from one of the two instances.
      expect(op.requests['/token']).toBe(1)
      expect(op.grants).toEqual({ refresh_token: 1 })
      // (The refresh happened before the 80 answers; its event line has long been read.)
      expect([...a.events('token.refreshed'), ...b.events('token.refreshed')]).toEqual([{ profileId }])

      // Every caller logged in with the same token: the new one now in the store, not the expired one.
      const after = (await store.tokens.get(profileId))!
      expect(after.accessToken).not.toBe(before.accessToken)
      expect(new Set(smtp.attempts.map((l) => l.tokenHash))).toEqual(new Set([sha256(after.accessToken!)]))
      expect(after.accessTokenExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000)
      expect(after.status).toBe('ok')
    },
  )
})

describe.skipIf(!hasPostgres || !hasRedis)('two example app processes started at once', () => {
  it('run the daily check on exactly one of them', async () => {
    const op = await startOidcProvider({ clients: [LOGIN_CLIENT] as never })
    const db = (await createPostgresDatabase())!
    const env = instanceEnv(op, db.url)
    const instances: ExampleProcess[] = []
    try {
      // A profile whose client secret runs out in 10 days: the daily check reports it (an audit
      // entry and a secret.expiring event) each time it runs.
      const seed = await openStore(db.url, { encryptionKeys: [env.AUTHDOCK_KEY], now: Date.now })
      const profile = await seed.profiles.create({
        name: 'Expiring mailbox',
        grantType: 'authorization_code',
        authorizationUrl: `${op.issuer}/auth`,
        tokenUrl: `${op.issuer}/token`,
        redirectUrl: 'http://localhost/oauth2redirect',
        clientId: 'mailbox',
        clientSecret: 'mailbox-client-secret-0123456789',
        scope: 'openid offline_access mail',
        valid: true,
        secretExpiresAt: new Date(Date.now() + 10.5 * 24 * 60 * 60_000),
        proxy: null,
        preset: null,
        tenantId: null,
      })
      await seed.close()

      instances.push(...(await Promise.all([startExampleProcess(env), startExampleProcess(env)])))
      // Each instance tries at start; stopping waits for a check under way, so after a clean exit
      // both have had their try.
      expect(await Promise.all(instances.map((i) => i.stop()))).toEqual([0, 0])

      const store = await openStore(db.url, { encryptionKeys: [env.AUTHDOCK_KEY], now: Date.now })
      try {
        const entries = await store.audit.list({ kind: 'secret.expiry' })
        expect(entries).toHaveLength(1)
        expect(entries[0]).toMatchObject({
          profileId: profile.id,
          details: { name: 'Expiring mailbox', daysLeft: 10, level: 'warning' },
        })
      } finally {
        await store.close()
      }
      const reported = instances.map((i) => i.events('secret.expiring').length)
      expect(reported.sort()).toEqual([0, 1])
    } finally {
      await Promise.all(instances.map((i) => i.stop()))
      await clearRedisPrefix(env.REDIS_PREFIX)
      await op.close()
      await db.drop()
    }
  })
})
