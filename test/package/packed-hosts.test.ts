/**
 * authdock as a real host adopts it: packed with `npm pack` (the prepack script builds), installed
 * with `npm install` into fresh host folders — Express 4 (ESM, with passport of its own), Express 5
 * (ESM) and CommonJS (`require('authdock')`) — and driven over HTTP only, against a real OpenID
 * Provider: OIDC login, password login, the admin, renew authorization, getAccessToken, logout.
 *
 * Nothing leaves the machine: npm installs from a registry on 127.0.0.1 that serves the lock file's
 * versions out of npm's cache (see local-registry.ts). The tarball and each host's install are
 * made once and shared by every test here.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import {
  ROOT,
  installHost,
  installedCopies,
  packAuthdock,
  probePeers,
  projectVersion,
  startHost,
  type HostSpec,
  type RunningHost,
} from './hosts.js'
import { startLocalRegistry, type LocalRegistry } from './local-registry.js'

const EXPRESS_4 = projectVersion('express4')
const EXPRESS_5 = projectVersion('express')
const HOSTS: HostSpec[] = [
  { name: 'express4-esm', module: 'esm', express: EXPRESS_4, passport: true },
  { name: 'express5-esm', module: 'esm', express: EXPRESS_5 },
  { name: 'express5-cjs', module: 'cjs', express: EXPRESS_5 },
]
const LOGIN = { clientId: 'package-host', clientSecret: 'package-host-secret-0123456789' }
const MAIL = { clientId: 'mail-client', clientSecret: 'mail-client-secret-0123456789' }
const JSON_ACCEPT = { accept: 'application/json' }

let work: string
let registry: LocalRegistry | undefined
let op: OidcProviderFixture | undefined
const dirs = new Map<string, string>()
const running = new Map<string, RunningHost>()

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'authdock-package-'))
  registry = await startLocalRegistry(join(ROOT, 'package-lock.json'))
  const tarball = await packAuthdock(work)
  try {
    await Promise.all(
      HOSTS.map(async (spec) => dirs.set(spec.name, await installHost(work, spec, tarball, registry!.url))),
    )
  } catch (err) {
    throw new Error(
      `npm install of a host failed${registry.missing.length ? ` (not in npm's cache: ${registry.missing.join(', ')}; run npm ci)` : ''}: ${String(err)}`,
    )
  }

  // The provider needs every host's redirect URIs, the hosts need the provider's issuer: the hosts
  // listen first and wait, the provider starts once all of them have told their origin.
  const origins: string[] = []
  let allListening!: () => void
  const providerStarted = new Promise<void>((resolve) => (allListening = resolve)).then(async () => {
    op = await startOidcProvider({
      clients: [
        {
          client_id: LOGIN.clientId,
          client_secret: LOGIN.clientSecret,
          redirect_uris: origins.map((o) => `${o}/auth/callback`),
          post_logout_redirect_uris: origins.map((o) => `${o}/`),
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
        {
          client_id: MAIL.clientId,
          client_secret: MAIL.clientSecret,
          redirect_uris: origins.map((o) => `${o}/oauth2redirect`),
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
    })
    return op
  })
  const settings = async (baseUrl: string) => {
    origins.push(baseUrl)
    if (origins.length === HOSTS.length) allListening()
    const provider = await providerStarted
    return {
      issuer: provider.issuer,
      ...LOGIN,
      encryptionKey: randomBytes(32).toString('base64'),
      sessionSecret: randomBytes(24).toString('hex'),
    }
  }
  await Promise.all(
    HOSTS.map(async (spec) => running.set(spec.name, await startHost(dirs.get(spec.name)!, spec, settings))),
  )
}, 300_000)

afterAll(async () => {
  await Promise.all([...running.values()].map((h) => h.stop()))
  await op?.close()
  await registry?.close()
  if (work) await rm(work, { recursive: true, force: true })
})

/** The CSRF token of a page's form. */
function csrfIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!match) throw new Error('no CSRF token on the page')
  return match[1]
}

async function me(browser: BrowserClient, host: RunningHost): Promise<{ status: number; body: any }> {
  const res = await browser.request(`${host.url}/me`, { headers: JSON_ACCEPT })
  return { status: res.status, body: await res.json() }
}

describe.each(HOSTS)('a host on $name', (spec) => {
  const host = () => running.get(spec.name)!
  /** The administrator's browser, logged in through the identity provider by the first test. */
  const admin = new BrowserClient()
  let profileId: string

  it(`runs authdock on the host's own express ${spec.express.split('.')[0]}.x`, async () => {
    expect(host().express).toBe(spec.express)
    // authdock resolves express from its own folder: the host's copy (a peer dependency).
    expect(host().authdockExpress).toBe(spec.express)
  })

  it('logs in through the identity provider and lands on returnTo', async () => {
    const { url, body } = await admin.navigate(`${host().url}/auth/login?returnTo=${encodeURIComponent('/me')}`)
    expect(url).toBe(`${host().url}/me`)
    expect(JSON.parse(body).user).toMatchObject({ id: 'u-alice', email: 'alice@example.com', isAdmin: true })
  })

  it('logs in with a password', async () => {
    const browser = new BrowserClient()
    const form = await browser.request(`${host().url}/auth/password`)
    expect(form.status).toBe(200)
    const res = await browser.request(`${host().url}/auth/password`, {
      form: { _csrf: csrfIn(await form.text()), username: 'alice', password: 'alice-password' },
    })
    expect(res.status).toBe(303)
    expect((await me(browser, host())).body.user.id).toBe('u-alice')

    const wrong = await new BrowserClient().navigate(`${host().url}/me`, { headers: JSON_ACCEPT })
    expect(wrong.res.status).toBe(401)
    expect(JSON.parse(wrong.body).error.code).toBe('UNAUTHENTICATED')
  })

  it('shows the admin overview to the administrator and creates a profile', async () => {
    const overview = await admin.request(`${host().url}/admin/oauth2-profiles`)
    expect(overview.status).toBe(200)
    const form = await admin.request(`${host().url}/admin/oauth2-profiles/new`)
    const created = await admin.request(`${host().url}/admin/oauth2-profiles`, {
      form: {
        _csrf: csrfIn(await form.text()),
        name: 'Mailbox',
        grantType: 'authorization_code',
        authorizationUrl: `${op!.issuer}/auth`,
        tokenUrl: `${op!.issuer}/token`,
        redirectUrl: '',
        clientId: MAIL.clientId,
        clientSecret: MAIL.clientSecret,
        scope: 'openid email offline_access',
        valid: 'on',
        secretExpiresAt: '',
        proxy: '',
        preset: '',
        tenantId: '',
      },
    })
    expect(created.status).toBe(303)
    expect(created.headers.get('location')).toBe('/admin/oauth2-profiles/?done=created')
    const list = await admin.request(`${host().url}/admin/api/oauth2-profiles`, { headers: JSON_ACCEPT })
    const { profiles } = (await list.json()) as { profiles: Array<{ id: string; name: string }> }
    expect(profiles.map((p) => p.name)).toEqual(['Mailbox'])
    profileId = profiles[0].id
    const after = await admin.request(`${host().url}/admin/oauth2-profiles`)
    expect(await after.text()).toContain(`data-profile-id="${profileId}"`)
  })

  it('renews the authorization of the profile at the provider', async () => {
    const overview = await admin.request(`${host().url}/admin/oauth2-profiles`)
    const { res, url, body } = await admin.navigate(`${host().url}/admin/oauth2-profiles/${profileId}/authorize`, {
      form: { _csrf: csrfIn(await overview.text()) },
    })
    expect(url).toMatch(new RegExp(`^${host().url}/oauth2redirect\\?`))
    expect(res.status).toBe(200)
    expect(body).toContain('Authorization renewed')
  })

  it("hands the host's mail module the profile's access token (getAccessToken)", async () => {
    const res = await admin.request(`${host().url}/mail-token?profile=Mailbox`, { headers: JSON_ACCEPT })
    expect(res.status).toBe(200)
    const { token } = (await res.json()) as { token: string }
    // The provider issued it, for the profile's client.
    const introspection = await fetch(`${op!.issuer}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: MAIL.clientId, client_secret: MAIL.clientSecret }),
    })
    expect(await introspection.json()).toMatchObject({ active: true, client_id: MAIL.clientId, sub: 'alice' })
  })

  it('answers a bad audit filter with 400 VALIDATION_FAILED naming the field, and keeps serving', async () => {
    // An error thrown inside an async handler: Express 4 does not forward it by itself.
    const res = await admin.request(`${host().url}/admin/api/audit?limit=many`, { headers: JSON_ACCEPT })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({
      error: { code: 'VALIDATION_FAILED', fields: { limit: expect.any(String) } },
    })
    const page = await admin.request(`${host().url}/admin/audit?beforeId=x`)
    expect(page.status).toBe(400)
    expect(await page.text()).toContain('VALIDATION_FAILED')
    const ready = await fetch(`${host().url}/healthz/ready`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ store: true, sessions: true })
  })

  it('logs out here and sends the browser to the provider to end its session', async () => {
    const page = await admin.request(`${host().url}/auth/password`)
    const res = await admin.request(`${host().url}/auth/logout`, { form: { _csrf: csrfIn(await page.text()) } })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toMatch(new RegExp(`^${op!.issuer}/session/end\\?`))
    expect((await me(admin, host())).status).toBe(401)
  })
})

describe('a host that already runs passport (Express 4)', () => {
  const host = () => running.get('express4-esm')!

  it('has one express installed, its own 4.x (npm ls): authdock brings no second copy', async () => {
    expect(await installedCopies(dirs.get('express4-esm')!, 'express')).toEqual([EXPRESS_4])
  })

  it("keeps its own passport strategy working beside authdock's login", async () => {
    const ok = await fetch(`${host().url}/api/ping`, { headers: { 'x-api-key': 'host-api-key' } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ client: 'api-client' })
    expect((await fetch(`${host().url}/api/ping`)).status).toBe(401)

    const browser = new BrowserClient()
    const { url, body } = await browser.navigate(`${host().url}/auth/login?returnTo=${encodeURIComponent('/me')}`)
    expect(url).toBe(`${host().url}/me`)
    expect(JSON.parse(body).user.id).toBe('u-alice')
    const both = await browser.request(`${host().url}/api/ping`, { headers: { 'x-api-key': 'host-api-key' } })
    expect(await both.json()).toEqual({ client: 'api-client' })
  })
})

describe('a CommonJS host without the optional peers', () => {
  it('requires authdock and authdock/tokens; PostgreSQL or Redis sessions name the package to install (CONFIG_INVALID)', async () => {
    const result = await probePeers(dirs.get('express5-cjs')!)
    expect(result).toMatchObject({ pg: false, connectRedis: false, tokensEntry: 'function', sqlite: { ok: true } })
    expect(result.postgres).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('npm install pg'),
    })
    expect(result.redisSessions).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('npm install connect-redis'),
    })
  })
})
