/**
 * Login providers in a real browser: alice (admin) creates one pointing at a second, real identity
 * provider, presses "Test well-known" and sees the result on the page, saves; then bob, in a fresh
 * browser, logs in through it from the chooser, without the app restarting.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleFixture, type ExampleAppFixture } from '../example-app/example-fixture.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import {
  chromiumMissing,
  duplicateIds,
  expectFitsWidth,
  launchBrowser,
  loginAtIdp,
  newContext,
  screenshot,
  unlabelledInputs,
} from './browser-fixture.js'

const PROVIDERS = '/admin/login-providers'

describe.skipIf(chromiumMissing)('login providers admin in a real browser', () => {
  let app: ExampleAppFixture
  let partner: OidcProviderFixture
  let browser: Browser

  beforeAll(async () => {
    ;[app, partner, browser] = await Promise.all([
      startExampleFixture(),
      startOidcProvider({ clients: [], defaultAccount: 'bob' }),
      launchBrowser(),
    ])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await partner?.close()
  })

  it('alice adds a provider, tests its well-known document on the page and saves; bob then logs in through it', async () => {
    const admin = await newContext(browser)
    const page = await admin.newPage()
    await loginAtIdp(page, app.url)
    await page.goto(`${app.url}/admin/oauth2-profiles/`)
    await page.getByRole('link', { name: 'Login providers (OpenID Connect)' }).click()
    await page.waitForURL(`${app.url}${PROVIDERS}/`)
    expect(await page.locator('#login-providers tbody tr[data-source="options"]').textContent()).toContain(
      'from configuration',
    )
    await page.getByRole('link', { name: 'New login provider' }).click()

    // The redirect URI is shown before saving: the administrator registers it at the provider first.
    const redirectUri = (await page.locator('#f-redirect').textContent())!.trim()
    expect(redirectUri).toMatch(new RegExp(`^${app.url}/auth/callback/p\\.[a-z0-9]{12}$`))
    await partner.setClient({
      client_id: 'example-app',
      client_secret: 'partner-secret-0123456789',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    })

    const form = page.locator('#provider-form')
    await form.getByLabel('Name', { exact: true }).fill('Partner IdP')
    await form.getByLabel('Identity provider URL (issuer)').fill(partner.issuer)
    await form.getByLabel('Client ID').fill('example-app')
    await form.getByLabel('Client secret', { exact: true }).fill('partner-secret-0123456789')
    await form.getByRole('button', { name: 'Test well-known' }).click()
    const result = page.locator('#well-known-result')
    await expect
      .poll(() => result.locator('#well-known-verdict').textContent())
      .toBe('The provider can be used for login.')
    expect(await result.locator('[data-fact="pkce"]').textContent()).toBe('yes')
    expect(await result.locator('[data-fact="logout"]').textContent()).toBe('yes')
    expect(await result.locator('[data-endpoint="token_endpoint"]').textContent()).toBe(`${partner.issuer}/token`)
    // The script kept the form as it was, secret included: nothing was posted but the issuer.
    expect(await form.getByLabel('Client secret', { exact: true }).inputValue()).toBe('partner-secret-0123456789')
    expect(await unlabelledInputs(page)).toEqual([])
    expect(await duplicateIds(page)).toEqual([])
    await screenshot(page, 'admin-login-provider-test')

    await form.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${app.url}${PROVIDERS}/?done=created`)
    expect(await page.locator('#done').textContent()).toContain('The login provider was created.')
    const row = page.locator('#login-providers tbody tr[data-source="admin"]')
    expect(await row.textContent()).toContain('Partner IdP')
    expect(await page.content()).not.toContain('partner-secret-0123456789')
    await screenshot(page, 'admin-login-providers')
    await admin.close()

    const fresh = await newContext(browser)
    const bob = await fresh.newPage()
    await bob.goto(`${app.url}/auth/login`)
    expect(await bob.getByRole('link', { name: 'Log in with Dev identity provider' }).count()).toBe(1)
    await screenshot(bob, 'login-chooser')
    await bob.getByRole('link', { name: 'Log in with Partner IdP' }).click()
    await bob.waitForURL(`${app.url}/`)
    await expect.poll(() => bob.locator('#who').getAttribute('data-user-id')).toBe('bob')
    await fresh.close()
  })

  it('fits a phone and labels every input on the login providers pages', async () => {
    const page = await (await newContext(browser, { width: 375, height: 740 })).newPage()
    // The chooser is up now (two providers): alice takes her password.
    await page.goto(`${app.url}/auth/password`)
    await page.getByLabel('User name').fill('alice@example.com')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(`${app.url}/`)
    for (const path of [
      `${PROVIDERS}/`,
      `${PROVIDERS}/new`,
      `${PROVIDERS}/new?preset=keycloak&realmUrl=https://kc.example.com/realms/acme`,
    ]) {
      await page.goto(`${app.url}${path}`)
      await expectFitsWidth(page)
      expect(await unlabelledInputs(page), path).toEqual([])
      expect(await duplicateIds(page), path).toEqual([])
    }
    expect(await page.locator('#f-issuer').inputValue()).toBe('https://kc.example.com/realms/acme')
    await page.context().close()
  })
})
