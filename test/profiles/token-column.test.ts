/**
 * The overview's token column, as the ticket system's manual describes it: a check mark when an
 * access token and/or a refresh token is stored, with what is there in words.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ADMIN, createViaApi, startProfilesApp, type ProfilesApp } from './helpers.js'

let app: ProfilesApp
let id: string

beforeAll(async () => {
  app = await startProfilesApp()
})
afterAll(async () => {
  await app?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
  id = await createViaApi(app)
})

async function tokenCell(lang = 'en'): Promise<string> {
  const res = await app.agent.get(`${app.admin}/`).set(ADMIN).set('accept-language', lang)
  const row = res.text.slice(res.text.indexOf(`data-profile-id="${id}"`))
  return row.slice(row.indexOf('class="token"'), row.indexOf('</td>', row.indexOf('class="token"')))
}

describe('the token column', () => {
  it('shows the check mark for a profile holding only a refresh token, and says so', async () => {
    await app.dock.store.tokens.save(id, { refreshToken: 'refresh-only-token-value' })
    const cell = await tokenCell()
    expect(cell).toContain('class="ok token-present"')
    expect(cell).toContain('Refresh token only')
    expect(cell).not.toContain('refresh-only-token-value')
    expect(await tokenCell('de')).toContain('Nur Refresh-Token')
  })

  it('names the access token with its expiry, and whether a refresh token is there', async () => {
    const expires = new Date(Date.UTC(2031, 0, 2, 3, 4))
    await app.dock.store.tokens.save(id, { accessToken: 'a', accessTokenExpiresAt: expires })
    expect(await tokenCell()).toContain('Access token until 2031-01-02 03:04 UTC, no refresh token')
    await app.dock.store.tokens.save(id, { refreshToken: 'r' })
    const both = await tokenCell()
    expect(both).toContain('class="ok token-present"')
    expect(both).toContain('Access token until 2031-01-02 03:04 UTC, refresh token')
  })

  it('shows no check mark without any token', async () => {
    const cell = await tokenCell()
    expect(cell).not.toContain('token-present')
    expect(cell).toContain('—')
  })
})
