import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateCertificate } from '../../src/credentials/certificate.js'
import type { CredentialOwner, NewCertificate } from '../../src/store/credential-types.js'
import { Clock, codeOf, fresh, open, profileInput, type StoreHarness } from './contract-helpers.js'
import { loginProviderInput } from './contract-login-providers.js'

// One real key pair serves every row here: the store neither parses nor checks it.
let generated: Promise<NewCertificate> | undefined
const certificate = () =>
  (generated ??= generateCertificate({
    commonName: 'contract',
    validityDays: 30,
    now: Date.UTC(2030, 0, 1),
    createdBy: 'admin',
  }))

const owner = (id = 'p1'): CredentialOwner => ({ kind: 'profile', id })

export function credentialsContract(h: StoreHarness): void {
  describe('credentials', () => {
    it('an admin-managed login provider: a new method is a new version of it; deleting it deletes its certificates and method', async () => {
      const { store } = await fresh(h)
      const provider = await store.loginProviders.create('p.cccccccccccc', loginProviderInput())
      const stored: CredentialOwner = { kind: 'login-provider', id: provider.id }
      const fromOptions: CredentialOwner = { kind: 'login-provider', id: 'entra' }
      const certificateRow = await store.credentials.add(stored, await certificate())
      const v0 = await store.loginProviders.version()
      await store.credentials.setMethod(stored, 'private_key_jwt')
      expect(await store.loginProviders.version()).toBeGreaterThan(v0)
      expect((await store.loginProviders.get(provider.id))?.version).toBe(provider.version + 1)
      // A provider of the options has no row: its method is kept, nothing else moves.
      const v1 = await store.loginProviders.version()
      await store.credentials.setMethod(fromOptions, 'private_key_jwt')
      await store.credentials.add(fromOptions, await certificate())
      expect(await store.loginProviders.version()).toBe(v1)
      expect((await store.credentials.listAll()).map((c) => c.ownerId).sort()).toEqual(['entra', provider.id])

      expect(await store.loginProviders.delete(provider.id)).toBe(true)
      expect(await store.credentials.get(certificateRow.id)).toBeNull()
      expect(await store.credentials.method(stored)).toBe('client_secret')
      expect(await store.credentials.method(fromOptions)).toBe('private_key_jwt')
    })

    it('makes the first certificate active, keeps later ones waiting, and switches in one step', async () => {
      const { store } = await fresh(h)
      const input = await certificate()
      const a = await store.credentials.add(owner(), input)
      const b = await store.credentials.add(owner(), input)
      expect([a.active, b.active]).toEqual([true, false])
      expect(a).toMatchObject({
        ownerKind: 'profile',
        ownerId: 'p1',
        thumbprintSha1: input.thumbprintSha1,
        kid: input.kid,
        keySize: 2048,
        createdBy: 'admin',
      })
      expect(a.notAfter.getTime()).toBe(input.notAfter.getTime())
      const { certificate: now, previous } = await store.credentials.activate(b.id)
      expect(now.active).toBe(true)
      expect(previous?.id).toBe(a.id)
      expect((await store.credentials.list(owner())).filter((c) => c.active).map((c) => c.id)).toEqual([b.id])
      expect((await store.credentials.listActive()).map((c) => c.id)).toEqual([b.id])
      expect((await store.credentials.activeSigner(owner()))?.privateKeyPem).toBe(input.privateKeyPem)
      // Other owners are separate.
      expect(await store.credentials.activeSigner(owner('p2'))).toBeNull()
      expect(await store.credentials.activeSigner({ kind: 'login-provider', id: 'p1' })).toBeNull()
    })

    it('keeps one active certificate per owner when two instances add the first at once', async () => {
      const url = await h.newDatabase()
      const clock = new Clock()
      const [one, two] = await Promise.all([open(url, clock), open(url, clock)])
      const input = await certificate()
      const added = await Promise.all([1, 2, 3, 4].map((i) => (i % 2 ? one : two).credentials.add(owner(), input)))
      expect(added.filter((c) => c.active)).toHaveLength(1)
      expect((await one.credentials.list(owner())).filter((c) => c.active)).toHaveLength(1)
    })

    it('refuses to remove the active certificate (CLIENT_CERTIFICATE_ACTIVE); removes a waiting one with its key', async () => {
      const { store } = await fresh(h)
      const input = await certificate()
      const a = await store.credentials.add(owner(), input)
      const b = await store.credentials.add(owner(), input)
      expect(await codeOf(store.credentials.remove(a.id))).toBe('CLIENT_CERTIFICATE_ACTIVE')
      expect((await store.credentials.remove(b.id)).id).toBe(b.id)
      expect(await store.credentials.get(b.id)).toBeNull()
      expect(await codeOf(store.credentials.remove(b.id))).toBe('NOT_FOUND')
      expect(await codeOf(store.credentials.activate('missing'))).toBe('NOT_FOUND')
    })

    it('keeps the method per owner; a change or a switch counts as an edit of the profile', async () => {
      const { store, clock } = await fresh(h)
      const profile = await store.profiles.create(profileInput())
      const mine = owner(profile.id)
      expect(await store.credentials.method(mine)).toBe('client_secret')
      clock.advance(1000)
      await store.credentials.setMethod(mine, 'private_key_jwt')
      expect(await store.credentials.method(mine)).toBe('private_key_jwt')
      expect(await store.credentials.method(owner('other'))).toBe('client_secret')
      expect((await store.profiles.get(profile.id))?.updatedAt.getTime()).toBe(clock.t)
      const input = await certificate()
      await store.credentials.add(mine, input)
      const waiting = await store.credentials.add(mine, input)
      clock.advance(1000)
      await store.credentials.activate(waiting.id)
      expect((await store.profiles.get(profile.id))?.updatedAt.getTime()).toBe(clock.t)
    })

    it('deleting the profile deletes its certificates and method', async () => {
      const { store } = await fresh(h)
      const profile = await store.profiles.create(profileInput())
      await store.credentials.add(owner(profile.id), await certificate())
      await store.credentials.setMethod(owner(profile.id), 'private_key_jwt')
      await store.profiles.delete(profile.id)
      expect(await store.credentials.list(owner(profile.id))).toEqual([])
      expect(await store.credentials.method(owner(profile.id))).toBe('client_secret')
      expect(await store.credentials.deleteOwner(owner(profile.id))).toBe(0)
    })

    it('re-encrypts private keys under the newest key', async () => {
      const url = await h.newDatabase()
      const clock = new Clock()
      const [oldKey, nextKey] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')]
      const input = await certificate()
      const before = await open(url, clock, [oldKey])
      await before.credentials.add(owner(), input)
      await before.close()
      const both = await open(url, clock, [nextKey, oldKey])
      expect(await both.reencryptAll()).toBe(1)
      await both.close()
      const onlyNew = await open(url, clock, [nextKey])
      expect((await onlyNew.credentials.activeSigner(owner()))?.privateKeyPem).toBe(input.privateKeyPem)
    })
  })
}
