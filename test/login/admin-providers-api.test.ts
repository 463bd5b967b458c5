/**
 * The login providers JSON API: CSRF like the profile API, the secret write-only (never in an
 * answer or the audit), errors naming the field, providers from the options read-only, the secret
 * dropped when the issuer moves to another origin, the claim-change confirmation and its audit
 * entry, presets, events.
 */
import type { EventEmitter } from 'node:events'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHostileOp, type HostileOp } from '../fixtures/hostile-op.js'
import { ADMIN, startProfilesApp, type ProfilesApp } from '../profiles/helpers.js'

const SECRET = 'Login-S3cret-Never-Shown-41c2'
const TENANT = '8f7c2a1e-3b4d-4c5e-9f60-718293a4b5c6'

let app: ProfilesApp
let op: HostileOp
let api: string
let csrf: string

beforeAll(async () => {
  op = await startHostileOp()
  app = await startProfilesApp({
    oidc: {
      id: 'corp',
      label: 'Corp SSO',
      issuer: op.issuer,
      clientId: op.clientId,
      clientSecret: 'options-secret-0123456789',
    },
  })
  api = app.dock.config.paths.loginProvidersApi
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.loginProviders.list()) await app.dock.store.loginProviders.delete(p.id)
  const res = await app.agent.get(`${api}/csrf`).set(ADMIN)
  csrf = res.body.csrfToken
})

const send = (method: 'post' | 'put' | 'patch' | 'delete', path: string) =>
  app.agent[method](`${api}${path}`).set(ADMIN).set('x-csrf-token', csrf)

const body = (overrides: Record<string, unknown> = {}) => ({
  label: 'Entra (Contoso)',
  issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
  clientId: 'contoso-app',
  clientSecret: SECRET,
  secretExpiresAt: '2031-06-30',
  authorizationParams: { domain_hint: 'contoso.com' },
  ...overrides,
})

async function create(overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const res = await send('post', '').send(body(overrides))
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`)
  return res.body.provider
}

describe('login providers JSON API', () => {
  it('refuses without the admin guard and without the CSRF header', async () => {
    expect((await app.agent.get(api)).status).toBe(403)
    const noCsrf = await app.agent.post(api).set(ADMIN).send(body())
    expect(noCsrf.status).toBe(403)
    expect(noCsrf.body.error.code).toBe('CSRF_INVALID')
    expect(await app.dock.store.loginProviders.list()).toEqual([])
  })

  it('creates a provider with the defaults of the oidc option and answers without the secret', async () => {
    const res = await send('post', '').send(body())
    expect(res.status).toBe(201)
    const p = res.body.provider
    expect(p.id).toMatch(/^p\.[a-z0-9]{12}$/)
    expect(res.headers.location).toBe(`${api}/${p.id}`)
    expect(p).toMatchObject({
      source: 'admin',
      readOnly: false,
      active: true,
      hasClientSecret: true,
      scope: 'openid profile email',
      claim: 'email',
      claimLabel: 'E-Mail',
      authorizationParams: { domain_hint: 'contoso.com' },
      idTokenAlgorithms: null,
      secretExpiresAt: '2031-06-30T00:00:00.000Z',
      redirectUri: `${app.url}/auth/callback/${p.id}`,
    })
    expect(res.text).not.toContain(SECRET)
    expect(await app.dock.store.loginProviders.getClientSecret(p.id)).toBe(SECRET)
    const audit = await app.dock.store.audit.list({ kind: 'loginProvider.created' })
    expect(audit[0]).toMatchObject({ actor: 'test-admin', details: { providerId: p.id, secretSet: 'yes' } })
    expect(JSON.stringify(audit)).not.toContain(SECRET)
  })

  it('lists the configured provider read-only beside the admin-managed ones', async () => {
    const created = await create()
    const res = await app.agent.get(api).set(ADMIN)
    expect(res.body.providers.map((p: { id: string; source: string }) => [p.id, p.source])).toEqual([
      ['corp', 'options'],
      [created.id, 'admin'],
    ])
    expect(res.body.providers[0]).toMatchObject({
      readOnly: true,
      label: 'Corp SSO',
      hasClientSecret: true,
      redirectUri: `${app.url}/auth/callback`,
    })
    expect(res.text).not.toContain('options-secret-0123456789')
    for (const method of ['put', 'patch', 'delete'] as const) {
      const refused = await send(method, '/corp').send(body())
      expect(refused.status, method).toBe(409)
      expect(refused.body.error.code, method).toBe('LOGIN_PROVIDER_READ_ONLY')
    }
    expect((await app.agent.get(`${api}/corp`).set(ADMIN)).body.provider).toMatchObject({ id: 'corp', readOnly: true })
    expect((await app.agent.get(`${api}/p.000000000000`).set(ADMIN)).body.error.code).toBe('LOGIN_PROVIDER_NOT_FOUND')
  })

  it.each([
    [
      'a query in the issuer',
      { issuer: 'https://idp.example.com/realms/a?x=1' },
      'issuer',
      'must not contain a query (?) or a fragment (#)',
    ],
    [
      'a fragment in the issuer',
      { issuer: 'https://idp.example.com/realms/a#top' },
      'issuer',
      'must not contain a query (?) or a fragment (#)',
    ],
    ['http to a host that is not loopback', { issuer: 'http://idp.example.com' }, 'issuer', 'https'],
    ["Entra's /common", { issuer: 'https://login.microsoftonline.com/common/v2.0' }, 'issuer', 'must name your tenant'],
    ['credentials in the issuer', { issuer: 'https://user:pw@idp.example.com' }, 'issuer', 'user name or password'],
    ['no client id', { clientId: '' }, 'clientId', 'is required'],
    [
      'a reserved parameter',
      { authorizationParams: { redirect_uri: 'https://evil.example' } },
      'authorizationParams',
      'set by authdock itself',
    ],
    ['HS256', { idTokenAlgorithms: ['HS256'] }, 'idTokenAlgorithms', 'none and HS* are never allowed'],
    ['a claim with a space', { claim: 'e mail' }, 'claim', 'one claim name'],
    ['a day that does not exist', { secretExpiresAt: '2031-02-30' }, 'secretExpiresAt', 'YYYY-MM-DD'],
  ])(
    'refuses %s with VALIDATION_FAILED naming the field, storing nothing',
    async (_what, overrides, field, message) => {
      const res = await send('post', '').send(body(overrides))
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('VALIDATION_FAILED')
      expect(res.body.error.fields[field]).toContain(message)
      expect(res.text).not.toContain(SECRET)
      expect(await app.dock.store.loginProviders.list()).toEqual([])
    },
  )

  it('PATCH keeps the secret; moving the issuer to another origin needs the secret again or its removal', async () => {
    const p = await create()
    const scope = await send('patch', `/${p.id}`).send({ scope: 'email' })
    expect(scope.body).toMatchObject({ provider: { scope: 'openid email', hasClientSecret: true } })
    // Same origin, another path: the secret stays.
    expect(
      (
        await send('patch', `/${p.id}`).send({
          issuer: `https://login.microsoftonline.com/${TENANT.replace('8f', '9f')}/v2.0`,
        })
      ).status,
    ).toBe(200)
    const moved = await send('patch', `/${p.id}`).send({ issuer: 'https://keycloak.example.com/realms/acme' })
    expect(moved.status).toBe(400)
    expect(moved.body.error).toMatchObject({
      code: 'LOGIN_PROVIDER_SECRET_REQUIRED',
      fields: { clientSecret: expect.stringContaining('must be entered again') },
    })
    expect((await app.dock.store.loginProviders.get(p.id))?.issuer).toContain('login.microsoftonline.com')
    expect(await app.dock.store.loginProviders.getClientSecret(p.id)).toBe(SECRET)
    const again = await send('patch', `/${p.id}`).send({
      issuer: 'https://keycloak.example.com/realms/acme',
      clientSecret: 'a-new-secret-0123456789',
    })
    expect(again.body).toMatchObject({
      provider: { issuer: 'https://keycloak.example.com/realms/acme', hasClientSecret: true },
    })
    const removed = await send('patch', `/${p.id}`).send({
      issuer: 'https://sso.example.org/realms/acme',
      clientSecret: null,
    })
    expect(removed.body).toMatchObject({ provider: { hasClientSecret: false } })
    const [updated] = await app.dock.store.audit.list({ kind: 'loginProvider.updated', limit: 1 })
    expect(updated.details).toMatchObject({ providerId: p.id, secretChanged: 'yes' })
    expect(JSON.stringify(await app.dock.store.audit.list())).not.toContain('a-new-secret-0123456789')
  })

  it('asks to confirm a new claim once users logged in through the provider, then saves and audits it', async () => {
    const p = await create()
    // No one logged in yet: the claim changes without a question.
    expect((await send('patch', `/${p.id}`).send({ claim: 'preferred_username' })).body.claimChanged).toBe(true)
    await app.dock.store.audit.add({
      kind: 'login.succeeded',
      actor: 'u-bob',
      details: { providerId: p.id, method: 'oidc' },
    })
    await app.dock.store.audit.add({
      kind: 'login.succeeded',
      actor: 'u-alice',
      details: { providerId: p.id, method: 'oidc' },
    })
    const asked = await send('patch', `/${p.id}`).send({ claim: 'oid', claimLabel: 'Object ID' })
    expect(asked.status).toBe(409)
    expect(asked.body.error.code).toBe('LOGIN_PROVIDER_CLAIM_CHANGE_UNCONFIRMED')
    expect(asked.body.error.message).toContain('every user mapping must be maintained again')
    expect(asked.body.error.fields.claim).toContain('confirm')
    expect((await app.dock.store.loginProviders.get(p.id))?.claim).toBe('preferred_username')

    const confirmed = await send('patch', `/${p.id}`).send({
      claim: 'oid',
      claimLabel: 'Object ID',
      confirmClaimChange: true,
    })
    expect(confirmed.status).toBe(200)
    expect(confirmed.body).toMatchObject({ provider: { claim: 'oid', claimLabel: 'Object ID' }, claimChanged: true })
    const [entry] = await app.dock.store.audit.list({ kind: 'loginProvider.claimChanged', limit: 1 })
    expect(entry).toMatchObject({
      actor: 'test-admin',
      details: { providerId: p.id, from: 'preferred_username', to: 'oid', usersLoggedIn: 2, confirmed: true },
    })
  })

  it('deletes (204), audits and emits loginProvider.* events', async () => {
    const events: string[] = []
    const names = ['loginProvider.created', 'loginProvider.updated', 'loginProvider.deleted']
    const listeners = names.map((name) => {
      const listener = (payload: { providerId: string }) => events.push(`${name} ${payload.providerId}`)
      const untyped: EventEmitter = app.dock.events
      untyped.on(name, listener)
      return () => untyped.off(name, listener)
    })
    try {
      const p = await create()
      await send('patch', `/${p.id}`).send({ active: false })
      expect((await send('delete', `/${p.id}`)).status).toBe(204)
      expect((await send('delete', `/${p.id}`)).body.error.code).toBe('LOGIN_PROVIDER_NOT_FOUND')
      expect(events).toEqual(names.map((n) => `${n} ${p.id}`))
      expect((await app.dock.store.audit.list({ kind: 'loginProvider.deleted' }))[0].details).toMatchObject({
        providerId: p.id,
        label: 'Entra (Contoso)',
      })
    } finally {
      for (const off of listeners) off()
    }
  })

  it('fills presets: Entra needs the tenant GUID (not /common, not a domain), Keycloak the realm URL', async () => {
    const entra = await app.agent.get(`${api}/presets/entra`).query({ tenantId: TENANT }).set(ADMIN)
    expect(entra.body.values).toEqual({
      preset: 'entra',
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      scope: 'openid profile email',
      tenantId: TENANT,
    })
    const common = await app.agent.get(`${api}/presets/entra`).query({ tenantId: 'common' }).set(ADMIN)
    expect(common.status).toBe(400)
    expect(common.body.error.fields.tenantId).toContain('GUID')
    expect(
      (await app.agent.get(`${api}/presets/entra`).query({ tenantId: 'contoso.onmicrosoft.com' }).set(ADMIN)).body.error
        .fields.tenantId,
    ).toContain('GUID')
    const kc = await app.agent
      .get(`${api}/presets/keycloak`)
      .query({ realmUrl: 'https://kc.example.com/realms/acme/' })
      .set(ADMIN)
    expect(kc.body.values).toMatchObject({
      issuer: 'https://kc.example.com/realms/acme',
      scope: 'openid profile email',
    })
    expect((await app.agent.get(`${api}/presets/gitlab`).set(ADMIN)).body.values.issuer).toBe('https://gitlab.com')
    expect((await app.agent.get(`${api}/presets/google`).set(ADMIN)).body.values.issuer).toBe(
      'https://accounts.google.com',
    )
    expect((await app.agent.get(`${api}/presets`).set(ADMIN)).body.presets.map((p: { id: string }) => p.id)).toEqual([
      'entra',
      'keycloak',
      'gitlab',
      'google',
    ])
  })

  it('tests well-known by POST with CSRF, for an issuer or a provider (configured ones too)', async () => {
    expect(
      (await app.agent.post(`${api}/test-well-known`).set(ADMIN).send({ issuer: op.issuer })).body.error.code,
    ).toBe('CSRF_INVALID')
    const ok = await send('post', '/test-well-known').send({ issuer: op.issuer })
    expect(ok.status).toBe(200)
    expect(ok.body.report).toMatchObject({
      issuer: op.issuer,
      reachable: true,
      issuerMatches: true,
      pkceS256: true,
      failure: null,
    })
    const configured = await send('post', '/corp/test-well-known').send({})
    expect(configured.body.report.issuerMatches).toBe(true)
    const missing = await send('post', '/test-well-known').send({})
    expect(missing.body.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { issuer: 'is required' } })
  })
})
