/**
 * No returnTo, however encoded, sends the browser to another origin after a login, whichever way it
 * enters: `/auth/login?returnTo=` with one provider and with a chooser, `/auth/login/:provider`,
 * the password form, and the retry page's links after a failed login. Every OIDC login is completed
 * at the real identity provider, and the app's redirect after the callback (or after the password
 * POST) is the one asserted.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, me } from './helpers.js'
import { HOSTILE_RETURN_TO, LEGITIMATE_RETURN_TO } from './hostile-return-to.js'

let single: OidcProviderFixture
let alpha: OidcProviderFixture
let beta: OidcProviderFixture
/** One provider (`default`): /auth/login starts the login at once. */
let one: TestApp
/** Two providers: /auth/login shows a chooser. */
let two: TestApp

const client = (redirectUri: string, id: string) => ({
  client_id: `rt-${id}`,
  client_secret: `rt-${id}-secret-0123456789`,
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code' as const],
})
const provider = (id: string, op: OidcProviderFixture) => ({
  id,
  issuer: op.issuer,
  clientId: `rt-${id}`,
  clientSecret: `rt-${id}-secret-0123456789`,
})

beforeAll(async () => {
  one = await startTestApp({
    oidc: async (baseUrl) => {
      single = await startOidcProvider({ clients: [client(`${baseUrl}/auth/callback`, 'default')] })
      return provider('default', single)
    },
  })
  two = await startTestApp({
    oidc: async (baseUrl) => {
      alpha = await startOidcProvider({ clients: [client(`${baseUrl}/auth/callback/alpha`, 'alpha')] })
      beta = await startOidcProvider({ clients: [client(`${baseUrl}/auth/callback/beta`, 'beta')] })
      return [provider('alpha', alpha), provider('beta', beta)]
    },
  })
})
afterAll(async () => {
  await one?.close()
  await two?.close()
  await Promise.all([single, alpha, beta].map((op) => op?.close()))
})
beforeEach(() => {
  for (const op of [single, alpha, beta]) op.nextInteraction = 'login'
})

const query = (value: string) => `returnTo=${encodeURIComponent(value)}`

/** What a browser does with `Location: location` from the app: stays on its origin, as a path. */
function sameOrigin(app: TestApp, location: string): boolean {
  return (
    new URL(location, app.url).origin === new URL(app.url).origin &&
    location.startsWith('/') &&
    !location.startsWith('//') &&
    !location.startsWith('/\\')
  )
}

function unescapeHtml(text: string): string {
  return text.replace(
    /&#3[49];|&quot;|&lt;|&gt;|&amp;/g,
    (e) => ({ '&#34;': '"', '&#39;': "'", '&quot;': '"', '&lt;': '<', '&gt;': '>', '&amp;': '&' })[e]!,
  )
}

/** The href of the first link on a page whose href starts with `prefix` (unescaped). */
function linkOn(html: string, prefix: string): string {
  for (const [, href] of html.matchAll(/href="([^"]*)"/g)) {
    const value = unescapeHtml(href)
    if (value === prefix || value.startsWith(`${prefix}?`)) return value
  }
  throw new Error(`no link to ${prefix} on the page`)
}

/**
 * Follow an OIDC login from `url` through the provider; the Location the app answers its callback
 * with, once the user is logged in.
 */
async function locationAfterCallback(app: TestApp, browser: BrowserClient, url: string): Promise<string> {
  let current = url
  for (let i = 0; i < 20; i++) {
    const res = await browser.request(current)
    await res.arrayBuffer()
    const location = res.headers.get('location')
    if (!location) throw new Error(`no redirect from ${current} (status ${res.status})`)
    const at = new URL(current)
    if (at.origin === app.url && at.pathname.startsWith(`${app.dock.config.paths.auth}/callback`)) {
      expect(res.status).toBe(303)
      expect((await me(browser, app)).status).toBe(200)
      return location
    }
    current = new URL(location, current).href
  }
  throw new Error('too many redirects')
}

/** The Location the app answers a successful password login with, the form's returnTo as given. */
async function locationAfterPassword(app: TestApp, browser: BrowserClient, returnTo: string): Promise<string> {
  const csrf = await csrfOf(browser, app)
  const res = await browser.request(`${app.url}/auth/password`, {
    form: { _csrf: csrf, username: 'alice', password: 'alice-password', returnTo },
  })
  expect(res.status).toBe(303)
  expect((await me(browser, app)).status).toBe(200)
  return res.headers.get('location')!
}

/** The password form's hidden returnTo, as the browser would send it. */
async function hiddenReturnTo(app: TestApp, browser: BrowserClient, path: string): Promise<string> {
  const html = await (await browser.request(`${app.url}${path}`)).text()
  const match = /name="returnTo" value="([^"]*)"/.exec(html)
  if (!match) throw new Error(`no returnTo field at ${path}`)
  return unescapeHtml(match[1])
}

/** A failed (cancelled) login started at `start`, then the retry page's HTML. */
async function retryPageAfter(
  app: TestApp,
  op: OidcProviderFixture,
  browser: BrowserClient,
  start: string,
): Promise<string> {
  op.nextInteraction = 'deny'
  const { url, body } = await browser.navigate(start)
  expect(new URL(url).pathname).toBe(`${app.dock.config.paths.auth}/retry`)
  return body
}

type Entry = (value: string) => Promise<string>

/** Where each way in lands; every value, hostile or not, goes through each of them. */
const ENTRY_POINTS: Array<[string, () => TestApp, Entry]> = [
  [
    'GET /auth/login?returnTo= (one provider)',
    () => one,
    (v) => locationAfterCallback(one, new BrowserClient(), `${one.url}/auth/login?${query(v)}`),
  ],
  [
    'GET /auth/login/default?returnTo=',
    () => one,
    (v) => locationAfterCallback(one, new BrowserClient(), `${one.url}/auth/login/default?${query(v)}`),
  ],
  [
    'GET /auth/login/alpha?returnTo=',
    () => two,
    (v) => locationAfterCallback(two, new BrowserClient(), `${two.url}/auth/login/alpha?${query(v)}`),
  ],
  [
    'GET /auth/login/beta?returnTo=',
    () => two,
    (v) => locationAfterCallback(two, new BrowserClient(), `${two.url}/auth/login/beta?${query(v)}`),
  ],
  [
    'the chooser at GET /auth/login?returnTo= (two providers)',
    () => two,
    async (v) => {
      const browser = new BrowserClient()
      const html = await (await browser.request(`${two.url}/auth/login?${query(v)}`)).text()
      return locationAfterCallback(two, browser, `${two.url}${linkOn(html, '/auth/login/beta')}`)
    },
  ],
  ['POST /auth/password with returnTo', () => one, (v) => locationAfterPassword(one, new BrowserClient(), v)],
  [
    'the password form at GET /auth/password?returnTo=',
    () => one,
    async (v) => {
      const browser = new BrowserClient()
      return locationAfterPassword(one, browser, await hiddenReturnTo(one, browser, `/auth/password?${query(v)}`))
    },
  ],
  [
    "the chooser's password link",
    () => two,
    async (v) => {
      const browser = new BrowserClient()
      const html = await (await browser.request(`${two.url}/auth/login?${query(v)}`)).text()
      return locationAfterPassword(two, browser, await hiddenReturnTo(two, browser, linkOn(html, '/auth/password')))
    },
  ],
  [
    'the retry page\'s "Try again" (one provider)',
    () => one,
    async (v) => {
      const browser = new BrowserClient()
      const html = await retryPageAfter(one, single, browser, `${one.url}/auth/login?${query(v)}`)
      return locationAfterCallback(one, browser, `${one.url}${linkOn(html, '/auth/login')}`)
    },
  ],
  [
    'the retry page\'s "Try again" (two providers)',
    () => two,
    async (v) => {
      const browser = new BrowserClient()
      const html = await retryPageAfter(two, alpha, browser, `${two.url}/auth/login/alpha?${query(v)}`)
      return locationAfterCallback(two, browser, `${two.url}${linkOn(html, '/auth/login/alpha')}`)
    },
  ],
  [
    "the retry page's password link",
    () => one,
    async (v) => {
      const browser = new BrowserClient()
      const html = await retryPageAfter(one, single, browser, `${one.url}/auth/login/default?${query(v)}`)
      return locationAfterPassword(one, browser, await hiddenReturnTo(one, browser, linkOn(html, '/auth/password')))
    },
  ],
]

describe('returnTo at every entry point of a login', () => {
  it.each(ENTRY_POINTS)(
    '%s: no hostile value leaves the origin',
    async (_name, app, enter) => {
      const escaped: Array<{ value: string; location: string }> = []
      for (const value of HOSTILE_RETURN_TO) {
        const location = await enter(value)
        if (!sameOrigin(app(), location) || location !== app().dock.config.paths.afterLogin)
          escaped.push({ value, location })
      }
      // Each hostile value is refused as a whole: the login lands on paths.afterLogin.
      expect(escaped).toEqual([])
    },
    120_000,
  )

  it.each(ENTRY_POINTS)('%s: legitimate paths still land where they point', async (_name, _app, enter) => {
    for (const [value, expected] of LEGITIMATE_RETURN_TO) expect(await enter(value)).toBe(expected)
  })
})
