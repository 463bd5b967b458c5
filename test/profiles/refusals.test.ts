import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import {
  ADMIN,
  apiCsrf,
  createViaApi,
  formBody,
  htmlCsrf,
  jsonBody,
  startProfilesApp,
  type ProfilesApp,
} from './helpers.js'

let app: ProfilesApp
let id: string
beforeAll(async () => {
  app = await startProfilesApp()
  id = await createViaApi(app, { name: 'Existing' })
})
afterAll(async () => {
  await app?.close()
})

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
const htmlRoutes = (): Array<[Method, string]> => [
  ['get', '/'],
  ['get', '/new'],
  ['post', '/'],
  ['get', '/export.csv'],
  ['get', `/${id}/edit`],
  ['post', `/${id}`],
  ['get', `/${id}/delete`],
  ['post', `/${id}/delete`],
  ['post', `/${id}/authorize`],
]
const apiRoutes = (): Array<[Method, string]> => [
  ['get', '/'],
  ['get', '/csrf'],
  ['get', '/presets'],
  ['get', '/export.csv'],
  ['get', `/${id}`],
  ['post', '/'],
  ['put', `/${id}`],
  ['patch', `/${id}`],
  ['delete', `/${id}`],
  ['post', `/${id}/authorize`],
]

async function unchanged(): Promise<void> {
  const profiles = await app.dock.store.profiles.list()
  expect(profiles.map((p) => p.name)).toEqual(['Existing'])
  expect(await app.dock.store.audit.list({ kind: 'profile.updated' })).toHaveLength(0)
  expect(await app.dock.store.audit.list({ kind: 'profile.deleted' })).toHaveLength(0)
}

describe('deny by default: requests the guard does not admit get 403 FORBIDDEN', () => {
  it('refuses every HTML admin route with a 403 page and changes nothing', async () => {
    for (const [method, path] of htmlRoutes()) {
      const agent = request(app.app)
      const res = await agent[method](`${app.admin}${path}`)
        .type('form')
        .send(formBody({ name: 'Intruder' }))
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(res.text, `${method} ${path}`).toContain('FORBIDDEN')
    }
    await unchanged()
  })

  it('refuses every JSON API route with 403 { error: { code: FORBIDDEN } } and changes nothing', async () => {
    for (const [method, path] of apiRoutes()) {
      const agent = request(app.app)
      const res = await agent[method](`${app.api}${path}`).send(jsonBody({ name: 'Intruder' }))
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(res.body.error.code, `${method} ${path}`).toBe('FORBIDDEN')
    }
    await unchanged()
  })

  it('refuses the renew-authorization redirect too', async () => {
    const res = await request(app.app).get(`${app.dock.config.paths.oauth2Redirect}?code=x&state=y`)
    expect(res.status).toBe(403)
    expect(res.text).toContain('FORBIDDEN')
  })

  it('refuses a guard answering anything but true (a truthy string is not an admission)', async () => {
    const res = await request(app.app).get(`${app.api}/`).set('x-test-admin', 'YES')
    expect(res.status).toBe(403)
  })

  describe('a host that configured no guard', () => {
    let bare: TestApp
    beforeAll(async () => {
      bare = await startTestApp({ admin: {} })
    })
    afterAll(async () => {
      await bare?.close()
    })
    it('refuses everyone, even a request that would pass a typical guard', async () => {
      const html = await request(bare.app).get(bare.dock.config.paths.admin).set(ADMIN)
      expect(html.status).toBe(403)
      const json = await request(bare.app).get(bare.dock.config.paths.adminApi).set(ADMIN)
      expect(json.status).toBe(403)
      expect(json.body.error.code).toBe('FORBIDDEN')
    })
  })
})

describe('CSRF: state-changing requests without the session token get 403 CSRF_INVALID', () => {
  it("refuses HTML posts without a token, with a wrong token and with another session's token", async () => {
    const other = request.agent(app.app)
    const foreign = /name="_csrf" value="([^"]+)"/.exec((await other.get(`${app.admin}/new`).set(ADMIN)).text)![1]
    await htmlCsrf(app) // the admin's own session has a token, it just is not sent
    for (const token of [undefined, 'wrong-token', foreign]) {
      for (const [method, path] of htmlRoutes().filter(([m]) => m === 'post')) {
        const body = { ...formBody({ name: 'Changed' }), ...(token ? { _csrf: token } : {}) }
        const res = await app.agent[method](`${app.admin}${path}`).set(ADMIN).type('form').send(body)
        expect(res.status, `${method} ${path} token=${token}`).toBe(403)
        expect(res.text).toContain('CSRF_INVALID')
      }
    }
    await unchanged()
  })

  it('refuses JSON writes without x-csrf-token or with a wrong one', async () => {
    await apiCsrf(app)
    for (const header of [undefined, 'wrong-token']) {
      for (const [method, path] of apiRoutes().filter(([m]) => m !== 'get')) {
        let req = app.agent[method](`${app.api}${path}`).set(ADMIN)
        if (header) req = req.set('x-csrf-token', header)
        const res = await req.send(jsonBody({ name: 'Changed' }))
        expect(res.status, `${method} ${path}`).toBe(403)
        expect(res.body.error.code).toBe('CSRF_INVALID')
      }
    }
    await unchanged()
    expect(await app.dock.store.tokens.get(id)).toBeNull()
  })

  it('does not accept the CSRF token in the query string', async () => {
    const csrf = await apiCsrf(app)
    const res = await app.agent.delete(`${app.api}/${id}?_csrf=${csrf}`).set(ADMIN)
    expect(res.status).toBe(403)
    await unchanged()
  })
})

describe('oversized requests', () => {
  it('answers a form over 64 kB with 413 REQUEST_TOO_LARGE and stores nothing', async () => {
    const csrf = await htmlCsrf(app)
    const res = await app.agent
      .post(app.admin)
      .set(ADMIN)
      .type('form')
      .send({ ...formBody({ name: 'Big', scope: 'x'.repeat(70_000) }), _csrf: csrf })
    expect(res.status).toBe(413)
    expect(res.text).toContain('REQUEST_TOO_LARGE')
    await unchanged()
  })

  it('answers a form with too many fields with 413', async () => {
    const csrf = await htmlCsrf(app)
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, 'x']))
    const res = await app.agent
      .post(app.admin)
      .set(ADMIN)
      .type('form')
      .send({ ...formBody({ name: 'Many' }), ...many, _csrf: csrf })
    expect(res.status).toBe(413)
    await unchanged()
  })
})
