/**
 * Every page a newcomer meets works at phone width (no sideways scrolling), and every input has a
 * label, no id is used twice (a second element with the same id loses its label).
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleFixture, type ExampleAppFixture } from '../example-app/example-fixture.js'
import {
  chromiumMissing,
  duplicateIds,
  expectFitsWidth,
  launchBrowser,
  newContext,
  screenshot,
  unlabelledInputs,
} from './browser-fixture.js'

const PHONE = { width: 375, height: 740 }

describe.skipIf(chromiumMissing)('pages at phone width, with labels', () => {
  let app: ExampleAppFixture
  let browser: Browser

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startExampleFixture(), launchBrowser()])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  async function check(page: Page, shot?: string): Promise<void> {
    await expectFitsWidth(page)
    expect(await unlabelledInputs(page), `inputs without a label on ${page.url()}`).toEqual([])
    expect(await duplicateIds(page), `ids used twice on ${page.url()}`).toEqual([])
    if (shot) await screenshot(page, shot)
  }

  it('fits a phone and labels every input on the pages before and during login', async () => {
    const page = await (await newContext(browser, PHONE)).newPage()
    await page.goto(app.url)
    await check(page, 'phone-home')
    await page.goto(`${app.url}/auth/login`)
    await page.waitForURL(`${app.idpUrl}/interaction/**`)
    await check(page, 'phone-idp-login')
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.waitForURL(`${app.url}/auth/retry**`)
    await check(page)
    await page.goto(`${app.url}/auth/password`)
    await check(page)
    await page.context().close()
  })

  it('fits a phone and labels every input on the admin and mail pages', async () => {
    const page = await (await newContext(browser, PHONE)).newPage()
    await page.goto(`${app.url}/auth/password`)
    await page.getByLabel('User name').fill('alice@example.com')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(`${app.url}/`)
    await check(page)

    await page.goto(`${app.url}/admin/oauth2-profiles/`)
    // The profile table may scroll inside its own box; the page itself must not.
    await check(page, 'phone-admin')
    const id = (await app.dock.store.profiles.getByName('Dev mailbox'))!.id
    await page.goto(`${app.url}/admin/oauth2-profiles/${id}/edit`)
    await check(page)
    await page.goto(`${app.url}/admin/oauth2-profiles/${id}/delete`)
    await check(page)
    await page.goto(`${app.url}/mail-accounts`)
    await check(page)
    await page.goto(`${app.url}/mail-accounts/new`)
    await check(page, 'phone-mail-account')
    await page.goto(`${app.url}/mails`)
    await check(page)
    await page.goto(`${app.url}/admin/oauth2-profiles/new`)
    await check(page)
    await page.context().close()
  })
})
