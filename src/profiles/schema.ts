/**
 * The one schema for an OAuth2 profile as an administrator sends it: the HTML form (every value a
 * string, checkboxes present or absent) and the JSON API (typed values) both go through
 * {@link parseProfileInput}, so both get the same rules and the same field errors.
 */
import { z } from 'zod'
import { isSecureOrLoopbackUrl, type ResolvedConfig } from '../config.js'
import { AuthdockError } from '../errors.js'
import { fieldMessage } from '../http/i18n.js'
import type { GrantType, Profile, ProfileInput } from '../store/types.js'
import { PRESET_IDS, isValidTenantId } from './presets.js'

/** Longest value each text field accepts (characters). */
export const FIELD_LIMITS = {
  name: 100,
  authorizationUrl: 2000,
  tokenUrl: 2000,
  redirectUrl: 2000,
  clientId: 500,
  clientSecret: 4000,
  scope: 2000,
  proxy: 2000,
  tenantId: 100,
  mailbox: 320,
  revocationUrl: 2000,
} as const

export const GRANT_TYPES = ['authorization_code', 'client_credentials'] as const satisfies readonly GrantType[]

// C0 controls and DEL: never part of a name, scope or client id (header and log injection).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/

/** Foreign text made plain for display: control characters become spaces, at most `max` characters. */
export function plainText(value: string, max: number): string {
  // eslint-disable-next-line no-control-regex -- see CONTROL
  const clean = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}

/** Form values arrive as strings; an empty or blank one means "not given". */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : v)

const text = (max: number) =>
  z
    .preprocess(
      trimmed,
      z
        .string({ error: fieldMessage(fieldMessage('requiredShort')) })
        .min(1, fieldMessage(fieldMessage('requiredShort')))
        .max(max, fieldMessage('tooLong', { max: max })),
    )
    .refine((v) => !CONTROL.test(v), fieldMessage('controlCharacters'))

const optionalText = (max: number) =>
  z.preprocess(
    blankToUndefined,
    z
      .string({ error: fieldMessage('text') })
      .max(max, fieldMessage('tooLong', { max: max }))
      .refine((v) => !CONTROL.test(v), fieldMessage('controlCharacters'))
      .optional(),
  )

const secureUrl = (max: number) =>
  z
    .string({ error: fieldMessage('url') })
    .max(max, fieldMessage('tooLong', { max: max }))
    .refine((v) => URL.canParse(v), fieldMessage('url'))
    .refine(isSecureOrLoopbackUrl, fieldMessage('httpsUrl'))
    .refine(
      (v) => !URL.canParse(v) || (!new URL(v).username && !new URL(v).password),
      fieldMessage('noCredentialsInUrl'),
    )

const optionalUrl = (max: number) => z.preprocess((v) => blankToUndefined(trimmed(v)), secureUrl(max).optional())

const proxyUrl = z.preprocess(
  (v) => blankToUndefined(trimmed(v)),
  z
    .string({ error: fieldMessage('url') })
    .max(FIELD_LIMITS.proxy, fieldMessage('tooLong', { max: FIELD_LIMITS.proxy }))
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), fieldMessage('proxyUrl'))
    // The proxy is stored and shown in clear, so it must not carry a password.
    .refine(
      (v) => !URL.canParse(v) || (!new URL(v).username && !new URL(v).password),
      fieldMessage('noCredentialsInUrl'),
    )
    .optional(),
)

/** A checkbox: a form sends "on" when ticked (and nothing otherwise); JSON sends a boolean. */
const checkbox = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v
    const lower = v.toLowerCase()
    if (['on', '1', 'true', 'yes'].includes(lower)) return true
    if (['', 'off', '0', 'false', 'no'].includes(lower)) return false
    return v
  },
  z.boolean({ error: fieldMessage('boolean') }).optional(),
)

const date = z.preprocess(
  (v) => {
    const b = blankToUndefined(v)
    if (b === undefined || b === null) return b
    if (typeof b === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(b.trim())) {
      const day = b.trim().length === 10
      const d = new Date(day ? `${b.trim()}T00:00:00Z` : b.trim())
      // Date rolls 2030-02-31 over to March 3rd; a day that does not exist is an error instead.
      return Number.isNaN(d.getTime()) || (day && d.toISOString().slice(0, 10) !== b.trim()) ? b : d
    }
    return b
  },
  z
    .date({ error: fieldMessage('date') })
    .nullable()
    .optional(),
)

const scope = z.preprocess(
  (v) => (v === undefined ? '' : v),
  z
    .string({ error: fieldMessage('text') })
    .max(FIELD_LIMITS.scope, fieldMessage('tooLong', { max: FIELD_LIMITS.scope }))
    .refine((v) => !CONTROL.test(v), fieldMessage('scopeValues'))
    .transform((v) => v.split(' ').filter(Boolean).join(' ')),
)

/**
 * The profile body. Field names are those of {@link ProfileInput}; `removeClientSecret` is the
 * form's "remove secret" checkbox. The secret is write-only: empty keeps the stored one.
 */
export const profileBodySchema = z
  .object({
    name: text(FIELD_LIMITS.name),
    grantType: z.preprocess(
      (v) => blankToUndefined(v) ?? 'authorization_code',
      z.enum(GRANT_TYPES, { error: fieldMessage('grantType') }),
    ),
    authorizationUrl: optionalUrl(FIELD_LIMITS.authorizationUrl),
    tokenUrl: z.preprocess(
      trimmed,
      z
        .string({ error: fieldMessage(fieldMessage('requiredShort')) })
        .min(1, fieldMessage(fieldMessage('requiredShort')))
        .pipe(secureUrl(FIELD_LIMITS.tokenUrl)),
    ),
    redirectUrl: optionalUrl(FIELD_LIMITS.redirectUrl),
    clientId: text(FIELD_LIMITS.clientId),
    clientSecret: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string({ error: fieldMessage('text') })
        .max(FIELD_LIMITS.clientSecret, fieldMessage('tooLong', { max: FIELD_LIMITS.clientSecret }))
        .nullable()
        .optional(),
    ),
    removeClientSecret: checkbox,
    scope,
    valid: checkbox,
    secretExpiresAt: date,
    proxy: proxyUrl,
    preset: z.preprocess(
      blankToUndefined,
      z
        .enum(PRESET_IDS, { error: fieldMessage('oneOf', { list: PRESET_IDS.join(', ') }) })
        .nullable()
        .optional(),
    ),
    tenantId: optionalText(FIELD_LIMITS.tenantId).refine(
      (v) => v === undefined || isValidTenantId(v),
      fieldMessage('tenant'),
    ),
    // The XOAUTH2 user name: an address at Microsoft and Google, a plain name at some servers.
    mailbox: optionalText(FIELD_LIMITS.mailbox).refine(
      (v) => v === undefined || !/\s/.test(v),
      fieldMessage('mailbox'),
    ),
    revocationUrl: optionalUrl(FIELD_LIMITS.revocationUrl),
  })
  .superRefine(
    (p, issues) => {
      // Runs even when other fields failed (`when`), so one answer names every bad field.
      if (p.grantType === 'authorization_code' && (p.authorizationUrl === undefined || p.authorizationUrl === null)) {
        issues.addIssue({
          code: 'custom',
          path: ['authorizationUrl'],
          message: fieldMessage('requiredForAuthorizationCode'),
        })
      }
      if (typeof p.clientSecret === 'string' && CONTROL.test(p.clientSecret)) {
        issues.addIssue({ code: 'custom', path: ['clientSecret'], message: fieldMessage('controlCharacters') })
      }
    },
    { when: () => true },
  )

export interface ParseOptions {
  config: Pick<ResolvedConfig, 'baseUrl' | 'paths'>
  /**
   * 'form': an unchecked checkbox is absent, so `valid` missing means false.
   * 'json': `valid` missing means true (create) or the stored value (after merging, see {@link mergeForPatch}).
   */
  source: 'form' | 'json'
}

/** The redirect URL a profile gets when none is entered. */
export function defaultRedirectUrl(config: Pick<ResolvedConfig, 'baseUrl' | 'paths'>): string {
  return config.baseUrl + config.paths.oauth2Redirect
}

/**
 * Validate a body into a {@link ProfileInput}. Throws `VALIDATION_FAILED` (400) whose `fields` map
 * each offending field to what is wrong. Never echoes a value, so a secret cannot leak through it.
 *
 * @example
 * const input = parseProfileInput(req.body, { config: dock.config, source: 'form' }) // throws VALIDATION_FAILED with fields
 */
export function parseProfileInput(body: unknown, options: ParseOptions): ProfileInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AuthdockError('VALIDATION_FAILED', 'The request body must be an object of profile fields.')
  }
  const parsed = profileBodySchema.safeParse(body)
  if (!parsed.success) {
    const fields: Record<string, string> = {}
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? 'body')
      fields[key] ??= issue.message
    }
    const list = Object.entries(fields)
      .map(([k, v]) => `"${k}" ${v}`)
      .join('; ')
    throw new AuthdockError('VALIDATION_FAILED', `The profile is not valid: ${list}.`, { fields })
  }
  const p = parsed.data
  const secret = p.removeClientSecret ? null : p.clientSecret
  return {
    name: p.name,
    grantType: p.grantType,
    authorizationUrl: p.authorizationUrl ?? null,
    tokenUrl: p.tokenUrl,
    redirectUrl:
      p.grantType === 'authorization_code'
        ? (p.redirectUrl ?? defaultRedirectUrl(options.config))
        : (p.redirectUrl ?? null),
    clientId: p.clientId,
    ...(secret !== undefined ? { clientSecret: secret } : {}),
    scope: p.scope,
    valid: p.valid ?? options.source === 'json',
    secretExpiresAt: p.secretExpiresAt ?? null,
    proxy: p.proxy ?? null,
    preset: p.preset ?? null,
    tenantId: p.tenantId ?? null,
    mailbox: p.mailbox ?? null,
    revocationUrl: p.revocationUrl ?? null,
  }
}

/** A stored profile as body values, so a PATCH only has to send what changes. */
export function profileToBody(profile: Profile): Record<string, unknown> {
  return {
    name: profile.name,
    grantType: profile.grantType,
    authorizationUrl: profile.authorizationUrl ?? '',
    tokenUrl: profile.tokenUrl,
    redirectUrl: profile.redirectUrl ?? '',
    clientId: profile.clientId,
    scope: profile.scope,
    valid: profile.valid,
    secretExpiresAt: profile.secretExpiresAt ? profile.secretExpiresAt.toISOString().slice(0, 10) : '',
    proxy: profile.proxy ?? '',
    preset: profile.preset ?? '',
    tenantId: profile.tenantId ?? '',
    mailbox: profile.mailbox ?? '',
    revocationUrl: profile.revocationUrl ?? '',
  }
}

/** PATCH: the stored profile's values, overwritten by the fields the client sent. */
export function mergeForPatch(profile: Profile, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body as never
  return { ...profileToBody(profile), ...(body as Record<string, unknown>) }
}
