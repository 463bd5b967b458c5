/**
 * Login through providers managed in the admin, without a restart: a new provider is on the chooser
 * next to the configured one and logs in at its own callback; a new secret is used by the next
 * login; a login under way whose provider changes ends on the retry page with LOGIN_PROVIDER_CHANGED
 * (or completes, when only the secret changed); no active provider means the password form; a
 * refused client secret (AADSTS7000222 / 7000215, invalid_client) has its own code and retry text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LoginProviderInput } from '../../src/store/types.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startHostileOp, type HostileOp } from '../fixtures/hostile-op.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { followUntil, me, shownCode } from './helpers.js'

let alpha: OidcProviderFixture
let beta: OidcProviderFixture
let hostile: HostileOp
let app: TestApp

const betaClient = (redirectUri: string, secret: string) => ({
  client_id: 'authdock-at-beta',
  client_secret: secret,
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code' as const],
})

const input = (overrides: Partial<LoginProviderInput> = {}): LoginProviderInput => ({
  label: 'Beta Partners',
  active: true,
  issuer: beta.issuer,
  clientId: 'authdock-at-beta',
  clientSecret: 'beta-secret-one-0123456789',
  secretExpiresAt: null,
  scope: 'openid profile email',
  claim: 'email',
  claimLabel: 'E-Mail',
  authorizationParams: {},
  idTokenAlgorithms: null,
  preset: null,
  tenantId: null,
  ...overrides,
})

beforeAll(async () => {
  beta = await startOidcProvider({ clients: [], defaultAccount: 'bob' })
  hostile = await startHostileOp()
  app = await startTestApp({
    oidc: async (baseUrl) => {
      alpha = await startOidcProvider({
        clients: [
          {
            client_id: 'app',
            client_secret: 'alpha-secret-0123456789',
            redirect_uris: [`${baseUrl}/auth/callback`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
        ],
      })
      return {
        id: 'corp',
        label: 'Corp SSO',
        issuer: alpha.issuer,
        clientId: 'app',
        clientSecret: 'alpha-secret-0123456789',
      }
    },
  })
})
afterAll(async () => {
  await app?.close()
  await Promise.all([alpha?.close(), beta?.close(), hostile?.close()])
})

const service = () => app.dock.loginProviders.service

/** A provider at beta, registered there with `secret`; returns its id. */
async function betaProvider(
  secret = 'beta-secret-one-0123456789',
  overrides: Partial<LoginProviderInput> = {},
): Promise<string> {
  const id = service().newId()
  await beta.setClient(betaClient(service().redirectUri(id), secret))
  await service().create(input({ clientSecret: secret, ...overrides }), 'test-admin', id)
  return id
}

async function lastLoginFailure(): Promise<{ details: Record<string, unknown> }> {
  const [entry] = await app.dock.store.audit.list({ kind: 'login.failed', limit: 1 })
  return entry
}

describe('login providers managed in the admin', () => {
  it('lists a new provider on the chooser at once and logs bob in at its own callback, next to the configured provider', async () => {
    const id = await betaProvider()
    expect(service().redirectUri(id)).toBe(`${app.url}/auth/callback/${id}`)
    const chooser = await new BrowserClient().request(`${app.url}/auth/login`)
    const html = await chooser.text()
    expect(chooser.status).toBe(200)
    expect(html).toContain('Log in with Corp SSO')
    expect(html).toContain(`href="/auth/login/${id}"`)
    expect(html).toContain('Log in with Beta Partners')

    const bob = new BrowserClient()
    const { url } = await bob.navigate(`${app.url}/auth/login/${id}?returnTo=/me`)
    expect(url).toBe(`${app.url}/me`)
    expect(bob.hops.some((h) => h.url.startsWith(`${app.url}/auth/callback/${id}?`))).toBe(true)
    expect((await me(bob, app)).body.user.id).toBe('u-bob')
    expect(app.claimLookups.at(-1)).toMatchObject({
      providerId: id,
      issuer: beta.issuer,
      claim: 'email',
      value: 'bob@example.com',
    })

    // The configured provider keeps its callback (/auth/callback) and still works.
    const alice = new BrowserClient()
    expect((await alice.navigate(`${app.url}/auth/login/corp?returnTo=/me`)).url).toBe(`${app.url}/me`)
    expect(alice.hops.some((h) => h.url.startsWith(`${app.url}/auth/callback?`))).toBe(true)
    expect((await me(alice, app)).body.user.id).toBe('u-alice')
    await service().delete(id, 'test-admin')
  })

  it('uses a new client secret from the next login on, and says OIDC_CLIENT_SECRET_INVALID while the old one is refused', async () => {
    const id = await betaProvider('beta-secret-one-0123456789')
    // The administrator rotates the secret at the provider first: the stored one is now refused.
    await beta.setClient(betaClient(service().redirectUri(id), 'beta-secret-two-0123456789'))
    const refused = await new BrowserClient().navigate(`${app.url}/auth/login/${id}`)
    expect(refused.url).toBe(`${app.url}/auth/retry?reason=error`)
    expect(shownCode(refused.body)).toBe('OIDC_CLIENT_SECRET_INVALID')
    expect(refused.body).toContain('refuses the client ID or client secret')
    expect((await lastLoginFailure()).details).toMatchObject({
      providerId: id,
      reason: 'OIDC_CLIENT_SECRET_INVALID',
      method: 'oidc',
    })

    const current = (await app.dock.store.loginProviders.get(id))!
    await service().update(
      id,
      { ...input(), label: current.label, clientSecret: 'beta-secret-two-0123456789' },
      'test-admin',
    )
    const bob = new BrowserClient()
    expect((await bob.navigate(`${app.url}/auth/login/${id}?returnTo=/me`)).url).toBe(`${app.url}/me`)
    expect((await me(bob, app)).body.user.id).toBe('u-bob')
    await service().delete(id, 'test-admin')
  })

  it('completes a login under way when only the secret changed meanwhile', async () => {
    const id = await betaProvider('beta-secret-one-0123456789')
    const bob = new BrowserClient()
    const callback = await followUntil(bob, `${app.url}/auth/login/${id}?returnTo=/me`, (next) =>
      next.startsWith(`${app.url}/auth/callback/${id}`),
    )
    await beta.setClient(betaClient(service().redirectUri(id), 'beta-secret-two-0123456789'))
    await service().update(
      id,
      input({ clientSecret: 'beta-secret-two-0123456789', scope: 'openid email' }),
      'test-admin',
    )
    const { url } = await bob.navigate(callback)
    expect(url).toBe(`${app.url}/me`)
    expect((await me(bob, app)).body.user.id).toBe('u-bob')
    await service().delete(id, 'test-admin')
  })

  it('ends a login under way on the retry page with LOGIN_PROVIDER_CHANGED when its issuer or client changed, or it was deactivated', async () => {
    for (const change of ['issuer', 'deactivated', 'deleted'] as const) {
      const id = await betaProvider()
      const bob = new BrowserClient()
      const callback = await followUntil(bob, `${app.url}/auth/login/${id}`, (next) =>
        next.startsWith(`${app.url}/auth/callback/${id}`),
      )
      if (change === 'issuer')
        await service().update(
          id,
          input({ issuer: hostile.issuer, clientId: hostile.clientId, clientSecret: hostile.clientSecret }),
          'test-admin',
        )
      if (change === 'deactivated') await service().update(id, input({ active: false }), 'test-admin')
      if (change === 'deleted') await service().delete(id, 'test-admin')
      const { res, url, body } = await bob.navigate(callback)
      expect(res.status, change).toBe(200)
      expect(url, change).toBe(`${app.url}/auth/retry?reason=error`)
      expect(shownCode(body), change).toBe('LOGIN_PROVIDER_CHANGED')
      expect(body, change).toContain('was changed, deactivated or removed while you were logging in')
      expect((await lastLoginFailure()).details, change).toMatchObject({
        providerId: id,
        reason: 'LOGIN_PROVIDER_CHANGED',
      })
      expect((await me(bob, app)).status).toBe(401)
      if (change !== 'deleted') await service().delete(id, 'test-admin')
    }
  })

  it('answers 404 LOGIN_PROVIDER_UNKNOWN at the callback of a removed provider when no login is under way', async () => {
    const res = await new BrowserClient().request(`${app.url}/auth/callback/p.abcdefabcdef?code=x&state=y`, {
      headers: { accept: 'application/json' },
    })
    expect(res.status).toBe(404)
    expect((await res.json()).error.code).toBe('LOGIN_PROVIDER_UNKNOWN')
  })

  it.each([
    ['token-invalid-client-expired', 'OIDC_CLIENT_SECRET_EXPIRED', 'has expired'],
    ['token-invalid-client', 'OIDC_CLIENT_SECRET_INVALID', 'refuses the client ID or client secret'],
  ] as const)(
    'lands on the retry page with its own code when the token endpoint answers %s',
    async (fault, code, text) => {
      const id = service().newId()
      await service().create(
        input({
          label: 'Entra lookalike',
          issuer: hostile.issuer,
          clientId: hostile.clientId,
          clientSecret: hostile.clientSecret,
        }),
        'test-admin',
        id,
      )
      hostile.fault = fault
      try {
        const { url, body } = await new BrowserClient().navigate(`${app.url}/auth/login/${id}`)
        expect(url).toBe(`${app.url}/auth/retry?reason=error`)
        expect(shownCode(body)).toBe(code)
        expect(body).toContain(text)
        expect(body).toContain('Login providers')
        expect((await lastLoginFailure()).details).toMatchObject({
          providerId: id,
          reason: code,
          method: 'oidc',
          phase: 'callback',
          providerError: 'invalid_client',
        })
      } finally {
        hostile.fault = 'none'
        await service().delete(id, 'test-admin')
      }
    },
  )
})

describe('no active provider', () => {
  let only: TestApp
  beforeAll(async () => {
    only = await startTestApp({ options: { health: { detail: 'public', probeCacheMs: 0 } } })
  })
  afterAll(async () => {
    await only?.close()
  })

  it('starts the OIDC login while an admin-managed provider is active, and shows the password form once none is', async () => {
    const svc = only.dock.loginProviders.service
    const id = svc.newId()
    await beta.setClient({ ...betaClient(svc.redirectUri(id), 'beta-secret-one-0123456789'), client_id: 'only-app' })
    await svc.create(input({ clientId: 'only-app' }), 'test-admin', id)
    const started = await new BrowserClient().request(`${only.url}/auth/login`)
    expect(started.status).toBe(302)
    expect(started.headers.get('location')).toContain(`${beta.issuer}/auth?`)
    // The readiness report probes it like a configured provider.
    const ready = await (await fetch(`${only.url}/healthz/ready`)).json()
    expect(ready.providers).toEqual([{ id, discovery: true }])

    await svc.update(id, input({ clientId: 'only-app', active: false }), 'test-admin')
    const form = await new BrowserClient().request(`${only.url}/auth/login`)
    const html = await form.text()
    expect(form.status).toBe(200)
    expect(html).toContain('name="password"')
    expect(html).not.toContain('Beta Partners')
    expect((await (await fetch(`${only.url}/healthz/ready`)).json()).providers).toEqual([])
  })
})
