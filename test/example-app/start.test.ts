/**
 * The example app as `npm start` runs it (issue 2, "What must show"): it answers /healthz, GET /me
 * says 401 in JSON to a stranger, and a newcomer logs in through the embedded dev identity
 * provider's own login form, after which GET /me names alice.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleApp } from '../../example-app/app.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { formAction, startExampleFixture, type ExampleAppFixture } from './example-fixture.js'

describe('example app started like npm start', () => {
  let app: ExampleAppFixture

  beforeAll(async () => {
    app = await startExampleFixture()
  })
  afterAll(async () => {
    await app?.close()
  })

  it('answers /healthz with 200 once the store answers', async () => {
    const res = await fetch(`${app.url}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it.each(['application/json', 'text/html,application/xhtml+xml,*/*;q=0.8'])(
    'answers GET /me with 401 JSON and the code UNAUTHENTICATED when nobody is logged in (Accept: %s)',
    async (accept) => {
      const res = await fetch(`${app.url}/me`, { headers: { accept }, redirect: 'manual' })
      expect(res.status).toBe(401)
      expect(res.headers.get('content-type')).toMatch(/application\/json/)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
    },
  )

  it('generates AUTHDOCK_KEY and SESSION_SECRET into the data folder with a warning when they are unset', async () => {
    const key = (await readFile(join(app.dataDir, 'authdock.key'), 'utf8')).trim()
    expect(Buffer.from(key, 'base64')).toHaveLength(32)
    expect((await stat(join(app.dataDir, 'authdock.key'))).mode & 0o077).toBe(0)
    expect(app.logLines.some((l) => l.startsWith('WARNING: AUTHDOCK_KEY is not set'))).toBe(true)
    expect(app.logLines.some((l) => l.startsWith('WARNING: SESSION_SECRET is not set'))).toBe(true)
    // The key itself never reaches the console.
    expect(app.logLines.join('\n')).not.toContain(key)
  })

  it('logs alice in through the dev identity provider login form, after which GET /me answers 200 with alice', async () => {
    const browser = new BrowserClient()
    const loginPage = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
    expect(new URL(loginPage.url).origin).toBe(app.idpUrl)
    expect(loginPage.body).toContain('name="password"')

    const done = await browser.navigate(formAction(loginPage.body, loginPage.url), {
      form: { email: 'alice@example.com', password: 'alice-password' },
      headers: { accept: 'application/json' },
    })
    expect(done.url).toBe(`${app.url}/me`)
    expect(done.res.status).toBe(200)
    const me = JSON.parse(done.body) as { user: Record<string, unknown> }
    expect(me.user).toMatchObject({ id: 'alice', email: 'alice@example.com', admin: true })
    expect(JSON.stringify(me)).not.toContain('alice-password')
  })

  it('refuses a wrong password at the dev identity provider with its login form again (401)', async () => {
    const browser = new BrowserClient()
    const loginPage = await browser.navigate(`${app.url}/auth/login`)
    const again = await browser.navigate(formAction(loginPage.body, loginPage.url), {
      form: { email: 'alice@example.com', password: 'wrong' },
    })
    expect(again.res.status).toBe(401)
    expect(again.body).toContain('Unknown email address or wrong password.')
    expect(new URL(again.url).origin).toBe(app.idpUrl)
  })
})

describe('example app settings', () => {
  it('refuses to start with a PORT that is not a port number, naming the variable', async () => {
    await expect(startExampleApp({ PORT: 'eighty' }, { log: () => undefined })).rejects.toThrow(
      'PORT must be a port number',
    )
  })
})
