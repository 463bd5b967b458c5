/**
 * Token requests go through the outbound proxy of the profile (or the global one), as HTTP CONNECT
 * tunnels through a real proxy on loopback; a dead proxy is TOKEN_PROVIDER_UNREACHABLE.
 */
import net from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTokenProvider } from '../../src/tokens/index.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { authorizedProfile, makeContext, startMailOp, type TokenTestContext } from './helpers.js'

/** A minimal CONNECT proxy: records each tunnel's target and pipes bytes both ways. */
async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    sockets.add(client)
    client.once('data', (head) => {
      const match = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.toString('latin1'))
      if (!match) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n')
        return
      }
      tunnels.push(`${match[1]}:${match[2]}`)
      const upstream = net.connect(Number(match[2]), match[1], () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.pipe(client)
        client.pipe(upstream)
      })
      sockets.add(upstream)
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

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
    await expect(createTokenProvider(t.ctx).getAccessToken(profile.id, { forceRefresh: true })).rejects.toMatchObject({ code: 'TOKEN_PROVIDER_UNREACHABLE' })
  })
})
