/**
 * The overview at 5,000 profiles and the audit page at 100,000 entries: the HTML page shows one
 * page of the right rows with working search, state and expiry filters; the JSON list says the
 * total; bad parameters are refused naming the field; the CSV export still has every profile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteUrl } from '../fixtures/databases.js'
import { seedScale, seededProfile, DAY_MS } from '../fixtures/scale-seed.js'
import { ADMIN, startProfilesApp, type ProfilesApp } from './helpers.js'

const PROFILES = 5000
const AUDIT = 100_000

const rowIds = (html: string) => [...html.matchAll(/<tr data-profile-id="([^"]+)"/g)].map((m) => m[1])

describe(`overview and audit at ${PROFILES} profiles and ${AUDIT} audit entries`, () => {
  let app: ProfilesApp
  let now: number
  let all: Array<ReturnType<typeof seededProfile>>
  beforeAll(async () => {
    app = await startProfilesApp({ database: sqliteUrl() })
    now = app.clock.now()
    await seedScale(app.dock.config.database, { profiles: PROFILES, audit: AUDIT }, now)
    all = Array.from({ length: PROFILES }, (_, i) => seededProfile(i, now))
  }, 60_000)
  afterAll(async () => {
    await app?.close()
  })

  it('shows one page of profiles by name, with the total and links to the next and previous page', async () => {
    const first = await app.agent.get(`${app.admin}/`).set(ADMIN)
    expect(first.status).toBe(200)
    expect(rowIds(first.text)).toEqual(all.slice(0, 50).map((p) => p.id))
    expect(first.text).toContain(`Profiles 1–50 of ${PROFILES}`)
    expect(first.text).toContain('href="/admin/oauth2/?page=2"'.replace('/admin/oauth2', app.admin))
    expect(first.text).not.toContain('rel="prev"')

    const last = await app.agent.get(`${app.admin}/?page=100&pageSize=50`).set(ADMIN)
    expect(rowIds(last.text)).toEqual(all.slice(4950).map((p) => p.id))
    expect(last.text).toContain('rel="prev"')
    expect(last.text).not.toContain('rel="next"')
  })

  it('the readiness detail counts every profile and lists only the first 50 needing attention, by name', async () => {
    const res = await app.agent.get(`${app.dock.config.paths.health}/ready`).set(ADMIN)
    expect(res.status).toBe(200)
    const needing = all.filter((p) => p.state === 'reauthorization_required' || p.state === 'error')
    expect(res.body.profileCounts).toEqual({ total: PROFILES, needingAttention: needing.length })
    expect(res.body.profiles.map((p: { id: string; status: string }) => [p.id, p.status])).toEqual(
      needing.slice(0, 50).map((p) => [p.id, p.state]),
    )
    expect(res.body.status).toBe('degraded')
  })

  it('searches by name, mailbox or client id and filters by state and secret expiry, in the page and the JSON list', async () => {
    const searched = await app.agent.get(`${app.admin}/?q=desk0424&state=error`).set(ADMIN)
    expect(rowIds(searched.text)).toEqual(
      all.filter((p) => p.mailbox.includes('desk0424') && p.state === 'error').map((p) => p.id),
    )
    expect(searched.text).toContain('value="desk0424"')

    const within = all.filter((p) => p.secretExpiresAt !== null && p.secretExpiresAt <= now + 30 * DAY_MS)
    const json = await app.agent.get(`${app.api}/?expires=30&pageSize=500`).set(ADMIN)
    expect(json.status).toBe(200)
    expect(json.body.total).toBe(within.length)
    expect(json.body.profiles.map((p: { id: string }) => p.id)).toEqual(within.slice(0, 500).map((p) => p.id))

    const none = await app.agent.get(`${app.api}/?state=none&page=2&pageSize=10`).set(ADMIN)
    expect(none.body).toMatchObject({ total: PROFILES / 5, page: 2, pageSize: 10 })
    expect(none.body.profiles.map((p: { id: string; token: unknown }) => [p.id, p.token])).toEqual(
      all
        .filter((p) => p.state === 'none')
        .slice(10, 20)
        .map((p) => [p.id, null]),
    )
  })

  it('refuses a bad filter with VALIDATION_FAILED naming the field', async () => {
    const res = await app.agent.get(`${app.api}/?state=sleeping&pageSize=0`).set(ADMIN)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('VALIDATION_FAILED')
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['pageSize', 'state'])
    const page = await app.agent.get(`${app.admin}/?expires=soon`).set(ADMIN)
    expect(page.status).toBe(400)
    expect(page.text).toContain('expires')
  })

  it('exports every profile as CSV, streamed', async () => {
    const res = await app.agent.get(`${app.admin}/export.csv`).set(ADMIN)
    expect(res.status).toBe(200)
    const lines = res.text.trimEnd().split('\r\n')
    expect(lines).toHaveLength(PROFILES + 1)
    expect(lines[1]).toContain(all[0].id)
    expect(lines[PROFILES]).toContain(all[PROFILES - 1].id)
  })

  it('pages the audit trail newest first, filters by profile and kind, and names the profiles shown', async () => {
    const audit = app.dock.config.paths.audit
    const first = await app.agent.get(`${audit}/`).set(ADMIN)
    expect(first.status).toBe(200)
    const ids = [...first.text.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]))
    expect(ids).toEqual(Array.from({ length: 50 }, (_, k) => AUDIT - k))
    expect(first.text).toContain(all[(AUDIT - 1) % PROFILES].name)
    const filtered = await app.agent
      .get(`${app.dock.config.paths.auditApi}/?profile=${all[7].id}&kind=token.failed&limit=500`)
      .set(ADMIN)
    expect(filtered.body.entries.map((e: { id: number; profileName: string }) => [e.id, e.profileName])).toEqual(
      Array.from({ length: 20 }, (_, k) => [95_008 - k * 5000, all[7].name]),
    )
    const csv = await app.agent.get(`${audit}/export.csv`).set(ADMIN)
    expect(csv.text.trimEnd().split('\r\n')).toHaveLength(AUDIT + 1)
  })
})
