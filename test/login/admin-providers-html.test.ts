/**
 * The login providers admin pages: linked from the OAuth2 profiles overview, both kinds listed (the
 * configured one read-only), the redirect URI shown before saving, field errors on the page, the
 * secret never shown, "Test well-known" on the form (with and without script) and per row, the
 * claim-change confirmation, the certificate choice saved on create and edit, German.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHostileOp, type HostileOp } from '../fixtures/hostile-op.js'
import { ADMIN, XSS, shownFieldErrors, startProfilesApp, type ProfilesApp } from '../profiles/helpers.js'

const SECRET = 'Html-Login-S3cret-Never-Shown-9d1e'

let app: ProfilesApp
let op: HostileOp
let base: string
let csrf: string

beforeAll(async () => {
  op = await startHostileOp()
  app = await startProfilesApp({ oidc: { id: 'corp', label: 'Corp SSO', issuer: op.issuer, clientId: op.clientId } })
  base = app.dock.config.paths.loginProviders
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.loginProviders.list()) await app.dock.store.loginProviders.delete(p.id)
})

/** The new-provider form: its CSRF token and the id it was given. */
async function newForm(query = ''): Promise<{ html: string; status: number; id: string }> {
  const res = await app.agent.get(`${base}/new${query}`).set(ADMIN)
  csrf = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]
  const id = /name="id" value="([^"]+)"/.exec(res.text)?.[1] ?? ''
  return { html: res.text, status: res.status, id }
}

const form = (id: string, overrides: Record<string, string> = {}) => ({
  _csrf: csrf,
  id,
  label: 'Keycloak (Acme)',
  active: 'on',
  issuer: 'https://kc.example.com/realms/acme',
  clientId: 'acme-app',
  clientSecret: SECRET,
  secretExpiresAt: '',
  scope: '',
  claim: '',
  claimLabel: '',
  authorizationParams: 'kc_idp_hint=corp\nui_locales=de',
  idTokenAlgorithms: '',
  preset: '',
  tenantId: '',
  ...overrides,
})

const post = (path: string, fields: Record<string, string>) =>
  app.agent.post(`${base}${path}`).set(ADMIN).type('form').send(fields)

async function createViaForm(overrides: Record<string, string> = {}): Promise<string> {
  const { id } = await newForm()
  const res = await post('/', form(id, overrides))
  expect(res.status, res.text.slice(0, 300)).toBe(303)
  return id
}

describe('login providers admin pages', () => {
  it('is linked from the OAuth2 profiles overview and links back', async () => {
    const profiles = await app.agent.get(`${app.admin}/`).set(ADMIN)
    expect(profiles.text).toContain(`href="${base}/" id="to-login-providers"`)
    const page = await app.agent.get(`${base}/`).set(ADMIN)
    expect(page.status).toBe(200)
    expect(page.text).toContain(`href="${app.admin}/" id="to-profiles"`)
  })

  it('refuses without the admin guard (403)', async () => {
    expect((await app.agent.get(`${base}/`)).status).toBe(403)
  })

  it('shows the redirect URI of the new provider before it is saved, creates it and lists it beside the configured one', async () => {
    const { html, id } = await newForm()
    expect(id).toMatch(/^p\.[a-z0-9]{12}$/)
    expect(html).toContain(`${app.url}/auth/callback/${id}`)
    const res = await post('/', form(id))
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`${base}/?done=created`)
    const stored = (await app.dock.store.loginProviders.get(id))!
    expect(stored).toMatchObject({
      label: 'Keycloak (Acme)',
      scope: 'openid profile email',
      claim: 'email',
      claimLabel: 'E-Mail',
      authorizationParams: { kc_idp_hint: 'corp', ui_locales: 'de' },
    })

    const overview = await app.agent.get(`${base}/?done=created`).set(ADMIN)
    expect(overview.text).toContain('The login provider was created.')
    const rows = [...overview.text.matchAll(/<tr data-provider-id="([^"]+)" data-source="([^"]+)">/g)].map((m) => [
      m[1],
      m[2],
    ])
    expect(rows).toEqual([
      ['corp', 'options'],
      [id, 'admin'],
    ])
    expect(overview.text).toContain('from configuration')
    expect(overview.text).not.toContain(`${base}/corp/edit`)
    expect(overview.text).toContain(`${base}/${id}/edit`)
    expect(overview.text).not.toContain(SECRET)
  })

  it('re-renders the form with each field error (400), keeps the id, stores nothing and never echoes the secret', async () => {
    const { id } = await newForm()
    const res = await post(
      '/',
      form(id, { issuer: 'https://kc.example.com/realms/acme?x=1', clientId: '', authorizationParams: 'state=forged' }),
    )
    expect(res.status).toBe(400)
    expect(shownFieldErrors(res.text)).toMatchObject({
      issuer: expect.stringContaining('must not contain a query'),
      clientId: 'is required',
      authorizationParams: expect.stringContaining('set by authdock itself'),
    })
    expect(res.text).toContain(`name="id" value="${id}"`)
    expect(res.text).not.toContain(SECRET)
    expect(res.text).toContain('id="secret-not-kept"')
    expect(await app.dock.store.loginProviders.list()).toEqual([])
  })

  it('fills issuer and scope from the Entra preset, and names the field when the tenant is /common', async () => {
    const tenant = '8f7c2a1e-3b4d-4c5e-9f60-718293a4b5c6'
    const { html, status } = await newForm(`?preset=entra&tenantId=${tenant}`)
    expect(status).toBe(200)
    expect(html).toContain(`value="https://login.microsoftonline.com/${tenant}/v2.0"`)
    const common = await newForm('?preset=entra&tenantId=common')
    expect(common.status).toBe(400)
    expect(shownFieldErrors(common.html).tenantId).toContain('GUID')
  })

  it('never shows the stored secret on the edit form and escapes what it shows', async () => {
    const id = await createViaForm({ label: XSS[0] })
    const edit = await app.agent.get(`${base}/${id}/edit`).set(ADMIN)
    expect(edit.status).toBe(200)
    expect(edit.text).not.toContain(SECRET)
    expect(edit.text).toContain('A client secret is stored.')
    expect(edit.text).not.toContain(XSS[0])
    expect(edit.text).toContain('&lt;script&gt;')
    expect((await app.agent.get(`${base}/`).set(ADMIN)).text).not.toContain(XSS[0])
  })

  it('saves the certificate choice of the form on create and on edit', async () => {
    const id = await createViaForm({ clientAuth: 'private_key_jwt', clientSecret: '' })
    expect(await app.dock.loginProviders.service.clientAuth(id)).toBe('private_key_jwt')
    const edit = await app.agent.get(`${base}/${id}/edit`).set(ADMIN)
    expect(edit.text).toMatch(/id="f-clientAuth-private_key_jwt" name="clientAuth" value="private_key_jwt" checked/)
    const res = await post(`/${id}`, form(id, { clientAuth: 'client_secret' }))
    expect(res.status, res.text.slice(0, 300)).toBe(303)
    expect(await app.dock.loginProviders.service.clientAuth(id)).toBe('client_secret')
  })

  it('asks to confirm a new claim when users logged in through the provider, then saves it and audits the change', async () => {
    const id = await createViaForm()
    await app.dock.store.audit.add({
      kind: 'login.succeeded',
      actor: 'u-bob',
      details: { providerId: id, method: 'oidc' },
    })
    const edit = await app.agent.get(`${base}/${id}/edit`).set(ADMIN)
    csrf = /name="_csrf" value="([^"]+)"/.exec(edit.text)![1]
    const fields = {
      ...form(id, { claim: 'preferred_username', claimLabel: 'User name', clientSecret: '' }),
      editing: id,
    }
    const asked = await post(`/${id}`, fields)
    expect(asked.status).toBe(409)
    expect(asked.text).toContain('id="claim-confirm"')
    expect(asked.text).toContain('1 user(s) have logged in through this provider with the claim “email”')
    expect(asked.text).toContain('every user mapping must be maintained again')
    expect(asked.text).toContain('name="confirmClaimChange"')
    expect((await app.dock.store.loginProviders.get(id))?.claim).toBe('email')

    const saved = await post(`/${id}`, { ...fields, confirmClaimChange: 'on' })
    expect(saved.status).toBe(303)
    expect((await app.dock.store.loginProviders.get(id))?.claim).toBe('preferred_username')
    const [entry] = await app.dock.store.audit.list({ kind: 'loginProvider.claimChanged', limit: 1 })
    expect(entry.details).toMatchObject({
      providerId: id,
      from: 'email',
      to: 'preferred_username',
      usersLoggedIn: 1,
      confirmed: true,
    })
  })

  it('asks for the secret again when the issuer moves to another origin, and saves nothing until then', async () => {
    const id = await createViaForm()
    const edit = await app.agent.get(`${base}/${id}/edit`).set(ADMIN)
    csrf = /name="_csrf" value="([^"]+)"/.exec(edit.text)![1]
    const moved = { ...form(id, { issuer: 'https://sso.other.example/realms/acme', clientSecret: '' }), editing: id }
    const res = await post(`/${id}`, moved)
    expect(res.status).toBe(400)
    expect(shownFieldErrors(res.text).clientSecret).toContain(
      'must be entered again because the issuer moved to another server',
    )
    expect((await app.dock.store.loginProviders.get(id))?.issuer).toBe('https://kc.example.com/realms/acme')
    const saved = await post(`/${id}`, { ...moved, clientSecret: 'the-new-secret-0123456789' })
    expect(saved.headers.location).toBe(`${base}/?done=updated`)
    expect(await app.dock.store.loginProviders.getClientSecret(id)).toBe('the-new-secret-0123456789')
  })

  it('tests well-known from the form: a fragment for the script, the whole form again without script (secret not kept)', async () => {
    const { id } = await newForm()
    const fragment = await app.agent
      .post(`${base}/test-well-known`)
      .set(ADMIN)
      .set('x-authdock-fragment', '1')
      .type('form')
      .send({ _csrf: csrf, issuer: op.issuer })
    expect(fragment.status).toBe(200)
    expect(fragment.text).not.toContain('<html')
    expect(fragment.text).toContain('id="well-known-verdict" data-failure=""')
    expect(fragment.text).toContain('The provider can be used for login.')

    const page = await post('/test-well-known', form(id, { issuer: op.issuer, label: 'Kept label' }))
    expect(page.status).toBe(200)
    expect(page.text).toContain('<html')
    expect(page.text).toContain('id="well-known-verdict"')
    expect(page.text).toContain('value="Kept label"')
    expect(page.text).toContain(`name="id" value="${id}"`)
    expect(page.text).toContain('id="secret-not-kept"')
    expect(page.text).not.toContain(SECRET)
    expect(await app.dock.store.loginProviders.list()).toEqual([])

    const noCsrf = await app.agent.post(`${base}/test-well-known`).set(ADMIN).type('form').send({ issuer: op.issuer })
    expect(noCsrf.status).toBe(403)
  })

  it('tests well-known per row of the overview, for the configured provider too', async () => {
    await newForm()
    const res = await post('/corp/test-well-known', { _csrf: csrf })
    expect(res.status).toBe(200)
    expect(res.text).toContain('Test well-known: Corp SSO')
    expect(res.text).toContain('data-fact="pkce">yes')
    expect(res.text).toContain(`<code>${op.issuer}/token</code>`)
  })

  it('speaks German', async () => {
    const page = await app.agent.get(`${base}/?lang=de`).set(ADMIN)
    expect(page.text).toContain('<h1>Anmeldeanbieter</h1>')
    expect(page.text).toContain('aus der Konfiguration')
    // The choice sticks in a cookie: back to English for the other tests.
    await app.agent.get(`${base}/?lang=en`).set(ADMIN)
  })

  it('deletes after confirmation', async () => {
    const id = await createViaForm()
    const confirm = await app.agent.get(`${base}/${id}/delete`).set(ADMIN)
    expect(confirm.text).toContain('Delete the login provider “Keycloak (Acme)”?')
    const res = await post(`/${id}/delete`, { _csrf: csrf })
    expect(res.headers.location).toBe(`${base}/?done=deleted`)
    expect(await app.dock.store.loginProviders.get(id)).toBeNull()
    expect((await app.agent.get(`${base}/corp/edit`).set(ADMIN)).status).toBe(409)
  })
})
