/** Small steps shared by the login tests. */
import { BrowserClient } from '../fixtures/browser-client.js'
import type { TestApp } from '../fixtures/test-app.js'

export const JSON_ACCEPT = { accept: 'application/json' }

/** GET /me as an API client: 200 with the user, or 401. */
export async function me(browser: BrowserClient, app: TestApp): Promise<{ status: number; body: any }> {
  const res = await browser.request(`${app.url}/me`, { headers: JSON_ACCEPT })
  return { status: res.status, body: await res.json() }
}

/** Follow redirects from `url` until the next hop would match `stop`; returns that hop's URL. */
export async function followUntil(
  browser: BrowserClient,
  url: string,
  stop: (next: string) => boolean,
): Promise<string> {
  let current = url
  for (let i = 0; i < 20; i++) {
    const res = await browser.request(current)
    await res.arrayBuffer()
    const location = res.headers.get('location')
    if (!location) throw new Error(`no redirect from ${current} (status ${res.status})`)
    const next = new URL(location, current).toString()
    if (stop(next)) return next
    current = next
  }
  throw new Error('too many redirects')
}

/** The CSRF token of the browser's session, read from the password form. */
export async function csrfOf(browser: BrowserClient, app: TestApp): Promise<string> {
  const res = await browser.request(`${app.url}${app.dock.config.paths.auth}/password`)
  const html = await res.text()
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!match) throw new Error(`no CSRF token on the password page (status ${res.status})`)
  return match[1]
}

/** The code the page shows in `<code id="error-code">`. */
export function shownCode(html: string): string | undefined {
  return /<code id="error-code">([A-Z_]+)<\/code>/.exec(html)?.[1]
}

export function sessionCookie(browser: BrowserClient, app: TestApp): string | undefined {
  return browser.cookie(app.url, app.dock.config.session.cookieName)
}

export function deviceCookie(browser: BrowserClient, app: TestApp): string | undefined {
  return browser.cookie(app.url, app.dock.config.login.deviceCookieName)
}
