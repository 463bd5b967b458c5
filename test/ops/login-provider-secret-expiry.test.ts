/**
 * The secret expiry of login providers managed in the admin feeds the daily check like the
 * profiles' and the configured login clients': levels at 90/30/7 days, the log line and the
 * `secret.expiring` event, the audit entry, the banner on admin pages, and the CLI's exit code.
 */
import express from 'express'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { expiryBannerSource } from '../../src/ops/expiry-banner.js'
import { startOperations } from '../../src/ops/scheduler.js'
import { checkSecrets, exitCodeFor } from '../../src/ops/secret-expiry.js'
import type { LoginProviderInput } from '../../src/store/types.js'
import { runCli } from '../cli/cli-helpers.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { DAY, opsContext, type OpsContext } from './helpers.js'

const EXPIRES = new Date('2027-03-01T12:00:00Z')

const provider = (overrides: Partial<LoginProviderInput> = {}): LoginProviderInput => ({
  label: 'Entra (Contoso)',
  active: true,
  issuer: 'https://login.microsoftonline.com/8f7c2a1e-3b4d-4c5e-9f60-718293a4b5c6/v2.0',
  clientId: 'app',
  clientSecret: 'stored-login-secret-DO-NOT-LEAK',
  secretExpiresAt: EXPIRES,
  scope: 'openid profile email',
  claim: 'email',
  claimLabel: 'E-Mail',
  authorizationParams: {},
  idTokenAlgorithms: null,
  preset: 'entra',
  tenantId: null,
  ...overrides,
})

describe('expiry of a login provider secret managed in the admin', () => {
  let ops: OpsContext
  let database: string
  beforeEach(async () => {
    database = sqliteUrl()
    ops = await opsContext(database, TEST_KEYS)
    await ops.store.loginProviders.create('p.contoso00001', provider())
    // Without a stored secret there is nothing to expire.
    await ops.store.loginProviders.create('p.publicclient', provider({ label: 'Public', clientSecret: null }))
  })
  afterEach(() => ops.close())

  it.each([
    [91, null],
    [89, 'info'],
    [29, 'warning'],
    [6, 'error'],
    [-1, 'error'],
  ] as const)('%i days left → %s', async (days, level) => {
    ops.clock.set(EXPIRES.getTime() - days * DAY)
    const findings = await checkSecrets(ops.ctx)
    if (!level) return expect(findings).toEqual([])
    expect(findings).toEqual([
      expect.objectContaining({
        kind: 'login-client',
        id: 'p.contoso00001',
        name: 'Entra (Contoso)',
        daysLeft: days,
        level,
        expired: days < 0,
      }),
    ])
    expect(exitCodeFor(findings)).toBe(level === 'error' ? 2 : level === 'warning' ? 1 : 0)
  })

  it('is reported by the daily check: log line, event and audit entry, without the secret', async () => {
    ops.clock.set(EXPIRES.getTime() - 6 * DAY)
    const events: unknown[] = []
    ops.ctx.events.on('secret.expiring', (e) => events.push(e))
    const scheduler = startOperations(ops.ctx, { runAtStart: false })
    try {
      const result = await scheduler.runDailyCheck()
      expect(result.ran).toBe(true)
      expect(result.findings.map((f) => f.id)).toEqual(['p.contoso00001'])
    } finally {
      await scheduler.stop()
    }
    expect(events).toEqual([expect.objectContaining({ kind: 'login-client', id: 'p.contoso00001', level: 'error' })])
    expect(
      ops.logger.lines.some((l) => l.level === 'error' && (l.obj as { id?: string }).id === 'p.contoso00001'),
    ).toBe(true)
    const [entry] = await ops.store.audit.list({ kind: 'secret.expiry' })
    expect(entry.details).toMatchObject({
      secretKind: 'login-client',
      id: 'p.contoso00001',
      name: 'Entra (Contoso)',
      daysLeft: 6,
      level: 'error',
    })
    expect(JSON.stringify([events, ops.logger.lines, entry])).not.toContain('DO-NOT-LEAK')
  })

  it('puts a banner on admin pages naming the login provider', async () => {
    ops.clock.set(EXPIRES.getTime() - 29 * DAY)
    const source = expiryBannerSource(ops.ctx)
    const app = express().get('/banners', async (req, res) => {
      res.json(await source(req))
    })
    const en = await request(app).get('/banners').set('accept-language', 'en')
    expect(en.body).toEqual([
      { level: 'warning', text: expect.stringMatching(/login provider “Entra \(Contoso\)” expires in 29 days/) },
    ])
  })

  it('counts in `authdock check-secrets` (exit 2) and is listed by `authdock providers list` without the secret', async () => {
    await ops.close()
    const env = { AUTHDOCK_DATABASE: database, AUTHDOCK_KEY: TEST_KEYS.join(',') }
    const now = () => EXPIRES.getTime() - 3 * DAY
    const check = await runCli(['check-secrets'], env, now)
    expect(check.code).toBe(2)
    expect(check.stdout).toMatch(/ERROR +login client "Entra \(Contoso\)": client secret expires in 3 day\(s\)/)

    const list = await runCli(['providers', 'list'], env)
    expect(list.code).toBe(0)
    expect(list.stdout.split('\n')[0]).toMatch(/^ID +NAME +ACTIVE +ISSUER +CLIENT ID +SECRET +SECRET EXPIRES$/)
    expect(list.stdout).toMatch(
      /p\.contoso00001 +Entra \(Contoso\) +yes +https:\/\/login\.microsoftonline\.com\/\S+ +app +yes +2027-03-01/,
    )
    expect(list.stdout).toMatch(/p\.publicclient +Public +yes .* no +2027-03-01/)
    const json = await runCli(['providers', 'list', '--json'], env)
    expect(
      JSON.parse(json.stdout).map((p: { id: string; hasClientSecret: boolean }) => [p.id, p.hasClientSecret]),
    ).toEqual([
      ['p.contoso00001', true],
      ['p.publicclient', false],
    ])
    for (const out of [check.stdout, list.stdout, json.stdout]) expect(out).not.toContain('DO-NOT-LEAK')
    expect((await runCli(['providers'], env)).code).toBe(64)
    expect((await runCli(['providers', '--help'])).stdout).toContain('Usage: authdock providers list')
    ops = await opsContext(database, TEST_KEYS)
  })
})
