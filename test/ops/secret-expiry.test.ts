import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import express from 'express'
import request from 'supertest'
import { checkSecrets, reportFindings, exitCodeFor, levelFor, type SecretFinding } from '../../src/ops/secret-expiry.js'
import { expiryBannerSource } from '../../src/ops/expiry-banner.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { DAY, opsContext, profileInput, type OpsContext } from './helpers.js'

// The secret expires at a fixed instant; the clock is moved so that exactly N days (or, for 0,
// half a day) are left.
const EXPIRES = new Date('2027-03-01T12:00:00Z')
const CASES: Array<{ days: number; level: SecretFinding['level'] | null; expired: boolean }> = [
  { days: 91, level: null, expired: false },
  { days: 89, level: 'info', expired: false },
  { days: 29, level: 'warning', expired: false },
  { days: 6, level: 'error', expired: false },
  { days: 0, level: 'error', expired: false },
  { days: -1, level: 'error', expired: true },
]

function moveClockTo(ops: OpsContext, days: number): void {
  ops.clock.set(days === 0 ? EXPIRES.getTime() - DAY / 2 : EXPIRES.getTime() - days * DAY)
}

describe('the secret-expiry rule', () => {
  it('draws the boundaries at 90, 30 and 7 whole days left', () => {
    expect([91, 90, 89, 30, 29, 7, 6, 0, -1].map(levelFor)).toEqual([
      null,
      null,
      'info',
      'info',
      'warning',
      'warning',
      'error',
      'error',
      'error',
    ])
  })
})

for (const kind of ['login-client', 'profile'] as const) {
  describe(`expiry of a ${kind} secret with a moved clock`, () => {
    let ops: OpsContext
    beforeEach(async () => {
      ops = await opsContext(await sqliteUrl(), TEST_KEYS, {
        oidc:
          kind === 'login-client'
            ? {
                id: 'entra',
                label: 'Entra ID',
                issuer: 'https://login.example.com/v2.0',
                clientId: 'app',
                clientSecret: 'login-client-secret-DO-NOT-LEAK',
                clientSecretExpiresAt: EXPIRES,
              }
            : undefined,
      })
      if (kind === 'profile')
        await ops.store.profiles.create(profileInput({ name: 'Entra ID', secretExpiresAt: EXPIRES }))
    })
    afterEach(() => ops.close())

    for (const c of CASES) {
      it(`${c.days} days left → ${c.level ?? 'nothing'}`, async () => {
        moveClockTo(ops, c.days)
        const findings = await checkSecrets(ops.ctx)
        if (!c.level) {
          expect(findings).toEqual([])
          return
        }
        expect(findings).toHaveLength(1)
        expect(findings[0]).toMatchObject({
          kind,
          name: 'Entra ID',
          daysLeft: c.days,
          level: c.level,
          expired: c.expired,
        })
        expect(exitCodeFor(findings)).toBe(c.level === 'error' ? 2 : c.level === 'warning' ? 1 : 0)
      })
    }

    it('reports each finding to the logger at its level and as a secret.expiring event, without the secret', async () => {
      const events: unknown[] = []
      ops.ctx.events.on('secret.expiring', (e) => events.push(e))
      for (const days of [89, 29, 6]) {
        moveClockTo(ops, days)
        reportFindings(ops.ctx, await checkSecrets(ops.ctx))
      }
      expect(ops.logger.lines.map((l) => l.level)).toEqual(['info', 'warn', 'error'])
      expect(events).toHaveLength(3)
      expect(events[2]).toMatchObject({ kind, name: 'Entra ID', daysLeft: 6, level: 'error' })
      const everything = JSON.stringify([ops.logger.lines, events])
      expect(everything).not.toContain('DO-NOT-LEAK')
    })

    it('puts a banner naming the secret and the days left on admin pages, in English and German', async () => {
      moveClockTo(ops, 29)
      const source = expiryBannerSource(ops.ctx)
      const app = express().get('/banners', async (req, res) => {
        res.json(await source(req))
      })
      const en = await request(app).get('/banners').set('accept-language', 'en')
      expect(en.body).toEqual([
        { level: 'warning', text: expect.stringMatching(/“Entra ID” expires in 29 days \(2027-03-01\)/) },
      ])
      const de = await request(app).get('/banners').set('accept-language', 'de')
      expect(de.body[0].text).toMatch(/„Entra ID“ läuft in 29 Tagen ab/)

      // A minute later (past the banner cache) the expired secret is shown as expired.
      moveClockTo(ops, -1)
      const later = await request(app).get('/banners').set('accept-language', 'en')
      expect(later.body).toEqual([{ level: 'error', text: expect.stringMatching(/“Entra ID” has expired/) }])
    })
  })
}
