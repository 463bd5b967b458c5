import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, formBody, htmlCsrf, shownFieldErrors, startProfilesApp, type ProfilesApp } from './helpers.js'

let app: ProfilesApp
beforeAll(async () => {
  app = await startProfilesApp()
})
afterAll(async () => app?.close())

describe('German pages show German errors', () => {
  it('a field error of the profile form (VALIDATION_FAILED) is German, the JSON of the same stays English', async () => {
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
})
