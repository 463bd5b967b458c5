import { describe, expect, it } from 'vitest'
import { codeOf, fresh, profileInput, type StoreHarness } from './contract-helpers.js'

export function tokenContract(h: StoreHarness): void {
  describe('tokens', () => {
    it('creates a record with defaults on the first save and applies later patches field by field', async () => {
      const { store, clock } = await fresh(h)
      const p = await store.profiles.create(profileInput())
      expect(await store.tokens.get(p.id)).toBeNull()
      const first = await store.tokens.save(p.id, {
        accessToken: 'access-1',
        refreshToken: 'refresh-1',
        accessTokenExpiresAt: new Date(clock.t + 3600_000),
        tokenType: 'Bearer',
        scope: 'mail',
        lastRefreshAt: new Date(clock.t),
        authorizedBy: 'alice',
        authorizedAccount: 'box@example.com',
        authorizedAt: new Date(clock.t),
      })
      expect(first).toMatchObject({
        profileId: p.id,
        status: 'ok',
        failureCount: 0,
        version: 1,
        accessToken: 'access-1',
        refreshToken: 'refresh-1',
        lastErrorCode: null,
        nextAttemptAt: null,
      })
      const second = await store.tokens.save(p.id, {
        status: 'error',
        lastErrorCode: 'invalid_grant',
        lastErrorMessage: 'The refresh token was refused',
        lastErrorAt: new Date(clock.t),
        failureCount: 3,
        nextAttemptAt: new Date(clock.t + 60_000),
        refreshTokenUsedAt: new Date(clock.t),
      })
      expect(second).toMatchObject({
        version: 2,
        accessToken: 'access-1',
        refreshToken: 'refresh-1',
        status: 'error',
        failureCount: 3,
        authorizedBy: 'alice',
        tokenType: 'Bearer',
      })
      expect(second.nextAttemptAt).toEqual(new Date(clock.t + 60_000))
      expect(await store.tokens.get(p.id)).toEqual(second)
      const cleared = await store.tokens.save(p.id, { accessToken: null, accessTokenExpiresAt: null })
      expect(cleared).toMatchObject({
        accessToken: null,
        accessTokenExpiresAt: null,
        refreshToken: 'refresh-1',
        version: 3,
      })
    })

    it('summarises token state without the tokens themselves', async () => {
      const { store } = await fresh(h)
      const a = await store.profiles.create(profileInput({ name: 'a' }))
      const b = await store.profiles.create(profileInput({ name: 'b' }))
      await store.tokens.save(a.id, { accessToken: 'access-a', refreshToken: 'refresh-a' })
      await store.tokens.save(b.id, { refreshToken: 'refresh-b', status: 'reauthorization_required' })
      const summary = await store.tokens.summary(a.id)
      expect(summary).toMatchObject({ profileId: a.id, hasAccessToken: true, hasRefreshToken: true, version: 1 })
      expect(summary).not.toHaveProperty('accessToken')
      expect(summary).not.toHaveProperty('refreshToken')
      const all = await store.tokens.summaries()
      expect(all.map((s) => [s.profileId, s.hasAccessToken, s.status]).sort()).toEqual(
        [
          [a.id, true, 'ok'],
          [b.id, false, 'reauthorization_required'],
        ].sort(),
      )
      expect(JSON.stringify(all)).not.toMatch(/access-a|refresh-a|refresh-b/)
      expect(await store.tokens.summary('unknown')).toBeNull()
    })

    it('refuses to save tokens for an unknown profile with PROFILE_NOT_FOUND', async () => {
      const { store } = await fresh(h)
      expect(await codeOf(store.tokens.save('00000000-0000-0000-0000-000000000000', { accessToken: 'x' }))).toBe(
        'PROFILE_NOT_FOUND',
      )
    })

    it('clears the token record', async () => {
      const { store } = await fresh(h)
      const p = await store.profiles.create(profileInput())
      await store.tokens.save(p.id, { accessToken: 'x' })
      await store.tokens.clear(p.id)
      expect(await store.tokens.get(p.id)).toBeNull()
      await store.tokens.clear(p.id)
    })
  })
}
