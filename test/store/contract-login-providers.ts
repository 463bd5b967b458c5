import { describe, expect, it } from 'vitest'
import type { LoginProviderInput } from '../../src/store/types.js'
import { codeOf, fresh, open, type StoreHarness } from './contract-helpers.js'

export function loginProviderInput(overrides: Partial<LoginProviderInput> = {}): LoginProviderInput {
  return {
    label: 'Partner IdP',
    active: true,
    issuer: 'https://idp.example.com/realms/acme',
    clientId: 'app',
    clientSecret: 'login-secret-value',
    secretExpiresAt: null,
    scope: 'openid profile email',
    claim: 'email',
    claimLabel: 'E-Mail',
    authorizationParams: {},
    idTokenAlgorithms: null,
    preset: null,
    tenantId: null,
    ...overrides,
  }
}

export function loginProviderContract(h: StoreHarness): void {
  describe('login providers', () => {
    it('creates a provider under the given id, never showing the secret, and bumps the version', async () => {
      const { store, clock } = await fresh(h)
      const v0 = await store.loginProviders.version()
      const p = await store.loginProviders.create(
        'p.aaaaaaaaaaaa',
        loginProviderInput({
          authorizationParams: { domain_hint: 'example.com' },
          idTokenAlgorithms: ['RS256'],
          secretExpiresAt: new Date('2031-01-01T00:00:00Z'),
        }),
      )
      expect(p).toMatchObject({
        id: 'p.aaaaaaaaaaaa',
        label: 'Partner IdP',
        active: true,
        hasClientSecret: true,
        version: 1,
        authorizationParams: { domain_hint: 'example.com' },
        idTokenAlgorithms: ['RS256'],
        createdAt: new Date(clock.t),
      })
      expect(p.secretExpiresAt).toEqual(new Date('2031-01-01T00:00:00Z'))
      expect(p).not.toHaveProperty('clientSecret')
      expect(JSON.stringify(await store.loginProviders.list())).not.toContain('login-secret-value')
      expect(await store.loginProviders.getClientSecret(p.id)).toBe('login-secret-value')
      expect(await store.loginProviders.get(p.id)).toEqual(p)
      expect(await store.loginProviders.version()).toBeGreaterThan(v0)
      expect(await codeOf(store.loginProviders.create('p.aaaaaaaaaaaa', loginProviderInput()))).toBe(
        'VALIDATION_FAILED',
      )
    })

    it('keeps, replaces or removes the secret; drops it when the issuer moves to another origin without a new one', async () => {
      const { store } = await fresh(h)
      const p = await store.loginProviders.create('p.bbbbbbbbbbbb', loginProviderInput())
      const kept = await store.loginProviders.update(
        p.id,
        loginProviderInput({
          clientSecret: undefined,
          scope: 'openid email',
          issuer: 'https://idp.example.com/realms/other',
        }),
      )
      expect(kept).toMatchObject({
        secretDropped: false,
        provider: { hasClientSecret: true, scope: 'openid email', version: 2 },
      })
      const moved = await store.loginProviders.update(
        p.id,
        loginProviderInput({ clientSecret: undefined, issuer: 'https://login.example.org/realms/acme' }),
      )
      expect(moved).toMatchObject({ secretDropped: true, provider: { hasClientSecret: false } })
      expect(await store.loginProviders.getClientSecret(p.id)).toBeNull()
      const back = await store.loginProviders.update(
        p.id,
        loginProviderInput({ clientSecret: 'new-secret', issuer: 'https://idp.example.com/realms/acme' }),
      )
      expect(back).toMatchObject({ secretDropped: false, provider: { hasClientSecret: true } })
      expect(await store.loginProviders.getClientSecret(p.id)).toBe('new-secret')
      expect(
        (await store.loginProviders.update(p.id, loginProviderInput({ clientSecret: null }))).provider.hasClientSecret,
      ).toBe(false)
      expect(await codeOf(store.loginProviders.update('p.nonexistent0', loginProviderInput()))).toBe(
        'LOGIN_PROVIDER_NOT_FOUND',
      )
    })

    it('lists the active ones with their secrets for the login; every write changes the version another store sees', async () => {
      const { store, url, clock } = await fresh(h)
      const other = await open(url, clock)
      const a = await store.loginProviders.create('p.cccccccccccc', loginProviderInput({ label: 'B active' }))
      await store.loginProviders.create(
        'p.dddddddddddd',
        loginProviderInput({ label: 'A inactive', active: false, clientSecret: null }),
      )
      expect((await store.loginProviders.list()).map((p) => p.label)).toEqual(['A inactive', 'B active'])
      expect((await other.loginProviders.activeWithSecrets()).map((p) => [p.id, p.clientSecret])).toEqual([
        [a.id, 'login-secret-value'],
      ])
      const seen = await other.loginProviders.version()
      await store.loginProviders.update(a.id, loginProviderInput({ active: false }))
      const afterUpdate = await other.loginProviders.version()
      expect(afterUpdate).not.toBe(seen)
      expect(await other.loginProviders.activeWithSecrets()).toEqual([])
      expect(await store.loginProviders.delete(a.id)).toBe(true)
      expect(await other.loginProviders.version()).not.toBe(afterUpdate)
      expect(await store.loginProviders.delete(a.id)).toBe(false)
    })

    it('counts the distinct users who logged in through a provider (audit and remembered devices)', async () => {
      const { store, clock } = await fresh(h)
      const p = await store.loginProviders.create('p.eeeeeeeeeeee', loginProviderInput())
      expect(await store.loginProviders.userCount(p.id)).toBe(0)
      await store.audit.add({ kind: 'login.succeeded', actor: 'u1', details: { providerId: p.id, method: 'oidc' } })
      await store.audit.add({ kind: 'login.succeeded', actor: 'u1', details: { providerId: p.id, method: 'silent' } })
      await store.audit.add({
        kind: 'login.succeeded',
        actor: 'u9',
        details: { providerId: 'default', method: 'oidc' },
      })
      await store.audit.add({ kind: 'login.failed', actor: 'u8', details: { providerId: p.id } })
      await store.loginTokens.put({
        deviceHash: 'd1',
        providerId: p.id,
        userId: 'u2',
        refreshToken: 'rt',
        expiresAt: new Date(clock.t + 60_000),
      })
      await store.loginTokens.put({
        deviceHash: 'd2',
        providerId: p.id,
        userId: 'u1',
        refreshToken: 'rt',
        expiresAt: new Date(clock.t + 60_000),
      })
      expect(await store.loginProviders.userCount(p.id)).toBe(2)
    })

    it('re-encrypts the login client secret with the other secrets', async () => {
      const { store } = await fresh(h)
      await store.loginProviders.create('p.ffffffffffff', loginProviderInput())
      expect(await store.reencryptAll()).toBe(0)
    })
  })
}
