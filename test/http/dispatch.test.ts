/**
 * dock.router's fast path for the host's routes (src/http/dispatch.ts): a request outside
 * authdock's paths runs only the middlewares every request needs (session, language, req.user,
 * silent login) and reaches the host's route in the same turn of the event loop; a request inside
 * them (whatever the case of its letters) still reaches authdock's routers.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ownPathMatcher } from '../../src/http/dispatch.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, JSON_ACCEPT } from '../login/helpers.js'

describe('ownPathMatcher', () => {
  const owns = ownPathMatcher(['/auth', '/admin/oauth2-profiles', '/.well-known/authdock'])

  it('matches a prefix as Express matches router.use(prefix): whole segments, any case, query ignored', () => {
    for (const url of [
      '/auth',
      '/auth/',
      '/auth/login',
      '/AUTH/Login',
      '/auth?returnTo=/x',
      '/admin/oauth2-profiles/1/edit',
      '/.well-known/authdock/jwks',
    ])
      expect(owns(url), url).toBe(true)
    for (const url of [
      '/',
      '/me',
      '/authx',
      '/auth-other',
      '/admin',
      '/admin/oauth2-profilesx',
      '/me?next=/auth',
      '/x/auth',
    ])
      expect(owns(url), url).toBe(false)
  })

  it('owns everything when a path is the root', () => {
    expect(ownPathMatcher(['/auth', '/'])('/anything')).toBe(true)
  })
})

describe('dock.router in front of host routes', () => {
  let app: TestApp
  let server: http.Server
  let hostUrl: string

  beforeAll(async () => {
    app = await startTestApp()
    // A host of its own around the same dock: a marker before dock.router records whether a
    // setImmediate queued there has run by the time the host's route runs.
    const host = express()
    host.use((req, _res, next) => {
      let later = false
      setImmediate(() => (later = true))
      res(req).ranLater = () => later
      next()
    })
    host.use(app.dock.router)
    host.get('/host/turn', (req, response) => {
      response.json({ user: req.user ?? null, session: Boolean(req.session), laterTurn: res(req).ranLater!() })
    })
    server = http.createServer(host)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    hostUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    await app?.close()
  })

  const res = (req: object) => req as { ranLater?: () => boolean }

  it('gives a host route the session and req.user, in the same turn of the event loop', async () => {
    const browser = new BrowserClient()
    const login = await browser.request(`${app.url}/auth/password`, {
      form: { _csrf: await csrfOf(browser, app), username: 'alice', password: 'alice-password', returnTo: '/' },
    })
    expect(login.status).toBe(303)
    const name = app.dock.config.session.cookieName
    browser.setCookie(hostUrl, name, browser.cookie(app.url, name)!)
    const answer = await browser.request(`${hostUrl}/host/turn`, { headers: JSON_ACCEPT })
    expect(await answer.json()).toEqual({
      user: expect.objectContaining({ id: 'u-alice' }),
      session: true,
      laterTurn: false,
    })
    const anonymous = await new BrowserClient().request(`${hostUrl}/host/turn`, { headers: JSON_ACCEPT })
    expect(await anonymous.json()).toEqual({ user: null, session: true, laterTurn: false })
  })

  it("reaches authdock's routes whatever the case of the path", async () => {
    const page = await new BrowserClient().request(`${hostUrl}/AUTH/PASSWORD`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('name="_csrf"')
  })
})
