import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ADMIN, SECRET, formBody, htmlCsrf, shownFieldErrors, startProfilesApp, type ProfilesApp } from './helpers.js'

let app: ProfilesApp
beforeAll(async () => {
  app = await startProfilesApp()
})
afterAll(async () => {
  await app?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
  app.profileUsers.clear()
})

async function createViaForm(overrides: Record<string, string> = {}) {
  const csrf = await htmlCsrf(app)
  return app.agent
    .post(app.admin)
    .set(ADMIN)
    .type('form')
    .send({ ...formBody(overrides), _csrf: csrf })
}

describe('HTML admin: create, edit, delete', () => {
  it('creates a profile from the form, redirects to the overview and lists it', async () => {
    const res = await createViaForm()
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`${app.admin}/?done=created`)
    const [profile] = await app.dock.store.profiles.list()
    expect(profile).toMatchObject({
      name: 'Support mailbox',
      clientId: 'client-123',
      scope: 'offline_access mail.read',
      valid: true,
      hasClientSecret: true,
    })
    // The redirect URL defaults to baseUrl + /oauth2redirect.
    expect(profile.redirectUrl).toBe(`${app.url}/oauth2redirect`)
    expect(await app.dock.store.profiles.getClientSecret(profile.id)).toBe(SECRET)

    const overview = await app.agent.get(`${app.admin}/?done=created`).set(ADMIN)
    expect(overview.status).toBe(200)
    expect(overview.text).toContain('Support mailbox')
    expect(overview.text).toContain('client-123')
    expect(overview.text).toContain('The profile was created.')
    expect(overview.text).toContain('Not authorized')
    expect(overview.text).toContain(`/${profile.id}/authorize`)
  })

  it('records the creation in the audit trail with the actor and without the secret', async () => {
    await createViaForm()
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.created' })
    expect(entry).toMatchObject({ kind: 'profile.created', actor: 'test-admin' })
    expect(entry.details).toMatchObject({ name: 'Support mailbox', secretSet: 'yes' })
    expect(JSON.stringify(entry)).not.toContain(SECRET)
  })

  it('shows the edit form with the values, says a secret is stored and never shows it', async () => {
    await createViaForm()
    const [profile] = await app.dock.store.profiles.list()
    const res = await app.agent.get(`${app.admin}/${profile.id}/edit`).set(ADMIN)
    expect(res.status).toBe(200)
    expect(res.text).toContain('value="Support mailbox"')
    expect(res.text).toContain('A client secret is stored')
    expect(res.text).toMatch(/name="clientSecret" value=""/)
    expect(res.text).not.toContain(SECRET)
  })

  it('saves an edit; an empty secret keeps the stored one and the audit says "secret changed: no"', async () => {
    await createViaForm()
    const [profile] = await app.dock.store.profiles.list()
    const csrf = await htmlCsrf(app)
    const res = await app.agent
      .post(`${app.admin}/${profile.id}`)
      .set(ADMIN)
      .type('form')
      .send({ ...formBody({ name: 'Renamed', clientSecret: '', valid: '' }), _csrf: csrf })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`${app.admin}/?done=updated`)
    const after = await app.dock.store.profiles.get(profile.id)
    expect(after).toMatchObject({ name: 'Renamed', valid: false, hasClientSecret: true })
    expect(await app.dock.store.profiles.getClientSecret(profile.id)).toBe(SECRET)
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.updated' })
    expect(entry.details).toMatchObject({
      secretChanged: 'no',
      changes: { name: { from: 'Support mailbox', to: 'Renamed' }, valid: { from: true, to: false } },
    })
  })

  it('removes the stored secret when "remove secret" is ticked, and audits "secret changed: yes"', async () => {
    await createViaForm()
    const [profile] = await app.dock.store.profiles.list()
    const csrf = await htmlCsrf(app)
    await app.agent
      .post(`${app.admin}/${profile.id}`)
      .set(ADMIN)
      .type('form')
      .send({ ...formBody({ clientSecret: '' }), removeClientSecret: 'on', _csrf: csrf })
    expect(await app.dock.store.profiles.getClientSecret(profile.id)).toBeNull()
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.updated' })
    expect(entry.details).toMatchObject({ secretChanged: 'yes' })
    expect(JSON.stringify(entry)).not.toContain(SECRET)
  })

  it('changing the token URL clears the stored tokens and says so', async () => {
    await createViaForm()
    const [profile] = await app.dock.store.profiles.list()
    await app.dock.store.tokens.save(profile.id, {
      accessToken: 'at-old',
      refreshToken: 'rt-old',
      status: 'ok',
      accessTokenExpiresAt: new Date(Date.now() + 3600_000),
    })
    const csrf = await htmlCsrf(app)
    const res = await app.agent
      .post(`${app.admin}/${profile.id}`)
      .set(ADMIN)
      .type('form')
      .send({ ...formBody({ tokenUrl: 'https://login.example.com/other/token', clientSecret: '' }), _csrf: csrf })
    expect(res.headers.location).toBe(`${app.admin}/?done=updatedTokensCleared`)
    expect(await app.dock.store.tokens.get(profile.id)).toBeNull()
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.updated' })
    expect(entry.details).toMatchObject({ tokensCleared: true })
  })

  it('asks for confirmation before deleting, then deletes and audits', async () => {
    await createViaForm()
    const [profile] = await app.dock.store.profiles.list()
    const confirm = await app.agent.get(`${app.admin}/${profile.id}/delete`).set(ADMIN)
    expect(confirm.status).toBe(200)
    expect(confirm.text).toContain('Delete the profile "Support mailbox"?'.replace(/"/g, '&#34;'))
    expect(await app.dock.store.profiles.get(profile.id)).not.toBeNull()
    const csrf = await htmlCsrf(app)
    const res = await app.agent.post(`${app.admin}/${profile.id}/delete`).set(ADMIN).type('form').send({ _csrf: csrf })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`${app.admin}/?done=deleted`)
    expect(await app.dock.store.profiles.get(profile.id)).toBeNull()
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.deleted' })
    expect(entry).toMatchObject({ profileId: profile.id, actor: 'test-admin' })
  })

  it('refuses to delete a profile in use with PROFILE_IN_USE naming its users, and keeps it', async () => {
    await createViaForm()
    const [profile] = await app.dock.store.profiles.list()
    app.profileUsers.set(profile.id, ['support@example.com (IMAP)', 'sales@example.com (SMTP)'])
    const confirm = await app.agent.get(`${app.admin}/${profile.id}/delete`).set(ADMIN)
    expect(confirm.text).toContain('support@example.com (IMAP)')
    const csrf = await htmlCsrf(app)
    const res = await app.agent.post(`${app.admin}/${profile.id}/delete`).set(ADMIN).type('form').send({ _csrf: csrf })
    expect(res.status).toBe(409)
    expect(res.text).toContain('<code id="error-code">PROFILE_IN_USE</code>')
    expect(res.text).toContain('sales@example.com (SMTP)')
    expect(await app.dock.store.profiles.get(profile.id)).not.toBeNull()
  })

  it('answers 404 PROFILE_NOT_FOUND for an unknown id', async () => {
    const res = await app.agent.get(`${app.admin}/does-not-exist/edit`).set(ADMIN)
    expect(res.status).toBe(404)
    expect(res.text).toContain('PROFILE_NOT_FOUND')
  })

  it('exports the overview as a CSV attachment', async () => {
    await createViaForm()
    const res = await app.agent.get(`${app.admin}/export.csv`).set(ADMIN)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="oauth2-profiles-\d{4}-\d{2}-\d{2}\.csv"$/,
    )
    expect(res.text.split('\r\n')[1]).toContain('"Support mailbox"')
    expect(res.text).not.toContain(SECRET)
  })

  it('speaks German when the browser asks for it', async () => {
    const res = await app.agent.get(`${app.admin}/`).set(ADMIN).set('accept-language', 'de')
    expect(res.text).toContain('OAuth2-Profile')
  })
})

describe('HTML admin: bad input re-renders the form with field errors and stores nothing', () => {
  const cases: Array<[string, Record<string, string>, string, RegExp]> = [
    ['a missing name', { name: '' }, 'name', /required/],
    ['a missing client id', { clientId: '' }, 'clientId', /required/],
    ['a missing token URL', { tokenUrl: '' }, 'tokenUrl', /required/],
    ['a token URL that is no URL', { tokenUrl: 'not a url' }, 'tokenUrl', /URL/],
    ['an http token URL on a non-loopback host', { tokenUrl: 'http://login.example.com/token' }, 'tokenUrl', /https/],
    [
      'an http authorization URL on a non-loopback host',
      { authorizationUrl: 'http://login.example.com/auth' },
      'authorizationUrl',
      /https/,
    ],
    ['a missing authorization URL for the code grant', { authorizationUrl: '' }, 'authorizationUrl', /required/],
    [
      'an http redirect URL on a non-loopback host',
      { redirectUrl: 'http://app.example.com/oauth2redirect' },
      'redirectUrl',
      /https/,
    ],
    ['a javascript: URL', { authorizationUrl: 'javascript:alert(1)' }, 'authorizationUrl', /https/],
    ['a proxy that is no http(s) URL', { proxy: 'socks5://proxy:1080' }, 'proxy', /proxy URL/],
    ['a proxy URL with a password', { proxy: 'http://user:pw@proxy.example.com:3128' }, 'proxy', /password/],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name', /at most 100/],
    ['a client id over 500 characters', { clientId: 'c'.repeat(501) }, 'clientId', /at most 500/],
    ['a scope over 2000 characters', { scope: 's'.repeat(2001) }, 'scope', /at most 2000/],
    ['a scope with a line break', { scope: 'a\r\nb' }, 'scope', /spaces/],
    ['a name with a control character', { name: 'a\u0000b' }, 'name', /control/],
    ['a date that is no date', { secretExpiresAt: '31.12.2030' }, 'secretExpiresAt', /date/],
    ['an unknown grant type', { grantType: 'password' }, 'grantType', /authorization_code/],
    ['a tenant id that is neither GUID nor domain', { tenantId: 'not a tenant!' }, 'tenantId', /GUID/],
    ['an unknown preset', { preset: 'facebook' }, 'preset', /one of/],
    ['a mailbox with a space', { mailbox: 'desk @example.com' }, 'mailbox', /without spaces/],
    [
      'an http revocation URL on a non-loopback host',
      { revocationUrl: 'http://login.example.com/revoke' },
      'revocationUrl',
      /https/,
    ],
  ]
  for (const [what, overrides, field, message] of cases) {
    it(`rejects ${what} (400, error on "${field}")`, async () => {
      const res = await createViaForm(overrides)
      expect(res.status).toBe(400)
      expect(res.text).toContain('Nothing was saved')
      expect(shownFieldErrors(res.text)[field]).toMatch(message)
      // The form keeps what was typed (except the secret).
      expect(res.text).not.toContain(SECRET)
      expect(await app.dock.store.profiles.list()).toHaveLength(0)
    })
  }

  it('rejects a duplicate name with PROFILE_NAME_TAKEN on the name field', async () => {
    await createViaForm()
    const res = await createViaForm({ clientId: 'other' })
    expect(res.status).toBe(409)
    expect(shownFieldErrors(res.text).name).toMatch(/already used/)
    expect(await app.dock.store.profiles.list()).toHaveLength(1)
  })

  it("rejects renaming onto another profile's name and keeps both unchanged", async () => {
    await createViaForm()
    await createViaForm({ name: 'Second' })
    const second = (await app.dock.store.profiles.list()).find((p) => p.name === 'Second')!
    const csrf = await htmlCsrf(app)
    const res = await app.agent
      .post(`${app.admin}/${second.id}`)
      .set(ADMIN)
      .type('form')
      .send({ ...formBody({ clientSecret: '' }), _csrf: csrf })
    expect(res.status).toBe(409)
    expect(shownFieldErrors(res.text).name).toMatch(/already used/)
    expect((await app.dock.store.profiles.get(second.id))?.name).toBe('Second')
  })

  it('keeps a stored profile unchanged when an edit is invalid', async () => {
    await createViaForm()
    const [profile] = await app.dock.store.profiles.list()
    const csrf = await htmlCsrf(app)
    const res = await app.agent
      .post(`${app.admin}/${profile.id}`)
      .set(ADMIN)
      .type('form')
      .send({ ...formBody({ name: 'Changed', tokenUrl: 'http://evil.example.com/token' }), _csrf: csrf })
    expect(res.status).toBe(400)
    expect(await app.dock.store.profiles.get(profile.id)).toMatchObject({
      name: 'Support mailbox',
      tokenUrl: 'https://login.example.com/oauth2/token',
    })
  })

  it('rejects a repeated field (an array) instead of picking one', async () => {
    const csrf = await htmlCsrf(app)
    const res = await app.agent
      .post(app.admin)
      .set(ADMIN)
      .type('form')
      .send(`${new URLSearchParams({ ...formBody(), _csrf: csrf })}&name=second`)
    expect(res.status).toBe(400)
    expect(shownFieldErrors(res.text).name).toBeTruthy()
    expect(await app.dock.store.profiles.list()).toHaveLength(0)
  })
})

describe('HTML admin: presets fill the new form', () => {
  const presetPost = async (fields: Record<string, string>) =>
    app.agent
      .post(`${app.admin}/new/preset`)
      .set(ADMIN)
      .type('form')
      .send({ ...fields, _csrf: await htmlCsrf(app) })

  it('fills Microsoft 365 URLs and mail scopes from the tenant id', async () => {
    const res = await presetPost({ preset: 'microsoft365', tenantId: 'contoso.onmicrosoft.com' })
    expect(res.status).toBe(200)
    expect(res.text).toContain(
      'value="https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"',
    )
    expect(res.text).toContain('value="https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"')
    expect(res.text).toContain('https://outlook.office.com/IMAP.AccessAsUser.All')
  })

  it('shows a tenant id error for Microsoft 365 with a bad tenant', async () => {
    const res = await presetPost({ preset: 'microsoft365', tenantId: '<b>x</b>' })
    expect(res.status).toBe(400)
    expect(shownFieldErrors(res.text).tenantId).toMatch(/GUID/)
    expect(res.text).not.toContain('<b>x</b>')
  })

  it('fills Google endpoints and the mail scope', async () => {
    const res = await presetPost({ preset: 'google' })
    expect(res.text).toContain('value="https://accounts.google.com/o/oauth2/v2/auth"')
    expect(res.text).toContain('value="openid email https://mail.google.com/"')
  })
})

describe('HTML admin: the token state in plain words', () => {
  it('shows a stored error as its status and advice, in English and German', async () => {
    await createViaForm()
    const [profile] = await app.dock.store.profiles.list()
    const { providerErrorClass } = await import('../../src/oauth/provider-errors.js')
    const { failurePatch } = await import('../../src/tokens/failure.js')
    await app.dock.store.tokens.save(
      profile.id,
      failurePatch(app.dock.config, Date.now(), null, providerErrorClass('secretExpired', 'AADSTS7000222')),
    )
    const en = await app.agent.get(`${app.admin}/`).set(ADMIN)
    expect(en.text).toContain('Client secret expired')
    expect(en.text).toContain(
      'The client secret has expired. Create a new secret at the provider, enter it in the profile, then save. (AADSTS7000222)',
    )
    const de = await app.agent.get(`${app.admin}/?lang=de`).set(ADMIN)
    expect(de.text).toContain('Client-Secret abgelaufen')
    expect(de.text).toContain('(AADSTS7000222)')
    // The choice sticks (a cookie) until the user picks another language.
    expect((await app.agent.get(`${app.admin}/`).set(ADMIN)).text).toContain('Client-Secret abgelaufen')
    expect((await app.agent.get(`${app.admin}/?lang=en`).set(ADMIN)).text).toContain('Client secret expired')
  })

  it('shows a present access token with its expiry and the last refresh', async () => {
    await createViaForm()
    const [profile] = await app.dock.store.profiles.list()
    await app.dock.store.tokens.save(profile.id, {
      accessToken: 'at',
      status: 'ok',
      accessTokenExpiresAt: new Date('2031-05-06T07:08:00Z'),
      lastRefreshAt: new Date('2031-05-06T06:08:00Z'),
    })
    const res = await app.agent.get(`${app.admin}/`).set(ADMIN)
    expect(res.text).toContain('token-present')
    expect(res.text).toContain('Access token until 2031-05-06 07:08 UTC, no refresh token')
    expect(res.text).toContain('2031-05-06 06:08 UTC')
  })
})
