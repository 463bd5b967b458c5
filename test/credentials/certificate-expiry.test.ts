/**
 * A certificate runs out like a client secret: the daily check, the admin banner, the events and
 * `authdock check-secrets` report the active certificate at 90/30/7 days and when expired, naming
 * its thumbprint. The clock is injected and moved; nothing sleeps.
 */
import express from 'express'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { CredentialService } from '../../src/credentials/service.js'
import { expiryBannerSource } from '../../src/ops/expiry-banner.js'
import { startOperations } from '../../src/ops/scheduler.js'
import { checkSecrets, exitCodeFor, reportFindings, type SecretFinding } from '../../src/ops/secret-expiry.js'
import type { CertificateRecord } from '../../src/store/credential-types.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { runCli } from '../cli/cli-helpers.js'
import { DAY, opsContext, profileInput, type OpsContext } from '../ops/helpers.js'

const CASES: Array<{ days: number; level: SecretFinding['level'] | null; expired: boolean; exit: number }> = [
  { days: 91, level: null, expired: false, exit: 0 },
  { days: 89, level: 'info', expired: false, exit: 0 },
  { days: 29, level: 'warning', expired: false, exit: 1 },
  { days: 6, level: 'error', expired: false, exit: 2 },
  { days: 0, level: 'error', expired: false, exit: 2 },
  { days: -1, level: 'error', expired: true, exit: 2 },
]

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** An ops context whose profile (or login provider) has an active certificate valid for 100 days. */
async function withCertificate(
  owner: 'profile' | 'login-provider',
): Promise<{ ops: OpsContext; certificate: CertificateRecord; url: string; at(days: number): number }> {
  const url = sqliteUrl()
  const ops = await opsContext(url, TEST_KEYS, {
    oidc:
      owner === 'login-provider'
        ? {
            id: 'entra',
            label: 'Entra ID',
            issuer: 'https://login.example.com/v2.0',
            clientId: 'app',
            clientAuth: { kind: 'private_key_jwt' },
          }
        : undefined,
  })
  cleanups.push(() => ops.close())
  const id =
    owner === 'profile'
      ? (await ops.store.profiles.create(profileInput({ name: 'Entra ID', clientSecret: null }))).id
      : 'entra'
  const service = new CredentialService(ops.ctx, { invalidate: () => undefined })
  const certificate = await service.generate(await service.owner(owner, id), { validityDays: 100 }, 'admin')
  expect(certificate.active).toBe(true)
  // Exactly N whole days left (half a day for 0).
  const at = (days: number) =>
    days === 0 ? certificate.notAfter.getTime() - DAY / 2 : certificate.notAfter.getTime() - days * DAY
  return { ops, certificate, url, at }
}

for (const owner of ['profile', 'login-provider'] as const) {
  describe(`expiry of a ${owner}'s certificate with a moved clock`, () => {
    for (const c of CASES) {
      it(`${c.days} days left → ${c.level ?? 'nothing'}, exit code ${c.exit}`, async () => {
        const { ops, certificate, at } = await withCertificate(owner)
        ops.clock.set(at(c.days))
        const findings = await checkSecrets(ops.ctx)
        expect(exitCodeFor(findings)).toBe(c.exit)
        if (!c.level) return expect(findings).toEqual([])
        expect(findings).toEqual([
          {
            kind: owner === 'profile' ? 'profile' : 'login-client',
            id: owner === 'profile' ? certificate.ownerId : 'entra',
            name: 'Entra ID',
            daysLeft: c.days,
            level: c.level,
            expired: c.expired,
            expiresAt: certificate.notAfter,
            certificate: { id: certificate.id, thumbprint: certificate.thumbprintSha1 },
          },
        ])
      })
    }
  })
}

describe('certificate expiry reports', () => {
  it('logs, emits and audits each finding with the thumbprint; the banner names it in English and German', async () => {
    const { ops, certificate, at } = await withCertificate('profile')
    const events: unknown[] = []
    ops.ctx.events.on('secret.expiring', (e) => events.push(e))
    ops.clock.set(at(29))
    const daily = startOperations(ops.ctx, { runAtStart: false })
    cleanups.push(() => daily.stop())
    const result = await daily.runDailyCheck()
    expect(result.findings).toHaveLength(1)
    expect(events).toMatchObject([
      { level: 'warning', daysLeft: 29, certificate: { thumbprint: certificate.thumbprintSha1 } },
    ])
    expect(ops.logger.lines.at(-1)).toMatchObject({
      level: 'warn',
      msg: 'authdock: a client certificate expires soon',
      obj: { certificate: certificate.thumbprintSha1 },
    })
    const [audit] = await ops.store.audit.list({ kind: 'secret.expiry' })
    expect(audit.details).toMatchObject({ level: 'warning', daysLeft: 29, certificate: certificate.thumbprintSha1 })

    const source = expiryBannerSource(ops.ctx)
    const app = express().get('/banners', async (req, res) => {
      res.json(await source(req))
    })
    const date = certificate.notAfter.toISOString().slice(0, 10)
    const en = await request(app).get('/banners').set('accept-language', 'en')
    expect(en.body).toEqual([
      {
        level: 'warning',
        text: `The certificate ${certificate.thumbprintSha1} of the OAuth2 profile “Entra ID” expires in 29 days (${date}). Generate a new certificate, upload it at the provider and activate it.`,
      },
    ])
    const de = await request(app).get('/banners').set('accept-language', 'de')
    expect(de.body[0].text).toContain(
      `Das Zertifikat ${certificate.thumbprintSha1} des OAuth2-Profils „Entra ID“ läuft in 29 Tagen ab`,
    )

    ops.clock.set(at(-1))
    reportFindings(ops.ctx, await checkSecrets(ops.ctx))
    expect(ops.logger.lines.at(-1)).toMatchObject({ level: 'error', msg: 'authdock: a client certificate has expired' })
  })

  it('a waiting certificate is not reported, and after a switch the new one counts', async () => {
    const { ops, certificate, at } = await withCertificate('profile')
    const service = new CredentialService(ops.ctx, { invalidate: () => undefined })
    const owner = await service.owner('profile', certificate.ownerId)
    ops.clock.set(at(6))
    const next = await service.generate(owner, { validityDays: 365 }, 'admin')
    expect(next.active).toBe(false)
    expect((await checkSecrets(ops.ctx)).map((f) => f.certificate?.thumbprint)).toEqual([certificate.thumbprintSha1])
    await service.activate(owner, next.id, 'admin')
    expect(await checkSecrets(ops.ctx)).toEqual([])
  })

  it('a stored secret whose owner switched to a certificate is never sent, so its expiry is not reported', async () => {
    const { ops } = await withCertificate('profile')
    const expiring = await ops.store.profiles.create(
      profileInput({ name: 'Secret expiring', secretExpiresAt: new Date(ops.clock.now() + 5 * DAY) }),
    )
    expect((await checkSecrets(ops.ctx)).map((f) => [f.name, f.level])).toEqual([['Secret expiring', 'error']])
    await ops.store.credentials.setMethod({ kind: 'profile', id: expiring.id }, 'private_key_jwt')
    expect(await checkSecrets(ops.ctx)).toEqual([])
  })

  it("an admin-managed login provider's certificate is reported under its label, by the daily check and the CLI", async () => {
    const url = sqliteUrl()
    const ops = await opsContext(url, TEST_KEYS)
    cleanups.push(() => ops.close())
    const provider = await ops.store.loginProviders.create('p.partners0001', {
      label: 'Partners',
      active: true,
      issuer: 'https://login.example.com/v2.0',
      clientId: 'app',
      secretExpiresAt: null,
      scope: 'openid email',
      claim: 'email',
      claimLabel: 'E-Mail',
      authorizationParams: {},
      idTokenAlgorithms: null,
      preset: null,
      tenantId: null,
    })
    const service = new CredentialService(ops.ctx, { invalidate: () => undefined })
    const owner = await service.owner('login-provider', provider.id)
    expect(owner).toMatchObject({ name: 'Partners', methodFixed: false, method: 'client_secret' })
    const certificate = await service.generate(owner, { validityDays: 100 }, 'admin')
    ops.clock.set(certificate.notAfter.getTime() - 29 * DAY)
    expect(await checkSecrets(ops.ctx)).toMatchObject([
      {
        kind: 'login-client',
        id: provider.id,
        name: 'Partners',
        level: 'warning',
        certificate: { thumbprint: certificate.thumbprintSha1 },
      },
    ])
    const now = ops.clock.now()
    await ops.close()
    const env = { AUTHDOCK_DATABASE: url, AUTHDOCK_KEY: TEST_KEYS.join(',') }
    const cli = await runCli(['check-secrets'], env, () => now)
    expect(cli.code).toBe(1)
    expect(cli.stdout).toContain(
      `login client "Partners": certificate ${certificate.thumbprintSha1} expires in 29 day(s)`,
    )
  })

  it('authdock check-secrets exits 0/1/2 for a certificate and names its thumbprint', async () => {
    const { ops, certificate, url, at } = await withCertificate('profile')
    await ops.close()
    const env = { AUTHDOCK_DATABASE: url, AUTHDOCK_KEY: TEST_KEYS.join(',') }
    for (const c of CASES) {
      const res = await runCli(['check-secrets'], env, () => at(c.days))
      expect(res.code, `${c.days} days`).toBe(c.exit)
      if (c.level) expect(res.stdout).toContain(`profile "Entra ID": certificate ${certificate.thumbprintSha1}`)
      else expect(res.stdout).toContain('OK')
    }
  })
})
