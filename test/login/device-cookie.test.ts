import express from 'express'
import request from 'supertest'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resolveConfig } from '../../src/config.js'
import type { DockContext } from '../../src/context.js'
import { newDeviceId, setDeviceCookie } from '../../src/login/device.js'
import { TEST_KEYS } from '../fixtures/databases.js'

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0, 500)

function contextFor(baseUrl: string): DockContext {
  const config = resolveConfig({
    baseUrl,
    encryptionKey: TEST_KEYS[0],
    session: { secret: 'a-session-secret-of-some-length' },
    users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
  })
  return { config, now: () => NOW } as unknown as DockContext
}

describe('the device cookie header', () => {
  afterEach(() => vi.useRealTimers())

  it.each([
    ['http on loopback', 'http://127.0.0.1:3000'],
    ['https (Secure)', 'https://app.example.com'],
  ])(
    'is the line Express res.cookie writes for the same cookie (%s), after the cookies set before it',
    async (_what, baseUrl) => {
      // Express reads Date.now for Expires: fixed, so that both lines are computed at the same instant.
      vi.useFakeTimers({ now: NOW, toFake: ['Date'] })
      const ctx = contextFor(baseUrl)
      const id = newDeviceId()
      const expiresAt = new Date(NOW + 30 * 86_400_000 + 250)
      const app = express()
      app.get('/ours', (_req, res) => {
        res.cookie('first', 'one')
        setDeviceCookie(ctx, res, id, expiresAt)
        res.end()
      })
      app.get('/express', (_req, res) => {
        res.cookie('first', 'one')
        res.cookie(ctx.config.login.deviceCookieName, id, {
          httpOnly: true,
          sameSite: 'lax',
          secure: baseUrl.startsWith('https:'),
          path: '/',
          maxAge: expiresAt.getTime() - NOW,
        })
        res.end()
      })
      const ours = (await request(app).get('/ours')).headers['set-cookie']
      const theirs = (await request(app).get('/express')).headers['set-cookie']
      expect(ours).toEqual(theirs)
      expect(ours).toHaveLength(2)
      expect(ours![1]).toContain(baseUrl.startsWith('https:') ? '; Secure' : '; HttpOnly; SameSite=Lax')
    },
  )

  it('ends at once (Max-Age=0) for a device already past its end', async () => {
    const ctx = contextFor('http://127.0.0.1:3000')
    const app = express()
    app.get('/', (_req, res) => {
      setDeviceCookie(ctx, res, newDeviceId(), new Date(NOW - 1000))
      res.end()
    })
    const [line] = (await request(app).get('/')).headers['set-cookie'] as unknown as string[]
    expect(line).toMatch(
      /^authdock\.device=[A-Za-z0-9_-]{43}; Max-Age=0; Path=\/; Expires=Tue, 01 Dec 2026 12:00:00 GMT; HttpOnly; SameSite=Lax$/,
    )
  })
})
