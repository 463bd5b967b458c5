/**
 * fetch for calls to OAuth2 providers: every request gets a timeout, and goes through an outbound
 * proxy when one is configured.
 *
 * Node 20's global fetch cannot use a proxy without an undici dispatcher, and Node does not expose
 * its bundled undici. The `undici` package (the same code, no dependencies) is loaded only when a
 * proxy is configured; the request then goes through undici's own fetch so that the dispatcher and
 * the fetch come from the same undici version. An injected fetch (ctx.fetch) gets the dispatcher
 * in its init and decides itself.
 */
import type { CustomFetch } from 'openid-client'
import type { Dispatcher } from 'undici'

type Undici = typeof import('undici')

let undiciModule: Promise<Undici> | undefined
const agents = new Map<string, Dispatcher>()

async function proxyAgent(proxy: string): Promise<{ undici: Undici; dispatcher: Dispatcher }> {
  undiciModule ??= import('undici')
  const undici = await undiciModule
  let dispatcher = agents.get(proxy)
  if (!dispatcher) {
    dispatcher = new undici.ProxyAgent(proxy)
    agents.set(proxy, dispatcher)
  }
  return { undici, dispatcher }
}

export interface ProviderFetchOptions {
  /** The fetch to use (ctx.fetch); globalThis.fetch in production. */
  fetch: typeof fetch
  timeoutMs: number
  /** Outbound proxy URL, or null for a direct connection. */
  proxy: string | null
}

/** A fetch for openid-client's `customFetch` with our timeout and proxy. */
export function providerFetch(options: ProviderFetchOptions): CustomFetch {
  return async (url, init) => {
    const timeout = AbortSignal.timeout(options.timeoutMs)
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    if (!options.proxy) return options.fetch(url, { ...init, signal } as RequestInit)
    const { undici, dispatcher } = await proxyAgent(options.proxy)
    if (options.fetch !== globalThis.fetch) return options.fetch(url, { ...init, signal, dispatcher } as RequestInit)
    return (await undici.fetch(url, { ...init, signal, dispatcher } as never)) as unknown as Response
  }
}
