/**
 * "Test well-known" as the admin sees it (the fragment the form's button shows), against real
 * peers: a good provider (oidc-provider), one that is down, one naming another issuer, one that
 * answers HTML, an https endpoint with a self-signed certificate (made with node-forge), one that
 * never answers; each with its own message. An issuer with a query or fragment, and Entra's
 * /common, are refused before any request, a metadata address at the connection; with
 * `tokens.proxy` the request goes through the proxy.
 */
import http from 'node:http'
import https from 'node:https'
import { generateKeyPairSync } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import forge from 'node-forge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startConnectProxy } from '../fixtures/connect-proxy.js'
import { startHostileOp, type HostileOp } from '../fixtures/hostile-op.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { ADMIN, startProfilesApp, type ProfilesApp } from '../profiles/helpers.js'

let app: ProfilesApp
let good: OidcProviderFixture
let hostile: HostileOp
let base: string
let csrf: string
const fetched: string[] = []
const closers: Array<() => Promise<unknown>> = []

/** A self-signed certificate for 127.0.0.1 that no CA vouches for. */
function selfSigned(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString())
  cert.serialNumber = '01'
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + 24 * 60 * 60_000)
  const subject = [{ name: 'commonName', value: '127.0.0.1' }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }])
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create())
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) }
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as AddressInfo).port
}

/** The fragment "Test well-known" shows for an issuer: its verdict's failure code and finding codes. */
async function check(issuer: string, target = app): Promise<{ failure: string; codes: string[]; html: string }> {
  const res = await target.agent
    .post(`${target.dock.config.paths.loginProviders}/test-well-known`)
    .set(ADMIN)
    .set('x-authdock-fragment', '1')
    .type('form')
    .send({ _csrf: csrf, issuer })
  expect(res.status).toBe(200)
  return {
    failure: /data-failure="([^"]*)"/.exec(res.text)?.[1] ?? '?',
    codes: [...res.text.matchAll(/data-code="([a-z_]+)"/g)].map((m) => m[1]),
    html: res.text,
  }
}

async function csrfOf(target: ProfilesApp): Promise<string> {
  const page = await target.agent.get(`${target.dock.config.paths.loginProviders}/new`).set(ADMIN)
  return /name="_csrf" value="([^"]+)"/.exec(page.text)![1]
}

beforeAll(async () => {
  good = await startOidcProvider({ clients: [] })
  hostile = await startHostileOp()
  app = await startProfilesApp({
    options: {
      tokens: { httpTimeoutMs: 1_000 },
      fetch: (url, init) => {
        fetched.push(String(url))
        return globalThis.fetch(url, init)
      },
    },
  })
  base = app.dock.config.paths.loginProviders
  csrf = await csrfOf(app)
})
afterAll(async () => {
  await app?.close()
  await good?.close()
  await hostile?.close()
  for (const close of closers.splice(0)) await close()
})

describe('Test well-known in the admin', () => {
  it('shows what discovery found at a good provider: issuer match, endpoints, PKCE S256, algorithms, RP-initiated logout', async () => {
    const { failure, codes, html } = await check(good.issuer)
    expect(failure).toBe('')
    expect(codes).toContain('usable')
    expect(html).toContain('The provider can be used for login.')
    expect(html).toContain('data-fact="issuer">matches the URL entered')
    expect(html).toContain('data-fact="pkce">yes')
    expect(html).toContain('data-fact="algorithms">RS256')
    expect(html).toContain('data-fact="logout">yes')
    expect(html).toContain(`<code>${good.issuer}/token</code>`)
  })

  it('says the provider could not be reached when nothing listens', async () => {
    const server = http.createServer()
    const port = await listen(server)
    await new Promise((resolve) => server.close(resolve))
    const { failure, html } = await check(`http://127.0.0.1:${port}`)
    expect(failure).toBe('unreachable')
    expect(html).toContain('The provider could not be reached (connection refused, unknown host or no route).')
  })

  it('says when the document names another issuer', async () => {
    hostile.fault = 'discovery-issuer-mismatch'
    try {
      const { failure, html } = await check(hostile.issuer)
      expect(failure).toBe('issuer_mismatch')
      expect(html).toContain(`The document names the issuer “${hostile.issuer}/evil”, not the one entered`)
      expect(html).toContain('data-fact="issuer">does not match the URL entered')
    } finally {
      hostile.fault = 'none'
    }
  })

  it('says when the answer is not JSON (a login page, say)', async () => {
    const port = await listen(
      http.createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Sign in</title>'),
      ),
    )
    const { failure, html } = await check(`http://127.0.0.1:${port}`)
    expect(failure).toBe('not_json')
    expect(html).toContain('The discovery document is not valid JSON (text/html). Is the issuer URL right?')
  })

  it('says when the answer is an HTTP error', async () => {
    const port = await listen(http.createServer((_req, res) => res.writeHead(404).end()))
    const { failure, html } = await check(`http://127.0.0.1:${port}/realms/nope`)
    expect(failure).toBe('http_status')
    expect(html).toContain('The discovery document answered with HTTP 404.')
  })

  it('says when the TLS certificate is not trusted (self-signed)', async () => {
    const server = https.createServer(selfSigned(), (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    )
    const port = await listen(server as unknown as http.Server)
    const { failure, html } = await check(`https://127.0.0.1:${port}`)
    expect(failure).toBe('tls')
    expect(html).toMatch(
      /The provider&#39;s TLS certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/,
    )
  })

  it('says when the provider does not answer in time', async () => {
    const port = await listen(http.createServer(() => undefined))
    const { failure, html } = await check(`http://127.0.0.1:${port}`)
    expect(failure).toBe('timeout')
    expect(html).toContain('The provider did not answer within 1 s.')
  })

  it('refuses an issuer with a query or a fragment, and Entra /common, before any request', async () => {
    const port = await listen(http.createServer((_req, res) => res.writeHead(500).end()))
    const before = fetched.length
    for (const issuer of [`http://127.0.0.1:${port}/realms/a?x=1`, `http://127.0.0.1:${port}/realms/a#frag`]) {
      const { failure, html } = await check(issuer)
      expect(failure).toBe('issuer_query')
      expect(html).toContain('The issuer must not contain a query (?) or a fragment (#); nothing was fetched.')
    }
    const entra = await check('https://login.microsoftonline.com/common/v2.0')
    expect(entra.failure).toBe('entra_multi_tenant')
    expect(entra.html).toContain('their metadata names the issuer &#39;{tenantid}&#39;')
    expect(fetched.length).toBe(before)
  })

  it('refuses a link-local or cloud metadata address, saying so on the page', async () => {
    const { failure, html } = await check('https://169.254.169.254/realms/x')
    expect(failure).toBe('address_refused')
    expect(html).toContain(
      'The issuer resolves to a link-local or cloud metadata address, which authdock never connects to; nothing was fetched.',
    )
  })

  it('shows each message in German too', async () => {
    await app.agent.get(`${base}/?lang=de`).set(ADMIN)
    try {
      const { html } = await check('https://login.microsoftonline.com/organizations/v2.0')
      expect(html).toContain('sind für die Anmeldung nicht nutzbar')
    } finally {
      await app.agent.get(`${base}/?lang=en`).set(ADMIN)
    }
  })

  it('goes through tokens.proxy, as a login would', async () => {
    const proxy = await startConnectProxy()
    closers.push(() => proxy.close())
    const behind = await startProfilesApp({ options: { tokens: { proxy: proxy.url } } })
    closers.push(() => behind.close())
    csrf = await csrfOf(behind)
    try {
      const { failure, html } = await check(good.issuer, behind)
      expect(failure).toBe('')
      expect(html).toContain('Fetched through the configured outbound proxy.')
      expect(proxy.tunnels).toEqual([new URL(good.issuer).host])
    } finally {
      csrf = await csrfOf(app)
    }
  })
})
