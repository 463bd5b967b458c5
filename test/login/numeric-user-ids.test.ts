/**
 * A host whose users are rows with integer keys, mapped with the README's callbacks as written
 * (`findById: ({ id }) => db.users.findById(id)`, where findById compares with ===): OIDC login,
 * password login and silent re-login keep the user logged in, findById gets the number back, and
 * what authdock records names the user by the id's string form.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { hashDevice } from '../../src/login/device.js'
import { csrfOf, deviceCookie, me } from './helpers.js'

const CLIENT = { clientId: 'numeric-app', clientSecret: 'numeric-app-secret-0123456789' }

type Row = {
  id: number
  email: string
  login: string
  name: string
  passwordLogin: boolean
  isAdmin: boolean
}

// The host's user table: integer keys, looked up with ===, as an ORM or a Map<number, …> does.
const rows: Row[] = [
  { id: 2, email: 'alice@example.com', login: 'alice', name: 'Alice Admin', passwordLogin: true, isAdmin: true },
]
const findByIdCalls: unknown[] = []
const db = {
  users: {
    findByEmail: (email: string) => rows.find((r) => r.email === email) ?? null,
    findByLogin: (login: string) => rows.find((r) => r.login === login) ?? null,
    findById: (id: number | string) => {
      findByIdCalls.push(id)
      return rows.find((r) => r.id === id) ?? null
    },
    checkPassword: (id: number | string, password: string) => id === 2 && password === 'alice-password',
  },
}

let op: OidcProviderFixture
let app: TestApp
const succeeded: Array<{ userId: unknown; method: string }> = []

beforeAll(async () => {
  app = await startTestApp({
    oidc: async (baseUrl) => {
      op = await startOidcProvider({
        clients: [
          {
            client_id: CLIENT.clientId,
            client_secret: CLIENT.clientSecret,
            redirect_uris: [`${baseUrl}/auth/callback`],
            post_logout_redirect_uris: [`${baseUrl}/`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
        ],
      })
      return { issuer: op.issuer, ...CLIENT }
    },
    options: {
      // README "Mount it in your Express app", as written.
      users: {
        findByClaim: ({ value }) => db.users.findByEmail(value),
        findByUsername: ({ username }) => db.users.findByLogin(username),
        findById: ({ id }) => db.users.findById(id),
        verifyPassword: ({ user, password }) => db.users.checkPassword(user.id, password),
        isPasswordLoginEnabled: ({ user }) => user.passwordLogin === true,
      },
    },
  })
  app.dock.events.on('login.succeeded', (e: { userId: unknown; method: string }) => succeeded.push(e))
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})
beforeEach(() => {
  findByIdCalls.length = 0
  succeeded.length = 0
  op.defaultAccount = 'alice'
})

async function oidcLogin(): Promise<BrowserClient> {
  const browser = new BrowserClient()
  const { url } = await browser.navigate(`${app.url}/auth/login?returnTo=%2Fme`)
  expect(url).toBe(`${app.url}/me`)
  return browser
}

describe('a host whose user ids are numbers', () => {
  it('stays logged in after an OIDC login: findById gets the number back', async () => {
    const browser = await oidcLogin()
    expect(await me(browser, app)).toMatchObject({ status: 200, body: { user: { id: 2, email: 'alice@example.com' } } })
    expect(findByIdCalls.length).toBeGreaterThan(0)
    expect(findByIdCalls.every((id) => id === 2)).toBe(true)
    expect(succeeded.at(-1)).toEqual({ providerId: 'default', userId: '2', method: 'oidc' })
    expect((await app.dock.store.audit.list({ kind: 'login.succeeded', limit: 1 }))[0].actor).toBe('2')
  })

  it('stays logged in after a password login', async () => {
    const browser = new BrowserClient()
    const csrf = await csrfOf(browser, app)
    const { url } = await browser.navigate(`${app.url}/auth/password`, {
      form: { _csrf: csrf, username: 'alice', password: 'alice-password', returnTo: '/me' },
    })
    expect(url).toBe(`${app.url}/me`)
    expect((await me(browser, app)).body.user).toMatchObject({ id: 2, name: 'Alice Admin' })
    expect(succeeded.at(-1)).toEqual({ providerId: null, userId: '2', method: 'password' })
  })

  it('logs in silently with the remembered device: the refreshed identity is the same user, not "another user"', async () => {
    const browser = await oidcLogin()
    const device = deviceCookie(browser, app)!
    expect(await app.dock.store.loginTokens.get(hashDevice(device))).toMatchObject({ userId: '2' })
    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    const home = await browser.navigate(`${app.url}/`)
    expect(home.body).toBe('home of 2')
    expect(succeeded.at(-1)).toEqual({ providerId: 'default', userId: '2', method: 'silent' })
    // The device was kept (rotated), not thrown away as a mismatch.
    expect(deviceCookie(browser, app)).toBeDefined()
    expect(await app.dock.store.audit.list({ kind: 'login.failed' })).toEqual([])
    expect((await me(browser, app)).body.user.id).toBe(2)
  })

  it('forgets the devices of a user named by its number', async () => {
    await oidcLogin()
    expect(await app.dock.login.forgetDevices(2, { actor: 'admin' })).toBeGreaterThan(0)
    expect((await app.dock.store.audit.list({ kind: 'login.devices_forgotten', limit: 1 }))[0].details).toMatchObject({
      userId: '2',
    })
  })
})
