/**
 * Logins under way while an administrator changes their provider. A login records which issuer and
 * client it was started with; its callback completes against the provider as it is now when those
 * are the same (a new secret, scope or claim is simply used), and ends on the retry page with
 * LOGIN_PROVIDER_CHANGED when the issuer or the client changed, or the provider was deactivated or
 * removed: the code in the callback belongs to a client that is no longer configured. Never a 500.
 */
import type { Request, Response } from 'express'
import type { ProviderConfig } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { recordFailure, redirectToRetry } from './outcome.js'

interface LoginBinding {
  providerId: string
  issuer: string
  clientId: string
}

declare module 'express-session' {
  interface SessionData {
    authdockLoginBinding?: LoginBinding
  }
}

function providerChanged(): AuthdockError {
  return new AuthdockError(
    'LOGIN_PROVIDER_CHANGED',
    'The login provider was changed while this login was under way. Log in again.',
  )
}

/** Remember the issuer and client a login starts with. */
export function bindLogin(req: Request, provider: ProviderConfig): void {
  req.session.authdockLoginBinding = { providerId: provider.id, issuer: provider.issuer, clientId: provider.clientId }
}

/** At the callback of a pending login: LOGIN_PROVIDER_CHANGED when the issuer or client moved since its start. */
export function checkLoginBinding(req: Request, provider: ProviderConfig): void {
  const binding = req.session.authdockLoginBinding
  if (!binding || binding.providerId !== provider.id) return
  delete req.session.authdockLoginBinding
  if (binding.issuer !== provider.issuer || binding.clientId !== provider.clientId) throw providerChanged()
}

/** True when this browser has a login under way at `providerId` (so its callback deserves the retry page). */
export function hasPendingLogin(req: Request, providerId: string): boolean {
  return req.session?.authdockLogin?.providerId === providerId
}

/** The callback of a login whose provider was deactivated or removed meanwhile: the retry page says so. */
export async function providerGone(ctx: DockContext, req: Request, res: Response, providerId: string): Promise<void> {
  delete req.session.authdockLogin
  delete req.session.authdockLoginBinding
  const error = providerChanged()
  await recordFailure(ctx, {
    providerId,
    reason: error.code,
    method: 'oidc',
    details: { phase: 'callback', detail: 'provider_inactive_or_removed' },
  })
  redirectToRetry(ctx, req, res, error, providerId)
}
