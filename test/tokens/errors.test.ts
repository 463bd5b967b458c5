/**
 * Failures in plain words: revoked grants, Entra's error codes, wrong secrets, unreachable
 * providers. Each gives a stable AuthdockError code, marks the profile, tells the host, and backs
 * off instead of asking the provider again and again.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTokenProvider } from '../../src/tokens/index.js'
import { storedErrorHint } from '../../src/tokens/failure.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import {
  authorizedProfile,
  makeContext,
  MAIL_CLIENT,
  profileInput,
  startMailOp,
  type TokenTestContext,
} from './helpers.js'

/** A token endpoint that answers like Entra ID does for a given error (bodies as Entra sends them). */
async function entraLikeTokenEndpoint(answer: {
  status: number
  body: unknown
}): Promise<{ url: string; hits: number; close(): Promise<void> }> {
  const state = { hits: 0 }
  const server = http.createServer((req, res) => {
    state.hits++
    req.resume()
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/tenant-id/oauth2/v2.0/token`,
    get hits() {
      return state.hits
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function entraError(error: string, code: number, text: string) {
  return {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: 0000 Correlation ID: 1111 Timestamp: 2026-01-01 00:00:00Z`,
    error_codes: [code],
    trace_id: '0000',
    correlation_id: '1111',
  }
}

describe('token provider: errors', () => {
  let op: OidcProviderFixture
  let t: TokenTestContext

  beforeAll(async () => {
    op = await startMailOp()
  })
  afterAll(async () => {
    await op.close()
  })
  afterEach(async () => {
    await t?.close()
  })

  it('a revoked grant gives TOKEN_REAUTHORIZATION_REQUIRED, marks the profile, emits events, and is not retried', async () => {
    t = await makeContext()
    const { profile, tokens } = await authorizedProfile(t, op, {}, 'bob')
    await op.revokeAccount('bob')
    const provider = createTokenProvider(t.ctx)

    const err = await provider.getAccessToken(profile.id, { forceRefresh: true }).catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'TOKEN_REAUTHORIZATION_REQUIRED',
      details: { providerCode: 'invalid_grant', hintKey: 'tokens.hint.grantInvalid' },
    })
    expect(String((err as Error).message)).toContain('Renew authorization')
    expect(String((err as Error).message)).not.toContain(tokens.refresh_token!)

    const stored = await t.store.tokens.get(profile.id)
    expect(stored).toMatchObject({
      status: 'reauthorization_required',
      lastErrorCode: 'TOKEN_REAUTHORIZATION_REQUIRED',
      failureCount: 1,
    })
    expect(storedErrorHint(stored!)).toEqual({ hintKey: 'tokens.hint.grantInvalid', providerCode: 'invalid_grant' })
    expect(t.events).toEqual([
      { name: 'token.failed', payload: { profileId: profile.id, code: 'TOKEN_REAUTHORIZATION_REQUIRED' } },
      { name: 'profile.reauthorization_required', payload: { profileId: profile.id } },
    ])

    // Fails fast from now on, even forced and after the backoff: a person has to re-authorize.
    const before = op.requests['/token'] ?? 0
    t.clock.advance(24 * 3600_000)
    await expect(provider.getAccessToken(profile.id, { forceRefresh: true })).rejects.toMatchObject({
      code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    })
    expect(op.requests['/token'] ?? 0).toBe(before)
    expect(t.events.filter((e) => e.name === 'profile.reauthorization_required')).toHaveLength(1)
  })

  it('records a token.failed audit entry without secrets', async () => {
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op, {}, 'bob')
    await op.revokeAccount('bob')
    await createTokenProvider(t.ctx)
      .getAccessToken(profile.id, { forceRefresh: true })
      .catch(() => undefined)
    const entries = await t.store.audit.list({ profileId: profile.id, kind: 'token.failed' })
    expect(entries).toHaveLength(1)
    expect(entries[0].details).toEqual({
      code: 'TOKEN_REAUTHORIZATION_REQUIRED',
      status: 'reauthorization_required',
      providerCode: 'invalid_grant',
    })
  })

  it('a wrong client secret gives TOKEN_SECRET_INVALID; editing the profile lifts the backoff', async () => {
    t = await makeContext()
    const { profile } = await authorizedProfile(t, op)
    await t.store.profiles.update(profile.id, { ...profileInput(op), clientSecret: 'wrong-secret-value' })
    const provider = createTokenProvider(t.ctx)
    await expect(provider.getAccessToken(profile.id, { forceRefresh: true })).rejects.toMatchObject({
      code: 'TOKEN_SECRET_INVALID',
      details: { providerCode: 'invalid_client' },
    })
    // during the backoff: refused without a request
    const before = op.requests['/token'] ?? 0
    await expect(provider.getAccessToken(profile.id, { forceRefresh: true })).rejects.toMatchObject({
      code: 'TOKEN_BACKOFF',
    })
    expect(op.requests['/token'] ?? 0).toBe(before)

    t.clock.advance(1000)
    await t.store.profiles.update(profile.id, { ...profileInput(op), clientSecret: MAIL_CLIENT.client_secret })
    const token = await provider.getAccessToken(profile.id, { forceRefresh: true })
    expect(token).toBeTruthy()
    expect(await t.store.tokens.get(profile.id)).toMatchObject({
      status: 'ok',
      failureCount: 0,
      nextAttemptAt: null,
      lastErrorCode: null,
    })
  })

  it.each([
    {
      name: 'expired client secret (AADSTS7000222)',
      status: 401,
      body: entraError('invalid_client', 7000222, 'The provided client secret keys for app are expired.'),
      code: 'TOKEN_SECRET_EXPIRED',
      stored: 'secret_expired',
      hintKey: 'tokens.hint.secretExpired',
    },
    {
      name: 'wrong client secret (AADSTS7000215)',
      status: 401,
      body: entraError('invalid_client', 7000215, 'Invalid client secret provided.'),
      code: 'TOKEN_SECRET_INVALID',
      stored: 'error',
      hintKey: 'tokens.hint.secretInvalid',
    },
    {
      name: 'inactivity expiry (AADSTS700082)',
      status: 400,
      body: entraError('invalid_grant', 700082, 'The refresh token has expired due to inactivity.'),
      code: 'TOKEN_REAUTHORIZATION_REQUIRED',
      stored: 'reauthorization_required',
      hintKey: 'tokens.hint.inactivityExpired',
    },
    {
      name: 'consent missing (AADSTS65001)',
      status: 400,
      body: entraError('invalid_grant', 65001, 'The user or administrator has not consented.'),
      code: 'TOKEN_REAUTHORIZATION_REQUIRED',
      stored: 'reauthorization_required',
      hintKey: 'tokens.hint.consentMissing',
    },
    {
      name: 'password changed (AADSTS50173)',
      status: 400,
      body: entraError('invalid_grant', 50173, 'The provided grant has expired due to it being revoked.'),
      code: 'TOKEN_REAUTHORIZATION_REQUIRED',
      stored: 'reauthorization_required',
      hintKey: 'tokens.hint.credentialsChanged',
    },
    {
      name: 'sign-in frequency (AADSTS70043)',
      status: 400,
      body: entraError(
        'invalid_grant',
        70043,
        'The refresh token has expired or is invalid due to sign-in frequency checks.',
      ),
      code: 'TOKEN_REAUTHORIZATION_REQUIRED',
      stored: 'reauthorization_required',
      hintKey: 'tokens.hint.signInFrequency',
    },
    {
      name: 'invalid scope',
      status: 400,
      body: { error: 'invalid_scope', error_description: 'The provided value for scope is not valid.' },
      code: 'TOKEN_SCOPE_MISSING',
      stored: 'error',
      hintKey: 'tokens.hint.scopeMissing',
    },
    {
      name: 'provider error 503',
      status: 503,
      body: { error: 'temporarily_unavailable' },
      code: 'TOKEN_REFRESH_FAILED',
      stored: 'error',
      hintKey: 'tokens.hint.providerServerError',
    },
    {
      name: 'provider error 500 without an OAuth body',
      status: 500,
      body: 'oops',
      code: 'TOKEN_REFRESH_FAILED',
      stored: 'error',
      hintKey: 'tokens.hint.providerServerError',
    },
  ])('$name → $code, profile status $stored, raw text not kept', async ({ status, body, code, stored, hintKey }) => {
    t = await makeContext()
    const endpoint = await entraLikeTokenEndpoint({ status, body })
    try {
      const profile = await t.store.profiles.create(profileInput(op, { tokenUrl: endpoint.url }))
      await t.store.tokens.save(profile.id, { refreshToken: 'stored-refresh-token', accessToken: null })
      const err = await createTokenProvider(t.ctx)
        .getAccessToken(profile.id)
        .catch((e: unknown) => e)
      expect(err).toMatchObject({ code, details: { hintKey } })
      const record = await t.store.tokens.get(profile.id)
      expect(record?.status).toBe(stored)
      expect(record?.lastErrorMessage).not.toMatch(/Trace ID|Correlation|oops/)
      expect(String((err as Error).message)).not.toMatch(/Trace ID|Correlation|oops|stored-refresh-token/)
      expect(record?.refreshToken).toBe('stored-refresh-token') // a failure never loses the refresh token
    } finally {
      await endpoint.close()
    }
  })

  it('a token without a requested scope gives TOKEN_SCOPE_MISSING, and the rotated refresh token is still stored', async () => {
    t = await makeContext()
    const endpoint = await entraLikeTokenEndpoint({
      status: 200,
      body: {
        access_token: 'narrow-token',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'rotated-refresh-token',
        scope: 'openid offline_access',
      },
    })
    try {
      const profile = await t.store.profiles.create(profileInput(op, { tokenUrl: endpoint.url }))
      await t.store.tokens.save(profile.id, { refreshToken: 'stored-refresh-token' })
      await expect(createTokenProvider(t.ctx).getAccessToken(profile.id)).rejects.toMatchObject({
        code: 'TOKEN_SCOPE_MISSING',
      })
      expect(await t.store.tokens.get(profile.id)).toMatchObject({
        refreshToken: 'rotated-refresh-token',
        accessToken: null,
        status: 'error',
        lastErrorCode: 'TOKEN_SCOPE_MISSING',
      })
    } finally {
      await endpoint.close()
    }
  })

  it('an unreachable provider gives TOKEN_PROVIDER_UNREACHABLE, then backs off exponentially', async () => {
    const endpoint = await entraLikeTokenEndpoint({ status: 200, body: {} })
    const deadUrl = endpoint.url
    await endpoint.close() // nothing listens there any more
    t = await makeContext({ tokens: { backoffBaseMs: 10_000, backoffMaxMs: 60_000 } })
    const profile = await t.store.profiles.create(profileInput(op, { tokenUrl: deadUrl }))
    await t.store.tokens.save(profile.id, { refreshToken: 'stored-refresh-token' })
    const provider = createTokenProvider(t.ctx)

    await expect(provider.getAccessToken(profile.id)).rejects.toMatchObject({ code: 'TOKEN_PROVIDER_UNREACHABLE' })
    let record = await t.store.tokens.get(profile.id)
    expect(record?.failureCount).toBe(1)
    expect(record?.nextAttemptAt?.getTime()).toBe(t.clock.now() + 10_000)

    // 100 callers during the backoff: all refused at once, without a request
    const refused = await Promise.all(
      Array.from({ length: 100 }, () => provider.getAccessToken(profile.id).catch((e: { code: string }) => e.code)),
    )
    expect(new Set(refused)).toEqual(new Set(['TOKEN_BACKOFF']))

    t.clock.advance(10_001)
    await expect(provider.getAccessToken(profile.id)).rejects.toMatchObject({ code: 'TOKEN_PROVIDER_UNREACHABLE' })
    record = await t.store.tokens.get(profile.id)
    expect(record?.failureCount).toBe(2)
    expect(record?.nextAttemptAt?.getTime()).toBe(t.clock.now() + 20_000)
    t.clock.advance(20_001)
    await provider.getAccessToken(profile.id).catch(() => undefined)
    t.clock.advance(40_001)
    await provider.getAccessToken(profile.id).catch(() => undefined)
    record = await t.store.tokens.get(profile.id)
    expect(record?.failureCount).toBe(4)
    expect(record?.nextAttemptAt?.getTime()).toBe(t.clock.now() + 60_000) // capped
  })

  it('a hanging provider is cut off by the timeout with TOKEN_PROVIDER_UNREACHABLE', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))
    t = await makeContext({ fetch: hanging, tokens: { httpTimeoutMs: 200 } })
    const { profile } = await authorizedProfile(t, op)
    const err = await createTokenProvider(t.ctx)
      .getAccessToken(profile.id, { forceRefresh: true })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'TOKEN_PROVIDER_UNREACHABLE',
      details: { hintKey: 'tokens.hint.providerTimeout' },
    })
  })

  it('serves the still unexpired token when a refresh inside the margin fails, and reports the failure', async () => {
    t = await makeContext({ tokens: { refreshMarginMs: 120_000 } })
    const { profile, tokens } = await authorizedProfile(t, op, {}, 'bob')
    await op.revokeAccount('bob') // the stored access token is revoked too, but we cannot know that
    t.clock.advance(3600_000 - 60_000) // inside the margin, not expired
    const provider = createTokenProvider(t.ctx)
    expect(await provider.getAccessToken(profile.id)).toBe(tokens.access_token)
    expect(t.events.map((e) => e.name)).toEqual(['token.failed', 'profile.reauthorization_required'])
    expect((await t.store.tokens.get(profile.id))?.status).toBe('reauthorization_required')
    expect(await provider.getAccessToken(profile.id)).toBe(tokens.access_token)
    // a server that rejects it makes the caller force a refresh: now the reason shows
    await expect(provider.getAccessToken(profile.id, { forceRefresh: true })).rejects.toMatchObject({
      code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    })
    t.clock.advance(60_000)
    await expect(provider.getAccessToken(profile.id)).rejects.toMatchObject({ code: 'TOKEN_REAUTHORIZATION_REQUIRED' })
  })
})
