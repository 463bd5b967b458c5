/**
 * The password fallback: only for users whose password login is enabled, one answer for every
 * wrong combination, throttled per account and per client address (more in password-throttle.test.ts),
 * CSRF-protected.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { TEST_USERS, startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, me, shownCode } from './helpers.js'

let app: TestApp

beforeAll(async () => {
  // The provider is switched off: /auth/login shows the password form instead.
  app = await startTestApp({ oidc: { issuer: 'http://127.0.0.1:9/never', clientId: 'unused', active: false } })
})
afterAll(async () => {
  await app.close()
})

async function submit(browser: BrowserClient, target: TestApp, form: Record<string, string>) {
  const csrf = await csrfOf(browser, target)
  const res = await browser.request(`${target.url}/auth/password`, { form: { _csrf: csrf, ...form } })
  return { res, body: res.status === 303 ? '' : await res.text() }
}

async function lastFailure(target: TestApp) {
  return (await target.dock.store.audit.list({ kind: 'login.failed', limit: 1 }))[0]
}

describe('password login', () => {
  it('shows the password form at /auth/login when the provider is switched off', async () => {
    const res = await new BrowserClient().request(`${app.url}/auth/login?returnTo=/me`)
    const body = await res.text()
    expect(res.status).toBe(200)
    expect(body).toContain('<form method="post" action="/auth/password"')
    expect(body).toContain('<label for="username">')
    expect(body).toContain('<input type="hidden" name="returnTo" value="/me">')
  })

  it('logs in a user whose password login is enabled and lands on returnTo', async () => {
    const browser = new BrowserClient()
    const { res } = await submit(browser, app, { username: 'alice', password: 'alice-password', returnTo: '/me' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/me')
    expect((await me(browser, app)).body.user.id).toBe('u-alice')
  })

  it.each([
    ['a wrong password', 'alice', 'Wr0ng-secret-1', 'wrong_password'],
    ['an unknown user', 'nobody', 'Wh4tever-secret-2', 'unknown_user'],
    ['a user whose password login is disabled', 'bob', 'B0b-secret-3', 'password_disabled'],
  ])(
    'gives the same answer for %s (LOGIN_PASSWORD_INVALID) and audits why',
    async (_what, username, password, detail) => {
      const browser = new BrowserClient()
      const { res, body } = await submit(browser, app, { username, password })
      expect(res.status).toBe(401)
      expect(shownCode(body)).toBe('LOGIN_PASSWORD_INVALID')
      expect(body).toContain('Unknown user or wrong password.')
      expect(body).toContain(`value="${username}"`)
      expect(body).not.toContain(password)
      const audit = await lastFailure(app)
      expect(audit.details).toMatchObject({ reason: 'LOGIN_PASSWORD_INVALID', detail, method: 'password' })
      expect(JSON.stringify(audit)).not.toContain(password)
      expect((await me(browser, app)).status).toBe(401)
    },
  )

  it('names the missing fields (VALIDATION_FAILED)', async () => {
    const { res, body } = await submit(new BrowserClient(), app, { username: '', password: '' })
    expect(res.status).toBe(400)
    expect(shownCode(body)).toBe('VALIDATION_FAILED')
    expect(body).toContain('aria-describedby="username-error"')
    expect(body).toContain('aria-describedby="password-error"')
  })

  it('refuses a form without the session CSRF token (CSRF_INVALID)', async () => {
    const browser = new BrowserClient()
    await csrfOf(browser, app)
    const res = await browser.request(`${app.url}/auth/password`, {
      form: { _csrf: 'forged', username: 'alice', password: 'alice-password' },
      headers: { accept: 'application/json' },
    })
    expect(res.status).toBe(403)
    expect((await res.json()).error.code).toBe('CSRF_INVALID')
    expect((await me(browser, app)).status).toBe(401)
  })

  it('shows the form in German', async () => {
    const res = await new BrowserClient().request(`${app.url}/auth/password`, { headers: { 'accept-language': 'de' } })
    const body = await res.text()
    expect(body).toContain('Mit Passwort anmelden')
    expect(body).toContain('Benutzername')
  })
})

describe('password throttling', () => {
  it('refuses an account from an address after 5 failures, even with the right password (LOGIN_THROTTLED)', async () => {
    const own = await startTestApp({})
    try {
      const browser = new BrowserClient()
      for (let i = 0; i < 5; i++)
        expect((await submit(browser, own, { username: 'alice', password: `wrong-${i}` })).res.status).toBe(401)
      const { res, body } = await submit(browser, own, { username: 'alice', password: 'alice-password' })
      expect(res.status).toBe(429)
      expect(shownCode(body)).toBe('LOGIN_THROTTLED')
      expect((await lastFailure(own)).details.reason).toBe('LOGIN_THROTTLED')
      expect((await me(browser, own)).status).toBe(401)
      // The window ends (the counters run on the system clock, which the test app's clock follows).
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 15 * 60_000 + 1_000 })
      try {
        expect((await submit(browser, own, { username: 'alice', password: 'alice-password' })).res.status).toBe(303)
      } finally {
        vi.useRealTimers()
      }
    } finally {
      await own.close()
    }
  })

  it('refuses a client address after too many failures across accounts (LOGIN_THROTTLED)', async () => {
    const own = await startTestApp({ options: { login: { passwordThrottle: { maxPerAddress: 3 } } } })
    try {
      const browser = new BrowserClient()
      for (const username of ['u1', 'u2', 'u3'])
        expect((await submit(browser, own, { username, password: 'x' })).res.status).toBe(401)
      const { res, body } = await submit(browser, own, { username: 'alice', password: 'alice-password' })
      expect(res.status).toBe(429)
      expect(shownCode(body)).toBe('LOGIN_THROTTLED')
    } finally {
      await own.close()
    }
  })
})

describe('password login timing', () => {
  it('answers an unknown user or a user without password login about as slowly as a wrong password', async () => {
    const HASH_MS = 150
    const byName = (username: string) => TEST_USERS.find((u) => u.username === username) ?? null
    const slow = await startTestApp({
      oidc: { issuer: 'http://127.0.0.1:9/never', clientId: 'unused', active: false },
      options: {
        users: {
          findByClaim: () => null,
          findById: ({ id }) => TEST_USERS.find((u) => u.id === id) ?? null,
          findByUsername: ({ username }) => byName(username),
          // A host hashing with bcrypt or argon2: the check takes a while.
          verifyPassword: async ({ user, password }) => {
            await new Promise((resolve) => setTimeout(resolve, HASH_MS))
            return byName((user as { username?: string }).username ?? '')?.password === password
          },
          isPasswordLoginEnabled: ({ user }) =>
            byName((user as { username?: string }).username ?? '')?.passwordLogin === true,
        },
      },
    })
    try {
      const timed = async (username: string) => {
        const browser = new BrowserClient()
        const csrf = await csrfOf(browser, slow)
        const started = performance.now()
        const res = await browser.request(`${slow.url}/auth/password`, {
          form: { _csrf: csrf, username, password: 'wrong-password' },
        })
        const body = await res.text()
        return { ms: performance.now() - started, code: shownCode(body) }
      }
      const wrong = await timed('alice')
      expect(wrong.code).toBe('LOGIN_PASSWORD_INVALID')
      expect(wrong.ms).toBeGreaterThanOrEqual(HASH_MS)
      // Same answer, and no faster than the hash would have been (the pause is 0.9–1.1 × its average).
      for (const username of ['nobody-here', 'bob']) {
        const answer = await timed(username)
        expect(answer.code).toBe('LOGIN_PASSWORD_INVALID')
        expect(answer.ms).toBeGreaterThanOrEqual(HASH_MS * 0.85)
      }
    } finally {
      await slow.close()
    }
  })
})
