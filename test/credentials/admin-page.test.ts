/**
 * The certificates page in the HTML admin: generate, activate and remove through its forms, the
 * choice of client authentication, refusals re-rendered with the reason (CSRF, the active
 * certificate, a bad field), the overview's link, German, and en/de texts with the same keys.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, createViaApi, shownFieldErrors, startProfilesApp, type ProfilesApp } from '../profiles/helpers.js'

let app: ProfilesApp
let profileId: string
let page: string

beforeAll(async () => {
  app = await startProfilesApp()
  profileId = await createViaApi(app, { name: 'Office mailbox <b>' })
  page = `${app.dock.config.paths.credentials}/profile/${profileId}`
})
afterAll(async () => {
  await app?.close()
})

async function csrf(): Promise<string> {
  const res = await app.agent.get(page).set(ADMIN)
  return /name="_csrf" value="([^"]+)"/.exec(res.text)![1]
}

const post = async (path: string, form: Record<string, string> = {}) =>
  app.agent
    .post(`${page}${path}`)
    .set(ADMIN)
    .type('form')
    .send({ _csrf: await csrf(), ...form })

const rows = async () =>
  [...(await app.agent.get(page).set(ADMIN)).text.matchAll(/data-certificate-id="([^"]+)" data-state="(\w+)"/g)].map(
    (m) => ({ id: m[1], state: m[2] }),
  )

describe('the certificates page', () => {
  it('is linked from the profile overview and shows the steps for Entra and Keycloak, escaping the name', async () => {
    const overview = await app.agent.get(`${app.dock.config.paths.admin}/`).set(ADMIN)
    expect(overview.text).toContain(`href="${page}" aria-label="Certificates of Office mailbox &lt;b&gt;"`)
    const res = await app.agent.get(page).set(ADMIN)
    expect(res.status).toBe(200)
    expect(res.text).toContain('Certificates of Office mailbox &lt;b&gt;')
    expect(res.text).not.toContain('<b>')
    expect(res.text).toContain('id="no-certificates"')
    expect(res.text).toContain('Certificates &amp; secrets → Certificates → Upload certificate')
    expect(res.text).toContain('Client Authenticator: &#34;Signed JWT&#34;')
    expect(res.text).toContain(
      `<code id="public-jwks-url">${app.url}/.well-known/authdock/profile/${profileId}/jwks.json</code>`,
    )
  })

  it('generates, activates and removes through its forms, saying after each step what happened', async () => {
    const first = await post('/generate', { validityDays: '365', keySize: '2048' })
    expect(first.headers.location).toBe(`${page}?done=generated`)
    const second = await post('/generate', { validityDays: '730', keySize: '2048' })
    expect(second.headers.location).toBe(`${page}?done=generatedWaiting`)
    const [b, a] = await rows()
    expect([a.state, b.state]).toEqual(['active', 'waiting'])
    expect((await app.agent.get(`${page}?done=generatedWaiting`).set(ADMIN)).text).toContain(
      'Upload it at the provider, then activate it here.',
    )

    const activated = await post(`/certificates/${b.id}/activate`)
    expect(activated.headers.location).toBe(`${page}?done=activated`)
    expect(await rows()).toEqual([
      { id: b.id, state: 'active' },
      { id: a.id, state: 'waiting' },
    ])

    const refused = await post(`/certificates/${b.id}/remove`)
    expect(refused.status).toBe(409)
    expect(refused.text).toContain('<code id="error-code">CLIENT_CERTIFICATE_ACTIVE</code>')
    const removed = await post(`/certificates/${a.id}/remove`)
    expect(removed.headers.location).toBe(`${page}?done=removed`)
    expect(await rows()).toEqual([{ id: b.id, state: 'active' }])

    const kinds = (await app.dock.store.audit.list({ profileId })).map((e) => e.kind)
    expect(kinds.filter((k) => k.startsWith('certificate.'))).toEqual([
      'certificate.removed',
      'certificate.activated',
      'certificate.generated',
      'certificate.generated',
    ])
  })

  it('switches the client authentication by its form; bad fields come back named, nothing stored', async () => {
    expect((await post('/method', { method: 'private_key_jwt' })).headers.location).toBe(`${page}?done=method`)
    expect(await app.dock.store.credentials.method({ kind: 'profile', id: profileId })).toBe('private_key_jwt')
    const badMethod = await post('/method', { method: 'tls_client_auth' })
    expect(badMethod.status).toBe(400)
    expect(shownFieldErrors(badMethod.text)).toEqual({ method: 'must be client_secret or private_key_jwt' })
    const before = (await rows()).length
    const bad = await post('/generate', { validityDays: '99999', keySize: '512' })
    expect(bad.status).toBe(400)
    expect(Object.keys(shownFieldErrors(bad.text)).sort()).toEqual(['keySize', 'validityDays'])
    expect((await rows()).length).toBe(before)
    expect((await post('/method', { method: 'client_secret' })).status).toBe(303)
  })

  it('refuses a post without the CSRF token and everyone the guard does not admit', async () => {
    const noToken = await app.agent.post(`${page}/generate`).set(ADMIN).type('form').send({ validityDays: '30' })
    expect(noToken.status).toBe(403)
    expect(noToken.text).toContain('CSRF_INVALID')
    expect((await app.agent.get(page)).status).toBe(403)
    expect((await app.agent.get(`${app.dock.config.paths.credentials}/profile/unknown`).set(ADMIN)).status).toBe(404)
    expect((await app.agent.get(`${app.dock.config.paths.credentials}/robot/${profileId}`).set(ADMIN)).status).toBe(404)
  })

  it('speaks German', async () => {
    const res = await app.agent.get(`${page}?lang=de`).set(ADMIN)
    expect(res.text).toContain('Zertifikate von Office mailbox &lt;b&gt;')
    expect(res.text).toContain('Zertifikat erzeugen')
    expect(res.text).toContain('Zertifikate &amp; Geheimnisse')
  })
})

describe('texts', () => {
  const keys = (value: unknown, prefix = ''): string[] =>
    typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k))
      : [prefix]
  const load = (lang: string, file: string) =>
    JSON.parse(readFileSync(new URL(`../../views/locales/${lang}/${file}`, import.meta.url), 'utf8')) as unknown

  it('English and German have the same keys in every locale file', () => {
    for (const file of readdirSync(new URL('../../views/locales/en/', import.meta.url))) {
      expect(keys(load('de', file)).sort(), file).toEqual(keys(load('en', file)).sort())
    }
  })
})
