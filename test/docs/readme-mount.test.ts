/**
 * The README's "Mount it in your Express app" exactly as a new user copies it: the code block and
 * the layout of "Your layout" are read from README.md and run, so the two cannot drift. Only the
 * example values a reader replaces anyway are replaced (origin, database file, issuer, layout
 * path), and `db` is a user table whose ids are numbers, as in many hosts.
 */
import http from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import express from 'express'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthdock, type Authdock } from '../../src/index.js'
import { storeOf } from '../../src/internal.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { TEST_KEYS } from '../fixtures/databases.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { csrfOf, me } from '../login/helpers.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`)
  if (start < 0) throw new Error(`README has no "${heading}"`)
  const next = readme.slice(start + heading.length + 2).search(/\n#{2,3} /)
  return readme.slice(start, next < 0 ? undefined : start + heading.length + 2 + next)
}

function codeBlocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```', 'g'))].map((m) => m[1])
}

/** Replace a value the reader replaces too; it must appear exactly once, so a README change is noticed. */
function replaceOnce(code: string, from: string, to: string): string {
  const count = code.split(from).length - 1
  if (count !== 1) throw new Error(`the README snippet should contain ${from} once, found ${count}`)
  return code.replace(from, () => to)
}

// The host's user table: integer keys, looked up with ===.
const rows = [
  {
    id: 1,
    email: 'alice@example.com',
    login: 'alice',
    name: 'Alice Admin',
    isAdmin: true,
    passwordLogin: true,
    password: 'alice-password',
  },
  {
    id: 2,
    email: 'bob@example.com',
    login: 'bob',
    name: 'Bob Builder',
    isAdmin: false,
    passwordLogin: false,
    password: 'bob-password',
  },
]
const publicRow = (row: (typeof rows)[number] | undefined) =>
  row ? { id: row.id, email: row.email, name: row.name, isAdmin: row.isAdmin, passwordLogin: row.passwordLogin } : null
const db = {
  users: {
    findByEmail: (email: string) => publicRow(rows.find((r) => r.email === email)),
    findByLogin: (login: string) => publicRow(rows.find((r) => r.login === login)),
    findById: (id: unknown) => publicRow(rows.find((r) => r.id === id)),
    checkPassword: (id: unknown, password: string) => rows.find((r) => r.id === id)?.password === password,
  },
  mailAccounts: {
    namesUsingProfile: (profileName: string) => (profileName === 'Office 365 mailbox' ? ['Support inbox'] : []),
  },
}

const CLIENT = { id: 'readme-app', secret: 'readme-app-secret-0123456789' }
let op: OidcProviderFixture
let server: http.Server
let url: string
let dock: Authdock
const dir = mkdtempSync(join(tmpdir(), 'authdock-readme-'))

beforeAll(async () => {
  let handler: http.RequestListener = (_req, res) => res.end()
  server = http.createServer((req, res) => handler(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  op = await startOidcProvider({
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: [`${url}/auth/callback`],
        post_logout_redirect_uris: [`${url}/`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
  })

  const [layout] = codeBlocks(section('### Your layout'), 'ejs')
  const layoutFile = join(dir, 'authdock-layout.ejs')
  writeFileSync(layoutFile, layout)

  const [snippet] = codeBlocks(section('## Mount it in your Express app'), 'ts').filter((c) =>
    c.includes('createAuthdock('),
  )
  const lines = snippet.split('\n')
  expect(lines.filter((l) => l.startsWith('import '))).toEqual([
    "import express from 'express'",
    "import { createAuthdock } from 'authdock'",
  ])
  let code = lines.filter((l) => !l.startsWith('import ')).join('\n')
  code = replaceOnce(code, "'https://app.example.com'", JSON.stringify(url))
  code = replaceOnce(code, "'sqlite:./data/authdock.db'", JSON.stringify(`sqlite:${join(dir, 'authdock.db')}`))
  code = replaceOnce(code, "'https://login.microsoftonline.com/<tenant-id>/v2.0'", JSON.stringify(op.issuer))
  code = replaceOnce(code, "'views/authdock-layout.ejs'", JSON.stringify(layoutFile))
  const js = ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText
  const env = {
    AUTHDOCK_KEY: TEST_KEYS[0],
    SESSION_SECRET: 'readme-session-secret-0123456789',
    OIDC_CLIENT_ID: CLIENT.id,
    OIDC_CLIENT_SECRET: CLIENT.secret,
    MAIL_CLIENT_ID: 'mail-client',
    MAIL_CLIENT_SECRET: 'mail-client-secret-0123456789',
  }
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<{ app: express.Express; dock: Authdock }>
  const run = new AsyncFunction('express', 'createAuthdock', 'db', 'process', `${js}\nreturn { app, dock }`)
  const mounted = await run(express, createAuthdock, db, { env })
  dock = mounted.dock
  handler = mounted.app
})
afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  await dock?.close()
  await op?.close()
  rmSync(dir, { recursive: true, force: true })
})

const host = () => ({ url, dock }) as never

async function oidcLogin(): Promise<BrowserClient> {
  const browser = new BrowserClient()
  const { url: landed } = await browser.navigate(`${url}/auth/login?returnTo=%2Fme`)
  expect(landed).toBe(`${url}/me`)
  return browser
}

describe('the README\'s "Mount it in your Express app", run as written', () => {
  it('creates the profile through dock.profiles: audited with its actor', async () => {
    const profile = await dock.profiles.get('Office 365 mailbox')
    expect(profile).toMatchObject({
      hasClientSecret: true,
      clientId: 'mail-client',
      redirectUrl: `${url}/oauth2redirect`,
    })
    const [entry] = await storeOf(dock).audit.list({ kind: 'profile.created', profileId: profile.id })
    expect(entry).toMatchObject({ actor: 'setup', details: { name: 'Office 365 mailbox' } })
  })

  it('logs a user with a numeric id in through the identity provider', async () => {
    const browser = await oidcLogin()
    expect((await me(browser, host())).body.user).toEqual({
      id: 1,
      email: 'alice@example.com',
      name: 'Alice Admin',
      isAdmin: true,
      passwordLogin: true,
    })
  })

  it('shows the admin in the README layout, whose logout form (with the CSRF token) logs out', async () => {
    const browser = await oidcLogin()
    const { res, body } = await browser.navigate(`${url}${dock.config.paths.admin}/`)
    expect(res.status).toBe(200)
    expect(body).toContain('<nav class="site-nav">')
    expect(body).toContain('<title>OAuth2 profiles · Ticket desk</title>')
    expect(res.headers.get('content-security-policy')).toMatch(/style-src 'nonce-[^']+' 'self';/)
    const csrf =
      /<form method="post" action="\/auth\/logout">\s*<input type="hidden" name="_csrf" value="([^"]+)">/.exec(
        body,
      )?.[1]
    expect(csrf).toBeTruthy()
    const logout = await browser.request(`${url}/auth/logout`, { form: { _csrf: csrf! } })
    expect(logout.status).toBe(303)
    expect((await me(browser, host())).status).toBe(401)
  })

  it('logs the same user in with a password', async () => {
    const browser = new BrowserClient()
    const { url: landed } = await browser.navigate(`${url}/auth/password`, {
      form: { _csrf: await csrfOf(browser, host()), username: 'alice', password: 'alice-password', returnTo: '/me' },
    })
    expect(landed).toBe(`${url}/me`)
    expect((await me(browser, host())).body.user.id).toBe(1)
  })

  it('logs the user in silently when the session ended but the device is remembered', async () => {
    const browser = await oidcLogin()
    browser.deleteCookie(url, dock.config.session.cookieName)
    const { res, body } = await browser.navigate(`${url}${dock.config.paths.admin}/`)
    expect(res.status).toBe(200)
    expect(body).toContain('<h1>OAuth2 profiles</h1>')
    expect((await me(browser, host())).body.user.id).toBe(1)
    expect(await storeOf(dock).audit.list({ kind: 'login.failed' })).toEqual([])
  })

  it("keeps a profile that the host's mail accounts name (by its name) from being deleted", async () => {
    await expect(dock.profiles.delete('Office 365 mailbox')).rejects.toMatchObject({
      code: 'PROFILE_IN_USE',
      details: { users: ['Support inbox'] },
    })
  })
})
