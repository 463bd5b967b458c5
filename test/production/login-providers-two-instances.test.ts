/**
 * Two instances on one PostgreSQL database, as behind a load balancer: a login provider created,
 * edited (a new secret, a new scope) and deactivated through instance A's admin API takes effect on
 * instance B within 5 s, without a restart. The provider's token endpoint sees the new secret on
 * the next login at B. Polls, never sleeps. Skips with a message where PostgreSQL is absent on a
 * developer's machine; in CI it runs.
 */
import type { IncomingMessage } from 'node:http'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { createPostgresDatabase, postgresAvailable, TEST_KEYS } from '../fixtures/databases.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { me } from '../login/helpers.js'

const hasPostgres = await postgresAvailable()
const ADMIN = { 'x-test-admin': 'yes' }
/** The longest a change may take to reach the other instance. */
const WITHIN_MS = 5_000

describe.skipIf(!hasPostgres)('login providers on two instances sharing PostgreSQL', () => {
  let a: TestApp
  let b: TestApp
  let op: OidcProviderFixture
  let drop: () => Promise<void>
  /** The client secret of every token request the provider received (Basic auth). */
  const tokenRequestSecrets: string[] = []

  beforeAll(async () => {
    const db = (await createPostgresDatabase())!
    drop = db.drop
    // The same encryption key on both, as on every instance of one host.
    const options = {
      options: { encryptionKey: TEST_KEYS },
      database: db.url,
      admin: { guard: (req: { get(name: string): string | undefined }) => req.get('x-test-admin') === 'yes' },
    }
    a = await startTestApp(options)
    b = await startTestApp(options)
    op = await startOidcProvider({ clients: [], defaultAccount: 'bob' })
    op.server.on('request', (req: IncomingMessage) => {
      const auth = req.headers.authorization
      if (req.url?.startsWith('/token') && auth?.startsWith('Basic ')) {
        const [, secret] = Buffer.from(auth.slice(6), 'base64').toString().split(':')
        tokenRequestSecrets.push(decodeURIComponent(secret))
      }
    })
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
    await op?.close()
    await drop?.()
  })

  /** The provider's client, allowed back to both instances. */
  const register = (id: string, secret: string) =>
    op.setClient({
      client_id: 'shared-app',
      client_secret: secret,
      redirect_uris: [a.dock.loginProviders.service.redirectUri(id), b.dock.loginProviders.service.redirectUri(id)],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    })

  /** Where B's /auth/login sends a browser: the provider's authorization URL, or 200 for the password form. */
  async function loginAtB(): Promise<{ status: number; location: string | null }> {
    const res = await new BrowserClient().request(`${b.url}/auth/login`)
    await res.arrayBuffer()
    return { status: res.status, location: res.headers.get('location') }
  }

  it('creates, edits (new secret, new scope) and deactivates on A; B follows within 5 s each time', async () => {
    // B has looked at its providers already (none): what follows must reach a warm instance.
    expect((await loginAtB()).status).toBe(200)

    const agent = request.agent(a.app)
    const csrf = (await agent.get(`${a.dock.config.paths.loginProvidersApi}/csrf`).set(ADMIN)).body.csrfToken as string
    const api = (method: 'post' | 'patch', path = '') =>
      agent[method](`${a.dock.config.paths.loginProvidersApi}${path}`).set(ADMIN).set('x-csrf-token', csrf)

    // Create: the id is chosen up front so the provider can know the redirect URIs first.
    const id = a.dock.loginProviders.service.newId()
    await register(id, 'first-secret-0123456789')
    const created = await api('post').send({
      id,
      label: 'Shared IdP',
      issuer: op.issuer,
      clientId: 'shared-app',
      clientSecret: 'first-secret-0123456789',
      scope: 'openid profile email',
    })
    expect(created.status).toBe(201)
    const createdAt = Date.now()
    await expect
      .poll(async () => (await loginAtB()).location ?? '', { timeout: WITHIN_MS, interval: 100 })
      .toContain(`${op.issuer}/auth?`)
    expect(Date.now() - createdAt).toBeLessThan(WITHIN_MS)
    const first = new BrowserClient()
    expect((await first.navigate(`${b.url}/auth/login?returnTo=/me`)).url).toBe(`${b.url}/me`)
    expect((await me(first, b)).body.user.id).toBe('u-bob')
    expect(tokenRequestSecrets.at(-1)).toBe('first-secret-0123456789')

    // Edit: the administrator rotates the secret at the provider and enters it on A, with a new scope.
    await register(id, 'second-secret-0123456789')
    const edited = await api('patch', `/${id}`).send({
      clientSecret: 'second-secret-0123456789',
      scope: 'openid email',
    })
    expect(edited.body.provider).toMatchObject({ scope: 'openid email', hasClientSecret: true })
    const editedAt = Date.now()
    const scopeAtB = async () => new URL((await loginAtB()).location ?? 'http://x/').searchParams.get('scope') ?? ''
    await expect.poll(scopeAtB, { timeout: WITHIN_MS, interval: 100 }).toMatch(/^openid email( offline_access)?$/)
    expect(Date.now() - editedAt).toBeLessThan(WITHIN_MS)
    const second = new BrowserClient()
    expect((await second.navigate(`${b.url}/auth/login?returnTo=/me`)).url).toBe(`${b.url}/me`)
    expect((await me(second, b)).body.user.id).toBe('u-bob')
    // The provider's token endpoint saw the new secret, from B, which never restarted.
    expect(tokenRequestSecrets.at(-1)).toBe('second-secret-0123456789')

    // Deactivate: B shows the password form again.
    expect((await api('patch', `/${id}`).send({ active: false })).status).toBe(200)
    const deactivatedAt = Date.now()
    await expect.poll(async () => (await loginAtB()).status, { timeout: WITHIN_MS, interval: 100 }).toBe(200)
    expect(Date.now() - deactivatedAt).toBeLessThan(WITHIN_MS)
  })
})
