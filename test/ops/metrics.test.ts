import { afterEach, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
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
    expect(text).toMatch(/authdock_secret_expiry_seconds\{kind="login-client",id="entra"\} \d+/)
    expect(text).toMatch(new RegExp(`authdock_secret_expiry_seconds\\{kind="profile",id="${p.id}"\\} 17\\d{4}`))
    expect(text).not.toContain('DO-NOT-LEAK')

    metrics.stop()
    expect(await registry.metrics()).not.toContain('authdock_')
  })
})
