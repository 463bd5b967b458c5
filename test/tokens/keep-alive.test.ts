/**
 * Keep-alive: refresh tokens unused for `keepAliveAfterMs` are refreshed before the provider lets
 * them expire, by one instance per interval (a store lease).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { once } from 'node:events'
import { createTokenProvider } from '../../src/tokens/index.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { authorizedProfile, makeContext, startMailOp, type TokenTestContext } from './helpers.js'

const DAY = 24 * 3600_000

describe('token keep-alive', () => {
  let op: OidcProviderFixture
  let t: TokenTestContext
  beforeAll(async () => {
    op = await startMailOp()
  })
  afterAll(async () => {
    await op.close()
  })
  afterEach(async () => {
    await t?.close()
  })

  it('refreshes only refresh tokens unused for keepAliveAfterMs, once across two instances', async () => {
    t = await makeContext({ tokens: { keepAliveAfterMs: 14 * DAY, keepAliveIntervalMs: 3600_000 } })
    const { profile: idle } = await authorizedProfile(t, op, { name: 'Idle mailbox' })
    t.clock.advance(15 * DAY)
    const { profile: busy } = await authorizedProfile(t, op, { name: 'Busy mailbox' })
    op.resetCounters()

    const first = createTokenProvider(t.ctx)
    const second = createTokenProvider(t.ctx)
    const [a, b] = await Promise.all([first.keepAlive(), second.keepAlive()])
    const ran = [a, b].filter((r) => r.ran)
    expect(ran).toHaveLength(1)
    expect(ran[0]).toEqual({ ran: true, refreshed: [idle.id], failed: [] })
    expect(op.grants.refresh_token).toBe(1)
    expect((await t.store.tokens.get(idle.id))?.refreshTokenUsedAt?.getTime()).toBe(t.clock.now())
    expect((await t.store.tokens.get(busy.id))?.refreshTokenUsedAt?.getTime()).toBe(t.clock.now())

    // the next round, after the lease ran out: nothing is stale any more
    t.clock.advance(3600_001)
    const next = await second.keepAlive()
    expect(next).toEqual({ ran: true, refreshed: [], failed: [] })
    expect(op.grants.refresh_token).toBe(1)
  })

  it('reports a profile whose refresh token was revoked, and leaves it alone afterwards', async () => {
    t = await makeContext({ tokens: { keepAliveAfterMs: DAY, keepAliveIntervalMs: 60_000 } })
    const { profile } = await authorizedProfile(t, op, { name: 'Revoked mailbox' }, 'bob')
    await op.revokeAccount('bob')
    t.clock.advance(2 * DAY)
    const provider = createTokenProvider(t.ctx)
    expect(await provider.keepAlive()).toEqual({
      ran: true,
      refreshed: [],
      failed: [{ profileId: profile.id, code: 'TOKEN_REAUTHORIZATION_REQUIRED' }],
    })
    t.clock.advance(60_001)
    expect(await provider.keepAlive()).toEqual({ ran: true, refreshed: [], failed: [] })
  })

  it('startKeepAlive runs the job on its interval with an unref’d timer; close stops it', async () => {
    t = await makeContext({ tokens: { keepAliveAfterMs: DAY } })
    const { profile } = await authorizedProfile(t, op, { name: 'Timer mailbox' })
    t.clock.advance(2 * DAY)
    const provider = createTokenProvider(t.ctx)
    const refreshed = once(t.ctx.events, 'token.refreshed')
    provider.startKeepAlive({ intervalMs: 10 })
    expect(await refreshed).toEqual([{ profileId: profile.id }])
    await provider.close()
  })
})
