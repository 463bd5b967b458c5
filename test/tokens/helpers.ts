/**
 * Shared setup of the token tests: a real oidc-provider with a mail client, a store, a moved clock,
 * a DockContext, and the authorization code flow run by hand to get the first refresh token.
 */
import type { EventEmitter } from 'node:events'
import { createEventEmitter } from '../../src/events.js'
import * as client from 'openid-client'
import { resolveConfig } from '../../src/config.js'
import type { DockContext } from '../../src/context.js'
import type { Profile, ProfileInput, Store } from '../../src/store/types.js'
import { tokenSetToPatch } from '../../src/oauth/client.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { openTestStore } from './store.js'

export const MAIL_CLIENT = {
  client_id: 'mail-client',
  client_secret: 'mail-client-secret-0123456789',
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1:9/oauth2redirect'],
  token_endpoint_auth_method: 'client_secret_post',
  scope: 'openid offline_access mail',
} as const

/** A resource server (the mail servers) that may introspect tokens. */
export const MAIL_SERVER_CLIENT = {
  client_id: 'mail-server',
  client_secret: 'mail-server-secret-0123456789',
  grant_types: [],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
} as const

export const MAIL_SCOPE = 'openid offline_access mail'

export function startMailOp(
  options: { rotateRefreshToken?: boolean; accessTokenTtlSec?: number } = {},
): Promise<OidcProviderFixture> {
  return startOidcProvider({ clients: [{ ...MAIL_CLIENT }, { ...MAIL_SERVER_CLIENT }] as never, ...options })
}

export function introspectionOf(op: OidcProviderFixture) {
  return {
    url: `${op.issuer}/token/introspection`,
    clientId: MAIL_SERVER_CLIENT.client_id,
    clientSecret: MAIL_SERVER_CLIENT.client_secret,
  }
}

/** A clock that tests move by hand. */
export class Clock {
  constructor(public t = Date.now()) {}
  now = (): number => this.t
  advance(ms: number): void {
    this.t += ms
  }
}

export interface TokenTestContext {
  ctx: DockContext
  store: Store
  clock: Clock
  events: Array<{ name: string; payload: unknown }>
  close(): Promise<void>
}

type TokenOptions = Partial<ReturnType<typeof resolveConfig>['tokens']>

/** A DockContext over a fresh store; `fetch` may be replaced per test. */
export async function makeContext(
  options: { tokens?: TokenOptions; fetch?: typeof fetch; database?: string; clock?: Clock } = {},
): Promise<TokenTestContext> {
  const clock = options.clock ?? new Clock()
  const { store, database, encryptionKey, close } = await openTestStore(clock.now, options.database)
  const config = resolveConfig({
    baseUrl: 'http://127.0.0.1:3000',
    database,
    encryptionKey,
    session: { secret: 'test-session-secret-0123456789' },
    users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
    tokens: options.tokens,
    now: clock.now,
  })
  const emitter = createEventEmitter()
  const untyped: EventEmitter = emitter
  const events: TokenTestContext['events'] = []
  for (const name of ['token.refreshed', 'token.failed', 'profile.reauthorization_required']) {
    untyped.on(name, (payload: unknown) => events.push({ name, payload }))
  }
  const ctx: DockContext = {
    config,
    store,
    now: clock.now,
    fetch: options.fetch ?? globalThis.fetch,
    logger: config.logger,
    events: emitter,
    views: undefined as never,
  }
  return { ctx, store, clock, events, close }
}

/**
 * `count` authorization-code profiles at `tokenUrl`, each holding a refresh token authorized now
 * (for the keep-alive: move the clock past `keepAliveAfterMs` and they are due). Returns their ids.
 */
export async function seedAuthorizedMailboxes(
  t: Pick<TokenTestContext, 'store' | 'clock'>,
  count: number,
  tokenUrl: string,
): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const profile = await t.store.profiles.create({
      name: `Mailbox ${String(i).padStart(5, '0')}`,
      grantType: 'authorization_code',
      authorizationUrl: 'http://127.0.0.1:1/auth',
      tokenUrl,
      redirectUrl: 'http://127.0.0.1:3000/cb',
      clientId: 'keep-alive-client',
      clientSecret: 'keep-alive-secret',
      scope: 'offline_access mail',
      valid: true,
      secretExpiresAt: null,
      proxy: null,
      preset: null,
      tenantId: null,
    })
    await t.store.tokens.save(profile.id, {
      refreshToken: `initial-${i}`,
      status: 'ok',
      authorizedAt: new Date(t.clock.now()),
    })
    ids.push(profile.id)
  }
  return ids
}

export function profileInput(op: OidcProviderFixture, overrides: Partial<ProfileInput> = {}): ProfileInput {
  return {
    name: 'Support mailbox',
    grantType: 'authorization_code',
    authorizationUrl: `${op.issuer}/auth`,
    tokenUrl: `${op.issuer}/token`,
    redirectUrl: MAIL_CLIENT.redirect_uris[0],
    clientId: MAIL_CLIENT.client_id,
    clientSecret: MAIL_CLIENT.client_secret,
    scope: MAIL_SCOPE,
    valid: true,
    secretExpiresAt: null,
    proxy: null,
    preset: null,
    tenantId: null,
    ...overrides,
  }
}

/** The authorization code flow by hand (what "renew authorization" does): returns the token response. */
export async function authorize(op: OidcProviderFixture, account = 'alice'): Promise<client.TokenEndpointResponse> {
  const config = await client.discovery(
    new URL(op.issuer),
    MAIL_CLIENT.client_id,
    MAIL_CLIENT.client_secret,
    client.ClientSecretPost(MAIL_CLIENT.client_secret),
    {
      execute: [client.allowInsecureRequests],
    },
  )
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const redirectUri = MAIL_CLIENT.redirect_uris[0]
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: MAIL_SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    login_hint: account,
    prompt: 'consent',
  })
  const browser = new BrowserClient()
  let current = url.toString()
  for (let i = 0; i < 20 && !current.startsWith(redirectUri); i++) {
    const res = await browser.request(current)
    await res.arrayBuffer()
    const location = res.headers.get('location')
    if (!location) throw new Error(`authorization stopped at ${current} (${res.status})`)
    current = new URL(location, current).toString()
  }
  const tokens = await client.authorizationCodeGrant(config, new URL(current), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  })
  if (!tokens.refresh_token) throw new Error('the provider issued no refresh token')
  return tokens
}

/** Create a profile and store the tokens of a fresh authorization, as "renew authorization" would. */
export async function authorizedProfile(
  t: TokenTestContext,
  op: OidcProviderFixture,
  overrides: Partial<ProfileInput> = {},
  account = 'alice',
): Promise<{ profile: Profile; tokens: client.TokenEndpointResponse }> {
  const profile = await t.store.profiles.create(profileInput(op, overrides))
  const tokens = await authorize(op, account)
  await t.store.tokens.save(profile.id, {
    ...tokenSetToPatch(tokens, t.clock.now(), t.ctx.config.tokens.defaultExpiresInSec),
    authorizedAt: new Date(t.clock.now()),
    authorizedAccount: account,
  })
  return { profile, tokens }
}
