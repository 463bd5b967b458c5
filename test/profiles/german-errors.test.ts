import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import {
  ADMIN,
  SECRET,
  createViaApi,
  formBody,
  htmlCsrf,
  shownFieldErrors,
  startProfilesApp,
  type ProfilesApp,
  mailClientOf,
} from './helpers.js'

let app: ProfilesApp
let op: OidcProviderFixture
/** A token endpoint that always fails as a provider in trouble does (HTTP 502, an HTML body). */
let broken: Server
beforeAll(async () => {
  app = await startProfilesApp()
  op = await startOidcProvider({
    clients: [mailClientOf(app)],
  })
  broken = createServer((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<p>Bad gateway</p>'))
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  await app?.close()
  await op?.close()
  broken?.close()
})

describe('German pages show German errors', () => {
  it('a field error of the profile form (VALIDATION_FAILED) is German on the page, English in the JSON API', async () => {
    const csrf = await htmlCsrf(app)
    const res = await app.agent
      .post(`${app.admin}/`)
      .set(ADMIN)
      .set('Accept-Language', 'de')
      .type('form')
      .send({ ...formBody({ name: '', tokenUrl: 'http://evil.example.com/token', scope: 'a\tb' }), _csrf: csrf })
    expect(res.status).toBe(400)
    const shown = shownFieldErrors(res.text)
    expect(shown.name).toBe('ist erforderlich')
    expect(shown.tokenUrl).toBe('muss eine https-URL sein (http nur für Loopback-Hosts)')
    expect(res.text).not.toContain('is required')
    expect(res.text).not.toContain('must be')
    const api = await app.agent
      .post(`${app.api}/`)
      .set(ADMIN)
      .set('Accept-Language', 'de')
      .set('x-csrf-token', (await app.agent.get(`${app.api}/csrf`).set(ADMIN)).body.csrfToken)
      .send({ ...formBody({ name: '' }) })
    expect(api.status).toBe(400)
    expect(api.body.error.fields.name).toBe('is required')
  })

  it('an error page (PROFILE_NOT_FOUND) shows the German text of its code, not the English message', async () => {
    const res = await app.agent
      .get(`${app.admin}/p_000000000000000000000000/edit`)
      .set(ADMIN)
      .set('Accept-Language', 'de')
    expect(res.status).toBe(404)
    expect(res.text).toContain('Dieses OAuth2-Profil gibt es nicht.')
    expect(res.text).toContain('PROFILE_NOT_FOUND')
    expect(res.text).not.toMatch(/No (OAuth2 )?profile/i)
  })

  it('a provider error (renewal refused at the provider: access_denied) shows German advice, no English', async () => {
    const id = await createViaApi(app, {
      name: 'Refused mailbox',
      authorizationUrl: `${op.issuer}/auth`,
      tokenUrl: `${op.issuer}/token`,
      clientId: 'mail-client',
      clientSecret: SECRET,
      scope: 'openid email offline_access',
    })
    op.nextInteraction = 'deny'
    const browser = new BrowserClient()
    const lang = { ...ADMIN, 'accept-language': 'de' }
    const overview = await (await browser.request(`${app.url}${app.admin}/`, { headers: lang })).text()
    const csrf = /name="_csrf" value="([^"]+)"/.exec(overview)![1]
    const { res, body } = await browser.navigate(`${app.url}${app.admin}/${id}/authorize`, {
      method: 'POST',
      form: { _csrf: csrf },
      headers: lang,
    })
    expect(res.status).toBe(400)
    expect(body).toContain('<code id="error-code">AUTHORIZATION_FAILED</code>')
    expect(body).toContain('<code id="provider-code">access_denied</code>')
    expect(body).toContain('<html lang="de">')
    expect(body).toMatch(/abgebrochen|verweigert/)
    expect(body).not.toContain('cancelled or the requested permissions were refused')
    expect(body).not.toContain('Renew authorization')
  })

  it('a token error (refresh failed at the provider) shows its German hint and state on the overview, no English', async () => {
    const { port } = broken.address() as { port: number }
    const id = await createViaApi(app, {
      name: 'Broken provider',
      grantType: 'client_credentials',
      authorizationUrl: undefined,
      clientSecret: undefined,
      tokenUrl: `http://127.0.0.1:${port}/token`,
    })
    await expect(app.dock.tokens.getAccessToken(id)).rejects.toMatchObject({ code: 'TOKEN_REFRESH_FAILED' })
    const english = (await app.dock.store.tokens.get(id))?.lastErrorMessage ?? ''
    expect(english).toContain('internal error')
    const res = await app.agent.get(`${app.admin}/?q=Broken`).set(ADMIN).set('Accept-Language', 'de')
    expect(res.status).toBe(200)
    expect(res.text).toContain('Broken provider')
    expect(res.text).toContain('Fehler')
    expect(res.text).toMatch(/interne[nr]? Fehler/)
    expect(res.text).not.toContain('internal error')
    expect(res.text).not.toContain('retried automatically')
  })
})
