/**
 * The device cookie of silent re-login: a random id in a long-lived HttpOnly, SameSite=Lax cookie
 * (Secure under https). The store keeps only its SHA-256, so a database leak cannot replay it, and
 * the refresh token beside it is encrypted at rest by the store.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { CookieOptions, Request, Response } from 'express'
import type { DockContext } from '../context.js'

/**
 * What goes into LoginTokenRecord.refreshToken: the token and the subject it was issued for, so a
 * refreshed identity can be compared with the original (the record has no field for `sub`; the
 * whole value is encrypted by the store).
 */
interface Envelope {
  rt: string
  sub: string
}

export function sealRefreshToken(refreshToken: string, sub: string): string {
  return JSON.stringify({ rt: refreshToken, sub } satisfies Envelope)
}

export function openRefreshToken(value: string): Envelope | null {
  try {
    const parsed = JSON.parse(value) as Partial<Envelope>
    return typeof parsed.rt === 'string' && typeof parsed.sub === 'string' ? { rt: parsed.rt, sub: parsed.sub } : null
  } catch {
    return null
  }
}

export function hashDevice(deviceId: string): string {
  return createHash('sha256').update(deviceId).digest('hex')
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim())
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

function cookieOptions(ctx: DockContext): CookieOptions {
  const secure = ctx.config.session.secureCookie ?? ctx.config.baseUrl.startsWith('https:')
  return { httpOnly: true, sameSite: 'lax', secure, path: '/' }
}

/** The hash of this browser's device cookie, when it has a well-formed one. */
export function deviceHashOf(ctx: DockContext, req: Request): string | undefined {
  const id = readCookie(req, ctx.config.login.deviceCookieName)
  return id && /^[A-Za-z0-9_-]{43}$/.test(id) ? hashDevice(id) : undefined
}

/** Store the refresh token under a fresh device id (replacing this browser's old one). */
export async function rememberDevice(
  ctx: DockContext,
  req: Request,
  res: Response,
  input: { providerId: string; userId: string; refreshToken: string; sub: string },
): Promise<void> {
  const old = deviceHashOf(ctx, req)
  if (old) await ctx.store.loginTokens.delete(old)
  const deviceId = randomBytes(32).toString('base64url')
  const maxAge = ctx.config.login.rememberDeviceMs
  await ctx.store.loginTokens.put({
    deviceHash: hashDevice(deviceId),
    providerId: input.providerId,
    userId: input.userId,
    refreshToken: sealRefreshToken(input.refreshToken, input.sub),
    expiresAt: new Date(ctx.now() + maxAge),
  })
  res.cookie(ctx.config.login.deviceCookieName, deviceId, { ...cookieOptions(ctx), maxAge })
}

/** Forget this browser: the stored token and the cookie. */
export async function forgetDevice(ctx: DockContext, req: Request, res: Response): Promise<void> {
  const hash = deviceHashOf(ctx, req)
  if (hash) await ctx.store.loginTokens.delete(hash)
  if (readCookie(req, ctx.config.login.deviceCookieName) !== undefined) res.clearCookie(ctx.config.login.deviceCookieName, cookieOptions(ctx))
}
