/**
 * Password throttling under attack: every attempt is counted before the password is checked, so a
 * burst of parallel guesses reaches the host's password check no more often than the limits allow,
 * on SQLite and on PostgreSQL. One address's failures lock out that address for the account, not the
 * account's rightful user elsewhere; all addresses together stay bounded per account.
 *
 * The test app trusts the loopback proxy, so `X-Forwarded-For` sets the client address.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { AuthdockOptions } from '../../src/config.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { createPostgresDatabase, postgresAvailable } from '../fixtures/databases.js'
import { TEST_USERS, startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, me, shownCode } from './helpers.js'

const CHECK_MS = 150
const pgUp = await postgresAvailable()
const drops: Array<() => Promise<void>> = []
afterAll(async () => {
  // DROP DATABASE waits for a checkpoint each; dropped together they share one.
  await Promise.all(drops.map((drop) => drop()))
})

interface ThrottleApp extends TestApp {
  /** How often the host's verifyPassword ran for a real user. */
  checks(): number
}

type Throttle = NonNullable<NonNullable<AuthdockOptions['login']>['passwordThrottle']>

async function startThrottleApp(database: string | undefined, passwordThrottle: Throttle = {}): Promise<ThrottleApp> {
  let checks = 0
  const byId = (id: string | number) => TEST_USERS.find((u) => u.id === id)
  const app = await startTestApp({
    database,
    oidc: { issuer: 'http://127.0.0.1:9/never', clientId: 'unused', active: false },
    options: {
      login: { passwordThrottle },
      users: {
        findByClaim: () => null,
        findById: ({ id }) => byId(id) ?? null,
        findByUsername: ({ username }) => TEST_USERS.find((u) => u.username === username) ?? null,
        // A host hashing with bcrypt or argon2: the check takes a while, which widens any race.
        verifyPassword: async ({ user, password }) => {
          if (byId(user.id)) checks++
          await new Promise((resolve) => setTimeout(resolve, CHECK_MS))
          return byId(user.id)?.password === password
        },
        isPasswordLoginEnabled: ({ user }) => byId(user.id)?.passwordLogin === true,
      },
    },
    mount: (host) => host.set('trust proxy', 'loopback'),
  })
  return Object.assign(app, { checks: () => checks })
}

/** A browser with a session and its CSRF token, ready to post the password form from `address`. */
async function prepare(app: TestApp, address: string) {
  const browser = new BrowserClient()
  const csrf = await csrfOf(browser, app)
  return async (username: string, password: string) => {
    const res = await browser.request(`${app.url}/auth/password`, {
      form: { _csrf: csrf, username, password },
      headers: { 'x-forwarded-for': address },
    })
    const body = res.status === 303 ? '' : await res.text()
    return { status: res.status, code: res.status === 303 ? 'LOGGED_IN' : shownCode(body), browser }
  }
}

async function attempt(app: TestApp, address: string, username: string, password: string) {
  return (await prepare(app, address))(username, password)
}

const count = (codes: Array<string | undefined>) =>
  codes.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c ?? '?']: (acc[c ?? '?'] ?? 0) + 1 }), {})

const databases: Array<[string, boolean, () => Promise<string | undefined>]> = [
  ['SQLite', true, async () => undefined],
  [
    'PostgreSQL',
    pgUp,
    async () => {
      const db = (await createPostgresDatabase())!
      drops.push(db.drop)
      return db.url
    },
  ],
]

describe.each(databases)('password throttling on %s', (_name, available, database) => {
  it.skipIf(!available)(
    'lets a burst of 40 parallel wrong passwords from one address reach the password check only maxPerAccountAndAddress times',
    async () => {
      const app = await startThrottleApp(await database())
      try {
        const { maxPerAccount, maxPerAccountAndAddress } = app.dock.config.login.passwordThrottle
        const posts = await Promise.all(Array.from({ length: 40 }, () => prepare(app, '198.51.100.7')))
        const answers = await Promise.all(posts.map((post, i) => post('alice', `wrong-${i}`)))
        expect(app.checks()).toBeLessThanOrEqual(maxPerAccount)
        expect(app.checks()).toBe(maxPerAccountAndAddress)
        expect(count(answers.map((a) => a.code))).toEqual({
          LOGIN_PASSWORD_INVALID: maxPerAccountAndAddress,
          LOGIN_THROTTLED: 40 - maxPerAccountAndAddress,
        })
        expect(answers.filter((a) => a.code === 'LOGIN_THROTTLED').every((a) => a.status === 429)).toBe(true)
      } finally {
        await app.close()
      }
    },
  )

  it.skipIf(!available)(
    'lets a burst of 40 parallel wrong passwords from 40 addresses reach the password check only maxPerAccount times',
    async () => {
      const app = await startThrottleApp(await database(), { maxPerAccount: 10 })
      try {
        const posts = await Promise.all(Array.from({ length: 40 }, (_, i) => prepare(app, `203.0.113.${i + 1}`)))
        const answers = await Promise.all(posts.map((post, i) => post('alice', `wrong-${i}`)))
        expect(app.checks()).toBe(10)
        expect(count(answers.map((a) => a.code))).toEqual({ LOGIN_PASSWORD_INVALID: 10, LOGIN_THROTTLED: 30 })
      } finally {
        await app.close()
      }
    },
  )
})

describe('password throttling per account and address', () => {
  it('refuses address A after 5 failures for alice (LOGIN_THROTTLED) while address B still logs alice in', async () => {
    const app = await startThrottleApp(undefined)
    try {
      for (let i = 0; i < 5; i++)
        expect((await attempt(app, '198.51.100.1', 'alice', `wrong-${i}`)).code).toBe('LOGIN_PASSWORD_INVALID')
      const refused = await attempt(app, '198.51.100.1', 'alice', 'alice-password')
      expect(refused).toMatchObject({ status: 429, code: 'LOGIN_THROTTLED' })
      expect((await me(refused.browser, app)).status).toBe(401)
      const audit = (await app.dock.store.audit.list({ kind: 'login.failed', limit: 1 }))[0]
      expect(audit.details).toMatchObject({ reason: 'LOGIN_THROTTLED', method: 'password' })

      const rightful = await attempt(app, '192.0.2.50', 'alice', 'alice-password')
      expect(rightful).toMatchObject({ status: 303, code: 'LOGGED_IN' })
      expect((await me(rightful.browser, app)).body.user.id).toBe('u-alice')
      // A's further attempts stay refused without reaching the password check.
      const checks = app.checks()
      expect((await attempt(app, '198.51.100.1', 'alice', 'wrong-again')).code).toBe('LOGIN_THROTTLED')
      expect(app.checks()).toBe(checks)
    } finally {
      await app.close()
    }
  })

  it('keeps the guesses of many addresses together within maxPerAccount, then refuses every address', async () => {
    const app = await startThrottleApp(undefined, { maxPerAccount: 12 })
    try {
      // Four addresses, three guesses each: every address stays under its own limit of 5.
      for (let a = 1; a <= 4; a++) {
        for (let i = 0; i < 3; i++)
          expect((await attempt(app, `203.0.113.${a}`, 'alice', `wrong-${a}-${i}`)).code).toBe('LOGIN_PASSWORD_INVALID')
      }
      expect(app.checks()).toBe(12)
      expect(await attempt(app, '203.0.113.99', 'alice', 'wrong-new')).toMatchObject({
        status: 429,
        code: 'LOGIN_THROTTLED',
      })
      expect(await attempt(app, '192.0.2.50', 'alice', 'alice-password')).toMatchObject({
        status: 429,
        code: 'LOGIN_THROTTLED',
      })
      expect(app.checks()).toBe(12)
      // Other accounts are not affected.
      expect((await attempt(app, '203.0.113.99', 'bob', 'whatever')).code).toBe('LOGIN_PASSWORD_INVALID')
    } finally {
      await app.close()
    }
  })

  it('forgets the failures of an address for an account once that address logs in', async () => {
    const app = await startThrottleApp(undefined)
    try {
      for (let i = 0; i < 4; i++)
        expect((await attempt(app, '198.51.100.2', 'alice', `wrong-${i}`)).code).toBe('LOGIN_PASSWORD_INVALID')
      expect((await attempt(app, '198.51.100.2', 'alice', 'alice-password')).code).toBe('LOGGED_IN')
      for (let i = 0; i < 5; i++)
        expect((await attempt(app, '198.51.100.2', 'alice', `typo-${i}`)).code).toBe('LOGIN_PASSWORD_INVALID')
      expect((await attempt(app, '198.51.100.2', 'alice', 'alice-password')).code).toBe('LOGIN_THROTTLED')
    } finally {
      await app.close()
    }
  })
})
