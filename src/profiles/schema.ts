/**
 * The one schema for an OAuth2 profile as an administrator sends it: the HTML form (every value a
 * string, checkboxes present or absent) and the JSON API (typed values) both go through
 * {@link parseProfileInput}, so both get the same rules and the same field errors.
 */
import { z } from 'zod'
import { isSecureOrLoopbackUrl, type ResolvedConfig } from '../config.js'
import * as field from '../http/body-fields.js'
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

/** Foreign text made plain for display: control characters become spaces, at most `max` characters. */
export function plainText(value: string, max: number): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  const clean = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}

const secureUrl = (max: number) =>
  z
    .string({ error: fieldMessage('url') })
    .max(max, fieldMessage('tooLong', { max }))
    .refine((v) => URL.canParse(v), fieldMessage('url'))
    .refine(isSecureOrLoopbackUrl, fieldMessage('httpsUrl'))
    .refine((v) => !field.hasCredentials(v), field.CREDENTIALS_IN_URL)

const optionalUrl = (max: number) =>
  z.preprocess((v) => field.blankToUndefined(field.trimmed(v)), secureUrl(max).optional())

const proxyUrl = z.preprocess(
  (v) => field.blankToUndefined(field.trimmed(v)),
  z
    .string({ error: fieldMessage('url') })
    .max(FIELD_LIMITS.proxy, fieldMessage('tooLong', { max: FIELD_LIMITS.proxy }))
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), fieldMessage('proxyUrl'))
    // The proxy is stored and shown in clear, so it must not carry a password.
    .refine((v) => !field.hasCredentials(v), field.CREDENTIALS_IN_URL)
    .optional(),
)

const scope = z.preprocess(
  (v) => (v === undefined ? '' : v),
  z
    .string({ error: fieldMessage('text') })
    .max(FIELD_LIMITS.scope, fieldMessage('tooLong', { max: FIELD_LIMITS.scope }))
    .refine((v) => !field.CONTROL.test(v), fieldMessage('scopeValues'))
    .transform((v) => v.split(' ').filter(Boolean).join(' ')),
)

/**
 * The profile body. Field names are those of {@link ProfileInput}; `removeClientSecret` is the
 * form's "remove secret" checkbox. The secret is write-only: empty keeps the stored one.
 */
export const profileBodySchema = z
  .object({
    name: field.text(FIELD_LIMITS.name),
    grantType: z.preprocess(
      (v) => field.blankToUndefined(v) ?? 'authorization_code',
      z.enum(GRANT_TYPES, { error: fieldMessage('grantType') }),
    ),
    authorizationUrl: optionalUrl(FIELD_LIMITS.authorizationUrl),
    tokenUrl: z.preprocess(
      field.trimmed,
      z
        .string({ error: fieldMessage('required') })
        .min(1, fieldMessage('required'))
        .pipe(secureUrl(FIELD_LIMITS.tokenUrl)),
    ),
    redirectUrl: optionalUrl(FIELD_LIMITS.redirectUrl),
    clientId: field.text(FIELD_LIMITS.clientId),
    clientSecret: field.secretText(FIELD_LIMITS.clientSecret),
    removeClientSecret: field.checkbox,
    scope,
    valid: field.checkbox,
    secretExpiresAt: field.date,
    proxy: proxyUrl,
    preset: field.optionalChoice(PRESET_IDS),
    tenantId: field
      .optionalText(FIELD_LIMITS.tenantId)
      .refine((v) => v === undefined || isValidTenantId(v), fieldMessage('tenant')),
    // The XOAUTH2 user name: an address at Microsoft and Google, a plain name at some servers.
    mailbox: field
      .optionalText(FIELD_LIMITS.mailbox)
      .refine((v) => v === undefined || !/\s/.test(v), fieldMessage('mailbox')),
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
  const p = field.parseBody(profileBodySchema, body, 'profile')
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

/**
 * The settings of a profile an administrator edits, in form order (the secret is write-only and
 * not among them). The audit entry, the edit form and a PATCH's starting point all use this list.
 */
export const PROFILE_SETTINGS = [
  'name',
  'grantType',
  'authorizationUrl',
  'tokenUrl',
  'redirectUrl',
  'clientId',
  'scope',
  'valid',
  'secretExpiresAt',
  'proxy',
  'preset',
  'tenantId',
  'mailbox',
  'revocationUrl',
] as const satisfies readonly (keyof Profile & keyof ProfileInput)[]

/** A stored profile as body values (form strings: '' for none), so a PATCH only has to send what changes. */
export function profileToBody(profile: Profile): Record<string, unknown> {
  return Object.fromEntries(
    PROFILE_SETTINGS.map((f) => {
      const value = profile[f]
      return [f, value instanceof Date ? field.bodyDay(value, '') : (value ?? '')]
    }),
  )
}

/** PATCH: the stored profile's values, overwritten by the fields the client sent. */
export function mergeForPatch(profile: Profile, body: unknown): Record<string, unknown> {
  return field.mergePatch(profileToBody(profile), body) as Record<string, unknown>
}
