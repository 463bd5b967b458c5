/**
 * What the admin pages and the JSON API show of a profile: plain values, the token state in plain
 * words, never a secret. One place, so HTML, JSON and CSV cannot drift apart.
 */
import type { Translate } from '../http/i18n.js'
import { ERROR_CODES } from '../errors.js'
import { storedErrorHint } from '../tokens/failure.js'
import type { Profile, TokenSummary } from '../store/types.js'
import type { ProfileRow } from './service.js'
import { profileToBody } from './schema.js'

/** A date as the pages show it (UTC, minutes), or '' for none. */
export function formatDate(value: Date | null | undefined): string {
  if (!value) return ''
  return `${value.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

/** The token state of a row in plain words (translated), with the advice for its last error. */
export function tokenState(
  t: Translate,
  profile: Profile,
  token: TokenSummary | null,
): { text: string; level: 'ok' | 'bad' | 'muted'; advice: string; detail?: string } {
  if (profile.grantType === 'client_credentials' && !token)
    return { text: t('admin.token.onDemand'), level: 'muted', advice: '' }
  if (!token || (!token.hasAccessToken && !token.hasRefreshToken && !token.lastErrorCode)) {
    return { text: t('admin.token.notAuthorized'), level: 'muted', advice: t('admin.token.notAuthorizedAdvice') }
  }
  const text = t(`tokens.status.${token.status}`)
  const hint = storedErrorHint(token)
  let advice = ''
  let detail: string | undefined
  if (hint) advice = t(hint.hintKey, hint.hintVars) + (hint.providerCode ? ` (${hint.providerCode})` : '')
  else if (token.status !== 'ok') {
    // The text of the code in the page's language; the stored (English) message stays at hand.
    const code = token.lastErrorCode
    advice = code && code in ERROR_CODES ? t(`errors.${code}`) : t('admin.token.errorUnknown')
    detail = token.lastErrorMessage ?? undefined
  }
  return { text, level: token.status === 'ok' ? 'ok' : 'bad', advice, ...(detail ? { detail } : {}) }
}

/**
 * Which tokens a profile holds, in words for the token column: an access token (until when), a
 * refresh token, or both. '' when it holds none.
 */
export function tokenHeld(t: Translate, token: TokenSummary | null): string {
  if (!token) return ''
  const until = formatDate(token.accessTokenExpiresAt)
  if (token.hasAccessToken && token.hasRefreshToken) return t('admin.tokenHeld.both', { time: until })
  if (token.hasAccessToken) return t('admin.tokenHeld.accessOnly', { time: until })
  if (token.hasRefreshToken) return t('admin.tokenHeld.refreshOnly')
  return ''
}

/** The JSON shape of a profile with its token summary (no secrets; `hasClientSecret` only). */
export function profileJson(profile: Profile, token: TokenSummary | null): Record<string, unknown> {
  return {
    id: profile.id,
    name: profile.name,
    grantType: profile.grantType,
    authorizationUrl: profile.authorizationUrl,
    tokenUrl: profile.tokenUrl,
    redirectUrl: profile.redirectUrl,
    clientId: profile.clientId,
    hasClientSecret: profile.hasClientSecret,
    scope: profile.scope,
    valid: profile.valid,
    secretExpiresAt: profile.secretExpiresAt,
    proxy: profile.proxy,
    preset: profile.preset,
    tenantId: profile.tenantId,
    mailbox: profile.mailbox,
    revocationUrl: profile.revocationUrl,
    createdAt: profile.createdAt,
    updatedAt: profile.updatedAt,
    token: token
      ? {
          status: token.status,
          hasAccessToken: token.hasAccessToken,
          accessTokenExpiresAt: token.accessTokenExpiresAt,
          hasRefreshToken: token.hasRefreshToken,
          scope: token.scope,
          lastRefreshAt: token.lastRefreshAt,
          lastErrorCode: token.lastErrorCode,
          lastErrorMessage: token.lastErrorMessage,
          lastErrorAt: token.lastErrorAt,
          authorizedBy: token.authorizedBy,
          authorizedAccount: token.authorizedAccount,
          authorizedAt: token.authorizedAt,
        }
      : null,
  }
}

export function rowsJson(rows: ProfileRow[]): Array<Record<string, unknown>> {
  return rows.map((r) => profileJson(r.profile, r.token))
}

/** The form's values: strings for the inputs, a boolean for the checkbox. Never the secret. */
export interface FormValues {
  name: string
  grantType: string
  authorizationUrl: string
  tokenUrl: string
  redirectUrl: string
  clientId: string
  scope: string
  valid: boolean
  secretExpiresAt: string
  proxy: string
  preset: string
  tenantId: string
  mailbox: string
  revocationUrl: string
}

const TEXT_FIELDS = [
  'name',
  'grantType',
  'authorizationUrl',
  'tokenUrl',
  'redirectUrl',
  'clientId',
  'scope',
  'secretExpiresAt',
  'proxy',
  'preset',
  'tenantId',
  'mailbox',
  'revocationUrl',
] as const

/** Values of a stored profile for the edit form. */
export function formFromProfile(profile: Profile): FormValues {
  return formFromBody(profileToBody(profile), 'json')
}

/** What the administrator sent, back into the form after an error (the secret is dropped). */
export function formFromBody(body: unknown, source: 'form' | 'json'): FormValues {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const values = Object.fromEntries(
    TEXT_FIELDS.map((f) => [f, typeof b[f] === 'string' ? (b[f] as string).slice(0, 4000) : '']),
  ) as Omit<FormValues, 'valid'>
  const valid =
    source === 'json'
      ? b.valid === true
      : typeof b.valid === 'string' && ['on', '1', 'true', 'yes'].includes(b.valid.toLowerCase())
  return { ...values, grantType: values.grantType || 'authorization_code', valid }
}
