/**
 * Login behind an outbound proxy: every request to the identity provider (discovery, JWKS, token)
 * goes through `tokens.proxy`, as the token provider's do, tunnelled by a real CONNECT proxy on
 * loopback. A dead proxy is a provider that cannot be reached: the retry page, and no session.
 */
import net from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startConnectProxy } from '../fixtures/connect-proxy.js'
import { startHostileOp, type HostileOp } from '../fixtures/hostile-op.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { me, shownCode } from './helpers.js'

let op: HostileOp
const closers: Array<() => Promise<void>> = []

beforeAll(async () => {
  op = await startHostileOp()
})
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})
afterAll(async () => {
  await op.close()
})

async function appBehind(proxy: string): Promise<TestApp> {
  const app = await startTestApp({
    oidc: { issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret },
    options: { tokens: { proxy, httpTimeoutMs: 2_000 } },
  })
  closers.push(() => app.close())
  return app
}

describe('login through the outbound proxy (tokens.proxy)', () => {
  it('sends discovery, JWKS and the token request through the proxy and logs in', async () => {
    const proxy = await startConnectProxy()
    closers.push(() => proxy.close())
    const app = await appBehind(proxy.url)
    const before = { ...op.requests }
    const browser = new BrowserClient()
    const { url } = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
    expect(url).toBe(`${app.url}/me`)
    expect((await me(browser, app)).body.user.id).toBe('u-alice')
    // The provider's host is the only tunnel target: the app never went to it directly.
    const target = new URL(op.issuer).host
    expect(proxy.tunnels.length).toBeGreaterThan(0)
    expect(new Set(proxy.tunnels)).toEqual(new Set([target]))
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/token']) {
      expect((op.requests[path] ?? 0) - (before[path] ?? 0), path).toBe(1)
    }
  })

  it('ends on the retry page with OIDC_PROVIDER_UNAVAILABLE when the proxy is down, and logs no one in', async () => {
    const proxy = await startConnectProxy()
    const deadUrl = proxy.url
    await proxy.close()
    const app = await appBehind(deadUrl)
    const browser = new BrowserClient()
    const { url, body } = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
    expect(url).toBe(`${app.url}/auth/retry?reason=error`)
    expect(shownCode(body)).toBe('OIDC_PROVIDER_UNAVAILABLE')
    expect((await me(browser, app)).status).toBe(401)
  })

  it('ends on the retry page with OIDC_PROVIDER_UNAVAILABLE when the proxy accepts and never answers', async () => {
    // Took CONNECT and said nothing: the request waited for undici's own 300 s header timeout
    // instead of tokens.httpTimeoutMs (2 s here), and the login start with it.
    const silent = net.createServer(() => undefined)
    const held = new Set<net.Socket>()
    silent.on('connection', (socket) => held.add(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    closers.push(async () => {
      for (const socket of held) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    })
    const app = await appBehind(`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`)
    const browser = new BrowserClient()
    const { url, body } = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
    expect(held.size).toBeGreaterThan(0)
    expect(url).toBe(`${app.url}/auth/retry?reason=error`)
    expect(shownCode(body)).toBe('OIDC_PROVIDER_UNAVAILABLE')
    expect((await me(browser, app)).status).toBe(401)
  })
})
