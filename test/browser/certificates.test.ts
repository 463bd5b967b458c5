/**
 * The certificates page in a real browser, as alice: from the profile overview to "Dev mailbox"'s
 * certificates, generate one (active at once) and a second (waiting), download the .cer and
 * compare its thumbprint with the page, activate the second, and take the README's screenshot.
 */
import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleFixture, type ExampleAppFixture } from '../example-app/example-fixture.js'
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

describe.skipIf(chromiumMissing)('certificates page in a real browser', () => {
  let app: ExampleAppFixture
  let browser: Browser

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startExampleFixture(), launchBrowser()])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('generates, downloads and switches certificates of "Dev mailbox"', async () => {
    const page = await (await newContext(browser)).newPage()
    await loginAtIdp(page, app.url)
    await page.goto(`${app.url}/admin/oauth2-profiles/`)
    await page.getByRole('link', { name: 'Certificates of Dev mailbox' }).click()
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Certificates of Dev mailbox')
    expect(await unlabelledInputs(page)).toEqual([])

    await page.getByRole('button', { name: 'Generate certificate' }).click()
    await page.waitForURL('**/profile/*?done=generated')
    await page.getByLabel('Validity (days)').fill('730')
    await page.getByRole('button', { name: 'Generate certificate' }).click()
    await page.waitForURL('**?done=generatedWaiting')
    const rows = page.locator('#certificates tbody tr')
    expect(await rows.count()).toBe(2)
    const active = page.locator('#certificates tbody tr[data-state="active"]')
    const activeSha1 = (await active.locator('.sha1').textContent())!

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: `Download certificate ${activeSha1} as .cer` }).click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^authdock-dev-mailbox-[0-9a-f]{8}\.cer$/)
    const x509 = new X509Certificate(await readFile((await download.path())!))
    expect(x509.fingerprint.replaceAll(':', '')).toBe(activeSha1)
    expect(x509.subject).toBe('CN=authdock profile: Dev mailbox')

    await page.locator('#certificates tbody tr[data-state="waiting"]').waitFor()
    const waitingSha1 = (await page.locator('#certificates tbody tr[data-state="waiting"] .sha1').textContent())!
    await screenshot(page, 'certificates')
    await page.getByRole('button', { name: `Activate certificate ${waitingSha1}` }).click()
    await page.waitForURL('**?done=activated')
    expect(await page.locator('#certificates tbody tr[data-state="active"] .sha1').textContent()).toBe(waitingSha1)
    expect(await page.locator('#done').textContent()).toContain('token requests are signed with it from now on')
    const jwks = JSON.parse((await page.locator('#jwks').textContent())!) as { keys: Array<{ x5t: string }> }
    expect(jwks.keys.map((k) => Buffer.from(k.x5t, 'base64url').toString('hex').toUpperCase()).sort()).toEqual(
      [activeSha1, waitingSha1].sort(),
    )
    await page.context().close()
  })

  it('fits a phone, with every input labelled and no id twice', async () => {
    const page = await (await newContext(browser, { width: 375, height: 740 })).newPage()
    await loginAtIdp(page, app.url)
    const id = (await app.dock.store.profiles.getByName('Dev mailbox'))!.id
    await page.goto(`${app.url}/admin/credentials/profile/${id}`)
    expect(await page.locator('#certificates tbody tr').count()).toBeGreaterThan(0)
    await expectFitsWidth(page)
    expect(await unlabelledInputs(page)).toEqual([])
    expect(await duplicateIds(page)).toEqual([])
    await page.context().close()
  })
})
