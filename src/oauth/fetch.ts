/**
 * fetch for calls to OAuth2 providers: every request gets a timeout, goes through an outbound
 * proxy when one is configured, and never reaches a link-local or cloud metadata address (see
 * src/http/outbound-address.ts): the check sits in the connector, on the resolved address.
 *
 * Node 20's global fetch can take neither a proxy nor a DNS lookup without an undici dispatcher,
 * and Node does not expose its bundled undici. The `undici` package (the same code, no
 * dependencies) supplies the dispatcher; the request then goes through undici's own fetch so that
 * the dispatcher and the fetch come from the same undici version. An injected fetch (ctx.fetch)
 * gets the dispatcher in its init and decides itself.
 */
import type { CustomFetch } from 'openid-client'
import type { Dispatcher } from 'undici'
import { bufferedFetch, isBufferable } from './buffered-fetch.js'
import {
  guardedLookup,
  outboundRefused,
  refuseLiteral,
  isRefusedAddress,
  type DnsLookup,
} from '../http/outbound-address.js'

type Undici = typeof import('undici')

let undiciModule: Promise<Undici> | undefined
/** Dispatchers per proxy URL ('' for direct connections): with node's lookup, and per injected one. */
const systemLookupAgents = new Map<string, Dispatcher>()
const injectedLookupAgents = new WeakMap<DnsLookup, Map<string, Dispatcher>>()

/** undici's own default connect timeout; our request timeout still bounds the whole request. */
const CONNECT_TIMEOUT_MS = 10_000

function directAgent(undici: Undici, lookup: DnsLookup | undefined): Dispatcher {
  const connector = undici.buildConnector({ lookup: guardedLookup(lookup), timeout: CONNECT_TIMEOUT_MS })
  return new undici.Agent({
    // An IP literal is connected to without a lookup, so it is checked here.
    connect: (opts, callback) => {
      if (isRefusedAddress(opts.hostname)) return callback(outboundRefused(opts.hostname, opts.hostname), null)
      return connector(opts, callback)
    },
  })
}

async function dispatcherFor(
  proxy: string | null,
  lookup: DnsLookup | undefined,
): Promise<{ undici: Undici; dispatcher: Dispatcher }> {
  undiciModule ??= import('undici')
  const undici = await undiciModule
  let byProxy = lookup ? injectedLookupAgents.get(lookup) : systemLookupAgents
  if (!byProxy) injectedLookupAgents.set(lookup!, (byProxy = new Map()))
  let dispatcher = byProxy.get(proxy ?? '')
  if (!dispatcher) {
    // The proxy resolves the target's name, so only the proxy's own address can be checked by DNS.
    dispatcher = proxy
      ? new undici.ProxyAgent({ uri: proxy, proxyTls: { lookup: guardedLookup(lookup) } })
      : directAgent(undici, lookup)
    byProxy.set(proxy ?? '', dispatcher)
  }
  return { undici, dispatcher }
}

export interface ProviderFetchOptions {
  /** The fetch to use (ctx.fetch); globalThis.fetch in production. */
  fetch: typeof fetch
  timeoutMs: number
  /** Outbound proxy URL, or null for a direct connection. */
  proxy: string | null
  /** DNS lookup for the connections (ctx.config.lookup); node's dns.lookup when absent. */
  lookup?: DnsLookup
}

/** A fetch for openid-client's `customFetch` with our timeout, proxy and outbound address check. */
export function providerFetch(options: ProviderFetchOptions): CustomFetch {
  return async (url, init) => {
    if (options.proxy) {
      refuseLiteral(new URL(options.proxy).hostname)
      refuseLiteral(new URL(url).hostname)
    }
    const timeout = AbortSignal.timeout(options.timeoutMs)
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    const { undici, dispatcher } = await dispatcherFor(options.proxy, options.lookup)
    if (options.fetch !== globalThis.fetch) return options.fetch(url, { ...init, signal, dispatcher } as RequestInit)
    if (isBufferable(init)) return bufferedFetch(undici, dispatcher, url, init, signal)
    return (await undici.fetch(url, { ...init, signal, dispatcher } as never)) as unknown as Response
  }
}
