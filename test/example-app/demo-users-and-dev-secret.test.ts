/**
 * The example's demo users (alice with a known password) exist only with the embedded dev identity
 * provider or with DEMO_USERS=1: pointed at a real provider (OIDC_ISSUER), "alice-password" opens
 * nothing. The dev login client's secret is random, generated once into the data folder and reused.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startExampleFixture, type ExampleAppFixture } from './example-fixture.js'

/** Password login through authdock's fallback form; returns the status and the page. */
async function passwordLogin(
  app: ExampleAppFixture,
  username: string,
  password: string,
): Promise<{ status: number; body: string; me: number }> {
  const browser = new BrowserClient()
  const form = await browser.navigate(`${app.url}/auth/password`)
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? ''
  const res = await browser.request(`${app.url}/auth/password`, {
    method: 'POST',
    form: { _csrf: csrf, username, password },
  })
  const body = await res.text()
  const me = await browser.request(`${app.url}/me`, { headers: { accept: 'application/json' } })
  await me.arrayBuffer()
  return { status: res.status, body, me: me.status }
}

describe('example app pointed at a real identity provider (OIDC_ISSUER)', () => {
  let op: OidcProviderFixture
  beforeAll(async () => {
    op = await startOidcProvider({
      clients: [
        { client_id: 'example', client_secret: 'example-secret', redirect_uris: ['http://localhost/auth/callback'] },
      ],
    })
  })
  afterAll(async () => {
    await op?.close()
  })

  it('has no demo users: alice / alice-password is refused (LOGIN_PASSWORD_INVALID), and no dev client secret is written', async () => {
    const app = await startExampleFixture({
      OIDC_ISSUER: op.issuer,
      OIDC_CLIENT_ID: 'example',
      OIDC_CLIENT_SECRET: 'example-secret',
    })
    try {
      const login = await passwordLogin(app, 'alice@example.com', 'alice-password')
      expect(login.status).toBe(401)
      expect(login.body).toContain('<code id="error-code">LOGIN_PASSWORD_INVALID</code>')
      expect(login.me).toBe(401)
      await expect(stat(join(app.dataDir, 'dev-client.secret'))).rejects.toMatchObject({ code: 'ENOENT' })
      expect(app.logLines.some((l) => l.includes('DEMO_USERS=1'))).toBe(true)
    } finally {
      await app.close()
    }
  })

  it('has the demo users again with DEMO_USERS=1', async () => {
    const app = await startExampleFixture({
      OIDC_ISSUER: op.issuer,
      OIDC_CLIENT_ID: 'example',
      OIDC_CLIENT_SECRET: 'example-secret',
      DEMO_USERS: '1',
    })
    try {
      const login = await passwordLogin(app, 'alice@example.com', 'alice-password')
      expect(login.status).toBe(303)
      expect(login.me).toBe(200)
    } finally {
      await app.close()
    }
  })
})

describe('example app with the embedded dev identity provider', () => {
  let app: ExampleAppFixture
  beforeAll(async () => {
    app = await startExampleFixture()
  })
  afterAll(async () => {
    await app?.close()
  })

  it('keeps the demo users', async () => {
    expect((await passwordLogin(app, 'alice@example.com', 'alice-password')).me).toBe(200)
  })

  it('generates a random dev client secret into the data folder (mode 0600), never the old constant', async () => {
    const file = join(app.dataDir, 'dev-client.secret')
    const secret = (await readFile(file, 'utf8')).trim()
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(secret).not.toBe('authdock-example-dev-secret')
    expect((await stat(file)).mode & 0o077).toBe(0)
    expect(app.logLines.join('\n')).not.toContain(secret)
  })
})
