/**
 * The OAuth2 profiles admin in a real browser, as alice, inside the example app's page frame
 * (`views.layout`): create, edit and delete a profile, renew
 * the authorization of "Dev mailbox" through the provider's consent page until the overview shows a
 * token, download the CSV, and switch the language to German and back.
 */
import { readFile } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleFixture, type ExampleAppFixture } from '../example-app/example-fixture.js'
import { chromiumMissing, launchBrowser, loginAtIdp, newContext, screenshot } from './browser-fixture.js'

const ADMIN = '/admin/oauth2-profiles'

describe.skipIf(chromiumMissing)('profiles admin in a real browser', () => {
  let app: ExampleAppFixture
  let browser: Browser

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startExampleFixture(), launchBrowser()])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  async function adminPage(): Promise<Page> {
    const page = await (await newContext(browser)).newPage()
    await loginAtIdp(page, app.url)
    await page.goto(`${app.url}${ADMIN}/`)
    return page
  }

  const row = (page: Page, name: string) =>
    page.locator('#profiles tbody tr', { has: page.getByRole('cell', { name, exact: true }) })

  it('creates, edits and deletes a profile, saying after each step what happened', async () => {
    const page = await adminPage()
    await page.getByRole('link', { name: 'New profile' }).click()
    const form = page.locator('#profile-form')
    await form.getByLabel('Name').fill('Support mailbox')
    await form.getByLabel('Authorization URL').fill(`${app.idpUrl}/auth`)
    await form.getByLabel('Token URL').fill(`${app.idpUrl}/token`)
    await form.getByLabel('Client ID').fill('support-client')
    await form.getByLabel('Client secret', { exact: true }).fill('support-secret-value')
    await form.getByLabel('Scope', { exact: true }).fill('openid offline_access mail')
    await screenshot(page, 'admin-new-profile')
    await form.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${app.url}${ADMIN}/?done=created`)
    expect(await page.locator('#done').textContent()).toContain('The profile was created.')
    expect(await row(page, 'Support mailbox').count()).toBe(1)

    await page.getByRole('link', { name: 'Edit Support mailbox' }).click()
    // The secret is write-only: the edit form never shows it.
    expect(await page.locator('#profile-form').getByLabel('Client secret', { exact: true }).inputValue()).toBe('')
    expect(await page.content()).not.toContain('support-secret-value')
    await page.locator('#profile-form').getByLabel('Scope', { exact: true }).fill('openid mail')
    await page.locator('#profile-form').getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${app.url}${ADMIN}/?done=update*`)
    expect(await row(page, 'Support mailbox').textContent()).toContain('openid mail')

    await page.getByRole('link', { name: 'Delete Support mailbox' }).click()
    await page.getByRole('button', { name: 'Delete' }).click()
    await page.waitForURL(`${app.url}${ADMIN}/?done=deleted`)
    expect(await row(page, 'Support mailbox').count()).toBe(0)
    await page.context().close()
  })

  it("shows the admin inside the example app's own page frame: its navigation and its stylesheet", async () => {
    const page = await adminPage()
    const nav = page.getByRole('navigation', { name: 'Example app' })
    await expect.poll(() => nav.isVisible()).toBe(true)
    expect(await nav.getByRole('link', { name: 'OAuth2 profiles' }).getAttribute('aria-current')).toBe('page')
    expect(await nav.getByRole('link', { name: 'Mail accounts' }).count()).toBe(1)
    expect(await nav.getByRole('button', { name: 'Log out' }).count()).toBe(1)
    // The example's stylesheet applied (admitted by views.csp.styleSrc): its dark header.
    expect(await page.locator('header.site').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
      'rgb(18, 53, 91)',
    )
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('OAuth2 profiles')
    await screenshot(page, 'admin-in-host-layout')
    // From the admin back to the host's own pages through its navigation.
    await nav.getByRole('link', { name: 'Mail accounts' }).click()
    await page.waitForURL(`${app.url}/mail-accounts`)
    await page.context().close()
  })

  it('refuses to delete "Dev mailbox" while the mail account "Demo outbox" uses it', async () => {
    const page = await adminPage()
    await page.getByRole('link', { name: 'Delete Dev mailbox' }).click()
    expect(await page.locator('#profile-users').textContent()).toContain('Demo outbox')
    expect(await page.getByRole('button', { name: 'Delete' }).isDisabled()).toBe(true)
    await page.context().close()
  })

  it('says the permissions were refused when "Cancel" is pressed on the consent page, and stores no token', async () => {
    const page = await adminPage()
    await page.getByRole('button', { name: 'Renew authorization of Dev mailbox' }).click()
    await page.waitForURL(`${app.idpUrl}/interaction/**`)
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.waitForURL(`${app.url}/oauth2redirect**`)
    expect(await page.locator('#provider-code').textContent()).toBe('access_denied')
    expect(await page.locator('#error-code').textContent()).toBe('AUTHORIZATION_FAILED')
    await screenshot(page, 'admin-authorization-denied')
    const profile = (await app.dock.store.profiles.getByName('Dev mailbox'))!
    expect((await app.dock.store.tokens.get(profile.id))?.accessToken ?? null).toBeNull()
    await page.context().close()
  })

  it('renews the authorization of "Dev mailbox" through the consent page; the overview then shows the token', async () => {
    const page = await adminPage()
    expect(await row(page, 'Dev mailbox').locator('.token-present').count()).toBe(0)
    await page.getByRole('button', { name: 'Renew authorization of Dev mailbox' }).click()
    await page.waitForURL(`${app.idpUrl}/interaction/**`)
    expect(await page.locator('[data-scope="mail"]').count()).toBe(1)
    await screenshot(page, 'idp-consent')
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(`${app.url}/oauth2redirect**`)
    expect(await page.locator('#authorized').textContent()).toContain('Dev mailbox')
    expect(await page.locator('#no-refresh-token').count()).toBe(0)
    await screenshot(page, 'admin-authorized')
    await page.getByRole('link', { name: 'Back to the profiles' }).click()
    await expect.poll(() => row(page, 'Dev mailbox').locator('.token-present').count()).toBe(1)
    await screenshot(page, 'admin-overview')
    // The token is shown as present, never as its value.
    const profile = (await app.dock.store.profiles.getByName('Dev mailbox'))!
    const token = await app.dock.store.tokens.get(profile.id)
    expect(token?.accessToken).toBeTruthy()
    expect(await page.content()).not.toContain(token!.accessToken!)
    await page.context().close()
  })

  it('downloads the profiles as CSV without any secret', async () => {
    const page = await adminPage()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export as CSV' }).click(),
    ])
    expect(download.suggestedFilename()).toMatch(/\.csv$/)
    const csv = await readFile((await download.path())!, 'utf8')
    expect(csv.split(/\r?\n/)[0]).toMatch(/name/i)
    expect(csv).toContain('Dev mailbox')
    const profile = (await app.dock.store.profiles.getByName('Dev mailbox'))!
    expect(csv).not.toContain((await app.dock.store.profiles.getClientSecret(profile.id))!)
    const token = await app.dock.store.tokens.get(profile.id)
    if (token?.accessToken) expect(csv).not.toContain(token.accessToken)
    if (token?.refreshToken) expect(csv).not.toContain(token.refreshToken)
    await page.context().close()
  })

  it('switches the language to German, keeps it on the next pages, and back to English', async () => {
    const page = await adminPage()
    await page.getByRole('link', { name: 'Deutsch' }).click()
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('de')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('OAuth2-Profile')
    expect(await page.getByRole('button', { name: 'Autorisierung von Dev mailbox erneuern' }).count()).toBe(1)
    await screenshot(page, 'admin-german')
    // The choice sticks: the app's own pages follow it too.
    await page.goto(`${app.url}/`)
    expect(await page.locator('html').getAttribute('lang')).toBe('de')
    expect(await page.getByRole('heading', { name: 'Ihre ersten fünf Minuten' }).count()).toBe(1)
    await page.getByRole('link', { name: 'English' }).click()
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('en')
    await page.goto(`${app.url}${ADMIN}/`)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('OAuth2 profiles')
    await page.context().close()
  })
})
