import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import request from 'supertest'
import { startAuditApp, type AuditApp } from './audit-app.js'
import { DAY, profileInput } from '../ops/helpers.js'
import { expiryBannerSource } from '../../src/ops/expiry-banner.js'

let t: AuditApp
afterEach(() => t?.close())

async function admin(app: AuditApp['app']) {
  const agent = request.agent(app)
  const res = await agent.get('/test/admin')
  return { agent, csrf: res.body.csrf as string }
}

describe('the audit admin is refused unless the host guard admits', () => {
  beforeEach(async () => {
    t = await startAuditApp()
  })

  it('answers 403 FORBIDDEN to a visitor on the page, the CSV and the JSON', async () => {
    const page = await request(t.app).get('/admin/audit')
    expect(page.status).toBe(403)
    expect(page.text).toContain('FORBIDDEN')
    expect((await request(t.app).get('/admin/audit/export.csv')).status).toBe(403)
    const api = await request(t.app).get('/admin/api/audit')
    expect(api.status).toBe(403)
    expect(api.body.error.code).toBe('FORBIDDEN')
  })

  it('refuses everyone when the host configured no guard', async () => {
    await t.close()
    t = await startAuditApp({ admin: {} })
    const { agent } = await admin(t.app)
    const res = await agent.get('/admin/api/audit')
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('FORBIDDEN')
  })

  it('refuses a state-changing request without the CSRF token (403 CSRF_INVALID); with it there is nothing to change (404)', async () => {
    const { agent, csrf } = await admin(t.app)
    const forged = await agent.post('/admin/audit').type('form').send({ kind: 'x' })
    expect(forged.status).toBe(403)
    expect(forged.text).toContain('CSRF_INVALID')
    const apiForged = await agent.delete('/admin/api/audit')
    expect(apiForged.body.error.code).toBe('CSRF_INVALID')
    const real = await agent.post('/admin/audit').type('form').send({ _csrf: csrf })
    expect(real.status).toBe(404)
    expect(real.text).toContain('NOT_FOUND')
  })
})

describe('the audit page lists entries newest first with filters and paging', () => {
  beforeEach(async () => {
    t = await startAuditApp()
  })

  it('shows the newest first and filters by profile and by kind', async () => {
    const { store } = t.ops
    const p = await store.profiles.create(profileInput({ name: 'Support mailbox' }))
    await store.audit.add({
      kind: 'profile.created',
      actor: 'alice',
      profileId: p.id,
      details: { name: 'Support mailbox' },
    })
    t.ops.clock.advance(1000)
    await store.audit.add({ kind: 'login.failed', actor: null, details: { reason: 'OIDC_STATE_INVALID' } })
    t.ops.clock.advance(1000)
    await store.audit.add({
      kind: 'token.failed',
      actor: null,
      profileId: p.id,
      details: { code: 'TOKEN_REFRESH_FAILED' },
    })

    const { agent } = await admin(t.app)
    const all = await agent.get('/admin/api/audit')
    expect(all.status).toBe(200)
    expect(all.body.entries.map((e: { kind: string }) => e.kind)).toEqual([
      'token.failed',
      'login.failed',
      'profile.created',
    ])
    expect(all.body.entries[0]).toMatchObject({
      profileId: p.id,
      profileName: 'Support mailbox',
      details: { code: 'TOKEN_REFRESH_FAILED' },
    })

    const byProfile = await agent.get('/admin/api/audit').query({ profile: p.id })
    expect(byProfile.body.entries.map((e: { kind: string }) => e.kind)).toEqual(['token.failed', 'profile.created'])
    const byKind = await agent.get('/admin/api/audit').query({ kind: 'login.failed' })
    expect(byKind.body.entries).toHaveLength(1)

    const page = await agent.get('/admin/audit').query({ kind: 'profile.created' })
    expect(page.status).toBe(200)
    expect(page.text).toContain('Support mailbox')
    expect(page.text).toContain('profile.created')
    expect(page.text).not.toContain('login.failed</code>')
  })

  it('pages with beforeId', async () => {
    for (let i = 1; i <= 5; i++)
      await t.ops.store.audit.add({ kind: 'profile.updated', actor: `admin-${i}`, details: {} })
    const { agent } = await admin(t.app)
    const first = await agent.get('/admin/api/audit').query({ limit: 2 })
    expect(first.body.entries.map((e: { actor: string }) => e.actor)).toEqual(['admin-5', 'admin-4'])
    const second = await agent.get('/admin/api/audit').query({ limit: 2, beforeId: first.body.nextBeforeId })
    expect(second.body.entries.map((e: { actor: string }) => e.actor)).toEqual(['admin-3', 'admin-2'])
    const third = await agent.get('/admin/api/audit').query({ limit: 2, beforeId: second.body.nextBeforeId })
    expect(third.body).toMatchObject({ nextBeforeId: null })
    expect(third.body.entries.map((e: { actor: string }) => e.actor)).toEqual(['admin-1'])

    const html = await agent.get('/admin/audit')
    expect(html.text).not.toContain('id="audit-older"')
  })

  it('answers a bad filter with 400 VALIDATION_FAILED naming the field', async () => {
    const { agent } = await admin(t.app)
    const res = await agent.get('/admin/api/audit').query({ beforeId: 'abc' })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { beforeId: expect.any(String) } })
    const page = await agent.get('/admin/audit').query({ kind: '<script>' })
    expect(page.status).toBe(400)
    expect(page.text).not.toContain('<script>')
  })

  it('escapes what it shows', async () => {
    const p = await t.ops.store.profiles.create(profileInput({ name: '<b>bold</b> profile' }))
    await t.ops.store.audit.add({
      kind: 'profile.updated',
      actor: '<script>alert(1)</script>',
      profileId: p.id,
      details: { note: '<img src=x onerror=alert(2)>' },
    })
    const { agent } = await admin(t.app)
    const page = await agent.get('/admin/audit')
    expect(page.text).not.toContain('<script>alert(1)')
    expect(page.text).not.toContain('<img src=x')
    expect(page.text).not.toContain('<b>bold</b>')
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page.text).toContain('&lt;b&gt;bold&lt;/b&gt; profile')
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
  })
})

describe('the audit CSV export', () => {
  beforeEach(async () => {
    t = await startAuditApp()
  })

  it('follows RFC 4180 and neutralises cells a spreadsheet would run as a formula', async () => {
    const actors = ['=HYPERLINK("http://evil.example")', '+1+1', '-2', '@SUM(A1)', '\tTAB', '\rCR', 'say "hi", then go']
    for (const actor of actors) await t.ops.store.audit.add({ kind: 'profile.updated', actor, details: {} })
    const { agent } = await admin(t.app)
    const res = await agent.get('/admin/audit/export.csv')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="authdock-audit-\d{4}-\d{2}-\d{2}\.csv"/)
    const lines = res.text.split('\r\n')
    expect(lines[0]).toBe('"id","at","kind","actor","profileId","profileName","details"')
    expect(lines.at(-1)).toBe('')
    const actorCells = lines.slice(1, -1).map((l) => l.split('","')[3])
    expect(actorCells).toEqual([
      'say ""hi"", then go',
      "'\rCR",
      "'\tTAB",
      "'@SUM(A1)",
      "'-2",
      "'+1+1",
      `'=HYPERLINK(""http://evil.example"")`,
    ])
  })

  it('exports only the filtered entries', async () => {
    await t.ops.store.audit.add({ kind: 'login.failed', actor: 'mallory', details: {} })
    await t.ops.store.audit.add({ kind: 'profile.updated', actor: 'alice', details: {} })
    const { agent } = await admin(t.app)
    const res = await agent.get('/admin/audit/export.csv').query({ kind: 'login.failed' })
    expect(res.text).toContain('mallory')
    expect(res.text).not.toContain('alice')
  })
})

describe('the secret-expiry banner on the audit page', () => {
  beforeEach(async () => {
    t = await startAuditApp()
  })

  it('names the expiring secret and its days left, as an alert when it is an error', async () => {
    t.ops.ctx.views.addBannerSource(expiryBannerSource(t.ops.ctx))
    await t.ops.store.profiles.create(
      profileInput({ name: 'Support <mailbox>', secretExpiresAt: new Date(t.ops.clock.now() + 5 * DAY + 1000) }),
    )
    const { agent } = await admin(t.app)
    const page = await agent.get('/admin/audit').set('accept-language', 'de')
    expect(page.text).toMatch(
      /<div class="banner error" role="alert">Das Client-Secret des OAuth2-Profils „Support &lt;mailbox&gt;“ läuft in 5 Tagen ab/,
    )
  })
})
