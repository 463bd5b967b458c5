import { afterEach, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { generateCertificate } from '../../src/credentials/certificate.js'
import { startMetrics } from '../../src/ops/metrics.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { DAY, opsContext, profileInput, type OpsContext } from './helpers.js'

let ops: OpsContext
afterEach(() => ops?.close())

describe('Prometheus metrics, only when the host asks', () => {
  it('registers nothing without a registry', async () => {
    ops = await opsContext(await sqliteUrl(), TEST_KEYS)
    expect(await startMetrics(ops.ctx)).toBeNull()
  })

  it('counts logins by result and reason, refreshes and failures per profile, and exports expiry gauges', async () => {
    const registry = new Registry()
    ops = await opsContext(await sqliteUrl(), TEST_KEYS, {
      metrics: { registry },
      oidc: {
        id: 'entra',
        issuer: 'https://login.example.com/v2.0',
        clientId: 'app',
        clientSecret: 'login-secret-DO-NOT-LEAK',
        clientSecretExpiresAt: new Date(Date.now() + 10 * DAY),
      },
    })
    const metrics = (await startMetrics(ops.ctx))!
    const p = await ops.store.profiles.create(
      profileInput({ name: 'Mailbox', secretExpiresAt: new Date(ops.clock.now() + 2 * DAY) }),
    )
    await ops.store.tokens.save(p.id, {
      accessToken: 'access-token-DO-NOT-LEAK',
      accessTokenExpiresAt: new Date(ops.clock.now() + 600_000),
      status: 'ok',
    })

    const { events } = ops.ctx
    events.emit('login.succeeded', { providerId: 'entra', userId: 'u1', method: 'oidc' })
    events.emit('login.failed', { providerId: 'entra', reason: 'OIDC_STATE_INVALID', method: 'oidc' })
    events.emit('login.failed', { providerId: 'entra', reason: 'OIDC_STATE_INVALID', method: 'oidc' })
    events.emit('token.refreshed', { profileId: p.id })
    events.emit('token.failed', { profileId: p.id, code: 'TOKEN_REFRESH_FAILED' })

    const text = await registry.metrics()
    expect(text).toContain('authdock_logins_total{result="succeeded",reason="none",method="oidc"} 1')
    expect(text).toContain('authdock_logins_total{result="failed",reason="OIDC_STATE_INVALID",method="oidc"} 2')
    expect(text).toContain(`authdock_token_refreshes_total{profile="${p.id}"} 1`)
    expect(text).toContain(`authdock_token_failures_total{profile="${p.id}",code="TOKEN_REFRESH_FAILED"} 1`)
    const tokenSeconds = Number(
      new RegExp(`authdock_access_token_expiry_seconds\\{profile="${p.id}"\\} (\\d+)`).exec(text)?.[1],
    )
    expect(tokenSeconds).toBeGreaterThan(590)
    expect(tokenSeconds).toBeLessThanOrEqual(600)
    expect(text).toMatch(
      /authdock_secret_expiry_seconds\{kind="login-client",id="entra",credential="secret",certificate="",state="active"\} \d+/,
    )
    expect(text).toMatch(
      new RegExp(
        `authdock_secret_expiry_seconds\\{kind="profile",id="${p.id}",credential="secret",certificate="",state="active"\\} 17\\d{4}`,
      ),
    )
    expect(text).not.toContain('DO-NOT-LEAK')

    metrics.stop()
    expect(await registry.metrics()).not.toContain('authdock_')
  })

  it('exports each certificate expiry labelled as a certificate, with its owner, thumbprint and state; not those of gone owners', async () => {
    const registry = new Registry()
    ops = await opsContext(await sqliteUrl(), TEST_KEYS, { metrics: { registry } })
    const metrics = (await startMetrics(ops.ctx))!
    const p = await ops.store.profiles.create(profileInput({ name: 'Mailbox' }))
    const owner = { kind: 'profile' as const, id: p.id }
    const certificate = (validityDays: number) =>
      generateCertificate({ commonName: 'metrics', validityDays, now: ops.clock.now(), createdBy: null })
    const active = await ops.store.credentials.add(owner, await certificate(20))
    const waiting = await ops.store.credentials.add(owner, await certificate(400))
    await ops.store.credentials.add({ kind: 'login-provider', id: 'gone' }, await certificate(10))

    const text = await registry.metrics()
    const seconds = (thumbprint: string, state: string) =>
      Number(
        new RegExp(
          `authdock_secret_expiry_seconds\\{kind="profile",id="${p.id}",credential="certificate",certificate="${thumbprint}",state="${state}"\\} (\\d+)`,
        ).exec(text)?.[1],
      )
    // X.509 keeps whole seconds, so the date is the certificate's, not the clock's plus 20 days.
    const left = (c: { notAfter: Date }) => Math.round((c.notAfter.getTime() - ops.clock.now()) / 1000)
    expect(left(active)).toBeGreaterThan(20 * 86_400 - 2)
    expect(seconds(active.thumbprintSha1, 'active')).toBe(left(active))
    expect(seconds(waiting.thumbprintSha1, 'waiting')).toBe(left(waiting))
    expect(text).not.toContain('id="gone"')
    expect(text).not.toContain('PRIVATE KEY')
    metrics.stop()
  })
})
