/**
 * Password login timing from the first request after start: an unknown user must not answer faster
 * than a wrong password even before any real password check has been timed. Each round starts a
 * fresh app and sends one request of each kind, alternating which goes first, so half of the unknown
 * users are asked before the first real check and half after it; the medians must match. A host
 * whose check returns at once for an unknown user is padded to the typical check instead.
 */
import { describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { TEST_USERS, startTestApp, type TestApp } from '../fixtures/test-app.js'
import { csrfOf, shownCode } from './helpers.js'

const HASH_MS = 150
const ROUNDS = 50
const byName = (username: string) => TEST_USERS.find((u) => u.username === username) ?? null

function startSlowApp(): Promise<TestApp> {
  return startTestApp({
    database: 'sqlite::memory:',
    oidc: { issuer: 'http://127.0.0.1:9/never', clientId: 'unused', active: false },
    options: {
      // Throttling must not answer any of these requests.
      login: { passwordThrottle: { maxPerAccount: 1000, maxPerAccountAndAddress: 1000, maxPerAddress: 1000 } },
      users: {
        findByClaim: () => null,
        findById: ({ id }) => TEST_USERS.find((u) => u.id === id) ?? null,
        findByUsername: ({ username }) => byName(username),
        // A host hashing with bcrypt or argon2: the check takes a while, whoever the user is.
        verifyPassword: async ({ user, password }) => {
          await new Promise((resolve) => setTimeout(resolve, HASH_MS))
          return byName((user as { username?: string }).username ?? '')?.password === password
        },
        isPasswordLoginEnabled: ({ user }) =>
          byName((user as { username?: string }).username ?? '')?.passwordLogin === true,
      },
    },
  })
}

async function ready(app: TestApp, username: string) {
  const browser = new BrowserClient()
  const csrf = await csrfOf(browser, app)
  return async () => {
    const started = performance.now()
    const res = await browser.request(`${app.url}/auth/password`, {
      form: { _csrf: csrf, username, password: 'wrong-password' },
    })
    const body = await res.text()
    const ms = performance.now() - started
    expect(shownCode(body)).toBe('LOGIN_PASSWORD_INVALID')
    return ms
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

describe('password login timing from the first request', () => {
  it('answers an unknown user as slowly as a wrong password, also before the first real password check', async () => {
    const unknown: number[] = []
    const wrong: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const app = await startSlowApp()
      try {
        const [askUnknown, askWrong] = [await ready(app, 'nobody-here'), await ready(app, 'alice')]
        if (round % 2 === 0) {
          unknown.push(await askUnknown())
          wrong.push(await askWrong())
        } else {
          wrong.push(await askWrong())
          unknown.push(await askUnknown())
        }
      } finally {
        await app.close()
      }
    }
    expect(median(wrong)).toBeGreaterThanOrEqual(HASH_MS)
    expect(Math.abs(median(unknown) - median(wrong))).toBeLessThan(10)
  }, 120_000)
})

describe('password login timing with a host that answers quickly for an unknown user', () => {
  it('pads the answer to the typical real check once one was timed, and warns once', async () => {
    const warnings: string[] = []
    const app = await startTestApp({
      database: 'sqlite::memory:',
      oidc: { issuer: 'http://127.0.0.1:9/never', clientId: 'unused', active: false },
      options: {
        logger: {
          debug() {},
          info() {},
          error() {},
          warn: (_obj: object | string, msg?: string) => void warnings.push(msg ?? ''),
        },
        users: {
          findByClaim: () => null,
          findById: ({ id }) => TEST_USERS.find((u) => u.id === id) ?? null,
          findByUsername: ({ username }) => byName(username),
          // Returns at once for a user without a stored hash: the decoy alone would be quick.
          verifyPassword: async ({ user, password }) => {
            const known = byName((user as { username?: string }).username ?? '')
            if (!known) return false
            await new Promise((resolve) => setTimeout(resolve, HASH_MS))
            return known.password === password
          },
          isPasswordLoginEnabled: ({ user }) =>
            byName((user as { username?: string }).username ?? '')?.passwordLogin === true,
        },
      },
    })
    try {
      const askWrong = await ready(app, 'alice')
      expect(await askWrong()).toBeGreaterThanOrEqual(HASH_MS)
      for (let i = 0; i < 3; i++) {
        const askUnknown = await ready(app, `nobody-${i}`)
        // The pause is 0.9–1.1 × the typical check.
        expect(await askUnknown()).toBeGreaterThanOrEqual(HASH_MS * 0.85)
      }
      expect(warnings.filter((w) => w.includes('verifyPassword did not take its usual time'))).toHaveLength(1)
    } finally {
      await app.close()
    }
  })
})
