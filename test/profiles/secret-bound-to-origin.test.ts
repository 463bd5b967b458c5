/**
 * The stored client secret belongs to the server it was entered for: moving the token URL or the
 * authorization URL to another origin (or changing the grant type) without entering the secret
 * again is refused with PROFILE_SECRET_REQUIRED on `clientSecret`, in the HTML admin and the JSON
 * API. A real token request to the new origin never carries the old secret: a second server on
 * port 0 records every body it receives.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ADMIN,
  SECRET,
  apiCsrf,
  createViaApi,
  formBody,
  htmlCsrf,
  shownFieldErrors,
  startProfilesApp,
  type ProfilesApp,
} from './helpers.js'

interface Recorder {
  origin: string
  bodies: string[]
  close(): Promise<void>
}

/** A token endpoint that records what it is sent and refuses every client. */
async function startRecorder(): Promise<Recorder> {
  const bodies: string[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      bodies.push(`${req.method} ${req.url}\n${req.headers.authorization ?? ''}\n${body}`)
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

let app: ProfilesApp
let other: Recorder
let csrf: string
beforeAll(async () => {
  ;[app, other] = await Promise.all([startProfilesApp(), startRecorder()])
})
afterAll(async () => {
  await app?.close()
  await other?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
  other.bodies.length = 0
  csrf = await apiCsrf(app)
})

const patch = (id: string, body: Record<string, unknown>) =>
  app.agent.patch(`${app.api}/${id}`).set(ADMIN).set('x-csrf-token', csrf).send(body)

/** Every way to make the stored secret travel: a token request and the admin's "test connection". */
async function tryTokenRequests(id: string): Promise<void> {
  await app.dock.tokens.getAccessToken(id).catch(() => undefined)
  const html = await htmlCsrf(app)
  await app.agent
    .post(`${app.admin}/${id}/test-connection`)
    .set(ADMIN)
    .type('form')
    .send({ _csrf: html, type: 'SMTP_OAuth2', host: '127.0.0.1', port: '9', user: 'box' })
}

describe('JSON API: the secret does not follow the token URL to another origin', () => {
  it('refuses a token URL on another origin without a new secret (PROFILE_SECRET_REQUIRED on clientSecret), changing nothing', async () => {
    const id = await createViaApi(app)
    const before = await app.dock.store.profiles.get(id)
    const res = await patch(id, { tokenUrl: `${other.origin}/token` })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({
      code: 'PROFILE_SECRET_REQUIRED',
      fields: { clientSecret: expect.stringMatching(/again/) },
    })
    expect(res.text).not.toContain(SECRET)
    expect(await app.dock.store.profiles.get(id)).toEqual(before)
    expect(await app.dock.store.profiles.getClientSecret(id)).toBe(SECRET)
  })

  it('refuses an authorization URL on another origin, and a changed grant type, the same way', async () => {
    const id = await createViaApi(app)
    const moved = await patch(id, { authorizationUrl: 'https://elsewhere.example.net/authorize' })
    expect(moved.body.error).toMatchObject({
      code: 'PROFILE_SECRET_REQUIRED',
      fields: { clientSecret: expect.any(String) },
    })
    const grant = await patch(id, { grantType: 'client_credentials' })
    expect(grant.status).toBe(400)
    expect(grant.body.error.code).toBe('PROFILE_SECRET_REQUIRED')
  })

  it('accepts the move with a new secret, or with the secret removed, and keeps it on a path change of the same origin', async () => {
    const id = await createViaApi(app)
    const samePath = await patch(id, { tokenUrl: 'https://login.example.com/v2/token' })
    expect(samePath.status).toBe(200)
    expect(await app.dock.store.profiles.getClientSecret(id)).toBe(SECRET)

    const withNew = await patch(id, { tokenUrl: 'https://new.example.com/token', clientSecret: 'the-new-one' })
    expect(withNew.status).toBe(200)
    expect(await app.dock.store.profiles.getClientSecret(id)).toBe('the-new-one')

    const removed = await patch(id, { tokenUrl: 'https://third.example.com/token', clientSecret: null })
    expect(removed.status).toBe(200)
    expect(removed.body.profile.hasClientSecret).toBe(false)
  })

  it('never sends the old secret to the new origin: refused first, then saved without it, the token request carries none', async () => {
    const id = await createViaApi(app, {
      grantType: 'client_credentials',
      authorizationUrl: undefined,
      tokenUrl: 'https://login.example.com/token',
    })
    expect((await patch(id, { tokenUrl: `${other.origin}/token` })).status).toBe(400)
    await tryTokenRequests(id)
    expect(other.bodies).toEqual([])

    expect((await patch(id, { tokenUrl: `${other.origin}/token`, clientSecret: null })).status).toBe(200)
    await tryTokenRequests(id)
    expect(other.bodies.length).toBeGreaterThan(0)
    for (const body of other.bodies) {
      expect(body).not.toContain('client_secret')
      expect(body).not.toContain(SECRET)
      expect(body).not.toContain(Buffer.from(`client-123:${SECRET}`).toString('base64'))
    }
  })
})

describe('HTML admin: the secret does not follow the token URL to another origin', () => {
  async function createViaForm(overrides: Record<string, string> = {}): Promise<string> {
    const token = await htmlCsrf(app)
    await app.agent
      .post(app.admin)
      .set(ADMIN)
      .type('form')
      .send({ ...formBody(overrides), _csrf: token })
    const [profile] = await app.dock.store.profiles.list()
    return profile.id
  }

  it('re-renders the form (400) with the error on the secret field, and says why under the field', async () => {
    const id = await createViaForm()
    const token = await htmlCsrf(app)
    const res = await app.agent
      .post(`${app.admin}/${id}`)
      .set(ADMIN)
      .type('form')
      .send({ ...formBody({ tokenUrl: `${other.origin}/token`, clientSecret: '' }), _csrf: token })
    expect(res.status).toBe(400)
    expect(shownFieldErrors(res.text).clientSecret).toMatch(/again/)
    expect(res.text).not.toContain(SECRET)
    expect((await app.dock.store.profiles.get(id))?.tokenUrl).toBe('https://login.example.com/oauth2/token')
    expect(await app.dock.store.profiles.getClientSecret(id)).toBe(SECRET)

    const edit = await app.agent.get(`${app.admin}/${id}/edit`).set(ADMIN)
    expect(edit.text).toMatch(/id="h-f-clientSecret">[^<]*never sent to another server/)
    const de = await app.agent.get(`${app.admin}/${id}/edit`).set(ADMIN).set('accept-language', 'de')
    expect(de.text).toMatch(/id="h-f-clientSecret">[^<]*an einen anderen Server/)
  })

  it('saves the move with the secret removed, and the token request to the new origin carries no secret', async () => {
    const id = await createViaForm({ grantType: 'client_credentials', authorizationUrl: '' })
    const token = await htmlCsrf(app)
    const refused = await app.agent
      .post(`${app.admin}/${id}`)
      .set(ADMIN)
      .type('form')
      .send({
        ...formBody({
          grantType: 'client_credentials',
          authorizationUrl: '',
          tokenUrl: `${other.origin}/token`,
          clientSecret: '',
        }),
        _csrf: token,
      })
    expect(refused.status).toBe(400)
    await tryTokenRequests(id)
    expect(other.bodies).toEqual([])

    const saved = await app.agent
      .post(`${app.admin}/${id}`)
      .set(ADMIN)
      .type('form')
      .send({
        ...formBody({
          grantType: 'client_credentials',
          authorizationUrl: '',
          tokenUrl: `${other.origin}/token`,
          clientSecret: '',
        }),
        removeClientSecret: 'on',
        _csrf: token,
      })
    expect(saved.status).toBe(303)
    await tryTokenRequests(id)
    expect(other.bodies.length).toBeGreaterThan(0)
    for (const body of other.bodies) expect(body).not.toMatch(/client_secret|S3cret/)
  })
})
