/**
 * The addresses authdock never connects to: link-local (169.254.0.0/16, fe80::/10) and the cloud
 * metadata services that live there or next to it (169.254.169.254, fd00:ec2::254), in every
 * spelling (IPv4-mapped IPv6 included). An administrator can enter token URLs, issuers, proxies and
 * mail hosts; without this check those fields could read a cloud instance's credentials.
 *
 * The check runs on the address a connection is really made to, after DNS resolution (a lookup
 * for net/tls/undici, or a resolution whose address is then connected to), so a name that resolves
 * to a harmless address first and to a metadata address later (DNS rebinding) is refused too.
 * Private ranges and loopback stay allowed: on-premises identity providers and mail servers live
 * there.
 */
import dns from 'node:dns'
import net from 'node:net'
import { AuthdockError, isAuthdockError } from '../errors.js'

/** node's `dns.lookup` signature, as net, tls and undici call it. */
export type DnsLookup = net.LookupFunction

const REFUSED = new net.BlockList()
REFUSED.addSubnet('169.254.0.0', 16, 'ipv4')
REFUSED.addSubnet('fe80::', 10, 'ipv6')
REFUSED.addAddress('fd00:ec2::254', 'ipv6')

/**
 * Is this IP address one authdock refuses to connect to? Host names answer false (resolve them
 * first); `[v6]` brackets and a `%zone` are ignored. BlockList also matches `::ffff:169.254.x.y`.
 *
 * @example
 * isRefusedAddress('169.254.169.254') // true
 * isRefusedAddress('10.0.0.5')        // false: private ranges are allowed
 */
export function isRefusedAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '')
  const family = net.isIP(bare)
  if (family === 0) return false
  return REFUSED.check(bare, family === 6 ? 'ipv6' : 'ipv4')
}

/** The error for a refused connection; names the host and the address (neither is a secret). */
export function outboundRefused(host: string, address: string): AuthdockError {
  const shown = host === address ? address : `${host} (${address})`
  return new AuthdockError(
    'OUTBOUND_ADDRESS_REFUSED',
    `authdock does not connect to ${shown}: link-local and cloud metadata addresses are refused.`,
    {
      details: { host, address },
    },
  )
}

/** The OUTBOUND_ADDRESS_REFUSED error inside `err` (fetch wraps it as the cause of "fetch failed"). */
export function outboundRefusal(err: unknown): AuthdockError | undefined {
  let current: unknown = err
  for (let i = 0; i < 8 && current !== null && typeof current === 'object'; i++) {
    if (isAuthdockError(current, 'OUTBOUND_ADDRESS_REFUSED')) return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * When `err` is (or wraps) a refused connection, throw OUTBOUND_ADDRESS_REFUSED again with the form
 * field that named the address, so the page or JSON shows the error beside it; otherwise return.
 *
 * @example
 * catch (err) { throwIfRefused(err, 'host', fieldMessage('metadataAddressIs')); … }
 */
export function throwIfRefused(err: unknown, field: string, text: string): void {
  const refused = outboundRefusal(err)
  if (refused)
    throw new AuthdockError('OUTBOUND_ADDRESS_REFUSED', refused.message, { cause: refused, fields: { [field]: text } })
}

/** Throws OUTBOUND_ADDRESS_REFUSED when `host` is a refused IP literal; host names pass. */
export function refuseLiteral(host: string): void {
  if (isRefusedAddress(host)) throw outboundRefused(host, host.replace(/^\[(.*)\]$/, '$1'))
}

/**
 * A lookup for `net.connect`, `tls.connect` and undici's connector: resolves with `base` (node's
 * dns.lookup unless injected) and fails with OUTBOUND_ADDRESS_REFUSED when any address of the name
 * is refused, so the connection is never opened.
 */
export function guardedLookup(base: DnsLookup = dns.lookup): DnsLookup {
  return (hostname, options, callback) => {
    base(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family)
      const all = Array.isArray(address) ? address.map((a) => a.address) : [address]
      const refused = all.find(isRefusedAddress)
      if (refused !== undefined)
        return callback(outboundRefused(hostname, refused) as unknown as NodeJS.ErrnoException, address, family)
      callback(null, address, family)
    })
  }
}

/**
 * Resolve a host for a connection that is then made to the returned address (the mail connection
 * test: nodemailer resolves names its own way, so the checked address is what it is handed).
 * Throws OUTBOUND_ADDRESS_REFUSED, or the resolver's error.
 */
export async function resolveOutbound(host: string, base?: DnsLookup): Promise<string> {
  const bare = host.replace(/^\[(.*)\]$/, '$1')
  if (net.isIP(bare)) {
    refuseLiteral(bare)
    return bare
  }
  const lookup = guardedLookup(base)
  return new Promise((resolve, reject) => {
    lookup(host, { all: true }, (err, address) => {
      if (err) return reject(err)
      const first = Array.isArray(address) ? address[0]?.address : address
      if (!first) return reject(Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' }))
      resolve(first)
    })
  })
}
