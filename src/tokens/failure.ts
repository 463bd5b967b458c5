/**
 * What a failed token request leaves behind: the profile status, the error in plain words, the
 * backoff, and the AuthdockError the caller gets. Nothing here contains a token, a secret or a
 * provider's raw answer.
 */
import { AuthdockError, type AuthdockErrorCode } from '../errors.js'
import type { ResolvedConfig } from '../config.js'
import type { Profile, TokenPatch, TokenRecord } from '../store/types.js'
import { providerErrorClass, type ProviderErrorClass, type ProviderErrorKey } from '../oauth/provider-errors.js'

/** Wait before the next try after `failures` failures in a row: base · 2^(n−1), at most max. */
export function backoffMs(config: Pick<ResolvedConfig, 'tokens'>, failures: number): number {
  const { backoffBaseMs, backoffMaxMs } = config.tokens
  return Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30))
}

/** The stored message: the hint, plus the short provider code in parentheses when there is one. */
function storedMessage(cls: ProviderErrorClass): string {
  return cls.providerCode ? `${cls.hint} (${cls.providerCode})` : cls.hint
}

/** The patch written when a token request failed. */
export function failurePatch(
  config: Pick<ResolvedConfig, 'tokens'>,
  now: number,
  current: TokenRecord | null,
  cls: ProviderErrorClass,
): TokenPatch {
  const failureCount = (current?.failureCount ?? 0) + 1
  return {
    status: cls.status,
    lastErrorCode: cls.code,
    lastErrorMessage: storedMessage(cls),
    lastErrorAt: new Date(now),
    failureCount,
    nextAttemptAt: new Date(now + backoffMs(config, failureCount)),
  }
}

/** The error thrown to the caller for a classified failure. */
export function tokenError(profile: Profile, cls: ProviderErrorClass): AuthdockError {
  return new AuthdockError(cls.code, `OAuth2 profile "${profile.name}": ${storedMessage(cls)}`, {
    details: {
      profileId: profile.id,
      hintKey: cls.hintKey,
      ...(cls.hintVars ? { hintVars: cls.hintVars } : {}),
      ...(cls.providerCode ? { providerCode: cls.providerCode } : {}),
    },
  })
}

const HINT_KEYS: ProviderErrorKey[] = [
  'grantInvalid',
  'consentRevoked',
  'consentMissing',
  'secretExpired',
  'secretInvalid',
  'clientInvalid',
  'inactivityExpired',
  'credentialsChanged',
  'signInFrequency',
  'refreshTokenExpired',
  'interactionRequired',
  'unauthorizedClient',
  'scopeMissing',
  'providerUnreachable',
  'providerTimeout',
  'providerServerError',
  'providerRejected',
  'addressRefused',
  'unexpected',
  'certificateUnknown',
  'assertionTime',
  'assertionInvalid',
  'certificateExpired',
  'certificateMissing',
]
const KEY_BY_HINT = new Map(HINT_KEYS.map((key) => [providerErrorClass(key).hint, key]))
/** Hints with placeholders (`{certificate}`) match by pattern; the placeholders come back as hintVars. */
const TEMPLATED = HINT_KEYS.flatMap((key) => {
  const template = providerErrorClass(key).hint
  if (!/\{\w+\}/.test(template)) return []
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, '(?<$1>[^ ]+?)')
  return [{ key, pattern: new RegExp(`^${source}$`) }]
})

function matchHint(text: string): { key: ProviderErrorKey; hintVars?: Record<string, string> } | undefined {
  const key = KEY_BY_HINT.get(text)
  if (key) return { key }
  for (const t of TEMPLATED) {
    const m = t.pattern.exec(text)
    if (m) return { key: t.key, hintVars: { ...m.groups } }
  }
  return undefined
}

/**
 * Read back a stored error for display: the i18n key of its hint (`tokens.hint.<key>`, so a page
 * can show it in German) and the provider code. Null when the record has no known hint.
 *
 * @example
 * const h = storedErrorHint(summary); if (h) t(h.hintKey) + (h.providerCode ? ` (${h.providerCode})` : '')
 */
export function storedErrorHint(record: {
  lastErrorMessage: string | null
}): { hintKey: string; hintVars?: Record<string, string>; providerCode?: string } | null {
  if (!record.lastErrorMessage) return null
  const match = /^(.*?)(?: \(([A-Za-z0-9_. -]{1,64})\))?$/.exec(record.lastErrorMessage)
  const hint = match ? matchHint(match[1]) : undefined
  if (!hint) return null
  return {
    hintKey: `tokens.hint.${hint.key}`,
    ...(hint.hintVars ? { hintVars: hint.hintVars } : {}),
    ...(match?.[2] ? { providerCode: match[2] } : {}),
  }
}

/** The error for a call refused without asking the provider (status or backoff from an earlier failure). */
export function refusedError(
  profile: Profile,
  record: TokenRecord,
  code: AuthdockErrorCode,
  retryAt?: Date,
): AuthdockError {
  const hint = record.lastErrorMessage ?? 'The last token request failed.'
  const when = retryAt ? ` Next try after ${retryAt.toISOString()}.` : ''
  return new AuthdockError(code, `OAuth2 profile "${profile.name}": ${hint}${when}`, {
    details: {
      profileId: profile.id,
      status: record.status,
      lastErrorCode: record.lastErrorCode,
      ...(retryAt ? { retryAt: retryAt.toISOString() } : {}),
      ...(storedErrorHint(record) ?? {}),
    },
  })
}
