/**
 * The profiles tests' host: the shared test app (temporary SQLite store) whose admin guard admits
 * requests carrying `x-test-admin: yes`, so a test can show the refusal by leaving it out.
 */
import request from 'supertest'
import type { Response } from 'supertest'
import { startTestApp, type TestApp, type TestAppOptions } from '../fixtures/test-app.js'
import type { ClientMetadata } from 'oidc-provider'

export const ADMIN = { 'x-test-admin': 'yes' } as const
/** A recognisable client secret: no page, JSON answer or CSV may ever contain it. */
export const SECRET = 'S3cret-Never-Shown-7f3a9c'

/** The mailbox client registered at the test identity provider, redirecting to `app`'s callback. */
export function mailClientOf(app: { url: string }, secret = SECRET): ClientMetadata {
  return {
    client_id: 'mail-client',
    client_secret: secret,
    redirect_uris: [`${app.url}/oauth2redirect`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }
}
export const XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>'] as const

export type Agent = ReturnType<typeof request.agent>

export interface ProfilesApp extends TestApp {
  agent: Agent
  admin: string
  api: string
  /** What `admin.profileUsers` answers, per profile id. */
  profileUsers: Map<string, string[]>
}

export async function startProfilesApp(overrides: Omit<TestAppOptions, 'admin'> = {}): Promise<ProfilesApp> {
  const profileUsers = new Map<string, string[]>()
  const app = await startTestApp({
    ...overrides,
    admin: {
      guard: (req) => req.get('x-test-admin') === 'yes',
      profileUsers: ({ profileId }) => profileUsers.get(profileId) ?? [],
      actor: (req) => req.get('x-test-actor') ?? 'test-admin',
    },
  })
  return Object.assign(app, {
    agent: request.agent(app.app),
    admin: app.dock.config.paths.admin,
    api: app.dock.config.paths.adminApi,
    profileUsers,
  })
}

/** The session's CSRF token from a form page of the HTML admin. */
export async function htmlCsrf(app: ProfilesApp): Promise<string> {
  const res = await app.agent.get(`${app.admin}/new`).set(ADMIN)
  const match = /name="_csrf" value="([^"]+)"/.exec(res.text)
  if (!match) throw new Error(`no CSRF token on the form (status ${res.status})`)
  return match[1]
}

/** The session's CSRF token from the JSON API. */
export async function apiCsrf(app: ProfilesApp): Promise<string> {
  const res = await app.agent.get(`${app.api}/csrf`).set(ADMIN)
  if (res.status !== 200) throw new Error(`GET /csrf answered ${res.status}`)
  return res.body.csrfToken as string
}

/** A valid form body (strings, as a browser sends it). */
export function formBody(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    name: 'Support mailbox',
    grantType: 'authorization_code',
    authorizationUrl: 'https://login.example.com/oauth2/authorize',
    tokenUrl: 'https://login.example.com/oauth2/token',
    redirectUrl: '',
    clientId: 'client-123',
    clientSecret: SECRET,
    scope: 'offline_access mail.read',
    valid: 'on',
    secretExpiresAt: '',
    proxy: '',
    preset: '',
    tenantId: '',
    ...overrides,
  }
}

/** A valid JSON body. */
export function jsonBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Support mailbox',
    grantType: 'authorization_code',
    authorizationUrl: 'https://login.example.com/oauth2/authorize',
    tokenUrl: 'https://login.example.com/oauth2/token',
    clientId: 'client-123',
    clientSecret: SECRET,
    scope: 'offline_access mail.read',
    valid: true,
    ...overrides,
  }
}

/** Create a profile through the JSON API; returns its id. */
export async function createViaApi(app: ProfilesApp, overrides: Record<string, unknown> = {}): Promise<string> {
  const csrf = await apiCsrf(app)
  const res = await app.agent.post(app.api).set(ADMIN).set('x-csrf-token', csrf).send(jsonBody(overrides))
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`)
  return res.body.profile.id as string
}

/** The field errors shown on a re-rendered form: `{ field: message }`. */
export function shownFieldErrors(html: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of html.matchAll(/data-field="([A-Za-z]+)">([^<]*)</g)) out[m[1]] = m[2]
  return out
}

/** Every text an answer sent, for "the secret never appears" checks. */
export function everything(res: Response): string {
  return `${JSON.stringify(res.headers)}\n${res.text ?? ''}`
}
