/**
 * Token requests go through the outbound proxy of the profile (or the global one), as HTTP CONNECT
 * tunnels through a real proxy on loopback; a dead proxy is TOKEN_PROVIDER_UNREACHABLE.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTokenProvider } from '../../src/tokens/index.js'
import { startConnectProxy } from '../fixtures/connect-proxy.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { authorizedProfile, makeContext, startMailOp, type TokenTestContext } from './helpers.js'

describe('outbound proxy for token requests', () => {
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

  it('refreshes through the profile’s proxy', async () => {
    const proxy = await startConnectProxy()
    try {
      t = await makeContext()
      const { profile } = await authorizedProfile(t, op, { proxy: proxy.url })
      op.resetCounters()
      await createTokenProvider(t.ctx).getAccessToken(profile.id, { forceRefresh: true })
      expect(op.grants.refresh_token).toBe(1)
      expect(proxy.tunnels).toEqual([`127.0.0.1:${op.port}`])
    } finally {
      await proxy.close()
    }
  })

  it('uses the global proxy when the profile has none', async () => {
    const proxy = await startConnectProxy()
    try {
      t = await makeContext({ tokens: { proxy: proxy.url } })
      const { profile } = await authorizedProfile(t, op)
      await createTokenProvider(t.ctx).getAccessToken(profile.id, { forceRefresh: true })
      expect(proxy.tunnels).toEqual([`127.0.0.1:${op.port}`])
    } finally {
      await proxy.close()
    }
  })

  it('a proxy that does not answer gives TOKEN_PROVIDER_UNREACHABLE', async () => {
    const proxy = await startConnectProxy()
    await proxy.close()
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op, { proxy: proxy.url })
    await expect(createTokenProvider(t.ctx).getAccessToken(profile.id, { forceRefresh: true })).rejects.toMatchObject({
      code: 'TOKEN_PROVIDER_UNREACHABLE',
    })
  })
})
