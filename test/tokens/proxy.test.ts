/**
 * Token requests go through the outbound proxy of the profile (or the global one), as HTTP CONNECT
 * tunnels through a real proxy on loopback; a dead proxy, or one that never answers, is
 * TOKEN_PROVIDER_UNREACHABLE.
 */
import net from 'node:net'
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

  it('a proxy that accepts and never answers gives TOKEN_PROVIDER_UNREACHABLE after tokens.httpTimeoutMs', async () => {
    const silent = net.createServer(() => undefined)
    const held = new Set<net.Socket>()
    silent.on('connection', (socket) => held.add(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      t = await makeContext({ tokens: { httpTimeoutMs: 1_000 } })
      const proxy = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`
      const { profile } = await authorizedProfile(t, op, { proxy })
      await expect(createTokenProvider(t.ctx).getAccessToken(profile.id, { forceRefresh: true })).rejects.toMatchObject(
        { code: 'TOKEN_PROVIDER_UNREACHABLE' },
      )
      expect(held.size).toBeGreaterThan(0)
    } finally {
      for (const socket of held) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
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
