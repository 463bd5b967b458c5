/** The shared OAuth2 client pieces: the profile's Configuration and the token-response mapping. */
import { describe, expect, it } from 'vitest'
import { oauthConfiguration, tokenSetToPatch } from '../../src/oauth/client.js'
import type { DockContext } from '../../src/context.js'
import type { Profile } from '../../src/store/types.js'

const ctx = { config: { tokens: { httpTimeoutMs: 5000 } }, fetch: globalThis.fetch } as unknown as DockContext
const profile = (over: Partial<Profile>): Profile =>
  ({
    id: 'p1',
    name: 'P',
    grantType: 'authorization_code',
    authorizationUrl: 'https://login.example.com/authorize',
    tokenUrl: 'https://login.example.com/token',
    clientId: 'c',
    scope: 's',
    proxy: null,
    ...over,
  }) as Profile

describe('oauthConfiguration', () => {
  it('uses the origin of the token URL as issuer and the profile URLs as endpoints', () => {
    const config = oauthConfiguration(ctx, profile({}), 'secret')
    expect(config.serverMetadata()).toMatchObject({
      issuer: 'https://login.example.com',
      token_endpoint: 'https://login.example.com/token',
      authorization_endpoint: 'https://login.example.com/authorize',
    })
    expect(config.clientMetadata().client_id).toBe('c')
  })

  it('refuses http:// to a non-loopback host with TOKEN_PROFILE_INVALID naming the field', () => {
    expect(() => oauthConfiguration(ctx, profile({ tokenUrl: 'http://login.example.com/token' }), null)).toThrow(
      expect.objectContaining({
        code: 'TOKEN_PROFILE_INVALID',
        fields: { tokenUrl: expect.stringContaining('https') },
      }),
    )
  })
})

describe('tokenSetToPatch', () => {
  it('maps a response, clears the error state, and defaults a missing or unusable expires_in', () => {
    const now = Date.UTC(2026, 0, 1)
    expect(
      tokenSetToPatch(
        { access_token: 'a', token_type: 'bearer', expires_in: 60, refresh_token: 'r', scope: 'x' },
        now,
        600,
      ),
    ).toEqual({
      accessToken: 'a',
      accessTokenExpiresAt: new Date(now + 60_000),
      refreshToken: 'r',
      refreshTokenUsedAt: new Date(now),
      tokenType: 'bearer',
      scope: 'x',
      status: 'ok',
      lastRefreshAt: new Date(now),
      lastErrorCode: null,
      lastErrorMessage: null,
      lastErrorAt: null,
      failureCount: 0,
      nextAttemptAt: null,
    })
    expect(tokenSetToPatch({ access_token: 'a' }, now, 600).accessTokenExpiresAt).toEqual(new Date(now + 600_000))
    expect(tokenSetToPatch({ access_token: 'a', expires_in: 0 }, now, 600).accessTokenExpiresAt).toEqual(
      new Date(now + 600_000),
    )
    expect(tokenSetToPatch({ access_token: 'a' }, now, 600)).not.toHaveProperty('refreshToken')
  })
})
