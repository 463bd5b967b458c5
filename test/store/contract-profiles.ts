import { describe, expect, it } from 'vitest'
import type { ProfileInput } from '../../src/store/types.js'
import { codeOf, fresh, profileInput, type StoreHarness } from './contract-helpers.js'

export function profileContract(h: StoreHarness): void {
  describe('profiles', () => {
    it('creates a profile that shows whether a secret is set but never the secret', async () => {
      const { store, clock } = await fresh(h)
      const p = await store.profiles.create(profileInput({ secretExpiresAt: new Date('2031-02-03T00:00:00Z') }))
      expect(p).toMatchObject({
        name: 'Mailbox',
        hasClientSecret: true,
        valid: true,
        createdAt: new Date(clock.t),
        updatedAt: new Date(clock.t),
      })
      expect(p.secretExpiresAt).toEqual(new Date('2031-02-03T00:00:00Z'))
      expect(p).not.toHaveProperty('clientSecret')
      expect(JSON.stringify(await store.profiles.list())).not.toContain('client-secret-value')
      expect(await store.profiles.getClientSecret(p.id)).toBe('client-secret-value')
      expect(await store.profiles.get(p.id)).toEqual(p)
      expect(await store.profiles.getByName('Mailbox')).toEqual(p)
    })

    it('lists profiles by name and answers null for unknown ids and names', async () => {
      const { store } = await fresh(h)
      await store.profiles.create(profileInput({ name: 'b', clientSecret: null, valid: false }))
      await store.profiles.create(profileInput({ name: 'a' }))
      const list = await store.profiles.list()
      expect(list.map((p) => [p.name, p.hasClientSecret, p.valid])).toEqual([
        ['a', true, true],
        ['b', false, false],
      ])
      expect(await store.profiles.get('00000000-0000-0000-0000-000000000000')).toBeNull()
      expect(await store.profiles.getByName('c')).toBeNull()
      expect(await store.profiles.getClientSecret('nope')).toBeNull()
    })

    it('refuses a duplicate name on create and on rename with PROFILE_NAME_TAKEN, changing nothing', async () => {
      const { store } = await fresh(h)
      await store.profiles.create(profileInput({ name: 'taken' }))
      expect(await codeOf(store.profiles.create(profileInput({ name: 'taken' })))).toBe('PROFILE_NAME_TAKEN')
      const other = await store.profiles.create(profileInput({ name: 'other' }))
      expect(await codeOf(store.profiles.update(other.id, profileInput({ name: 'taken', clientId: 'changed' })))).toBe(
        'PROFILE_NAME_TAKEN',
      )
      expect(await store.profiles.get(other.id)).toEqual(other)
      expect((await store.profiles.list()).length).toBe(2)
    })

    it('refuses to update an unknown profile with PROFILE_NOT_FOUND', async () => {
      const { store } = await fresh(h)
      expect(await codeOf(store.profiles.update('00000000-0000-0000-0000-000000000000', profileInput()))).toBe(
        'PROFILE_NOT_FOUND',
      )
    })

    it('keeps the client secret when it is undefined, removes it on null, replaces it with a value', async () => {
      const { store, clock } = await fresh(h)
      const p = await store.profiles.create(profileInput())
      clock.advance(1000)
      const kept = await store.profiles.update(p.id, profileInput({ clientSecret: undefined, valid: false }))
      expect(kept.profile).toMatchObject({
        hasClientSecret: true,
        valid: false,
        updatedAt: new Date(clock.t),
        createdAt: p.createdAt,
      })
      expect(await store.profiles.getClientSecret(p.id)).toBe('client-secret-value')
      await store.profiles.update(p.id, profileInput({ clientSecret: 'new-secret' }))
      expect(await store.profiles.getClientSecret(p.id)).toBe('new-secret')
      const removed = await store.profiles.update(p.id, profileInput({ clientSecret: null }))
      expect(removed.profile.hasClientSecret).toBe(false)
      expect(await store.profiles.getClientSecret(p.id)).toBeNull()
    })

    it('stores the mailbox and the revocation URL, keeps them when undefined and clears them on null, without clearing tokens', async () => {
      const { store } = await fresh(h)
      const bare = await store.profiles.create(profileInput())
      expect(bare).toMatchObject({ mailbox: null, revocationUrl: null })
      const p = await store.profiles.create(
        profileInput({
          name: 'Shared',
          mailbox: 'shared@example.com',
          revocationUrl: 'https://login.example.com/revoke',
        }),
      )
      expect(p).toMatchObject({ mailbox: 'shared@example.com', revocationUrl: 'https://login.example.com/revoke' })
      await store.tokens.save(p.id, { accessToken: 'at', refreshToken: 'rt' })
      const kept = await store.profiles.update(p.id, profileInput({ name: 'Shared', valid: false }))
      expect(kept.profile).toMatchObject({
        mailbox: 'shared@example.com',
        revocationUrl: 'https://login.example.com/revoke',
      })
      const changed = await store.profiles.update(
        p.id,
        profileInput({ name: 'Shared', mailbox: 'other@example.com', revocationUrl: null }),
      )
      expect(changed).toMatchObject({
        tokensCleared: false,
        profile: { mailbox: 'other@example.com', revocationUrl: null },
      })
      expect(await store.tokens.summary(p.id)).toMatchObject({ hasAccessToken: true, hasRefreshToken: true })
    })

    const keyChanges: Array<[string, Partial<ProfileInput>]> = [
      ['authorizationUrl', { authorizationUrl: 'https://other.example.com/authorize' }],
      ['tokenUrl', { tokenUrl: 'https://other.example.com/token' }],
      ['clientId', { clientId: 'client-2' }],
      ['scope', { scope: 'offline_access other' }],
      ['grantType', { grantType: 'client_credentials' }],
    ]
    for (const [field, change] of keyChanges) {
      it(`clears the tokens in the same update when ${field} changes`, async () => {
        const { store } = await fresh(h)
        const p = await store.profiles.create(profileInput())
        await store.tokens.save(p.id, { accessToken: 'at', refreshToken: 'rt' })
        const { tokensCleared, profile } = await store.profiles.update(
          p.id,
          profileInput({ ...change, clientSecret: undefined }),
        )
        expect(tokensCleared).toBe(true)
        expect(profile).toMatchObject(change)
        expect(await store.tokens.get(p.id)).toBeNull()
      })
    }

    it('keeps the tokens when only name, redirect URL, validity, expiry, proxy or secret change', async () => {
      const { store } = await fresh(h)
      const p = await store.profiles.create(profileInput())
      await store.tokens.save(p.id, { accessToken: 'at', refreshToken: 'rt' })
      const { tokensCleared } = await store.profiles.update(
        p.id,
        profileInput({
          name: 'Renamed',
          redirectUrl: null,
          valid: false,
          secretExpiresAt: new Date(),
          proxy: 'http://proxy:3128',
          clientSecret: 's2',
          preset: 'google',
          tenantId: 't',
        }),
      )
      expect(tokensCleared).toBe(false)
      expect((await store.tokens.get(p.id))?.refreshToken).toBe('rt')
    })

    it('drops the stored secret when the token URL, authorization URL or grant type moves to another server, and keeps it on a new path', async () => {
      const { store } = await fresh(h)
      const p = await store.profiles.create(profileInput())
      await store.profiles.update(
        p.id,
        profileInput({ tokenUrl: `${new URL(p.tokenUrl).origin}/v2/token`, clientSecret: undefined }),
      )
      expect(await store.profiles.getClientSecret(p.id)).toBe('client-secret-value')
      const { profile } = await store.profiles.update(
        p.id,
        profileInput({ tokenUrl: 'https://elsewhere.example.net/token', clientSecret: undefined }),
      )
      expect(profile.hasClientSecret).toBe(false)
      expect(await store.profiles.getClientSecret(p.id)).toBeNull()
      await store.profiles.update(
        p.id,
        profileInput({ tokenUrl: 'https://elsewhere.example.net/token', clientSecret: 'given-with-the-move' }),
      )
      await store.profiles.update(
        p.id,
        profileInput({
          tokenUrl: 'https://elsewhere.example.net/token',
          grantType: 'client_credentials',
          clientSecret: undefined,
        }),
      )
      expect(await store.profiles.getClientSecret(p.id)).toBeNull()
    })

    it('deletes a profile with its tokens; deleting twice answers false', async () => {
      const { store } = await fresh(h)
      const p = await store.profiles.create(profileInput())
      await store.tokens.save(p.id, { accessToken: 'at' })
      expect(await store.profiles.delete(p.id)).toBe(true)
      expect(await store.profiles.get(p.id)).toBeNull()
      expect(await store.tokens.get(p.id)).toBeNull()
      expect(await store.tokens.summaries()).toEqual([])
      expect(await store.profiles.delete(p.id)).toBe(false)
    })
  })
}
