/**
 * Silent re-login: a page request without a logged-in user but with a device cookie gets its
 * session back through a refresh grant, without any interaction. The refreshed identity must be the
 * same (ID token `sub`, or UserInfo `sub` when the provider sends no new ID token, and the same host
 * user); the stored refresh token and the device id are rotated. A refused refresh forgets the token
 * and the request continues anonymously; an unreachable provider keeps it for the next visit. A
 * replaced device id presented again forgets the device (see device.ts).
 */
import * as client from 'openid-client'
import type { Request, RequestHandler, Response } from 'express'
import type { AuthdockUser } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError, isAuthdockError } from '../errors.js'
import {
  DEVICE_ROTATION_GRACE_MS,
  deviceEnd,
  deviceHashOf,
  deviceReused,
  deviceWritten,
  forgetDevice,
  hashDevice,
  newDeviceId,
  openRefreshToken,
  sealRefreshToken,
  setDeviceCookie,
} from './device.js'
import { identify } from './identify.js'
import { mapOidcError } from './oidc-errors.js'
import { recordFailure, recordSuccess } from './outcome.js'
import type { Providers } from './providers.js'
import { logIn } from './session-data.js'
import { userIdOf } from './user-id.js'
import { explainLoginError } from '../credentials/login-auth.js'

interface Restored {
  kind: 'restored'
  user: AuthdockUser
  providerId: string
  idToken?: string
  /** The device's new id, for the cookie of every request that shared this restore. */
  deviceId: string
  expiresAt: Date
}

/** No login; `forget`: the browser's cookie names no usable device and is cleared. */
interface Refused {
  kind: 'refused'
  forget: boolean
}

type Outcome = Restored | Refused
const refused = (forget: boolean): Refused => ({ kind: 'refused', forget })

/**
 * After the provider was unreachable or slow, page requests skip silent login for this long
 * instead of each waiting up to `tokens.httpTimeoutMs` on it again (they continue anonymously; the
 * stored refresh token is kept for later).
 */
export const SILENT_LOGIN_COOLDOWN_MS = 30_000

/** Errors after which the stored refresh token is kept (the provider may answer next time). */
function isTransient(error: AuthdockError): boolean {
  if (error.code === 'OIDC_PROVIDER_UNAVAILABLE' || error.code === 'OIDC_DISCOVERY_FAILED') return true
  // The provider refused our client assertion, not the refresh token: it works once the certificate is fixed.
  if (error.code.startsWith('CLIENT_')) return true
  if (!isAuthdockError(error, 'OIDC_TOKEN_ENDPOINT_FAILED')) return false
  // A 5xx (often a proxy in front of a provider that is down), or a failure that is no answer of
  // the provider at all, says nothing about the token.
  const status = error.details?.status
  return (typeof status === 'number' && status >= 500) || error.details?.reason === 'unknown'
}

export function createSilentLogin(ctx: DockContext, providers: Providers): RequestHandler {
  // Concurrent page requests of one browser share one refresh: with rotation a second grant with
  // the same refresh token would fail and throw the device away.
  const inFlight = new Map<string, Promise<Outcome>>()
  /** Provider id → ctx.now() until which silent login does not ask it (see SILENT_LOGIN_COOLDOWN_MS). */
  const unavailableUntil = new Map<string, number>()

  /** An id that is no device's current one: a replaced one presented again, or nothing. */
  async function unknownId(hash: string): Promise<Refused> {
    const rotated = await ctx.store.loginTokens.getRotated(hash)
    if (!rotated) return refused(true)
    if (ctx.now() - rotated.rotatedAt.getTime() < DEVICE_ROTATION_GRACE_MS) return refused(false)
    await deviceReused(ctx, rotated)
    return refused(true)
  }

  async function restore(hash: string): Promise<Outcome> {
    // A login on this instance may have answered with this cookie before storing its device.
    await deviceWritten(ctx, hash)
    const record = await ctx.store.loginTokens.get(hash)
    if (!record) return unknownId(hash)
    const sealed = openRefreshToken(record.refreshToken)
    await providers.sync()
    const provider = providers.find(record.providerId)
    const expiresAt = deviceEnd(ctx, record)
    if (!sealed || !provider || !provider.active || !provider.silentLogin || expiresAt.getTime() <= ctx.now()) {
      await ctx.store.loginTokens.delete(hash)
      return refused(true)
    }
    if ((unavailableUntil.get(provider.id) ?? 0) > ctx.now()) return refused(false)
    try {
      const { config } = await providers.strategy(provider)
      let tokens
      try {
        tokens = await client.refreshTokenGrant(config, sealed.rt)
      } catch (err) {
        throw mapOidcError(err, 'refresh')
      }
      const { user } = await identify(ctx, provider, config, tokens, sealed.sub)
      // The device keeps the id's string form: a host whose ids are numbers gets 2 back for "2".
      if (userIdOf(user) !== record.userId) {
        throw new AuthdockError('OIDC_CLAIM_INVALID', 'The refreshed identity belongs to another user', {
          details: { claim: provider.claim },
        })
      }
      // A new id at every use: a copy of the cookie taken before this works no more, and when the
      // copy is used first, this browser's next visit with the old id reveals it.
      const deviceId = newDeviceId()
      const next = {
        deviceHash: hashDevice(deviceId),
        refreshToken: sealRefreshToken(tokens.refresh_token ?? sealed.rt, sealed.sub),
      }
      // Lost to a concurrent rotation (another instance): that request logs this browser in.
      if (!(await ctx.store.loginTokens.rotate(hash, next))) return refused(false)
      return { kind: 'restored', user, providerId: provider.id, idToken: tokens.id_token, deviceId, expiresAt }
    } catch (err) {
      const error = await explainLoginError(ctx, provider, isAuthdockError(err) ? err : mapOidcError(err, 'refresh'))
      if (error.code === 'OIDC_PROVIDER_UNAVAILABLE')
        unavailableUntil.set(provider.id, ctx.now() + SILENT_LOGIN_COOLDOWN_MS)
      const transient = isTransient(error)
      if (!transient) await ctx.store.loginTokens.delete(hash)
      await recordFailure(ctx, {
        providerId: provider.id,
        reason: error.code,
        method: 'silent',
        actor: record.userId,
        error,
      })
      return refused(!transient)
    }
  }

  function restoreOnce(hash: string): Promise<Outcome> {
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
        if (restored.kind === 'refused') {
          if (restored.forget) await forgetDevice(ctx, req, res)
          return next()
        }
        setDeviceCookie(ctx, res, restored.deviceId, restored.expiresAt)
        await logIn(req, res, restored.user, {
          providerId: restored.providerId,
          oidc: { providerId: restored.providerId, idToken: restored.idToken },
          logger: ctx.logger,
        })
        await recordSuccess(ctx, { providerId: restored.providerId, userId: userIdOf(restored.user), method: 'silent' })
        next()
      })
      .catch(next)
  }
}
