/**
 * The remembered device is stored once the login's answer is sent (the redirect does not wait for
 * it). Until then, the requests of this instance that read or forget the device wait for it: a
 * silent login with the new cookie finds the device, a logout or forgetDevices forgets it. A write
 * that fails costs the browser its silent login, nothing else, and is logged without the token.
 *
 * The store's `put` is held at a gate here, so the write is still pending while the next request
 * arrives; the gate opens once that request has reached the point where it would read the store.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { hashDevice } from '../../src/login/device.js'
import type { Store } from '../../src/store/types.js'
import { csrfOf, deviceCookie } from './helpers.js'

let op: OidcProviderFixture
let app: TestApp
const logged: Array<{ level: string; fields: unknown; message: string }> = []
const log =
  (level: string) =>
  (fields: object | string, message?: string): void =>
    void logged.push({ level, fields, message: message ?? String(fields) })

beforeAll(async () => {
  app = await startTestApp({
    options: { logger: { debug() {}, info() {}, warn: log('warn'), error: log('error') } },
    oidc: async (baseUrl) => {
      op = await startOidcProvider({
        clients: [
          {
            client_id: 'after-answer-app',
            client_secret: 'after-answer-app-secret-0123456789',
            redirect_uris: [`${baseUrl}/auth/callback`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
        ],
      })
      return { issuer: op.issuer, clientId: 'after-answer-app', clientSecret: 'after-answer-app-secret-0123456789' }
    },
  })
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})

type LoginTokens = Store['loginTokens']
const original: Partial<LoginTokens> = {}
/** Store calls on login tokens, in order: `put` when its write is done. */
let calls: string[] = []

afterEach(() => {
  Object.assign(app.dock.store.loginTokens, original)
  calls = []
  logged.length = 0
})

/** Hold every device write until `open()`; `fail` makes the held write fail instead. */
function gateDeviceWrites(options: { fail?: boolean } = {}): { open(): void } {
  const tokens = app.dock.store.loginTokens
  Object.assign(original, {
    put: tokens.put,
    get: tokens.get,
    delete: tokens.delete,
    deleteForUser: tokens.deleteForUser,
  })
  let open!: () => void
  const gate = new Promise<void>((resolve) => (open = resolve))
  tokens.put = async (record) => {
    await gate
    if (options.fail) throw new Error('disk I/O error (test)')
    await original.put!.call(tokens, record)
    calls.push('put')
  }
  for (const name of ['get', 'delete', 'deleteForUser'] as const) {
    const fn = original[name] as (...args: unknown[]) => Promise<unknown>
    ;(tokens as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls.push(name)
      return fn.apply(tokens, args)
    }
  }
  return { open }
}

/**
 * Resolves once the next request to the app has arrived and everything it does without waiting for
 * I/O is done: a request that does not wait for the pending write has read the store by then (the
 * SQLite store answers at once).
 */
function nextRequestUnderWay(): Promise<void> {
  return new Promise((resolve) =>
    app.server.prependOnceListener('request', (req) => {
      if (req.method === 'GET') return void setImmediate(resolve)
      // A form: its handler starts once the body is read.
      req.once('end', () => setImmediate(resolve))
    }),
  )
}

async function logIn(): Promise<{ browser: BrowserClient; deviceId: string }> {
  const browser = new BrowserClient()
  const { url } = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
  expect(url).toBe(`${app.url}/me`)
  const deviceId = deviceCookie(browser, app)
  expect(deviceId).toMatch(/^[A-Za-z0-9_-]{43}$/)
  return { browser, deviceId: deviceId! }
}

const stored = (deviceId: string) => original.get!.call(app.dock.store.loginTokens, hashDevice(deviceId))

describe('the remembered device, written after the answer', () => {
  it('answers the callback before the device is stored; a silent login on this instance waits for it', async () => {
    const gate = gateDeviceWrites()
    const { browser, deviceId } = await logIn()
    // The browser is logged in and holds the cookie; the record is not there yet.
    expect(calls).toEqual([])
    expect(await stored(deviceId)).toBeNull()

    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    const underWay = nextRequestUnderWay()
    const visit = browser.navigate(`${app.url}/`)
    await underWay
    expect(calls).toEqual([])
    gate.open()
    expect((await visit).body).toBe('home of u-alice')
    expect(calls.slice(0, 2)).toEqual(['put', 'get'])
    // The silent login rotated the device: a new cookie, the old id no longer stored.
    expect(deviceCookie(browser, app)).not.toBe(deviceId)
    expect(await stored(deviceId)).toBeNull()
  })

  it('a logout right after the login waits for the device and then forgets it', async () => {
    const gate = gateDeviceWrites()
    const { browser, deviceId } = await logIn()
    const csrf = await csrfOf(browser, app)
    const underWay = nextRequestUnderWay()
    const logout = browser.request(`${app.url}/auth/logout`, { form: { _csrf: csrf } })
    await underWay
    expect(calls).toEqual([])
    gate.open()
    expect((await logout).status).toBe(303)
    expect(calls).toEqual(['put', 'delete'])
    expect(await stored(deviceId)).toBeNull()
    expect(deviceCookie(browser, app)).toBeUndefined()
  })

  it('dock.login.forgetDevices waits for the devices this instance is still writing', async () => {
    const gate = gateDeviceWrites()
    const { deviceId } = await logIn()
    const forgetting = app.dock.login.forgetDevices('u-alice')
    await new Promise(setImmediate)
    expect(calls).toEqual([])
    gate.open()
    // Every device of u-alice, this one included (earlier tests' devices are gone already).
    expect(await forgetting).toBeGreaterThanOrEqual(1)
    expect(calls).toEqual(['put', 'deleteForUser'])
    expect(await stored(deviceId)).toBeNull()
  })

  it('a device write that fails leaves the login done, logs why without the token, and the next visit logs in interactively', async () => {
    const gate = gateDeviceWrites({ fail: true })
    const { browser, deviceId } = await logIn()
    gate.open()
    // The logout-free way to see the write settle: a silent login waits for it.
    browser.deleteCookie(app.url, app.dock.config.session.cookieName)
    expect((await browser.navigate(`${app.url}/`)).body).toBe('home (anonymous)')
    expect(await stored(deviceId)).toBeNull()
    // The cookie named nothing stored: it is cleared.
    expect(deviceCookie(browser, app)).toBeUndefined()
    const errors = logged.filter((l) => l.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].message).toMatch(/could not store the remembered device/)
    expect(errors[0].fields).toMatchObject({ userId: 'u-alice', err: 'Error: disk I/O error (test)' })
    expect(JSON.stringify(logged)).not.toContain(deviceId)
  })
})
