/**
 * The device cookie of silent re-login: a random id in a long-lived HttpOnly, SameSite=Lax cookie
 * (Secure under https). The store keeps only its SHA-256, so a database leak cannot replay it, and
 * the refresh token beside it is encrypted at rest by the store.
 *
 * Every silent login replaces the id (rotation), and the device lives `login.rememberDeviceMs` from
 * the interactive login that remembered it, however often it is used. An id that was replaced and
 * is presented again means two browsers hold the cookie: the device is forgotten for both.
 */
import { hash } from 'node:crypto'
import type { CookieOptions, Request, Response } from 'express'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { randomBytesPooled } from '../random.js'
import { afterAnswer } from './outcome.js'
import type { RotatedLoginDevice } from '../store/types.js'
import { isUserId, userKey, type UserId } from './user-id.js'

/**
 * Payload of the `login.device_reused` event.
 *
 * @example
 * dock.events.on('login.device_reused', (e: DeviceReusedEvent) => alertSecurity(e.userId))
 */
export interface DeviceReusedEvent {
  userId: string
  providerId: string
}

/**
 * How long after a rotation the replaced id is refused without treating it as a copy: requests a
 * browser sent before the answer with the new id reached it (several tabs restored at once) still
 * carry the old one. They get no login, but the device is kept.
 */
export const DEVICE_ROTATION_GRACE_MS = 10_000

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
  // One-shot: no Hash object per login and per silent login (Node 20.12+).
  return hash('sha256', deviceId, 'hex')
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

/** A fresh device id (256 random bits, the cookie's value). */
export function newDeviceId(): string {
  return randomBytesPooled(32).toString('base64url')
}

/**
 * Send the device cookie; it ends when the device does. The header line is written here, as
 * Express's `res.cookie` would write it (the `cookie` package's order): its option merging,
 * checks and `res.append` were a third of the remembered device's cost in the login callback
 * (bench/login.ts). Nothing needs checking per request: the name is a cookie-name token (checked
 * when the options are read) and the id is base64url.
 */
export function setDeviceCookie(ctx: DockContext, res: Response, deviceId: string, expiresAt: Date): void {
  const maxAgeMs = Math.max(0, expiresAt.getTime() - ctx.now())
  const secure = cookieOptions(ctx).secure ? '; Secure' : ''
  const line = `${ctx.config.login.deviceCookieName}=${deviceId}; Max-Age=${Math.floor(maxAgeMs / 1000)}; Path=/; Expires=${new Date(ctx.now() + maxAgeMs).toUTCString()}; HttpOnly${secure}; SameSite=Lax`
  const previous = res.getHeader('Set-Cookie')
  res.setHeader(
    'Set-Cookie',
    previous === undefined ? [line] : Array.isArray(previous) ? [...previous, line] : [String(previous), line],
  )
}

/** When a device remembered at `createdAt` ends: its stored expiry, capped by the current option. */
export function deviceEnd(ctx: DockContext, record: { createdAt: Date; expiresAt: Date }): Date {
  return new Date(Math.min(record.expiresAt.getTime(), record.createdAt.getTime() + ctx.config.login.rememberDeviceMs))
}

/**
 * Device records this instance writes after the login's answer, until they are stored. Requests of
 * this instance that read or delete a device (silent login, logout, forgetDevices) wait for the
 * write first, so that a logout can never be overtaken by the login before it; `dock.close()`
 * waits for all of them.
 */
class PendingDeviceWrites {
  readonly #writes = new Map<string, { userId: string; done: Promise<void> }>()

  add(deviceHash: string, userId: string, done: Promise<void>): void {
    const entry = { userId, done }
    this.#writes.set(deviceHash, entry)
    void done.finally(() => {
      if (this.#writes.get(deviceHash) === entry) this.#writes.delete(deviceHash)
    })
  }

  /** The pending write of this device, if any (the common case, none, costs no promise). */
  of(deviceHash: string): Promise<void> | undefined {
    return this.#writes.get(deviceHash)?.done
  }

  async ofUser(userId: string): Promise<void> {
    await Promise.all([...this.#writes.values()].filter((w) => w.userId === userId).map((w) => w.done))
  }

  async all(): Promise<void> {
    await Promise.all([...this.#writes.values()].map((w) => w.done))
  }
}

const pendingWrites = new WeakMap<DockContext, PendingDeviceWrites>()

function pendingOf(ctx: DockContext): PendingDeviceWrites {
  let pending = pendingWrites.get(ctx)
  if (!pending) pendingWrites.set(ctx, (pending = new PendingDeviceWrites()))
  return pending
}

/** Resolves once this instance's pending write of the device (if any) is done. */
export function deviceWritten(ctx: DockContext, deviceHash: string): Promise<void> | undefined {
  return pendingWrites.get(ctx)?.of(deviceHash)
}

/** Resolves once every device write this instance has pending is done (`dock.close()`). */
export async function deviceWritesDone(ctx: DockContext): Promise<void> {
  await pendingWrites.get(ctx)?.all()
}

/**
 * Remember this browser: the refresh token under a fresh device id (replacing the browser's old
 * one), and the cookie naming it. The cookie goes with the answer; the record is written once the
 * answer is sent, like the audit entry, so the browser's redirect does not wait for that write
 * (it was a tenth of the login callback, bench/login.ts).
 *
 * Until the record is stored the cookie names nothing; no one can tell on this instance (see
 * PendingDeviceWrites). Another instance could only tell by a silent login or a logout with this
 * cookie within the write's millisecond, both of which need this answer to arrive first. A
 * `forgetDevices` there that runs before the write does not forget this device: as for a login
 * whose callback is still waiting for the provider's token, the login counts as after it. A write
 * that fails is logged; the browser then logs in interactively next time, as after the device's end.
 */
export function rememberDevice(
  ctx: DockContext,
  req: Request,
  res: Response,
  input: { providerId: string; userId: string; refreshToken: string; sub: string },
): void {
  const old = deviceHashOf(ctx, req)
  const deviceId = newDeviceId()
  const expiresAt = new Date(ctx.now() + ctx.config.login.rememberDeviceMs)
  const record = {
    deviceHash: hashDevice(deviceId),
    providerId: input.providerId,
    userId: input.userId,
    refreshToken: sealRefreshToken(input.refreshToken, input.sub),
    expiresAt,
  }
  setDeviceCookie(ctx, res, deviceId, expiresAt)
  let written!: () => void
  const done = new Promise<void>((resolve) => (written = resolve))
  pendingOf(ctx).add(record.deviceHash, record.userId, done)
  afterAnswer(res, async () => {
    try {
      if (old) await ctx.store.loginTokens.delete(old)
      await ctx.store.loginTokens.put(record)
    } catch (err) {
      ctx.logger.error(
        { err: String(err), userId: record.userId, providerId: record.providerId },
        'authdock could not store the remembered device; this browser logs in interactively next time',
      )
    } finally {
      written()
    }
  })
}

/**
 * A replaced device id was presented again after the grace: someone holds a copy of the cookie.
 * Forget the device (so the newest id stops working too, whoever holds it), audit and announce it.
 */
export async function deviceReused(ctx: DockContext, rotated: RotatedLoginDevice): Promise<void> {
  const forgotten = await ctx.store.loginTokens.deleteFamily(rotated.familyId)
  const details = {
    providerId: rotated.providerId,
    rotatedAt: rotated.rotatedAt.toISOString(),
    deviceForgotten: forgotten > 0,
  }
  ctx.logger.warn(
    { userId: rotated.userId, providerId: rotated.providerId },
    'authdock: a replaced device cookie was used again; the device is forgotten',
  )
  try {
    await ctx.store.audit.add({ kind: 'login.device_reused', actor: rotated.userId, details })
  } catch (err) {
    // The device is already forgotten; a failing audit must not turn that into an error page.
    ctx.logger.error({ err: String(err) }, 'authdock could not write the audit entry')
  }
  ctx.events.emit('login.device_reused', {
    userId: rotated.userId,
    providerId: rotated.providerId,
  } satisfies DeviceReusedEvent)
}

/**
 * Forget every remembered device of a user (their refresh tokens for silent login); resolves to
 * how many there were. Sessions already open stay until they end.
 */
export async function forgetDevices(
  ctx: DockContext,
  id: UserId,
  via: 'api' | 'logout',
  actor: string | null,
): Promise<number> {
  if (!isUserId(id)) {
    throw new AuthdockError('VALIDATION_FAILED', '"userId" must be a non-empty string or a number', {
      fields: { userId: 'required' },
    })
  }
  const userId = userKey(id)
  await pendingWrites.get(ctx)?.ofUser(userId)
  const count = await ctx.store.loginTokens.deleteForUser(userId)
  await ctx.store.audit.add({ kind: 'login.devices_forgotten', actor, details: { userId, count, via } })
  return count
}

/** Forget this browser: the stored token and the cookie. */
export async function forgetDevice(ctx: DockContext, req: Request, res: Response): Promise<void> {
  const hash = deviceHashOf(ctx, req)
  if (hash) {
    await deviceWritten(ctx, hash)
    await ctx.store.loginTokens.delete(hash)
  }
  if (readCookie(req, ctx.config.login.deviceCookieName) !== undefined)
    res.clearCookie(ctx.config.login.deviceCookieName, cookieOptions(ctx))
}
