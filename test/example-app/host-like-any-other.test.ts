/**
 * The example app is a host like any other: it imports only authdock's public entry, seeds its
 * profile through `dock.profiles` (so the audit trail shows it), and authdock's pages render inside
 * its own page frame (its navigation and stylesheet) through `views.layout`.
 */
import { readdir, readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { formAction, startExampleFixture, type ExampleAppFixture } from './example-fixture.js'

const exampleDir = new URL('../../example-app/', import.meta.url)

describe('the example app as a host', () => {
  let app: ExampleAppFixture

  beforeAll(async () => {
    app = await startExampleFixture()
  })
  afterAll(async () => {
    await app?.close()
  })

  it('imports nothing of authdock but its public entry', async () => {
    const files = (await readdir(exampleDir)).filter((f) => f.endsWith('.ts'))
    const internal: string[] = []
    for (const file of files) {
      const source = await readFile(new URL(file, exampleDir), 'utf8')
      for (const [, spec] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
        if (spec.startsWith('../') && spec !== '../src/index.js') internal.push(`${file}: ${spec}`)
      }
    }
    expect(files.length).toBeGreaterThan(5)
    expect(internal).toEqual([])
  })

  it('seeds "Dev mailbox" through dock.profiles: the audit trail has its creation and the event was emitted', async () => {
    const profile = (await app.dock.store.profiles.getByName('Dev mailbox'))!
    const created = await app.dock.store.audit.list({ kind: 'profile.created', profileId: profile.id })
    expect(created).toHaveLength(1)
    expect(created[0]).toMatchObject({ actor: 'example seed', details: { name: 'Dev mailbox', secretSet: 'yes' } })
    expect(app.logLines.some((l) => l.startsWith('[event] profile.created') && l.includes(profile.id))).toBe(true)
  })

  it('shows the admin inside its own frame: its navigation and its stylesheet, admitted by the CSP', async () => {
    const browser = new BrowserClient()
    const loginPage = await browser.navigate(
      `${app.url}/auth/login?returnTo=${encodeURIComponent(app.dock.config.paths.admin + '/')}`,
    )
    const { res, url, body } = await browser.navigate(formAction(loginPage.body, loginPage.url), {
      form: { email: 'alice@example.com', password: 'alice-password' },
    })
    expect(url).toBe(`${app.url}${app.dock.config.paths.admin}/`)
    expect(res.status).toBe(200)
    expect(body).toContain('<nav class="card app-nav" id="app-nav"')
    expect(body).toMatch(/<a href="\/admin\/oauth2-profiles" aria-current="page">OAuth2 profiles<\/a>/)
    expect(body).toContain('<link rel="stylesheet" href="/assets/example.css">')
    expect(body).toContain('<h1>OAuth2 profiles</h1>')
    expect(res.headers.get('content-security-policy')).toMatch(/style-src 'nonce-[^']+' 'self';/)
    const css = await fetch(`${app.url}/assets/example.css`)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
  })
})
