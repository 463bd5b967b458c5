/**
 * The device cookie of silent re-login is a one-time ticket: every silent login replaces it, a
 * replaced one presented again (a copied cookie) forgets the device for every holder, and a device
 * lives `login.rememberDeviceMs` from its interactive login however often it is used. Hosts can
 * forget every device of a user, through the API or with "log out everywhere".
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { DEVICE_ROTATION_GRACE_MS, hashDevice } from '../../src/login/device.js'
import { csrfOf, deviceCookie, me } from './helpers.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
/** Long after a rotation: no request of the same browser still carries the replaced id. */
const LATER = 2 * MINUTE

let op: OidcProviderFixture
let app: TestApp

beforeAll(async () => {
  app = await startTestApp({
    options: { login: { rememberDeviceMs: HOUR } },
    oidc: async (baseUrl) => {
      op = await startOidcProvider({
        clients: [
          {
            client_id: 'device-app',
            client_secret: 'device-app-secret-0123456789',
            redirect_uris: [`${baseUrl}/auth/callback`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
        ],
      })
      return { issuer: op.issuer, clientId: 'device-app', clientSecret: 'device-app-secret-0123456789' }
    },
  })
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})
beforeEach(() => {
  app.clock.reset()
  op.defaultAccount = 'alice'
})

async function loggedIn(account = 'alice'): Promise<BrowserClient> {
  op.defaultAccount = account
  const browser = new BrowserClient()
  const { url } = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
  expect(url).toBe(`${app.url}/me`)
  expect(deviceCookie(browser, app)).toBeDefined()
  return browser
}

/** A page visit after the session ended: silent login with whatever device cookie the browser has. */
async function returns(browser: BrowserClient): Promise<string> {
  browser.deleteCookie(app.url, app.dock.config.session.cookieName)
  return (await browser.navigate(`${app.url}/`)).body
}

/** A browser holding nothing but a copy of `deviceId`. */
function copyOf(deviceId: string): BrowserClient {
  const browser = new BrowserClient()
  browser.setCookie(app.url, app.dock.config.login.deviceCookieName, deviceId)
  return browser
}

const stored = (deviceId: string) => app.dock.store.loginTokens.get(hashDevice(deviceId))
const audited = async (kind: string) => app.dock.store.audit.list({ kind })

describe('device cookie rotation', () => {
  it("gives the browser a new device id at every silent login, keeping the first login's expiry", async () => {
    const browser = await loggedIn()
    const first = deviceCookie(browser, app)!
    const original = (await stored(first))!
    app.clock.advance(10 * MINUTE)
    expect(await returns(browser)).toBe('home of u-alice')
    const second = deviceCookie(browser, app)!
    expect(second).not.toBe(first)
    expect(await stored(first)).toBeNull()
    expect(await stored(second)).toMatchObject({
      familyId: original.familyId,
      createdAt: original.createdAt,
      expiresAt: original.expiresAt,
      userId: 'u-alice',
    })
    // The cookie ends when the device does, 50 minutes from now, not an hour.
    const expires = browser.cookies.get(new URL(app.url).host)!.get(app.dock.config.login.deviceCookieName)!.expires!
    expect(expires).toBeLessThanOrEqual(Date.now() + 50 * MINUTE + 1000)
    expect(expires).toBeGreaterThan(Date.now() + 49 * MINUTE)
    app.clock.advance(10 * MINUTE)
    expect(await returns(browser)).toBe('home of u-alice')
    expect(deviceCookie(browser, app)).not.toBe(second)
  })

  it('refuses a replaced device id presented again, forgets the device for every holder and audits it (login.device_reused)', async () => {
    const victim = await loggedIn()
    const copied = deviceCookie(victim, app)!
    expect(await returns(victim)).toBe('home of u-alice')
    const current = deviceCookie(victim, app)!
    const reused: unknown[] = []
    app.dock.events.on('login.device_reused', (e) => reused.push(e))
    const before = (await audited('login.device_reused')).length

    app.clock.advance(LATER)
    op.resetCounters()
    const thief = copyOf(copied)
    expect(await returns(thief)).toBe('home (anonymous)')
    expect((await me(thief, app)).status).toBe(401)
    // Refused before the provider was asked, and the copied cookie is cleared.
    expect(op.grants.refresh_token).toBeUndefined()
    expect(deviceCookie(thief, app)).toBeUndefined()
    const entries = await audited('login.device_reused')
    expect(entries.length).toBe(before + 1)
    expect(entries[0]).toMatchObject({ actor: 'u-alice', details: { providerId: 'default', deviceForgotten: true } })
    expect(reused).toEqual([{ userId: 'u-alice', providerId: 'default' }])

    // The newest id dies with it: the device is forgotten, whoever holds which copy.
    expect(await stored(current)).toBeNull()
    expect(await returns(victim)).toBe('home (anonymous)')
    expect(deviceCookie(victim, app)).toBeUndefined()
    expect(op.grants.refresh_token).toBeUndefined()
  })

  it("catches the copy also when it was used first: the copier's new id dies at the owner's next visit", async () => {
    const owner = await loggedIn()
    const thief = copyOf(deviceCookie(owner, app)!)
    expect(await returns(thief)).toBe('home of u-alice')
    const thiefsNewId = deviceCookie(thief, app)!
    app.clock.advance(LATER)
    // The owner's browser still has the id the thief's visit replaced.
    expect(await returns(owner)).toBe('home (anonymous)')
    expect((await audited('login.device_reused'))[0]).toMatchObject({ actor: 'u-alice' })
    expect(await stored(thiefsNewId)).toBeNull()
    expect(await returns(thief)).toBe('home (anonymous)')
  })

  it(`refuses the replaced id without forgetting the device within ${DEVICE_ROTATION_GRACE_MS} ms of the rotation (parallel tabs)`, async () => {
    expect(DEVICE_ROTATION_GRACE_MS).toBeLessThan(LATER)
    const browser = await loggedIn()
    const old = deviceCookie(browser, app)!
    expect(await returns(browser)).toBe('home of u-alice')
    const before = (await audited('login.device_reused')).length
    const lateTab = copyOf(old)
    app.clock.advance(DEVICE_ROTATION_GRACE_MS - 1000)
    expect(await returns(lateTab)).toBe('home (anonymous)')
    // No Set-Cookie clearing it: in a real browser the cookie is shared, and would be the new one.
    expect(deviceCookie(lateTab, app)).toBe(old)
    expect((await audited('login.device_reused')).length).toBe(before)
    expect(await returns(browser)).toBe('home of u-alice')
  })

  it('ends a device rememberDeviceMs after its interactive login, however recently it was used', async () => {
    const browser = await loggedIn()
    app.clock.advance(40 * MINUTE)
    expect(await returns(browser)).toBe('home of u-alice')
    const used = deviceCookie(browser, app)!
    // 70 minutes after the login, 30 after the last use.
    app.clock.advance(30 * MINUTE)
    expect(await returns(browser)).toBe('home (anonymous)')
    expect(deviceCookie(browser, app)).toBeUndefined()
    expect(await stored(used)).toBeNull()
  })
})

describe('forgetting every device of a user', () => {
  it('dock.login.forgetDevices forgets them all and audits it (login.devices_forgotten)', async () => {
    // Earlier tests' devices of alice are not this test's.
    await app.dock.store.loginTokens.deleteForUser('u-alice')
    const laptop = await loggedIn()
    const phone = await loggedIn()
    const bob = await loggedIn('bob')
    expect(await app.dock.login.forgetDevices('u-alice', { actor: 'admin' })).toBe(2)
    expect(await returns(laptop)).toBe('home (anonymous)')
    expect(await returns(phone)).toBe('home (anonymous)')
    expect(await returns(bob)).toBe('home of u-bob')
    expect((await audited('login.devices_forgotten'))[0]).toMatchObject({
      actor: 'admin',
      details: { userId: 'u-alice', count: 2, via: 'api' },
    })
    await expect(app.dock.login.forgetDevices('')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' })
  })

  it('logout with everywhere=1 forgets every device of the user; a plain logout only this one', async () => {
    const logout = (browser: BrowserClient, form: Record<string, string>) =>
      browser.request(`${app.url}/auth/logout`, { form })
    const here = await loggedIn()
    const elsewhere = await loggedIn()
    expect((await logout(here, { _csrf: await csrfOf(here, app) })).status).toBe(303)
    expect(await returns(elsewhere)).toBe('home of u-alice')

    const laptop = await loggedIn()
    expect((await logout(laptop, { _csrf: await csrfOf(laptop, app), everywhere: '1' })).status).toBe(303)
    expect(await returns(elsewhere)).toBe('home (anonymous)')
    expect((await audited('logout'))[0]).toMatchObject({ actor: 'u-alice', details: { everywhere: true } })
    expect((await audited('login.devices_forgotten'))[0]).toMatchObject({
      actor: 'u-alice',
      details: { userId: 'u-alice', count: 1, via: 'logout' },
    })
  })
})
