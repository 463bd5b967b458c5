/**
 * What the host's logger learns when something fails: the code and the message that says what
 * went wrong (and the underlying failure), never a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Logger } from '../../src/index.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'

const CLIENT = { clientId: 'logging-app', clientSecret: 'logging-app-secret-DO-NOT-LOG-1234' }
const PROFILE_SECRET = 'profile-secret-DO-NOT-LOG-5678'

const lines: Array<{ level: string; obj: unknown; msg?: string }> = []
const line = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg })
const logger: Logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }
const logged = (msg: string) => lines.filter((l) => l.msg === msg).map((l) => JSON.stringify(l.obj))

let op: OidcProviderFixture
let app: TestApp
let lookupFails = false

beforeAll(async () => {
  app = await startTestApp({
    oidc: async (baseUrl) => {
      op = await startOidcProvider({
        clients: [
          {
            client_id: CLIENT.clientId,
            client_secret: CLIENT.clientSecret,
            redirect_uris: [`${baseUrl}/auth/callback`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
        ],
      })
      return { issuer: op.issuer, ...CLIENT }
    },
    options: {
      logger,
      users: {
        findByClaim: () => {
          if (lookupFails) throw new Error('the users table is locked by a migration')
          return null
        },
        findByUsername: () => null,
        findById: () => null,
      },
    },
  })
})
afterAll(async () => {
  await app?.close()
  await op?.close()
})

describe('the host logger', () => {
  it("hears why a login failed when a users callback throws: the message and the callback's own error", async () => {
    lookupFails = true
    const { body } = await new BrowserClient().navigate(`${app.url}/auth/login`)
    lookupFails = false
    expect(body).toContain('LOGIN_HOST_CALLBACK_FAILED')
    // The page never shows the host's error.
    expect(body).not.toContain('locked by a migration')
    const [entry] = logged('authdock login failed')
    expect(entry).toContain('LOGIN_HOST_CALLBACK_FAILED')
    expect(entry).toContain('users.findByClaim failed')
    expect(entry).toContain('the users table is locked by a migration')
  })

  it('hears why a token request failed: the hint and the refused connection under it', async () => {
    const profile = await app.dock.store.profiles.create({
      ...{
        name: 'Unreachable',
        grantType: 'client_credentials',
        authorizationUrl: null,
        redirectUrl: null,
        scope: '',
        valid: true,
      },
      ...{
        tokenUrl: 'http://127.0.0.1:9/token',
        clientId: 'c',
        clientSecret: PROFILE_SECRET,
        secretExpiresAt: null,
        proxy: null,
        preset: null,
        tenantId: null,
      },
    })
    await expect(app.dock.tokens.getAccessToken(profile.id)).rejects.toMatchObject({
      code: 'TOKEN_PROVIDER_UNREACHABLE',
    })
    const [entry] = logged('authdock: token request failed')
    expect(entry).toContain('TOKEN_PROVIDER_UNREACHABLE')
    expect(entry).toMatch(/could not be reached|ECONNREFUSED|fetch failed/i)
    expect(entry).toContain('"message"')
  })

  it('never receives a secret', () => {
    const all = JSON.stringify(lines)
    expect(all).not.toContain(CLIENT.clientSecret)
    expect(all).not.toContain(PROFILE_SECRET)
  })
})
