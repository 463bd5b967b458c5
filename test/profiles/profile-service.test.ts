/**
 * `dock.profiles`: OAuth2 profiles from the host's code go through the admin's own service —
 * validated, audited, events emitted, the cached token dropped — and the raw store is not public.
 * Also what the host's `admin.profileUsers` gets (id and name) and who "Renewed by" names.
 */
import type { EventEmitter } from 'node:events'
import express from 'express'
import request from 'supertest'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { verifyCsrf, type Authdock } from '../../src/index.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf } from '../login/helpers.js'

const SECRET = 'profile-service-secret-0123456789'
// The host keys its mail accounts by profile name, as it asks getAccessToken by name.
const accountsByProfileName = new Map<string, string[]>([['Support mailbox', ['Support inbox']]])
// A host user without username or displayName: the admin's name is `name`.
const ADA = { id: 'u-7', name: 'Ada Admin', email: 'ada@example.com', admin: true, passwordLogin: true }

let app: TestApp
let op: OidcProviderFixture
let publicDock: Authdock
const events: Array<{ name: string; payload: Record<string, unknown> }> = []

beforeAll(async () => {
  app = await startTestApp({
    admin: {
      guard: (req) =>
        (req.user as { admin?: boolean } | undefined)?.admin === true || req.get('x-test-admin') === 'yes',
      profileUsers: ({ profileName }) => accountsByProfileName.get(profileName) ?? [],
    },
    options: {
      users: {
        findByClaim: () => null,
        findByUsername: ({ username }) => (username === ADA.email ? ADA : null),
        findById: ({ id }) => (id === ADA.id ? ADA : null),
        verifyPassword: ({ password }) => password === 'ada-password',
        isPasswordLoginEnabled: () => true,
      },
    },
    mount: (host, dock) => {
      publicDock = dock
      // The host's own "Renew authorization" button.
      host.post(
        '/settings/mailbox/authorize',
        express.urlencoded({ extended: false }),
        verifyCsrf,
        (req, res, next) => {
          dock.profiles.authorize(String(req.body.profile), req).then((url) => res.redirect(303, url), next)
        },
      )
    },
  })
  // The mailbox's provider, whose client redirects to this app's /oauth2redirect.
  op = await startOidcProvider({
    claimsInIdToken: true,
    clients: [
      {
        client_id: 'mail-client',
        client_secret: SECRET,
        redirect_uris: [`${app.url}/oauth2redirect`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
  })
  for (const name of ['profile.created', 'profile.updated', 'profile.deleted', 'profile.authorized']) {
    const untyped: EventEmitter = app.dock.events
    untyped.on(name, (payload: Record<string, unknown>) => events.push({ name, payload }))
  }
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
  events.length = 0
})

const mailbox = (name = 'Support mailbox') => ({
  name,
  authorizationUrl: `${op.issuer}/auth`,
  tokenUrl: `${op.issuer}/token`,
  clientId: 'mail-client',
  clientSecret: SECRET,
  scope: 'openid email offline_access',
})

describe('dock.profiles', () => {
  it('is the only way in: the public dock has no raw store', () => {
    expect('store' in publicDock).toBe(false)
    expect(Object.keys(publicDock)).not.toContain('store')
  })

  it('creates a profile validated like the admin, audited and announced', async () => {
    const profile = await app.dock.profiles.create(mailbox(), { actor: 'setup' })
    expect(profile).toMatchObject({
      name: 'Support mailbox',
      hasClientSecret: true,
      valid: true,
      redirectUrl: `${app.url}/oauth2redirect`,
    })
    expect(profile).not.toHaveProperty('clientSecret')
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.created' })
    expect(entry).toMatchObject({
      actor: 'setup',
      profileId: profile.id,
      details: { name: 'Support mailbox', secretSet: 'yes' },
    })
    expect(JSON.stringify(entry)).not.toContain(SECRET)
    expect(events).toEqual([
      { name: 'profile.created', payload: { profileId: profile.id, name: 'Support mailbox', actor: 'setup' } },
    ])
    expect((await app.dock.profiles.list()).map((p) => p.name)).toEqual(['Support mailbox'])
    expect((await app.dock.profiles.get('Support mailbox')).id).toBe(profile.id)
  })

  it('refuses bad fields naming them (VALIDATION_FAILED) and a taken name (PROFILE_NAME_TAKEN), storing nothing', async () => {
    await expect(
      app.dock.profiles.create({ ...mailbox(), tokenUrl: 'ftp://mail.example.com/token', clientId: '' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { tokenUrl: expect.any(String), clientId: 'is required' },
    })
    await app.dock.profiles.create(mailbox())
    await expect(app.dock.profiles.create(mailbox())).rejects.toMatchObject({
      code: 'PROFILE_NAME_TAKEN',
      fields: { name: expect.any(String) },
    })
    expect(await app.dock.profiles.list()).toHaveLength(1)
    await expect(app.dock.profiles.get('No such profile')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' })
  })

  it('updates only the fields given (the secret stays), audits the change and drops the cached token', async () => {
    const profile = await app.dock.profiles.create(mailbox())
    await app.dock.store.tokens.save(profile.id, {
      accessToken: 'cached-access-token',
      refreshToken: 'rt',
      status: 'ok',
      accessTokenExpiresAt: new Date(Date.now() + 3600_000),
    })
    expect(await app.dock.tokens.getAccessToken('Support mailbox')).toBe('cached-access-token')

    const { profile: after, tokensCleared } = await app.dock.profiles.update(
      'Support mailbox',
      { scope: 'openid offline_access mail' },
      { actor: 'alice' },
    )
    expect(after).toMatchObject({
      id: profile.id,
      scope: 'openid offline_access mail',
      clientId: 'mail-client',
      hasClientSecret: true,
    })
    expect(tokensCleared).toBe(true)
    expect(await app.dock.store.profiles.getClientSecret(profile.id)).toBe(SECRET)
    const [entry] = await app.dock.store.audit.list({ kind: 'profile.updated' })
    expect(entry).toMatchObject({
      actor: 'alice',
      details: {
        changes: { scope: { from: 'openid email offline_access', to: 'openid offline_access mail' } },
        secretChanged: 'no',
      },
    })
    expect(events.at(-1)).toMatchObject({
      name: 'profile.updated',
      payload: { profileId: profile.id, tokensCleared: true },
    })
    // The cached token belonged to the old settings: no longer served.
    await expect(app.dock.tokens.getAccessToken('Support mailbox')).rejects.toMatchObject({
      code: 'TOKEN_NOT_AUTHORIZED',
    })
    expect(await app.dock.profiles.tokenState(profile.id)).toBeNull()
  })

  it('keeps the secret with its server: moving the token URL needs it again (PROFILE_SECRET_REQUIRED)', async () => {
    await app.dock.profiles.create(mailbox())
    await expect(
      app.dock.profiles.update('Support mailbox', { tokenUrl: 'https://elsewhere.example.com/token' }),
    ).rejects.toMatchObject({ code: 'PROFILE_SECRET_REQUIRED' })
  })

  it('clears the tokens of a profile, audited', async () => {
    const profile = await app.dock.profiles.create(mailbox())
    await app.dock.store.tokens.save(profile.id, {
      accessToken: 'at',
      refreshToken: 'rt',
      status: 'ok',
      accessTokenExpiresAt: new Date(Date.now() + 3600_000),
    })
    expect(await app.dock.profiles.tokenState(profile.id)).toMatchObject({
      hasAccessToken: true,
      hasRefreshToken: true,
      status: 'ok',
    })
    const result = await app.dock.profiles.clearTokens('Support mailbox', { actor: 'setup' })
    expect(result).toMatchObject({ profileId: profile.id, name: 'Support mailbox' })
    const after = await app.dock.store.tokens.get(profile.id)
    expect(after?.accessToken ?? null).toBeNull()
    expect(after?.refreshToken ?? null).toBeNull()
    expect((await app.dock.store.audit.list({ kind: 'profile.tokens_cleared' }))[0]).toMatchObject({
      actor: 'setup',
      profileId: profile.id,
    })
  })

  it('refuses to delete a profile the host names users of by its name (PROFILE_IN_USE), and deletes an unused one', async () => {
    const used = await app.dock.profiles.create(mailbox())
    await expect(app.dock.profiles.delete(used.id)).rejects.toMatchObject({
      code: 'PROFILE_IN_USE',
      details: { users: ['Support inbox'] },
    })
    expect(await app.dock.profiles.usersOf('Support mailbox')).toEqual(['Support inbox'])
    const unused = await app.dock.profiles.create(mailbox('Spare mailbox'))
    expect((await app.dock.profiles.delete('Spare mailbox', { actor: 'alice' })).id).toBe(unused.id)
    expect((await app.dock.store.audit.list({ kind: 'profile.deleted' }))[0]).toMatchObject({
      actor: 'alice',
      profileId: unused.id,
    })
  })
})

describe('admin.profileUsers', () => {
  it('gets the profile name too, so a host that keys mail accounts by name keeps the delete protection (JSON API)', async () => {
    const agent = request.agent(app.app)
    const csrf = (await agent.get(`${app.dock.config.paths.adminApi}/csrf`).set('x-test-admin', 'yes')).body
      .csrfToken as string
    const created = await agent
      .post(app.dock.config.paths.adminApi)
      .set('x-test-admin', 'yes')
      .set('x-csrf-token', csrf)
      .send(mailbox())
    expect(created.status).toBe(201)
    const res = await agent
      .delete(`${app.dock.config.paths.adminApi}/${created.body.profile.id}`)
      .set('x-test-admin', 'yes')
      .set('x-csrf-token', csrf)
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('PROFILE_IN_USE')
    expect(res.body.error.message).toContain('Support inbox')
  })
})

async function loggedInAda(): Promise<{ browser: BrowserClient; csrf: string }> {
  const browser = new BrowserClient()
  await browser.navigate(`${app.url}/auth/password`, {
    form: { _csrf: await csrfOf(browser, app), username: ADA.email, password: 'ada-password' },
  })
  // A login starts a new session, with a CSRF token of its own.
  const csrf = (
    await (
      await browser.request(`${app.url}${app.dock.config.paths.adminApi}/csrf`, {
        headers: { accept: 'application/json' },
      })
    ).json()
  ).csrfToken as string
  return { browser, csrf }
}

describe('the admin named in the audit trail', () => {
  it("is the user's name when the host sets no admin.actor and the user has no username", async () => {
    const { browser, csrf } = await loggedInAda()
    const { url } = await browser.navigate(`${app.url}${app.dock.config.paths.admin}/`, {
      form: { _csrf: csrf, ...mailbox(), valid: 'on' },
    })
    expect(url).toBe(`${app.url}${app.dock.config.paths.admin}/?done=created`)
    expect((await app.dock.store.audit.list({ kind: 'profile.created' }))[0].actor).toBe('Ada Admin')
  })
})

describe('dock.profiles.authorize from a host route', () => {
  it('runs "Renew authorization" and names the admin by name, not by id, as "Renewed by"', async () => {
    await app.dock.profiles.create(mailbox())
    const { browser, csrf } = await loggedInAda()
    const { res, url, body } = await browser.navigate(`${app.url}/settings/mailbox/authorize`, {
      form: { _csrf: csrf, profile: 'Support mailbox' },
    })
    expect(url).toMatch(new RegExp(`^${app.url}/oauth2redirect\\?`))
    expect(res.status).toBe(200)
    expect(body).toContain('<dd>Ada Admin</dd>')
    expect(body).not.toContain('u-7')
    const profile = await app.dock.profiles.get('Support mailbox')
    expect(await app.dock.profiles.tokenState(profile.id)).toMatchObject({
      hasAccessToken: true,
      authorizedBy: 'Ada Admin',
      authorizedAccount: 'alice@example.com',
    })
    expect(events.find((e) => e.name === 'profile.authorized')?.payload).toMatchObject({ authorizedBy: 'Ada Admin' })
    expect((await app.dock.store.audit.list({ kind: 'profile.authorized' }))[0].actor).toBe('Ada Admin')
  })
})
