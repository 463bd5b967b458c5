import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { keyId } from '../../src/store/crypto.js'
import { Clock, codeOf, open, profileInput, type StoreHarness } from './contract-helpers.js'

const newKey = () => randomBytes(32).toString('base64')

export function keyContract(h: StoreHarness): void {
  describe('encryption keys', () => {
    it('rotates keys: reads old values with [new, old], re-encrypts all, then works with [new] alone', async () => {
      const url = await h.newDatabase()
      const clock = new Clock()
      const [oldKey, nextKey] = [newKey(), newKey()]
      const before = await open(url, clock, [oldKey])
      const p = await before.profiles.create(profileInput())
      await before.tokens.save(p.id, { accessToken: 'access-old', refreshToken: 'refresh-old' })
      await before.loginTokens.put({
        deviceHash: 'dev',
        providerId: 'p',
        userId: 'u',
        refreshToken: 'login-old',
        expiresAt: new Date(clock.t + 1000),
      })
      await before.close()

      const both = await open(url, clock, [nextKey, oldKey])
      expect(await both.profiles.getClientSecret(p.id)).toBe('client-secret-value')
      expect(await both.reencryptAll()).toBe(4)
      expect(await both.reencryptAll()).toBe(0)
      await both.close()

      const onlyNew = await open(url, clock, [nextKey])
      expect(await onlyNew.profiles.getClientSecret(p.id)).toBe('client-secret-value')
      expect(await onlyNew.tokens.get(p.id)).toMatchObject({ accessToken: 'access-old', refreshToken: 'refresh-old' })
      expect((await onlyNew.loginTokens.get('dev'))?.refreshToken).toBe('login-old')
    })

    it('fails with DECRYPT_FAILED naming the missing key id, never the value', async () => {
      const url = await h.newDatabase()
      const clock = new Clock()
      const [oldKey, otherKey] = [newKey(), newKey()]
      const writer = await open(url, clock, [oldKey])
      const p = await writer.profiles.create(profileInput())
      await writer.close()
      const reader = await open(url, clock, [otherKey])
      const error = await reader.profiles.getClientSecret(p.id).catch((e: unknown) => e as Error & { code: string })
      expect(error).toMatchObject({ code: 'DECRYPT_FAILED' })
      expect((error as Error).message).toContain(keyId(Buffer.from(oldKey, 'base64')))
      expect((error as Error).message).not.toContain('client-secret-value')
      // Reading what holds no secret still works without the key.
      expect((await reader.profiles.get(p.id))?.hasClientSecret).toBe(true)
      expect(await codeOf(reader.reencryptAll())).toBe('DECRYPT_FAILED')
    })
  })

  describe('lifecycle', () => {
    it('runs each migration once, also when four instances open a new database together', async () => {
      const url = await h.newDatabase()
      const clock = new Clock()
      const stores = await Promise.all([1, 2, 3, 4].map(() => open(url, clock)))
      await stores[0].profiles.create(profileInput())
      const again = await open(url, clock)
      expect((await again.profiles.list()).length).toBe(1)
      expect(again.kind).toBe(h.kind)
    })

    it('answers ping while open and STORE_UNAVAILABLE after close', async () => {
      const url = await h.newDatabase()
      const store = await open(url, new Clock())
      await store.ping()
      await store.close()
      expect(await codeOf(store.ping())).toBe('STORE_UNAVAILABLE')
    })
  })
}
