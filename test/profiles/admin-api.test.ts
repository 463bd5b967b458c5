import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ADMIN, SECRET, apiCsrf, createViaApi, jsonBody, startProfilesApp, type ProfilesApp } from './helpers.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'

let app: ProfilesApp
let csrf: string
beforeAll(async () => {
  app = await startProfilesApp()
})
afterAll(async () => {
  await app?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
  app.profileUsers.clear()
  csrf = await apiCsrf(app)
})

const send = (method: 'post' | 'put' | 'patch' | 'delete', path: string) =>
  app.agent[method](`${app.api}${path}`).set(ADMIN).set('x-csrf-token', csrf)

describe('JSON API: operations', () => {
  it('hands out the CSRF token and the header to send it in', async () => {
    const res = await app.agent.get(`${app.api}/csrf`).set(ADMIN)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ csrfToken: csrf, header: 'x-csrf-token' })
  })

  it('creates a profile (201, Location) and answers without the secret', async () => {
    const res = await send('post', '').send(jsonBody())
    expect(res.status).toBe(201)
    expect(res.headers.location).toBe(`${app.api}/${res.body.profile.id}`)
    expect(res.body.profile).toMatchObject({
      name: 'Support mailbox',
      hasClientSecret: true,
      valid: true,
      redirectUrl: `${app.url}/oauth2redirect`,
      token: null,
    })
    expect(res.body.profile).not.toHaveProperty('clientSecret')
    expect(res.text).not.toContain(SECRET)
  })

  it('lists profiles with their token summaries and no token or secret values', async () => {
    const id = await createViaApi(app)
    await app.dock.store.tokens.save(id, {
      accessToken: 'AT-VALUE-123',
      refreshToken: 'RT-VALUE-456',
      status: 'ok',
      accessTokenExpiresAt: new Date('2030-01-01T00:00:00Z'),
      authorizedAccount: 'mailbox@example.com',
    })
    const res = await app.agent.get(app.api).set(ADMIN)
    expect(res.status).toBe(200)
    expect(res.body.profiles).toHaveLength(1)
    expect(res.body.profiles[0].token).toMatchObject({
      status: 'ok',
      hasAccessToken: true,
      hasRefreshToken: true,
      accessTokenExpiresAt: '2030-01-01T00:00:00.000Z',
      authorizedAccount: 'mailbox@example.com',
    })
    for (const secret of [SECRET, 'AT-VALUE-123', 'RT-VALUE-456']) expect(res.text).not.toContain(secret)
  })

  it('reads one profile and answers 404 PROFILE_NOT_FOUND for an unknown one', async () => {
    const id = await createViaApi(app)
    const res = await app.agent.get(`${app.api}/${id}`).set(ADMIN)
    expect(res.body.profile).toMatchObject({ id, name: 'Support mailbox' })
    const missing = await app.agent.get(`${app.api}/nope`).set(ADMIN)
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('PROFILE_NOT_FOUND')
  })

  it('PATCH changes only the fields sent and keeps the secret', async () => {
    const id = await createViaApi(app)
    const res = await send('patch', `/${id}`).send({ scope: 'offline_access other.scope', valid: false })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      profile: { name: 'Support mailbox', scope: 'offline_access other.scope', valid: false, hasClientSecret: true },
      tokensCleared: false,
    })
    expect(await app.dock.store.profiles.getClientSecret(id)).toBe(SECRET)
  })

  it('PUT replaces the profile; a new secret is stored and the audit says only that it changed', async () => {
    const id = await createViaApi(app)
    const res = await send('put', `/${id}`).send(jsonBody({ name: 'Replaced', clientSecret: 'another-secret-value' }))
    expect(res.status).toBe(200)
    expect(res.body.profile.name).toBe('Replaced')
    expect(await app.dock.store.profiles.getClientSecret(id)).toBe('another-secret-value')
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.updated' })
    expect(entry.details).toMatchObject({ secretChanged: 'yes' })
    expect(JSON.stringify(entry)).not.toMatch(/another-secret-value|S3cret/)
  })

  it('clientSecret null removes the stored secret', async () => {
    const id = await createViaApi(app)
    await send('patch', `/${id}`).send({ clientSecret: null })
    expect(await app.dock.store.profiles.getClientSecret(id)).toBeNull()
  })

  it('changing the client id clears the tokens and answers tokensCleared: true', async () => {
    const id = await createViaApi(app)
    await app.dock.store.tokens.save(id, { accessToken: 'a', refreshToken: 'r', status: 'ok' })
    const res = await send('patch', `/${id}`).send({ clientId: 'new-client' })
    expect(res.body.tokensCleared).toBe(true)
    expect(await app.dock.store.tokens.get(id)).toBeNull()
  })

  it('deletes a profile (204) and refuses one in use with 409 PROFILE_IN_USE naming the users', async () => {
    const id = await createViaApi(app)
    app.profileUsers.set(id, ['support@example.com'])
    const refused = await send('delete', `/${id}`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('PROFILE_IN_USE')
    expect(refused.body.error.message).toContain('support@example.com')
    expect(await app.dock.store.profiles.get(id)).not.toBeNull()
    app.profileUsers.clear()
    const res = await send('delete', `/${id}`)
    expect(res.status).toBe(204)
    expect(await app.dock.store.profiles.get(id)).toBeNull()
  })

  it('exports CSV as an attachment', async () => {
    await createViaApi(app)
    const res = await app.agent.get(`${app.api}/export.csv`).set(ADMIN)
    expect(res.status).toBe(200)
    expect(res.headers['content-disposition']).toMatch(/^attachment;/)
    expect(res.text).not.toContain(SECRET)
  })

  it('answers unknown operations with 404 NOT_FOUND as JSON', async () => {
    const res = await app.agent.get(`${app.api}/a/b/c`).set(ADMIN)
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('NOT_FOUND')
  })
})

describe('JSON API: bad input', () => {
  it('names every bad field in { error: { code, message, fields } } and stores nothing', async () => {
    const res = await send('post', '').send({
      name: '',
      tokenUrl: 'http://example.com/token',
      clientId: 'x'.repeat(501),
      valid: 'maybe',
      scope: 7,
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('VALIDATION_FAILED')
    expect(Object.keys(res.body.error.fields).sort()).toEqual([
      'authorizationUrl',
      'clientId',
      'name',
      'scope',
      'tokenUrl',
      'valid',
    ])
    expect(res.body.error.message).toContain('"tokenUrl" must be an https URL')
    expect(await app.dock.store.profiles.list()).toHaveLength(0)
  })

  it('rejects a duplicate name with 409 PROFILE_NAME_TAKEN on the name field', async () => {
    await createViaApi(app)
    const res = await send('post', '').send(jsonBody())
    expect(res.status).toBe(409)
    expect(res.body.error).toMatchObject({
      code: 'PROFILE_NAME_TAKEN',
      fields: { name: expect.stringMatching(/already used/) },
    })
  })

  it('rejects malformed JSON with 400 VALIDATION_FAILED', async () => {
    const res = await send('post', '').set('content-type', 'application/json').send('{"name":')
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('VALIDATION_FAILED')
  })

  it('rejects a body over 64 kB with 413 REQUEST_TOO_LARGE', async () => {
    const res = await send('post', '').send(jsonBody({ scope: 'x'.repeat(70_000) }))
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('REQUEST_TOO_LARGE')
    expect(await app.dock.store.profiles.list()).toHaveLength(0)
  })

  it('rejects a body that is not an object', async () => {
    const res = await send('post', '').send([jsonBody()])
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('VALIDATION_FAILED')
  })
})

describe('JSON API: presets', () => {
  let op: OidcProviderFixture
  beforeAll(async () => {
    op = await startOidcProvider({ clients: [] })
  })
  afterAll(async () => {
    await op?.close()
  })

  it('lists the presets and what each needs', async () => {
    const res = await app.agent.get(`${app.api}/presets`).set(ADMIN)
    expect(res.body.presets.map((p: { id: string }) => p.id)).toEqual(['microsoft365', 'google', 'keycloak', 'gitlab'])
    expect(res.body.presets.find((p: { id: string }) => p.id === 'google').authorizationParams).toEqual({
      access_type: 'offline',
      prompt: 'consent',
    })
  })

  it('fills Microsoft 365 from a tenant GUID', async () => {
    const tenant = '8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b'
    const res = await send('post', '/presets/microsoft365').send({ tenantId: tenant })
    expect(res.body.values).toMatchObject({
      authorizationUrl: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
      tokenUrl: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
      scope:
        'openid profile email offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/POP.AccessAsUser.All https://outlook.office.com/SMTP.Send',
      tenantId: tenant,
      revocationUrl: null,
    })
  })

  it('discovers Keycloak endpoints from an issuer', async () => {
    const res = await send('post', '/presets/keycloak').send({ issuer: op.issuer })
    expect(res.status).toBe(200)
    expect(res.body.values).toMatchObject({
      preset: 'keycloak',
      authorizationUrl: `${op.issuer}/auth`,
      tokenUrl: `${op.issuer}/token`,
    })
  })

  it('refuses discovery from an http issuer that is not loopback', async () => {
    const res = await send('post', '/presets/gitlab').send({ issuer: 'http://gitlab.example.com' })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { issuer: expect.stringMatching(/https/) },
    })
  })

  it('refuses an issuer whose discovery document names another issuer', async () => {
    const res = await send('post', '/presets/gitlab').send({ issuer: op.issuer.replace('127.0.0.1', 'localhost') })
    expect(res.status).toBe(400)
    expect(res.body.error.fields.issuer).toMatch(/does not match/)
  })
})
