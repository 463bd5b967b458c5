/**
 * Requests an administrator can aim: "Test well-known", preset discovery, token URLs, proxies and
 * "Test connection". An issuer with a query or fragment is refused before any request; link-local
 * and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, IPv4-mapped forms) are
 * refused with OUTBOUND_ADDRESS_REFUSED where the connection would be made, after DNS resolution
 * (names resolve through an injected lookup here); loopback and private ranges stay allowed.
 * Preset discovery is a POST with the CSRF token, so a cross-site link cannot trigger it.
 */
import dns from 'node:dns'
import http from 'node:http'
import type { LookupFunction } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { isRefusedAddress } from '../../src/http/outbound-address.js'
import {
  ADMIN,
  apiCsrf,
  createViaApi,
  htmlCsrf,
  shownFieldErrors,
  startProfilesApp,
  type ProfilesApp,
} from './helpers.js'

/** Names the test resolves itself; every other name goes to the system resolver. */
const NAMES: Record<string, [string, 4 | 6]> = {
  'metadata.test': ['169.254.169.254', 4],
  'mapped.test': ['::ffff:169.254.169.254', 6],
  'ec2v6.test': ['fd00:ec2::254', 6],
}
const resolved: string[] = []
const lookup: LookupFunction = (hostname, options, callback) => {
  const fixed = NAMES[hostname]
  if (!fixed) return dns.lookup(hostname, options, callback)
  resolved.push(hostname)
  const [address, family] = fixed
  if (options.all) callback(null, [{ address, family }])
  else callback(null, address, family)
}

/** An issuer on loopback that serves a discovery document and counts every request. */
interface CountingIssuer {
  issuer: string
  requests: string[]
  close(): Promise<void>
}
async function startCountingIssuer(): Promise<CountingIssuer> {
  const requests: string[] = []
  let issuer = ''
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '')
    if (req.url !== '/.well-known/openid-configuration') return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      }),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { issuer, requests, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

let app: ProfilesApp
let idp: CountingIssuer
let csrf: string
beforeAll(async () => {
  ;[app, idp] = await Promise.all([startProfilesApp({ options: { lookup } }), startCountingIssuer()])
})
afterAll(async () => {
  await app?.close()
  await idp?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
  idp.requests.length = 0
  resolved.length = 0
  csrf = await apiCsrf(app)
})

const wellKnown = (issuer: string) => app.agent.get(`${app.api}/well-known`).query({ issuer }).set(ADMIN)

describe('which addresses are refused', () => {
  it('refuses link-local, metadata and IPv4-mapped addresses; allows loopback and private ranges', () => {
    for (const a of [
      '169.254.169.254',
      '169.254.0.1',
      '[fe80::1]',
      'fe80::1%eth0',
      'febf::1',
      'fd00:ec2::254',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
    ])
      expect(isRefusedAddress(a), a).toBe(true)
    for (const a of [
      '127.0.0.1',
      '::1',
      '10.0.0.5',
      '192.168.1.10',
      '172.16.0.1',
      '172.31.255.255',
      'fd00::1',
      '8.8.8.8',
      'idp.example.com',
    ])
      expect(isRefusedAddress(a), a).toBe(false)
  })
})

describe('"Test well-known" (admin API)', () => {
  it('refuses an issuer with a query or a fragment (VALIDATION_FAILED on issuer) before any request', async () => {
    for (const issuer of [`${idp.issuer}?x=1`, `${idp.issuer}/realms/a?`, `${idp.issuer}#f`]) {
      const res = await wellKnown(issuer)
      expect(res.status, issuer).toBe(400)
      expect(res.body.error, issuer).toMatchObject({
        code: 'VALIDATION_FAILED',
        fields: { issuer: expect.stringMatching(/query|fragment/) },
      })
    }
    expect(idp.requests).toEqual([])
    // The same issuer without them is fetched: the counter counts.
    const ok = await wellKnown(idp.issuer)
    expect(ok.status).toBe(200)
    expect(ok.body.reachable).toBe(true)
    expect(idp.requests).toEqual(['/.well-known/openid-configuration'])
  })

  it('refuses link-local and metadata addresses, literal or by name, with OUTBOUND_ADDRESS_REFUSED on issuer', async () => {
    for (const issuer of [
      'https://169.254.169.254',
      'https://[fe80::1]',
      'https://[::ffff:169.254.169.254]',
      'https://metadata.test',
      'https://mapped.test/realms/x',
      'https://ec2v6.test',
    ]) {
      const res = await wellKnown(issuer)
      expect(res.status, issuer).toBe(400)
      expect(res.body.error, issuer).toMatchObject({
        code: 'OUTBOUND_ADDRESS_REFUSED',
        fields: { issuer: expect.stringMatching(/link-local/) },
      })
    }
    expect(resolved).toEqual(['metadata.test', 'mapped.test', 'ec2v6.test'])
  })
})

describe('preset discovery is a POST with the CSRF token', () => {
  it('JSON API: GET is no route (404), POST without the token is 403 CSRF_INVALID, neither makes a request', async () => {
    const get = await app.agent.get(`${app.api}/presets/keycloak`).query({ issuer: idp.issuer }).set(ADMIN)
    expect(get.status).toBe(404)
    const noToken = await app.agent.post(`${app.api}/presets/keycloak`).set(ADMIN).send({ issuer: idp.issuer })
    expect(noToken.status).toBe(403)
    expect(noToken.body.error.code).toBe('CSRF_INVALID')
    expect(idp.requests).toEqual([])
    const ok = await app.agent
      .post(`${app.api}/presets/keycloak`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send({ issuer: idp.issuer })
    expect(ok.status).toBe(200)
    expect(ok.body.values).toMatchObject({ preset: 'keycloak', tokenUrl: `${idp.issuer}/token` })
  })

  it('JSON API: refuses an issuer with a query, and one on a metadata address, naming the field', async () => {
    const query = await app.agent
      .post(`${app.api}/presets/gitlab`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send({ issuer: `${idp.issuer}?x=1` })
    expect(query.status).toBe(400)
    expect(query.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { issuer: expect.stringMatching(/query/) },
    })
    expect(idp.requests).toEqual([])
    const metadata = await app.agent
      .post(`${app.api}/presets/gitlab`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send({ issuer: 'https://metadata.test' })
    expect(metadata.body.error).toMatchObject({
      code: 'OUTBOUND_ADDRESS_REFUSED',
      fields: { issuer: expect.any(String) },
    })
  })

  it('HTML admin: a GET (a cross-site link) applies no preset and fetches nothing; the form posts with the token', async () => {
    const link = await app.agent.get(`${app.admin}/new`).query({ preset: 'keycloak', issuer: idp.issuer }).set(ADMIN)
    expect(link.status).toBe(200)
    expect(link.text).not.toContain(`${idp.issuer}/token`)
    expect(
      (await app.agent.get(`${app.admin}/new/preset`).query({ preset: 'keycloak', issuer: idp.issuer }).set(ADMIN))
        .status,
    ).toBe(404)
    const noToken = await app.agent
      .post(`${app.admin}/new/preset`)
      .set(ADMIN)
      .type('form')
      .send({ preset: 'keycloak', issuer: idp.issuer })
    expect(noToken.status).toBe(403)
    expect(noToken.text).toContain('CSRF_INVALID')
    expect(idp.requests).toEqual([])

    expect(link.text).toMatch(
      /<form method="post" action="[^"]*\/new\/preset" id="preset-form">\s*<input type="hidden" name="_csrf"/,
    )
    const token = await htmlCsrf(app)
    const ok = await app.agent
      .post(`${app.admin}/new/preset`)
      .set(ADMIN)
      .type('form')
      .send({ _csrf: token, preset: 'keycloak', issuer: idp.issuer })
    expect(ok.status).toBe(200)
    expect(ok.text).toContain(`value="${idp.issuer}/token"`)
    const refused = await app.agent
      .post(`${app.admin}/new/preset`)
      .set(ADMIN)
      .type('form')
      .send({ _csrf: token, preset: 'gitlab', issuer: 'https://169.254.169.254' })
    expect(refused.status).toBe(400)
    expect(shownFieldErrors(refused.text).issuer).toMatch(/link-local/)
  })
})

describe('token requests and proxies', () => {
  const clientCredentials = (overrides: Record<string, unknown>) =>
    createViaApi(app, {
      grantType: 'client_credentials',
      authorizationUrl: undefined,
      clientSecret: undefined,
      ...overrides,
    })

  it('refuses a token URL on a metadata address, literal or by name, and stores the reason', async () => {
    for (const tokenUrl of [
      'https://169.254.169.254/token',
      'https://[fe80::1]/token',
      'https://metadata.test/token',
    ]) {
      const id = await clientCredentials({ name: tokenUrl, tokenUrl })
      await expect(app.dock.tokens.getAccessToken(id), tokenUrl).rejects.toMatchObject({
        code: 'OUTBOUND_ADDRESS_REFUSED',
      })
      expect((await app.dock.store.tokens.get(id))?.lastErrorCode, tokenUrl).toBe('OUTBOUND_ADDRESS_REFUSED')
    }
    expect(resolved).toEqual(['metadata.test'])
  })

  it('refuses a profile proxy on a metadata address, literal or by name', async () => {
    for (const proxy of ['http://169.254.169.254:3128', 'http://metadata.test:3128']) {
      const id = await clientCredentials({ name: proxy, tokenUrl: `${idp.issuer}/token`, proxy })
      await expect(app.dock.tokens.getAccessToken(id), proxy).rejects.toMatchObject({
        code: 'OUTBOUND_ADDRESS_REFUSED',
      })
    }
    expect(idp.requests).toEqual([])
  })

  it('still reaches a token URL on loopback', async () => {
    const id = await clientCredentials({ tokenUrl: `${idp.issuer}/token` })
    await expect(app.dock.tokens.getAccessToken(id)).rejects.toMatchObject({
      code: expect.not.stringMatching(/OUTBOUND/),
    })
    expect(idp.requests).toEqual(['/token'])
  })
})

describe('"Test connection"', () => {
  it('refuses a metadata host, literal or by name (OUTBOUND_ADDRESS_REFUSED on host), before fetching a token', async () => {
    const id = await createViaApi(app)
    for (const host of ['169.254.169.254', '[fe80::1]', '::ffff:169.254.169.254', 'metadata.test']) {
      const res = await app.agent
        .post(`${app.api}/${id}/test-connection`)
        .set(ADMIN)
        .set('x-csrf-token', csrf)
        .send({ type: 'IMAPS_OAuth2', host, user: 'box@example.com' })
      expect(res.status, host).toBe(400)
      expect(res.body.error, host).toMatchObject({
        code: 'OUTBOUND_ADDRESS_REFUSED',
        fields: { host: expect.stringMatching(/link-local/) },
      })
    }
    const token = await htmlCsrf(app)
    const page = await app.agent
      .post(`${app.admin}/${id}/test-connection`)
      .set(ADMIN)
      .type('form')
      .send({ _csrf: token, type: 'SMTPS_OAuth2', host: '169.254.169.254', user: 'box' })
    expect(page.status).toBe(400)
    expect(page.text).toContain('link-local')
    expect(await app.dock.store.tokens.get(id)).toBeNull()
  })
})
