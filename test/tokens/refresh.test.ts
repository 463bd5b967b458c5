/**
 * The token provider against a real oidc-provider: served from memory while valid, refreshed a
 * margin before expiry, once for a burst of callers, keeping or replacing the refresh token as the
 * provider says, and app-only tokens for client credentials profiles.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as client from 'openid-client'
import { createTokenProvider } from '../../src/tokens/index.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import {
  authorizedProfile,
  makeContext,
  MAIL_CLIENT,
  profileInput,
  startMailOp,
  type TokenTestContext,
} from './helpers.js'

/** A fetch that edits the JSON of token responses, as a provider with other habits would send it. */
function editingFetch(edit: (body: Record<string, unknown>) => void): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init)
    if (!String(input).endsWith('/token') || !res.ok) return res
    const body = (await res.json()) as Record<string, unknown>
    edit(body)
    return new Response(JSON.stringify(body), { status: res.status, headers: { 'content-type': 'application/json' } })
  }
}

describe('token provider: refresh', () => {
  let op: OidcProviderFixture
  let t: TokenTestContext

  beforeAll(async () => {
    op = await startMailOp({ accessTokenTtlSec: 3600 })
  })
  afterAll(async () => {
    await op.close()
  })
  afterEach(async () => {
    await t?.close()
  })

  it('serves the stored token from memory until the refresh margin, then refreshes once', async () => {
    t = await makeContext({ tokens: { refreshMarginMs: 120_000 } })
    const { profile, tokens } = await authorizedProfile(t, op)
    op.resetCounters()
    const provider = createTokenProvider(t.ctx)

    expect(await provider.getAccessToken(profile.id)).toBe(tokens.access_token)
    t.clock.advance(3600_000 - 120_000 - 1000) // 1 s before the margin
    expect(await provider.getAccessToken(profile.id)).toBe(tokens.access_token)
    expect(op.requests['/token'] ?? 0).toBe(0)

    t.clock.advance(2000) // 1 s inside the margin
    const refreshed = await provider.getAccessToken(profile.id)
    expect(refreshed).not.toBe(tokens.access_token)
    expect(op.grants.refresh_token).toBe(1)
    expect(await provider.getAccessToken(profile.id)).toBe(refreshed)
    expect(op.grants.refresh_token).toBe(1)
    expect(t.events).toContainEqual({ name: 'token.refreshed', payload: { profileId: profile.id } })

    const stored = await t.store.tokens.get(profile.id)
    expect(stored?.accessToken).toBe(refreshed)
    expect(stored?.accessTokenExpiresAt?.getTime()).toBe(t.clock.now() + 3600_000)
    expect(stored?.refreshTokenUsedAt?.getTime()).toBe(t.clock.now())
  })

  it('finds a profile by its name as well as by its id, and refuses an unknown one with PROFILE_NOT_FOUND', async () => {
    t = await makeContext()
    const { profile, tokens } = await authorizedProfile(t, op)
    const provider = createTokenProvider(t.ctx)
    expect(await provider.getAccessToken(profile.name)).toBe(tokens.access_token)
    await expect(provider.getAccessToken('no such profile')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' })
  })

  it('gives a token without expires_in the configured default lifetime', async () => {
    t = await makeContext({ tokens: { defaultExpiresInSec: 300 }, fetch: editingFetch((b) => delete b.expires_in) })
    const { profile } = await authorizedProfile(t, op)
    const provider = createTokenProvider(t.ctx)
    await provider.getAccessToken(profile.id, { forceRefresh: true })
    const stored = await t.store.tokens.get(profile.id)
    expect(stored?.accessTokenExpiresAt?.getTime()).toBe(t.clock.now() + 300_000)
  })

  it('keeps the stored refresh token when the response brings no new one', async () => {
    t = await makeContext({ fetch: editingFetch((b) => delete b.refresh_token) })
    const { profile, tokens } = await authorizedProfile(t, op)
    const provider = createTokenProvider(t.ctx)
    await provider.getAccessToken(profile.id, { forceRefresh: true })
    expect((await t.store.tokens.get(profile.id))?.refreshToken).toBe(tokens.refresh_token)
    // and it still works
    await provider.getAccessToken(profile.id, { forceRefresh: true })
    expect(op.grants.refresh_token).toBeGreaterThanOrEqual(2)
  })

  it('invalidate() drops the cached token so a newly stored one (after renew authorization) is used', async () => {
    t = await makeContext()
    const { profile, tokens } = await authorizedProfile(t, op)
    const provider = createTokenProvider(t.ctx)
    expect(await provider.getAccessToken(profile.id)).toBe(tokens.access_token)
    const renewed = await authorizedProfile(t, op, { name: 'Second' })
    const fresh = (await t.store.tokens.get(renewed.profile.id))!
    await t.store.tokens.save(profile.id, {
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken,
      accessTokenExpiresAt: fresh.accessTokenExpiresAt,
    })
    expect(await provider.getAccessToken(profile.id)).toBe(tokens.access_token) // still cached
    provider.invalidate(profile.id)
    expect(await provider.getAccessToken(profile.id)).toBe(fresh.accessToken)
  })

  it('forceRefresh gets a new token although the cached one is valid', async () => {
    t = await makeContext()
    const { profile, tokens } = await authorizedProfile(t, op)
    const provider = createTokenProvider(t.ctx)
    const forced = await provider.getAccessToken(profile.id, { forceRefresh: true })
    expect(forced).not.toBe(tokens.access_token)
  })

  it('refreshes exactly once for 200 concurrent callers on an expired token', async () => {
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op)
    t.clock.advance(2 * 3600_000)
    op.resetCounters()
    const provider = createTokenProvider(t.ctx)
    const results = await Promise.all(Array.from({ length: 200 }, () => provider.getAccessToken(profile.id)))
    expect(op.grants.refresh_token).toBe(1)
    expect(new Set(results).size).toBe(1)
  })

  it('gets app-only tokens for a client credentials profile, without a refresh token', async () => {
    t = await makeContext()
    const profile = await t.store.profiles.create(
      profileInput(op, {
        name: 'App only',
        grantType: 'client_credentials',
        authorizationUrl: null,
        redirectUrl: null,
        scope: 'mail',
      }),
    )
    op.resetCounters()
    const provider = createTokenProvider(t.ctx)
    const token = await provider.getAccessToken(profile.id)
    expect(await provider.getAccessToken(profile.id)).toBe(token)
    expect(op.grants.client_credentials).toBe(1)
    const stored = await t.store.tokens.get(profile.id)
    expect(stored?.refreshToken).toBeNull()
    expect(stored?.status).toBe('ok')
  })

  it('refuses an authorization code profile that was never authorized with TOKEN_NOT_AUTHORIZED', async () => {
    t = await makeContext()
    const profile = await t.store.profiles.create(profileInput(op, { name: 'Never authorized' }))
    await expect(createTokenProvider(t.ctx).getAccessToken(profile.id)).rejects.toMatchObject({
      code: 'TOKEN_NOT_AUTHORIZED',
    })
  })

  it('refuses a profile marked not valid with TOKEN_PROFILE_INVALID', async () => {
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op, { valid: false })
    await expect(createTokenProvider(t.ctx).getAccessToken(profile.id)).rejects.toMatchObject({
      code: 'TOKEN_PROFILE_INVALID',
    })
  })
})

describe('token provider: rotating refresh tokens', () => {
  let op: OidcProviderFixture
  let t: TokenTestContext
  beforeAll(async () => {
    op = await startMailOp({ rotateRefreshToken: true })
  })
  afterAll(async () => {
    await t?.close()
    await op.close()
  })

  it('stores the rotated refresh token with the new access token; the old one is spent', async () => {
    t = await makeContext()
    const { profile, tokens } = await authorizedProfile(t, op)
    const provider = createTokenProvider(t.ctx)
    const access = await provider.getAccessToken(profile.id, { forceRefresh: true })
    const stored = await t.store.tokens.get(profile.id)
    expect(stored?.accessToken).toBe(access)
    expect(stored?.refreshToken).toBeTruthy()
    expect(stored?.refreshToken).not.toBe(tokens.refresh_token)

    // the stored (rotated) one keeps working
    await provider.getAccessToken(profile.id, { forceRefresh: true })
    expect((await t.store.tokens.get(profile.id))?.status).toBe('ok')
    expect(op.grants.refresh_token).toBe(2)

    // The first refresh token was spent. (Last: the provider's reuse detection revokes the grant.)
    const config = new client.Configuration(
      { issuer: op.issuer, token_endpoint: `${op.issuer}/token` },
      MAIL_CLIENT.client_id,
      undefined,
      client.ClientSecretPost(MAIL_CLIENT.client_secret),
    )
    client.allowInsecureRequests(config)
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })
})
