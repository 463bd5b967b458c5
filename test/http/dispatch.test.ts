/**
 * dock.router's fast path for the host's routes (src/http/dispatch.ts): a request outside
 * authdock's paths runs only the middlewares every request needs (session, language, req.user,
 * silent login) before the host's route; a request inside them (whatever the case of its letters)
 * still reaches authdock's routers.
 */
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
  let broken: TestApp

  beforeAll(async () => {
    app = await startTestApp({
      mount: (host) => {
        host.get('/host/seen', (req, res) => {
          res.json({ user: req.user ?? null, session: Boolean(req.session), language: app.dock.language(req) })
        })
      },
    })
    // A host whose user directory fails while a session's user is looked up (session-user.ts).
    broken = await startTestApp({
      options: {
        users: {
          findByClaim: () => null,
          findByUsername: ({ username }) => (username === 'alice' ? { id: 'u-alice', username: 'alice' } : null),
          findById: () => {
            throw new Error('directory down')
          },
          verifyPassword: ({ password }) => password === 'alice-password',
          isPasswordLoginEnabled: () => true,
        },
      },
    })
  })

  afterAll(async () => {
    await app?.close()
    await broken?.close()
  })

  async function logIn(browser: BrowserClient, on: TestApp): Promise<void> {
    const login = await browser.request(`${on.url}/auth/password`, {
      form: { _csrf: await csrfOf(browser, on), username: 'alice', password: 'alice-password', returnTo: '/' },
    })
    expect(login.status).toBe(303)
  }

  it('gives a host route the session, req.user and the language', async () => {
    const browser = new BrowserClient()
    await logIn(browser, app)
    const seen = await browser.request(`${app.url}/host/seen?lang=de`, { headers: JSON_ACCEPT })
    expect(await seen.json()).toEqual({
      user: expect.objectContaining({ id: 'u-alice' }),
      session: true,
      language: 'de',
    })
    const anonymous = await new BrowserClient().request(`${app.url}/host/seen`, { headers: JSON_ACCEPT })
    expect(await anonymous.json()).toMatchObject({ user: null, session: true })
  })

  it("reaches authdock's routes whatever the case of the path", async () => {
    const page = await new BrowserClient().request(`${app.url}/AUTH/PASSWORD`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('name="_csrf"')
  })

  it("answers an error on the way to a host route with authdock's error handling", async () => {
    const browser = new BrowserClient()
    await logIn(browser, broken)
    const res = await browser.request(`${broken.url}/me`, { headers: JSON_ACCEPT })
    expect(res.status).toBe(500)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('INTERNAL')
    expect(body.error.message).not.toContain('directory down')
  })
})
