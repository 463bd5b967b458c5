/**
 * Mail accounts and "send a test mail" in a real browser: an OAuth2 account type replaces the
 * password field by the profile choice (and the server ignores a password sent without script),
 * and a test mail goes through the token provider to the SMTP sink, which shows it.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleFixture, type ExampleAppFixture } from '../example-app/example-fixture.js'
import { chromiumMissing, launchBrowser, loginAtIdp, screenshot } from './browser-fixture.js'

describe.skipIf(chromiumMissing)('mail accounts and test mail in a real browser', () => {
  let app: ExampleAppFixture
  let browser: Browser

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startExampleFixture(), launchBrowser()])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  async function loggedIn(options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 800 }, ...options })
    const page = await context.newPage()
    await loginAtIdp(page, app.url)
    return page
  }

  const account = (page: Page, name: string) => page.locator(`section.account[data-account="${name}"]`)

  it('hides the password field and shows the profile choice when an OAuth2 type is chosen', async () => {
    const page = await loggedIn()
    await page.goto(`${app.url}/mail-accounts/new`)
    await page.getByLabel('Type').selectOption('IMAPS')
    expect(await page.getByLabel('Password').isVisible()).toBe(true)
    expect(await page.getByLabel('OAuth2 profile').isVisible()).toBe(false)
    // Types, notes and profile warnings come from dock.mail.accountTypes(): a compatibility type
    // says that STARTTLS is required anyway.
    await page.getByLabel('Type').selectOption('IMAP_OAuth2')
    expect(await page.locator('#type-notes li:visible').allTextContents()).toEqual([
      expect.stringContaining('STARTTLS'),
    ])
    await page.getByLabel('Type').selectOption('IMAPS_OAuth2')
    expect(await page.locator('#type-notes li:visible').count()).toBe(0)
    expect(await page.getByLabel('Password').isVisible()).toBe(false)
    expect(await page.getByLabel('OAuth2 profile').isVisible()).toBe(true)
    await page.getByLabel('Name').fill('Support inbox')
    await page.getByLabel('Server').fill('127.0.0.1')
    await page.getByLabel('User (mailbox address)').fill('alice@example.com')
    await page.getByLabel('OAuth2 profile').selectOption({ label: 'Dev mailbox' })
    expect(await page.locator('#profile-notes li:visible').allTextContents()).toEqual([
      expect.stringContaining('Renew authorization'),
    ])
    await screenshot(page, 'mail-account-oauth2')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${app.url}/mail-accounts`)
    expect(await account(page, 'Support inbox').textContent()).toContain('Profile: Dev mailbox')
    await page.context().close()
  })

  it('ignores a password submitted for an OAuth2 type when the browser runs no script', async () => {
    const page = await loggedIn({ javaScriptEnabled: false })
    await page.goto(`${app.url}/mail-accounts/new`)
    // Without script both fields show; a user may fill both.
    expect(await page.getByLabel('Password').isVisible()).toBe(true)
    await page.getByLabel('Name').fill('No-script outbox')
    await page.getByLabel('Type').selectOption('SMTPTLS_OAuth2')
    await page.getByLabel('User (mailbox address)').fill('alice@example.com')
    await page.getByLabel('Password').fill('typed-anyway')
    await page.getByLabel('OAuth2 profile').selectOption({ label: 'Dev mailbox' })
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${app.url}/mail-accounts`)
    expect(await account(page, 'No-script outbox').textContent()).not.toContain('with password')
    await page.context().close()
  })

  it('names the field when the OAuth2 profile is missing and stores nothing', async () => {
    const page = await loggedIn()
    await page.goto(`${app.url}/mail-accounts/new`)
    await page.getByLabel('Name').fill('Half an account')
    await page.getByLabel('User (mailbox address)').fill('alice@example.com')
    await page.getByRole('button', { name: 'Save' }).click()
    expect(await page.locator('#profileId-error').textContent()).toBe('choose an OAuth2 profile')
    expect(await page.getByLabel('OAuth2 profile').getAttribute('aria-invalid')).toBe('true')
    await page.goto(`${app.url}/mail-accounts`)
    expect(await account(page, 'Half an account').count()).toBe(0)
    await page.context().close()
  })

  it('says that the profile must be authorized first when a test mail is sent before "renew authorization"', async () => {
    const page = await loggedIn()
    await page.goto(`${app.url}/mail-accounts`)
    await account(page, 'Demo outbox').getByRole('button', { name: 'Send test mail' }).click()
    await page.waitForURL(`${app.url}/mail-accounts`)
    const banner = await page.locator('.banner.error').textContent()
    expect(banner).toContain('could not be sent')
    expect(banner).toMatch(/TOKEN_NOT_AUTHORIZED|TOKEN_REAUTHORIZATION_REQUIRED/)
    expect(app.sink.mails).toHaveLength(0)
    await page.context().close()
  })

  it('sends a test mail through the token provider after "renew authorization" and shows it in the SMTP sink', async () => {
    const page = await loggedIn()
    await page.goto(`${app.url}/admin/oauth2-profiles/`)
    await page.getByRole('button', { name: 'Renew authorization of Dev mailbox' }).click()
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(`${app.url}/oauth2redirect**`)

    await page.goto(`${app.url}/mail-accounts`)
    const outbox = account(page, 'Demo outbox')
    await outbox.getByLabel('Recipient').fill('bob@example.com')
    await outbox.getByRole('button', { name: 'Send test mail' }).click()
    await page.waitForURL(`${app.url}/mail-accounts`)
    expect(await page.getByRole('status').first().textContent()).toContain('was sent to bob@example.com')
    await screenshot(page, 'mail-accounts')

    await page.getByRole('link', { name: 'Received mails' }).click()
    const mail = page.locator('#mails tr.mail').first()
    expect(await mail.textContent()).toContain('bob@example.com')
    expect(await mail.locator('.subject').textContent()).toContain('authdock test mail from “Demo outbox”')
    await mail.locator('summary').click()
    await screenshot(page, 'mails')
    // The sink accepted the token for alice's mailbox after asking the identity provider, over
    // STARTTLS with the sink's certificate verified against the example's dev CA.
    expect(app.sink.attempts[0]).toMatchObject({ user: 'alice@example.com', accepted: true, secure: true })
    expect(app.sink.mails[0]).toMatchObject({ user: 'alice@example.com', to: ['bob@example.com'] })
    // Neither the page nor the console ever shows the token.
    const profile = (await app.dock.store.profiles.getByName('Dev mailbox'))!
    const token = (await app.dock.store.tokens.get(profile.id))!
    for (const secret of [token.accessToken!, token.refreshToken!]) {
      expect(await page.content()).not.toContain(secret)
      expect(app.logLines.join('\n')).not.toContain(secret)
    }
    expect(app.logLines.some((l) => l.startsWith('[event] profile.authorized'))).toBe(true)
    await page.context().close()
  })

  it('"Test connection" in the admin logs in at the sink over verified STARTTLS (the admin trusts the dev CA)', async () => {
    const page = await loggedIn()
    const profile = (await app.dock.store.profiles.getByName('Dev mailbox'))!
    await page.goto(`${app.url}/admin/oauth2-profiles/${profile.id}/test-connection`)
    await page.getByLabel('Account type').selectOption('SMTPTLS_OAuth2')
    await page.getByLabel('Mail server').fill(app.sink.host)
    await page.getByLabel("Port (empty: the type's standard port)").fill(String(app.sink.port))
    await page.getByLabel('Mailbox user').fill('alice@example.com')
    const before = app.sink.attempts.length
    await page.getByRole('button', { name: 'Run test' }).click()
    expect(await page.locator('#test-result').textContent()).toContain('The connection works.')
    expect(app.sink.attempts.length).toBe(before + 1)
    expect(app.sink.attempts[0]).toMatchObject({ user: 'alice@example.com', accepted: true, secure: true })
    await page.context().close()
  })
})
