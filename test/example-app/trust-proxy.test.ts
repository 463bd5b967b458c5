/**
 * The example app behind a reverse proxy: TRUST_PROXY sets Express's `trust proxy`, so the client
 * address comes from the proxy's X-Forwarded-For, and one client's failed password logins lock out
 * that client, not everyone behind the proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleApp } from '../../example-app/app.js'
import { readSettings } from '../../example-app/settings.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startExampleFixture, type ExampleAppFixture } from './example-fixture.js'

/** One password login from `address` (as the proxy in front reports it); the code the page shows. */
async function passwordLogin(app: ExampleAppFixture, address: string, password: string): Promise<string> {
  const browser = new BrowserClient()
  const form = await (await browser.request(`${app.url}${app.dock.config.paths.auth}/password`)).text()
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form)?.[1] ?? ''
  const res = await browser.request(`${app.url}${app.dock.config.paths.auth}/password`, {
    form: { _csrf: csrf, username: 'alice@example.com', password },
    headers: { 'x-forwarded-for': address },
  })
  if (res.status === 303) return 'LOGGED_IN'
  return /<code id="error-code">([A-Z_]+)<\/code>/.exec(await res.text())?.[1] ?? `status ${res.status}`
}

describe('example app with TRUST_PROXY=loopback', () => {
  let app: ExampleAppFixture

  beforeAll(async () => {
    app = await startExampleFixture({ TRUST_PROXY: 'loopback' })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('throttles the client the proxy names, not everyone behind the proxy', async () => {
    for (let i = 0; i < 5; i++)
      expect(await passwordLogin(app, '198.51.100.1', `wrong-${i}`)).toBe('LOGIN_PASSWORD_INVALID')
    expect(await passwordLogin(app, '198.51.100.1', 'alice-password')).toBe('LOGIN_THROTTLED')
    expect(await passwordLogin(app, '198.51.100.2', 'alice-password')).toBe('LOGGED_IN')
  })
})

describe('example app TRUST_PROXY setting', () => {
  it.each([
    [undefined, undefined],
    ['true', true],
    ['1', 1],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
  ])('reads TRUST_PROXY=%s as %s', (raw, value) => {
    expect(readSettings({ TRUST_PROXY: raw }).trustProxy).toEqual(value)
  })

  it('refuses to start with a TRUST_PROXY Express cannot read, naming the variable', async () => {
    await expect(startExampleApp({ PORT: '0', TRUST_PROXY: 'the-proxy' }, { log: () => undefined })).rejects.toThrow(
      'TRUST_PROXY must be',
    )
  })
})
