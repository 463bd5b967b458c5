/**
 * Store contract, large data: `profiles.page` filters, counts and cuts in the database (search by
 * name, mailbox or client id; token state; secret expiry; pages), and the audit trail's filters
 * and keyset pages stay right at 5,000 profiles and 100,000 entries.
 */
import { describe, expect, it } from 'vitest'
import { AUDIT_KINDS, DAY_MS, seedScale, seededProfile } from '../fixtures/scale-seed.js'
import { fresh, profileInput, type StoreHarness } from './contract-helpers.js'

const PROFILES = 5000
const AUDIT = 100_000

export function scaleContract(h: StoreHarness): void {
  describe('profile pages', () => {
    it('searches name, mailbox and client id case-insensitively, with LIKE wildcards taken literally', async () => {
      const { store } = await fresh(h)
      await store.profiles.create(profileInput({ name: 'Support 100%', mailbox: 'help@example.com', clientId: 'c1' }))
      await store.profiles.create(profileInput({ name: 'Sales', mailbox: 'SALES_desk@example.com', clientId: 'c2' }))
      await store.profiles.create(profileInput({ name: 'Billing', mailbox: null, clientId: 'client-x' }))
      const names = async (q: string) => (await store.profiles.page({ q })).rows.map((r) => r.profile.name)
      expect(await names('')).toEqual(['Billing', 'Sales', 'Support 100%'])
      expect(await names('SUPPORT')).toEqual(['Support 100%'])
      expect(await names('100%')).toEqual(['Support 100%'])
      expect(await names('%')).toEqual(['Support 100%'])
      expect(await names('sa_es')).toEqual([])
      expect(await names('sales_desk')).toEqual(['Sales'])
      expect(await names('CLIENT-X')).toEqual(['Billing'])
      const none = await store.profiles.page({ q: 'nothing like it' })
      expect(none).toEqual({ rows: [], total: 0, page: 1, pageSize: 50 })
    })

    it('gives each row its token summary and bounds page and page size', async () => {
      const { store } = await fresh(h)
      const a = await store.profiles.create(profileInput({ name: 'a' }))
      await store.profiles.create(profileInput({ name: 'b' }))
      await store.tokens.save(a.id, { accessToken: 'secret-access', refreshToken: 'secret-refresh', status: 'ok' })
      const page = await store.profiles.page({ pageSize: 1 })
      expect(page.total).toBe(2)
      expect(page.rows[0].token).toMatchObject({
        profileId: a.id,
        hasAccessToken: true,
        hasRefreshToken: true,
        status: 'ok',
      })
      expect(JSON.stringify(page)).not.toContain('secret-')
      expect((await store.profiles.page({ page: 2, pageSize: 1 })).rows.map((r) => [r.profile.name, r.token])).toEqual([
        ['b', null],
      ])
      expect(await store.profiles.page({ page: 0, pageSize: 100_000 })).toMatchObject({ page: 1, pageSize: 500 })
      expect(await store.profiles.names([a.id, a.id, 'unknown'])).toEqual(new Map([[a.id, 'a']]))
      expect(await store.profiles.countNeedingAttention()).toBe(0)
      await store.tokens.save(a.id, { status: 'error' })
      expect(await store.profiles.countNeedingAttention()).toBe(1)
      expect((await store.profiles.page({ needsAttention: true })).rows.map((r) => r.profile.id)).toEqual([a.id])
      await store.profiles.update(a.id, { ...profileInput({ name: 'a' }), clientSecret: undefined, valid: false })
      expect(await store.profiles.countNeedingAttention()).toBe(0)
      expect((await store.profiles.page({ needsAttention: true })).total).toBe(0)
    })

    it(
      `pages, searches and filters ${PROFILES} profiles and ${AUDIT} audit entries right`,
      { timeout: 60_000 },
      async () => {
        const { store, url, clock } = await fresh(h)
        await seedScale(url, { profiles: PROFILES, audit: AUDIT }, clock.t)
        const all = Array.from({ length: PROFILES }, (_, i) => seededProfile(i, clock.t))
        const ids = (page: { rows: Array<{ profile: { id: string } }> }) => page.rows.map((r) => r.profile.id)

        const third = await store.profiles.page({ page: 3, pageSize: 50 })
        expect(third.total).toBe(PROFILES)
        expect(ids(third)).toEqual(all.slice(100, 150).map((p) => p.id))
        expect((await store.profiles.page({ page: 101, pageSize: 50 })).rows).toEqual([])

        const errors = all.filter((p) => p.state === 'error')
        const errorPage = await store.profiles.page({ state: 'error', page: 2, pageSize: 100 })
        expect(errorPage.total).toBe(errors.length)
        expect(ids(errorPage)).toEqual(errors.slice(100, 200).map((p) => p.id))
        expect(errorPage.rows.every((r) => r.token?.status === 'error')).toBe(true)
        expect((await store.profiles.page({ state: 'none' })).total).toBe(all.filter((p) => p.state === 'none').length)
        expect((await store.profiles.page({ state: 'ok' })).total).toBe(all.filter((p) => p.state === 'ok').length)
        expect(await store.profiles.countNeedingAttention()).toBe(
          all.filter((p) => p.state === 'error' || p.state === 'reauthorization_required').length,
        )

        const within30 = all.filter((p) => p.secretExpiresAt !== null && p.secretExpiresAt <= clock.t + 30 * DAY_MS)
        const expiring = await store.profiles.page({ expiresWithinDays: 30, pageSize: 500 })
        expect(expiring.total).toBe(within30.length)
        expect(ids(expiring)).toEqual(within30.slice(0, 500).map((p) => p.id))

        const searched = all.filter((p) => p.mailbox.includes('desk0424'))
        const found = await store.profiles.page({ q: 'DESK0424' })
        expect(ids(found)).toEqual(searched.map((p) => p.id))
        const combined = await store.profiles.page({ q: 'desk0424', state: 'reauthorization_required' })
        expect(ids(combined)).toEqual(searched.filter((p) => p.state === 'reauthorization_required').map((p) => p.id))

        // Audit: entry i has id i + 1, profile i % 5000, kind i % 5; newest first, keyset pages.
        const newest = await store.audit.list({ limit: 50 })
        expect(newest.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, k) => AUDIT - k))
        const older = await store.audit.list({ limit: 50, beforeId: 50_001 })
        expect(older[0].id).toBe(50_000)
        const profile7 = all[7].id
        const ofProfile = await store.audit.list({ profileId: profile7, kind: AUDIT_KINDS[2], limit: 1000 })
        expect(ofProfile.map((e) => e.id)).toEqual(Array.from({ length: 20 }, (_, k) => 95_008 - k * 5000))
        const ofKind = await store.audit.list({ kind: AUDIT_KINDS[4], beforeId: 1000, limit: 3 })
        expect(ofKind.map((e) => e.id)).toEqual([995, 990, 985])
      },
    )
  })
}
