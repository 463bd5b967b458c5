/**
 * What happens after every login attempt, in one place: the audit entry, the event for the host,
 * and (for failures of the OIDC flow) the retry page.
 */
import type { Request, Response } from 'express'
import type { DockContext } from '../context.js'
import type { AuthdockError } from '../errors.js'
import { safeReturnTo } from './return-to.js'
import type { RetryInfo } from './session-data.js'
import { errorLogFields } from '../ops/log-fields.js'

export type LoginMethod = 'oidc' | 'password' | 'silent'

/**
 * Event payloads (see README "Events").
 *
 * @example
 * dock.events.on('login.succeeded', (e: LoginSucceededEvent) => metrics.count('login', { method: e.method }))
 */
export interface LoginSucceededEvent {
  providerId: string | null
  userId: string
  method: LoginMethod
}
/**
 * Payload of the `login.failed` event: `reason` is the error code.
 *
 * @example
 * dock.events.on('login.failed', (e: LoginFailedEvent) => log.warn({ reason: e.reason, method: e.method }, 'login failed'))
 */
export interface LoginFailedEvent {
  providerId?: string
  reason: string
  method: LoginMethod
}

export async function recordSuccess(ctx: DockContext, event: LoginSucceededEvent): Promise<void> {
  await ctx.store.audit.add(successEntry(event))
  ctx.events.emit('login.succeeded', event)
}

/**
 * The same for a login whose answer is a redirect: the event now, the audit entry once the answer
 * is sent, so the browser does not wait for that write (the login is done either way). A failing
 * write is logged.
 */
export function recordSuccessAfterAnswer(ctx: DockContext, res: Response, event: LoginSucceededEvent): void {
  ctx.events.emit('login.succeeded', event)
  afterAnswer(res, () =>
    ctx.store.audit
      .add(successEntry(event))
      .catch((err: unknown) => ctx.logger.error({ err: String(err) }, 'authdock could not write the audit entry')),
  )
}

function successEntry(event: LoginSucceededEvent) {
  return {
    kind: 'login.succeeded',
    actor: event.userId,
    details: { providerId: event.providerId, method: event.method },
  }
}

/** Runs `work` once the response is finished (or its connection closed), exactly once. */
export function afterAnswer(res: Response, work: () => unknown): void {
  let done = false
  const run = () => {
    if (done) return
    done = true
    work()
  }
  res.once('finish', run)
  res.once('close', run)
}

/**
 * `details` must be free of secrets; callers pass claim names and provider error codes only.
 * `error` is logged (its message and its cause's: what went wrong, e.g. the host callback's own
 * failure), never stored or sent.
 */
export async function recordFailure(
  ctx: DockContext,
  event: LoginFailedEvent & { actor?: string | null; details?: Record<string, unknown>; error?: unknown },
): Promise<void> {
  const { actor, details, error, ...payload } = event
  ctx.logger.warn(
    {
      providerId: payload.providerId,
      reason: payload.reason,
      method: payload.method,
      ...(error === undefined ? {} : { err: errorLogFields(error) }),
    },
    'authdock login failed',
  )
  try {
    await ctx.store.audit.add({
      kind: 'login.failed',
      actor: actor ?? null,
      details: { ...details, providerId: payload.providerId ?? null, reason: payload.reason, method: payload.method },
    })
  } catch (err) {
    // A failing audit must not turn a refused login into a 500 that hides the real reason.
    ctx.logger.error({ err: String(err) }, 'authdock could not write the audit entry')
  }
  ctx.events.emit('login.failed', payload)
}

export function retryReason(error: AuthdockError): RetryInfo['reason'] {
  if (error.code === 'OIDC_ACCESS_DENIED') return 'cancel'
  if (error.code === 'OIDC_LOGIN_TIMEOUT') return 'timeout'
  return 'error'
}

/** Keep why the login failed in the session and send the browser to the retry page. */
export function redirectToRetry(
  ctx: DockContext,
  req: Request,
  res: Response,
  error: AuthdockError,
  providerId?: string,
  returnTo?: string,
): void {
  const reason = retryReason(error)
  const d = error.details
  const providerText =
    d && 'providerText' in d && typeof d.providerText === 'string' ? d.providerText.slice(0, 500) : undefined
  req.session.authdockRetry = { reason, code: error.code, providerId, providerText, returnTo: safeReturnTo(returnTo) }
  req.session.save(() => res.redirect(303, `${ctx.config.paths.auth}/retry?reason=${reason}`))
}
