/**
 * Login as a newcomer meets it in a real browser: the dev identity provider's login page, cancel
 * there and land on authdock's retry page, "Log in with password", logout (also at the provider),
 * and the whole login by keyboard alone.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleFixture, type ExampleAppFixture } from '../example-app/example-fixture.js'
import { chromiumMissing, launchBrowser, loginAtIdp, newContext, screenshot } from './browser-fixture.js'

describe.skipIf(chromiumMissing)('login in a real browser', () => {
  let app: ExampleAppFixture
  let browser: Browser

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startExampleFixture(), launchBrowser()])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('logs alice in through the dev identity provider login page and shows her on the home page', async () => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(app.url)
    await page.getByRole('link', { name: 'Log in', exact: true }).first().click()
    await page.waitForURL(`${app.idpUrl}/interaction/**`)
    await page.getByLabel('Email address').fill('alice@example.com')
    await page.getByLabel('Password').fill('alice-password')
    await screenshot(page, 'idp-login')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${app.url}/`)
    await expect.poll(() => page.locator('#who').getAttribute('data-user-id')).toBe('alice')
    expect(await page.locator('#who').textContent()).toContain('Alice Admin')
    await screenshot(page, 'home-logged-in')
    await context.close()
  })

  it('shows the retry page with the reason "cancel" when the user cancels at the identity provider', async () => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${app.url}/auth/login`)
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.waitForURL(`${app.url}/auth/retry**`)
    expect(await page.locator('#retry-reason').getAttribute('data-reason')).toBe('cancel')
    expect(await page.locator('#retry-reason').textContent()).toContain('was cancelled')
    await expect.poll(() => page.getByRole('link', { name: 'Try again' }).count()).toBe(1)
    await screenshot(page, 'retry-cancel')
    await context.close()
  })

  it('logs alice in with "Log in with password" from the retry page', async () => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${app.url}/auth/login`)
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.waitForURL(`${app.url}/auth/retry**`)
    await page.getByRole('link', { name: 'Log in with password' }).click()
    await page.waitForURL(`${app.url}/auth/password**`)
    await page.getByLabel('User name').fill('alice@example.com')
    await page.getByLabel('Password').fill('alice-password')
    await screenshot(page, 'password-login')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(`${app.url}/`)
    expect(await page.locator('#who').getAttribute('data-user-id')).toBe('alice')
    await context.close()
  })

  it('refuses bob the password login, because it is disabled for him, with the same answer as a wrong password', async () => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${app.url}/auth/password`)
    await page.getByLabel('User name').fill('bob@example.com')
    await page.getByLabel('Password').fill('bob-password')
    await page.getByRole('button', { name: 'Log in' }).click()
    await expect.poll(() => page.locator('#error-code').textContent()).toBe('LOGIN_PASSWORD_INVALID')
    expect(await page.getByRole('alert').textContent()).toContain('Unknown user or wrong password.')
    await context.close()
  })

  it('logs out of the app and, after confirming, of the identity provider; GET /me then answers 401', async () => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await loginAtIdp(page, app.url)
    // Chromium checks form-action on the redirect after the logout post: the provider must be admitted.
    const home = await page.goto(`${app.url}/`)
    expect(home?.headers()['content-security-policy']).toContain(`form-action 'self' ${new URL(app.idpUrl!).origin}`)
    await page.locator('#logout').click()
    await page.waitForURL(`${app.idpUrl}/**`)
    await screenshot(page, 'idp-logout')
    await page.getByRole('button', { name: 'Yes, sign me out' }).click()
    await page.waitForURL(`${app.url}/`)
    expect(await page.locator('#who').getAttribute('data-user-id')).toBeNull()
    const me = await page.request.get(`${app.url}/me`, { headers: { accept: 'application/json' } })
    expect(me.status()).toBe(401)
    expect(((await me.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
    // The provider's session ended too: the next login asks for the password again.
    await page.goto(`${app.url}/auth/login`)
    await page.waitForURL(`${app.idpUrl}/interaction/**`)
    expect(await page.getByLabel('Password').count()).toBe(1)
    await context.close()
  })

  it('logs in by keyboard alone: Tab to the login button, Enter, type, Enter', async () => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(app.url)
    let focused = ''
    for (let i = 0; i < 30 && focused !== 'Log in'; i++) {
      await page.keyboard.press('Tab')
      focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '')
    }
    expect(focused).toBe('Log in')
    await page.keyboard.press('Enter')
    await page.waitForURL(`${app.idpUrl}/interaction/**`)
    // The email field has the focus on arrival (autofocus); on a busy machine that comes a moment
    // after the URL, and keys typed before it would be lost.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('email')
    await page.keyboard.type('alice@example.com')
    await page.keyboard.press('Tab')
    await page.keyboard.type('alice-password')
    await page.keyboard.press('Enter')
    await page.waitForURL(`${app.url}/`)
    expect(await page.locator('#who').getAttribute('data-user-id')).toBe('alice')
    await context.close()
  })

  it('logs bob in through the identity provider but keeps him out of the admin (403 FORBIDDEN)', async () => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await loginAtIdp(page, app.url, 'bob@example.com')
    expect(await page.locator('#who').getAttribute('data-user-id')).toBe('bob')
    const res = await page.goto(`${app.url}/admin/oauth2-profiles`)
    expect(res?.status()).toBe(403)
    expect(await page.locator('code').first().textContent()).toBe('FORBIDDEN')
    await context.close()
  })
})
