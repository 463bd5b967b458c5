/**
 * authdock's pages inside the host's page frame (`views.layout`): the admin, the login pages and
 * the error page show the host's navigation and load its stylesheet, which the pages'
 * Content-Security-Policy admits through `views.csp`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config.js'
import { Renderer } from '../../src/http/render.js'
import { AuthdockError, type AuthdockOptions, type LayoutPage } from '../../src/index.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { TEST_KEYS } from '../fixtures/databases.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf } from '../login/helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'authdock-layout-'))
const LAYOUT = join(dir, 'layout.ejs')
writeFileSync(
  join(dir, 'nav.ejs'),
  `<nav id="host-nav"><a href="/">Home</a> <a href="<%= paths.admin %>">Mailboxes</a><% if (user) { %> <span id="host-user"><%= user.displayName %></span><% } %></nav>`,
)
writeFileSync(
  LAYOUT,
  `<!doctype html>
<html lang="<%= lang %>">
<head><title><%= title %> – <%= siteName %></title><link rel="stylesheet" href="/static/site.css"><style nonce="<%= cspNonce %>">#host-nav { color: red }</style></head>
<body class="host"><%- include('nav') %><main id="host-main"><%- body %></main></body>
</html>`,
)

const baseOptions = (views: AuthdockOptions['views']): AuthdockOptions => ({
  baseUrl: 'http://localhost:3000',
  encryptionKey: TEST_KEYS[0],
  session: { secret: 'a-session-secret-of-some-length' },
  users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
  views,
})

function cspOf(res: Response): Record<string, string> {
  return Object.fromEntries(
    (res.headers.get('content-security-policy') ?? '').split(';').map(
      (d) =>
        d
          .trim()
          .split(/\s+(.*)/s)
          .slice(0, 2) as [string, string],
    ),
  )
}

describe('an EJS layout of the host (views.layout as a path)', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({
      options: { views: { layout: LAYOUT, csp: { styleSrc: ["'self'"], fontSrc: ['https://fonts.example.com'] } } },
      mount: (host, dock) => {
        host.get('/orders/:id', () => {
          throw new AuthdockError('NOT_FOUND', 'There is no such order.', { showMessage: true })
        })
        host.get('/invoices/:id', () => {
          throw new AuthdockError('NOT_FOUND', 'There is no such invoice.')
        })
        host.use(dock.errorHandler)
      },
    })
    // The host's own locals (what its res.render would give its layout) reach the layout too.
    app.app.locals.siteName = 'Ticket desk'
  })
  afterAll(() => app.close())

  async function loggedInAdmin(): Promise<BrowserClient> {
    const browser = new BrowserClient()
    const csrf = await csrfOf(browser, app)
    await browser.navigate(`${app.url}/auth/password`, {
      form: { _csrf: csrf, username: 'alice', password: 'alice-password' },
    })
    return browser
  }

  it('renders the profiles admin inside the host frame: its navigation, its stylesheet, the page title', async () => {
    const browser = await loggedInAdmin()
    const { res, body } = await browser.navigate(`${app.url}/admin/oauth2-profiles/`)
    expect(res.status).toBe(200)
    expect(body.startsWith('<!doctype html>\n<html lang="en">')).toBe(true)
    expect(body).toContain('<nav id="host-nav">')
    expect(body).toContain('<span id="host-user">Alice Admin</span>')
    expect(body).toContain('<title>OAuth2 profiles – Ticket desk</title>')
    expect(body).toContain('<link rel="stylesheet" href="/static/site.css">')
    // authdock's content sits in the host's <main>, in its own wrapper, without a frame of its own.
    expect(body).toMatch(/<main id="host-main"><div class="authdock" lang="en">/)
    expect(body).not.toContain('<header class="top">')
    expect(body.match(/<html/g)).toHaveLength(1)
    expect(body).toContain('<h1>OAuth2 profiles</h1>')
  })

  it('sends a CSP that admits the host stylesheet and fonts, and the nonce the layout used', async () => {
    const browser = await loggedInAdmin()
    const { res, body } = await browser.navigate(`${app.url}/admin/oauth2-profiles/`)
    const csp = cspOf(res)
    const nonce = /<style nonce="([^"]+)">#host-nav/.exec(body)?.[1]
    expect(nonce).toBeTruthy()
    expect(csp['style-src']).toBe(`'nonce-${nonce}' 'self'`)
    expect(csp['font-src']).toBe('https://fonts.example.com')
    expect(csp['script-src']).toBe(`'nonce-${nonce}'`)
    expect(csp['default-src']).toBe("'none'")
  })

  it('renders the login pages in the host frame (anonymous: no user)', async () => {
    const { body } = await new BrowserClient().navigate(`${app.url}/auth/password`)
    expect(body).toContain('<nav id="host-nav">')
    expect(body).not.toContain('host-user')
    expect(body).toContain('<title>Log in with password – Ticket desk</title>')
    expect(body).toContain('name="password"')
  })

  it("renders the errors of the host's own routes with dock.errorHandler in the frame, by code", async () => {
    const { res, body } = await new BrowserClient().navigate(`${app.url}/orders/42`)
    expect(res.status).toBe(404)
    expect(body).toContain('<nav id="host-nav">')
    expect(body).toContain('<code id="error-code">NOT_FOUND</code>')
    expect(body).toContain('There is no such order.')
    const json = await fetch(`${app.url}/orders/42`, { headers: { accept: 'application/json' } })
    expect(await json.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'There is no such order.' } })
  })

  it("shows the text of the code in the page's language for a host error without showMessage; JSON keeps the message", async () => {
    const { res, body } = await new BrowserClient().navigate(`${app.url}/invoices/7?lang=de`)
    expect(res.status).toBe(404)
    expect(body).toContain('<nav id="host-nav">')
    expect(body).toContain('<code id="error-code">NOT_FOUND</code>')
    expect(body).toContain('Diese Seite oder dieser Datensatz existiert nicht.')
    expect(body).not.toContain('There is no such invoice.')
    const json = await fetch(`${app.url}/invoices/7`, { headers: { accept: 'application/json' } })
    expect(await json.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'There is no such invoice.' } })
  })
})

describe('a layout function of the host (views.layout as a function)', () => {
  let app: TestApp
  const seen: Array<Omit<LayoutPage, 'req' | 'res' | 't'> & { path: string }> = []
  beforeAll(async () => {
    app = await startTestApp({
      options: {
        views: {
          layout: ({ req, res: _res, t: _t, ...page }) => {
            seen.push({ ...page, path: req.originalUrl })
            return `<!doctype html><html lang="${page.lang}"><body><nav id="fn-nav">${page.title}</nav>${page.body}</body></html>`
          },
        },
      },
    })
  })
  afterAll(() => app.close())

  it('receives the page (body, title, language, nonce, CSRF token, user, paths, request) and returns it', async () => {
    const { res, body } = await new BrowserClient().navigate(`${app.url}/auth/password?lang=de`)
    expect(res.status).toBe(200)
    expect(body).toMatch(
      /^<!doctype html><html lang="de"><body><nav id="fn-nav">Mit Passwort anmelden<\/nav><div class="authdock" lang="de">/,
    )
    const page = seen.at(-1)!
    expect(page).toMatchObject({
      title: 'Mit Passwort anmelden',
      lang: 'de',
      user: null,
      path: '/auth/password?lang=de',
    })
    expect(page.paths).toMatchObject({ auth: '/auth', admin: '/admin/oauth2-profiles' })
    expect(page.csrfToken).toMatch(/^[\w-]{20,}$/)
    expect(cspOf(res)['style-src']).toBe(`'nonce-${page.cspNonce}'`)
  })
})

describe("a fragment (a template without the page frame, which a page's script inserts)", () => {
  it('is sent as it is, not wrapped in the host layout', async () => {
    const viewsDir = mkdtempSync(join(tmpdir(), 'authdock-fragment-'))
    writeFileSync(join(viewsDir, 'fragment.ejs'), '<p id="fragment"><%= t(\'common.product\') %></p>')
    const views = new Renderer(resolveConfig({ ...baseOptions({ layout: LAYOUT }), viewsDir }))
    const host = express()
    host.locals.siteName = 'Ticket desk'
    host.get('/fragment', (req, res, next) => void views.render(req, res, 'fragment').catch(next))
    host.get(
      '/page',
      (req, res, next) =>
        void views
          .render(req, res, 'error', { error: { code: 'NOT_FOUND', message: 'gone', status: 404 } })
          .catch(next),
    )
    const fragment = await request(host).get('/fragment')
    expect(fragment.text).toBe('<p id="fragment">authdock</p>')
    expect((await request(host).get('/page')).text).toContain('<nav id="host-nav">')
  })
})

describe('checking views options', () => {
  it.each([
    ['views.layout', { layout: join(dir, 'missing.ejs') }, 'existing EJS file'],
    ['views.layout', { layout: 42 }, 'function'],
    ['views.csp.styleSrc.0', { csp: { styleSrc: ["'self'; script-src *"] } }, 'CSP source expressions'],
  ])('refuses a bad %s with CONFIG_INVALID naming it', (field, views, expected) => {
    let error: unknown
    try {
      resolveConfig(baseOptions(views as never))
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' })
    expect((error as AuthdockError).fields?.[field]).toContain(expected)
  })
})
