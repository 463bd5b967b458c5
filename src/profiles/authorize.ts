/**
 * "Renew authorization": the authorization code flow with PKCE (S256) and a single-use state that
 * an administrator runs for a profile, ending with the profile's access and refresh token stored.
 *
 * The state, the PKCE verifier, the profile, who started it and when live in the admin's session,
 * keyed by the state; the redirect consumes the entry before anything else, so a state works once.
 */
import type { Request } from 'express'
import * as client from 'openid-client'
import { decodeJwt } from 'jose'
import type { DockContext } from '../context.js'
import { isSecureOrLoopbackUrl } from '../config.js'
import { fieldMessage } from '../http/i18n.js'
import { AuthdockError } from '../errors.js'
import { oauthConfiguration, tokenSetToPatch } from '../oauth/client.js'
import { classifyProviderError } from '../oauth/provider-errors.js'
import { profileCertificateAuth } from '../credentials/profile-auth.js'
import type { Profile } from '../store/types.js'
import type { TokenProvider } from '../tokens/types.js'
import { accountMismatch, sameMailbox } from './mailbox.js'
import { presetAuthorizationParams } from './presets.js'
import { defaultRedirectUrl, plainText } from './schema.js'

/** An authorization in progress, kept in the session under its state. */
export interface PendingAuthorization {
  profileId: string
  verifier: string
  redirectUri: string
  startedBy: string | null
  /** ctx.now() when it started; older than {@link PENDING_TTL_MS} is refused. */
  startedAt: number
}

declare module 'express-session' {
  interface SessionData {
    authdockAuthorize?: Record<string, PendingAuthorization>
  }
}

/** How long an administrator may take at the provider. */
export const PENDING_TTL_MS = 15 * 60_000
// A few tabs may run at once; more are old attempts nobody will finish.
const MAX_PENDING = 5

/** What the confirmation page shows. */
export interface AuthorizationResult {
  profile: Profile
  authorizedBy: string | null
  authorizedAccount: string | null
  grantedScope: string | null
  accessTokenExpiresAt: Date
  hasRefreshToken: boolean
  /** The profile's mailbox and another account consented (see {@link accountMismatch}). */
  accountMismatch: boolean
}

/**
 * Why an authorization failed, for the error page: the i18n key of the advice, the provider's
 * short error code, and its description (shown escaped, shortened, never stored).
 */
export interface AuthorizationFailure {
  hintKey: string
  /** Values for the hint's placeholders (a certificate's thumbprint). */
  hintVars?: Record<string, string>
  providerCode?: string
  providerText?: string
  profileId?: string
}

function failed(message: string, failure: AuthorizationFailure, fields?: Record<string, string>): AuthdockError {
  return new AuthdockError('AUTHORIZATION_FAILED', message, { details: { ...failure }, ...(fields ? { fields } : {}) })
}

function stateInvalid(reason: 'missing' | 'unknown' | 'expired'): AuthdockError {
  const message =
    reason === 'expired'
      ? 'The authorization took too long and has expired. Start "Renew authorization" again.'
      : 'This authorization answer does not belong to an authorization started in this browser, or it was already used. Start "Renew authorization" again from the profile overview.'
  return new AuthdockError('AUTHORIZATION_STATE_INVALID', message, {
    details: { reason, hintKey: `admin.authorize.state.${reason}` },
  })
}

/** Start the flow: returns the provider's authorization URL to redirect the administrator to. */
export async function startAuthorization(
  ctx: DockContext,
  req: Request,
  profile: Profile,
  actor: string | null,
): Promise<string> {
  if (profile.grantType !== 'authorization_code' || !profile.authorizationUrl) {
    throw failed('This profile uses the client credentials grant; it needs no authorization.', {
      hintKey: 'admin.authorize.notNeeded',
      profileId: profile.id,
    })
  }
  const redirectUri = profile.redirectUrl ?? defaultRedirectUrl(ctx.config)
  if (!isSecureOrLoopbackUrl(redirectUri)) {
    throw failed(
      'The redirect URL of the profile must be an https URL (http only for loopback hosts).',
      { hintKey: 'admin.authorize.redirectInsecure', profileId: profile.id },
      {
        redirectUrl: fieldMessage('httpsUrl'),
      },
    )
  }
  if (!req.session)
    throw new AuthdockError(
      'INTERNAL',
      'Renew authorization needs a session: mount dock.router (or dock.session) before the admin routers',
    )
  // Only the URL is built here; the secret is needed at the code exchange.
  const config = oauthConfiguration(ctx, profile, null)
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(profile.scope ? { scope: profile.scope } : {}),
    ...presetAuthorizationParams(profile.preset),
  })
  const now = ctx.now()
  const kept = Object.entries(req.session.authdockAuthorize ?? {})
    .filter(([, p]) => now - p.startedAt < PENDING_TTL_MS)
    .slice(-(MAX_PENDING - 1))
  req.session.authdockAuthorize = Object.fromEntries([
    ...kept,
    [state, { profileId: profile.id, verifier, redirectUri, startedBy: actor, startedAt: now }],
  ])
  return url.href
}

/** Take the pending authorization of this state out of the session (single use). */
function consumeState(ctx: DockContext, req: Request): { state: string; pending: PendingAuthorization } {
  const state = typeof req.query.state === 'string' ? req.query.state : undefined
  if (!state) throw stateInvalid('missing')
  const all = req.session?.authdockAuthorize
  const pending = all && Object.hasOwn(all, state) ? all[state] : undefined
  if (!pending || !all) throw stateInvalid('unknown')
  delete all[state]
  req.session!.authdockAuthorize = all
  if (ctx.now() - pending.startedAt > PENDING_TTL_MS) throw stateInvalid('expired')
  return { state, pending }
}

// Provider text is shown to help the administrator, but it is foreign input: plain, short, one line.
function providerText(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined
  return plainText(value, 300)
}

/** The advice for a provider error; a refused consent is the administrator's choice, not a revocation. */
function failureOf(err: unknown, profileId: string, description?: unknown): AuthorizationFailure {
  const cls = classifyProviderError(err)
  const oauthError = (err as { error?: unknown } | null)?.error
  const hintKey =
    oauthError === 'access_denied' && !cls.providerCode?.startsWith('AADSTS') ? 'admin.authorize.denied' : cls.hintKey
  return {
    hintKey,
    hintVars: cls.hintVars,
    providerCode: cls.providerCode,
    providerText: providerText(description ?? (err as { error_description?: unknown } | null)?.error_description),
    profileId,
  }
}

const ACCOUNT_CLAIMS = ['preferred_username', 'email', 'upn', 'unique_name'] as const

/**
 * The account that consented, from the ID token (when the provider sent one) or the token
 * response. A provider names an account several ways (Entra: `preferred_username` is the UPN,
 * `email` may be another address): when one of them is the profile's mailbox, that one is kept, so
 * the mailbox check and the overview compare like with like.
 */
export function consentingAccount(
  idToken: string | undefined,
  response: Record<string, unknown>,
  mailbox: string | null = null,
): string | null {
  let claims: Record<string, unknown> = {}
  if (idToken) {
    try {
      // Straight from the token endpoint over TLS (or loopback), used only as a label and a
      // comparison: OIDC Core 3.1.3.7 allows TLS server validation in place of the signature check.
      claims = decodeJwt(idToken)
    } catch {
      claims = {}
    }
  }
  const names: string[] = []
  for (const source of [claims, response]) {
    for (const key of ACCOUNT_CLAIMS) {
      const v = source[key]
      if (typeof v === 'string' && v.trim()) names.push(plainText(v, 200))
    }
  }
  const sub = claims.sub
  if (typeof sub === 'string' && sub) names.push(plainText(sub, 200))
  if (mailbox) {
    const same = names.find((n) => sameMailbox(n, mailbox))
    if (same) return same
  }
  return names[0] ?? null
}

/**
 * The redirect: check the state, exchange the code, store the tokens and record who renewed.
 * Throws AUTHORIZATION_STATE_INVALID, AUTHORIZATION_FAILED (details: {@link AuthorizationFailure})
 * or PROFILE_NOT_FOUND.
 */
export async function finishAuthorization(
  ctx: DockContext,
  tokens: TokenProvider,
  req: Request,
): Promise<AuthorizationResult> {
  const { state, pending } = consumeState(ctx, req)
  const profile = await ctx.store.profiles.get(pending.profileId)
  if (!profile) throw new AuthdockError('PROFILE_NOT_FOUND', 'The profile was deleted while it was being authorized.')
  const audit = (kind: string, details: Record<string, unknown>) =>
    ctx.store.audit.add({
      kind,
      actor: pending.startedBy,
      profileId: profile.id,
      details: { name: profile.name, ...details },
    })

  if (typeof req.query.error === 'string') {
    const failure = failureOf({ error: req.query.error, error_description: req.query.error_description }, profile.id)
    await audit('profile.authorization_failed', { providerCode: failure.providerCode ?? null })
    throw failed(`The provider refused the authorization (${failure.providerCode ?? 'error'}).`, failure)
  }

  const callbackUrl = new URL(pending.redirectUri)
  callbackUrl.search = new URL(req.originalUrl, 'http://placeholder').search
  // RFC 9207: our issuer is assumed to be the token URL's origin; providers that send `iss` with a
  // path (Keycloak realms) are accepted when it is on the authorization URL's origin, refused otherwise.
  const iss = callbackUrl.searchParams.get('iss')
  if (iss !== null) {
    if (!URL.canParse(iss) || new URL(iss).origin !== new URL(profile.authorizationUrl ?? profile.tokenUrl).origin) {
      await audit('profile.authorization_failed', { providerCode: 'iss_mismatch' })
      throw failed("The answer came from another issuer than the profile's provider.", {
        hintKey: 'admin.authorize.issuerMismatch',
        profileId: profile.id,
      })
    }
    callbackUrl.searchParams.delete('iss')
  }

  const seen: { idToken?: string } = {}
  let response: client.TokenEndpointResponse
  let certificate: Awaited<ReturnType<typeof profileCertificateAuth>> = null
  try {
    certificate = await profileCertificateAuth(ctx, profile)
    const secret = certificate ? null : await ctx.store.profiles.getClientSecret(profile.id)
    const config = oauthConfiguration(ctx, profile, secret, {
      onIdToken: (idToken) => (seen.idToken = idToken),
      auth: certificate?.auth,
    })
    response = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: state,
    })
  } catch (err) {
    const failure = failureOf(certificate ? certificate.explain(err) : err, profile.id)
    await audit('profile.authorization_failed', { providerCode: failure.providerCode ?? null })
    throw failed(`The code exchange at the token URL failed (${failure.providerCode ?? 'no provider code'}).`, failure)
  }

  const now = ctx.now()
  const at = new Date(now)
  const account = consentingAccount(seen.idToken, response as unknown as Record<string, unknown>, profile.mailbox)
  const mismatch = accountMismatch(profile.mailbox, account)
  const patch = {
    ...tokenSetToPatch(response, now, ctx.config.tokens.defaultExpiresInSec),
    // A renewal replaces the grant: a refresh token of the previous authorization must not survive.
    refreshToken: response.refresh_token ?? null,
    refreshTokenUsedAt: response.refresh_token ? at : null,
    scope: response.scope ?? profile.scope,
    authorizedBy: pending.startedBy,
    authorizedAccount: account,
    authorizedAt: at,
  }
  // Under the refresh lock, so a refresh running with the old grant cannot overwrite the new one.
  await ctx.store.tokens.withRefreshLock(profile.id, async () => ({ patch, result: undefined }), {
    timeoutMs: ctx.config.tokens.lockTimeoutMs,
    waitMs: ctx.config.tokens.lockTimeoutMs,
  })
  tokens.invalidate(profile.id)
  const hasRefreshToken = Boolean(response.refresh_token)
  await audit('profile.authorized', {
    account,
    mailbox: profile.mailbox,
    grantedScope: patch.scope,
    refreshTokenIssued: hasRefreshToken ? 'yes' : 'no',
  })
  if (mismatch) {
    // The token acts for whoever consented: worth a trail entry of its own (wrong person, or a
    // delegate of a shared mailbox, which is fine when that is intended).
    await audit('profile.account_mismatch', { mailbox: profile.mailbox, account })
    ctx.logger.warn({ profileId: profile.id }, "authdock: another account than the profile's mailbox consented")
  }
  ctx.events.emit('profile.authorized', {
    profileId: profile.id,
    name: profile.name,
    authorizedBy: pending.startedBy,
    authorizedAccount: account,
    accountMismatch: mismatch,
  })
  return {
    profile,
    authorizedBy: pending.startedBy,
    authorizedAccount: account,
    grantedScope: patch.scope,
    accessTokenExpiresAt: patch.accessTokenExpiresAt!,
    hasRefreshToken,
    accountMismatch: mismatch,
  }
}
