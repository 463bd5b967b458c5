/**
 * Real-browser tests: playwright-core driving Debian's chromium (headless) against the example app.
 * Without chromium the tests skip with a message on a developer's machine; in CI (CI=true) they run
 * and fail instead. Screenshots go to docs/screenshots/<name>.png for the README.
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'

export const CHROMIUM = '/usr/lib/chromium/chromium'
export const chromiumMissing = !existsSync(CHROMIUM) && process.env.CI !== 'true'
if (chromiumMissing)
  console.warn(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium); in CI they run`)

// Every run saves its screenshots under test-results/ (ignored by git); `SCREENSHOTS=update npm test`
// refreshes the ones in docs/ that the README shows, so a test run does not dirty the checkout.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const screenshotDir =
  process.env.SCREENSHOTS === 'update' ? join(root, 'docs', 'screenshots') : join(root, 'test-results', 'screenshots')

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
}

/** A fresh browser profile (cookies) per test, English unless asked otherwise. */
export function newContext(
  browser: Browser,
  options: { locale?: string; width?: number; height?: number } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: { width: options.width ?? 1100, height: options.height ?? 800 },
    acceptDownloads: true,
  })
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true })
}

/** Log in through the dev identity provider's login page, as a user does. */
export async function loginAtIdp(
  page: Page,
  appUrl: string,
  email = 'alice@example.com',
  password = email.startsWith('alice') ? 'alice-password' : 'bob-password',
): Promise<void> {
  await page.goto(`${appUrl}/auth/login`)
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${appUrl}/`)
}

/**
 * Every visible form control has an accessible label (a <label>, aria-label or aria-labelledby):
 * returns the ids/names of those that have none.
 */
export function unlabelledInputs(page: Page): Promise<string[]> {
  return page.$$eval('input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea', (els) =>
    els
      .filter((el) => {
        const input = el as HTMLInputElement
        return (
          !(input.labels && input.labels.length > 0) &&
          !input.getAttribute('aria-label') &&
          !input.getAttribute('aria-labelledby')
        )
      })
      .map((el) => `${el.tagName.toLowerCase()}#${el.id || '(no id)'}[name=${el.getAttribute('name') ?? ''}]`),
  )
}

/** Two elements with one id break label association and fragment links. */
export function duplicateIds(page: Page): Promise<string[]> {
  return page.$$eval('[id]', (els) => {
    const seen = new Map<string, number>()
    for (const el of els) seen.set(el.id, (seen.get(el.id) ?? 0) + 1)
    return [...seen].filter(([, n]) => n > 1).map(([id]) => id)
  })
}

/** The page fits the viewport's width (no sideways scrolling of the page itself). */
export async function expectFitsWidth(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }))
  expect(scrollWidth, `page ${page.url()} is wider than the viewport`).toBeLessThanOrEqual(innerWidth)
}
