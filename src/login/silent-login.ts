/**
 * Silent re-login: a page request without a logged-in user but with a device cookie gets its
 * session back through a refresh grant, without any interaction. The refreshed identity must be the
 * same (ID token `sub`, or UserInfo `sub` when the provider sends no new ID token, and the same host
 * user); the stored refresh token is rotated. A refused refresh forgets the token and the request
 * continues anonymously; an unreachable provider keeps it for the next visit.
 */
import * as client from 'openid-client'
import type { Request, RequestHandler, Response } from 'express'
import type { AuthdockUser } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError, isAuthdockError } from '../errors.js'
import { deviceHashOf, forgetDevice, openRefreshToken, sealRefreshToken } from './device.js'
import { identify } from './identify.js'
import { mapOidcError } from './oidc-errors.js'
import { recordFailure, recordSuccess } from './outcome.js'
import type { Providers } from './providers.js'
import { logIn } from './session-data.js'
import { loginProviderOf } from './serialize.js'

interface Restored {
  user: AuthdockUser
  providerId: string
  idToken?: string
}

/**
 * After the provider was unreachable or slow, page requests skip silent login for this long
 * instead of each waiting up to `tokens.httpTimeoutMs` on it again (they continue anonymously; the
 * stored refresh token is kept for later).
 */
export const SILENT_LOGIN_COOLDOWN_MS = 30_000

/** Errors after which the stored refresh token is kept (the provider may answer next time). */
function isTransient(error: AuthdockError): boolean {
  if (error.code === 'OIDC_PROVIDER_UNAVAILABLE' || error.code === 'OIDC_DISCOVERY_FAILED') return true
  if (error.code !== 'OIDC_TOKEN_ENDPOINT_FAILED') return false
  // A 5xx (often a proxy in front of a provider that is down), or a failure that is no answer of
  // the provider at all, says nothing about the token.
  const status = error.details?.status
  return (typeof status === 'number' && status >= 500) || error.details?.reason === 'unknown'
}

export function createSilentLogin(ctx: DockContext, providers: Providers): RequestHandler {
  // Concurrent page requests of one browser share one refresh: with rotation a second grant with
  // the same refresh token would fail and throw the device away.
  const inFlight = new Map<string, Promise<Restored | null>>()
  /** Provider id → ctx.now() until which silent login does not ask it (see SILENT_LOGIN_COOLDOWN_MS). */
  const unavailableUntil = new Map<string, number>()

  async function restore(hash: string): Promise<Restored | null> {
    const record = await ctx.store.loginTokens.get(hash)
    if (!record) return null
    const sealed = openRefreshToken(record.refreshToken)
    await providers.sync()
    const provider = providers.find(record.providerId)
    if (!sealed || !provider || !provider.active || !provider.silentLogin || record.expiresAt.getTime() <= ctx.now()) {
      await ctx.store.loginTokens.delete(hash)
      return null
    }
    if ((unavailableUntil.get(provider.id) ?? 0) > ctx.now()) return null
    try {
      const { config } = await providers.strategy(provider)
      let tokens
      try {
        tokens = await client.refreshTokenGrant(config, sealed.rt)
      } catch (err) {
        throw mapOidcError(err, 'refresh')
      }
      const { user } = await identify(ctx, provider, config, tokens, sealed.sub)
      if (user.id !== record.userId) {
        throw new AuthdockError('OIDC_CLAIM_INVALID', 'The refreshed identity belongs to another user', { details: { claim: provider.claim } })
      }
      await ctx.store.loginTokens.update(hash, sealRefreshToken(tokens.refresh_token ?? sealed.rt, sealed.sub), new Date(ctx.now() + ctx.config.login.rememberDeviceMs))
      return { user, providerId: provider.id, idToken: tokens.id_token }
    } catch (err) {
      const error = isAuthdockError(err) ? err : mapOidcError(err, 'refresh')
      if (error.code === 'OIDC_PROVIDER_UNAVAILABLE') unavailableUntil.set(provider.id, ctx.now() + SILENT_LOGIN_COOLDOWN_MS)
      if (!isTransient(error)) await ctx.store.loginTokens.delete(hash)
      await recordFailure(ctx, { providerId: provider.id, reason: error.code, method: 'silent', actor: record.userId })
      return null
    }
  }

  function restoreOnce(hash: string): Promise<Restored | null> {
    let pending = inFlight.get(hash)
    if (!pending) {
      pending = restore(hash).finally(() => inFlight.delete(hash))
      inFlight.set(hash, pending)
    }
    return pending
  }

  return (req: Request, res: Response, next) => {
    if (req.user || !req.session || req.method !== 'GET') return next()
    // Only page navigations: API calls and the login routes themselves stay as they are.
    if (req.path.startsWith(`${ctx.config.paths.auth}/`) || req.accepts(['html', 'json']) !== 'html') return next()
    const hash = deviceHashOf(ctx, req)
    if (!hash) return next()
    restoreOnce(hash)
      .then(async (restored) => {
        if (!restored) {
          if (!(await ctx.store.loginTokens.get(hash))) await forgetDevice(ctx, req, res)
          return next()
        }
        loginProviderOf.set(req, restored.providerId)
        await logIn(req, restored.user as Express.User)
        req.session.authdockOidc = { providerId: restored.providerId, idToken: restored.idToken }
        await recordSuccess(ctx, { providerId: restored.providerId, userId: restored.user.id, method: 'silent' })
        next()
      })
      .catch(next)
  }
}
