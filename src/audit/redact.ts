/**
 * Keeps secrets out of the audit trail. Callers are asked to pass only non-secret facts, but one
 * forgotten `...req.body` would store a client secret for a year: the store's audit repository
 * (store/repos/audit.ts) passes every entry's details through {@link redactSecrets}, which drops
 * keys that look like secrets at any depth. That is the one write path: services, the login, the
 * token worker and the CLI all write through a store.
 */
import { ERROR_CODES } from '../errors.js'

/** Marker that replaces a removed value, so a reader sees that something was there. */
export const REDACTED = '[redacted]'

// Compared after lower-casing and removing '_' and '-': `client_secret`, `clientSecret` and
// `Client-Secret` are one key.
const SECRET_KEYS = new Set([
  'secret',
  'clientsecret',
  'password',
  'passwd',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'code',
  'codeverifier',
  'authorization',
  'cookie',
  'apikey',
  'privatekey',
  'assertion',
  'clientassertion',
  'encryptionkey',
])

// Any key ending in one of these is a secret too (`newClientSecret`, `oldPassword`, `bearerToken`).
const SECRET_SUFFIXES = ['secret', 'password', 'token', 'verifier', 'privatekey', 'apikey']

// Keys that end like a secret but describe one without carrying it.
const HARMLESS = new Set([
  'hasclientsecret',
  'hasaccesstoken',
  'hasrefreshtoken',
  'tokentype',
  'tokenurl',
  'secretexpiresat',
  'clientsecretexpiresat',
])

/** Does this key name look like it holds a secret? */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[_-]/g, '')
  if (HARMLESS.has(k)) return false
  return SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s))
}

/**
 * `code` is both an OAuth authorization code (secret) and an error code (wanted in the audit).
 * Error codes are recognisable: one of ours (`TOKEN_REFRESH_FAILED`) or an OAuth error
 * (`invalid_grant`: lowercase words joined by `_`); anything else under `code` is removed.
 */
function isErrorCode(value: unknown): boolean {
  return typeof value === 'string' && (value in ERROR_CODES || /^[a-z]+(?:_[a-z]+)*$/.test(value))
}

function shouldRedact(key: string, value: unknown): boolean {
  if (value === null || value === undefined) return false
  if (key.toLowerCase() === 'code' && isErrorCode(value)) return false
  return isSecretKey(key)
}

/**
 * A copy of `details` where every value under a secret-looking key (at any depth, also inside
 * arrays) is replaced by {@link REDACTED}: clientSecret, secret, password, accessToken,
 * refreshToken, token, id_token, code (unless it is an error code), code_verifier, assertion,
 * authorization, cookie and anything ending in Secret/Password/Token. `null`/`undefined` values
 * stay as they are ("removed" is not a secret). The input is not changed.
 *
 * @example
 * redactSecrets({ name: 'mail', clientSecret: 's3cr3t' }) // → { name: 'mail', clientSecret: '[redacted]' }
 */
export function redactSecrets<T extends Record<string, unknown>>(details: T): Record<string, unknown> {
  return redactValue(details, 0) as Record<string, unknown>
}

// Secrets that hide inside free text (an error message quoting a header or a JWT).
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g

function scrubString(value: string): string {
  return value.replace(BEARER, `$1 ${REDACTED}`).replace(JWT, REDACTED)
}

/**
 * Free text with the credentials that can hide in it (a bearer or basic header, a JWT) replaced.
 *
 * @example
 * redactText('sent Authorization: Bearer eyJhbGciOi…') // → 'sent Authorization: Bearer [redacted]'
 */
export function redactText(value: string): string {
  return scrubString(value)
}

function redactValue(value: unknown, depth: number): unknown {
  // Deeper than any audit detail we write; cut off rather than recurse forever on a cycle.
  if (depth > 8) return REDACTED
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1))
  if (typeof value === 'string') return scrubString(value)
  if (value instanceof Date || value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    out[key] = shouldRedact(key, v) ? REDACTED : redactValue(v, depth + 1)
  }
  return out
}
