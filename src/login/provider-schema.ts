/**
 * The one schema for a login provider as an administrator sends it: the HTML form (strings,
 * checkboxes present or absent, extra parameters as `name=value` lines) and the JSON API (typed
 * values) both go through {@link parseLoginProviderInput}. The issuer, scope and algorithm rules are
 * those of the `oidc` option itself (config.ts), so a provider saved here is one the options would
 * accept; on top, an issuer with a query or a fragment is refused (its discovery URL would be wrong).
 */
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { providerSchema, type ProviderConfig } from '../config.js'
import { AuthdockError } from '../errors.js'
import { fieldMessage } from '../http/i18n.js'
import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from '../store/credential-types.js'
import type { LoginProviderInput, LoginProviderRecord } from '../store/types.js'
import { LOGIN_PRESET_IDS } from './provider-presets.js'

/** Longest value each text field accepts (characters). */
export const LOGIN_PROVIDER_LIMITS = {
  label: 80,
  issuer: 2000,
  clientId: 500,
  clientSecret: 4000,
  scope: 2000,
  claim: 200,
  claimLabel: 80,
  authorizationParams: 4000,
  tenantId: 100,
} as const

/**
 * Ids of admin-managed providers: `p.` and 12 letters or digits. Ids in the `oidc` option cannot
 * contain a dot, so the two kinds never collide, and the id (part of the redirect URI) can be
 * shown before the provider is saved.
 */
export const STORE_PROVIDER_ID = /^p\.[a-z0-9]{12}$/

export function isStoreProviderId(id: string): boolean {
  return STORE_PROVIDER_ID.test(id)
}

/**
 * The callback path of a provider (below `paths.auth`): `/callback` for the one provider of the
 * options, else `/callback/<id>`. Admin-managed providers always have their own, so adding one
 * never moves a redirect URI already registered.
 */
export function callbackPathOf(providerId: string, optionProviders: number): string {
  return isStoreProviderId(providerId) || optionProviders > 1 ? `/callback/${providerId}` : '/callback'
}

/** A fresh id for a new provider. */
export function newStoreProviderId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  // 252 is the largest multiple of 36 below 256: no bias.
  const out: string[] = []
  while (out.length < 12) {
    for (const byte of randomBytes(16)) if (byte < 252 && out.length < 12) out.push(alphabet[byte % 36])
  }
  return `p.${out.join('')}`
}

/** The ID token algorithms the `oidc` option allows (asymmetric only). */
export const ID_TOKEN_ALGORITHMS: readonly string[] = providerSchema.shape.idTokenAlgorithms.unwrap().element.options

/** Parameters authdock sets itself; an administrator's value would break or weaken the login. */
export const RESERVED_AUTHORIZATION_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'request',
  'request_uri',
] as const

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/
const PARAM_NAME = /^[A-Za-z0-9_.-]{1,64}$/

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

/** Blank means the default. */
const textOr = (max: number, fallback: string) =>
  z
    .preprocess(
      (v) => blankToUndefined(trimmed(v)) ?? fallback,
      z.string({ error: fieldMessage('text') }).max(max, fieldMessage('tooLong', { max: max })),
    )
    .refine((v) => !CONTROL.test(v), fieldMessage('controlCharacters'))

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
    if (typeof b === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(b.trim())) {
      const day = b.trim().length === 10
      const d = new Date(day ? `${b.trim()}T00:00:00Z` : b.trim())
      return Number.isNaN(d.getTime()) || (day && d.toISOString().slice(0, 10) !== b.trim()) ? b : d
    }
    return b
  },
  z
    .date({ error: fieldMessage('date') })
    .nullable()
    .optional(),
)

/**
 * The issuer: the `oidc` option's rule (https, http only for loopback; Entra's multi-tenant
 * endpoints refused), no credentials, no query, no fragment.
 */
const issuer = z.preprocess(
  trimmed,
  z
    .string({ error: fieldMessage(fieldMessage('requiredShort')) })
    .min(1, fieldMessage(fieldMessage('requiredShort')))
    .max(LOGIN_PROVIDER_LIMITS.issuer, fieldMessage('tooLong', { max: LOGIN_PROVIDER_LIMITS.issuer }))
    .superRefine((value, issues) => {
      if (value.includes('?') || value.includes('#')) {
        issues.addIssue({
          code: 'custom',
          message: fieldMessage('issuerQueryDiscovery'),
        })
        return
      }
      const option = providerSchema.shape.issuer.safeParse(value)
      if (!option.success) {
        issues.addIssue({ code: 'custom', message: option.error.issues[0]?.message ?? fieldMessage('httpsUrlOnly') })
        return
      }
      const url = new URL(value)
      if (url.username || url.password) issues.addIssue({ code: 'custom', message: fieldMessage('noCredentialsInUrl') })
    }),
)

/** `name=value` lines (form) or an object of strings (JSON). */
const authorizationParams = z.preprocess(
  (v) => {
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return {}
    if (typeof v !== 'string') return v
    if (v.length > LOGIN_PROVIDER_LIMITS.authorizationParams) return v
    const out: Record<string, string> = {}
    for (const raw of v.split(/\r?\n/)) {
      const line = raw.trim()
      if (!line) continue
      const eq = line.indexOf('=')
      if (eq <= 0) return v
      out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
    }
    return out
  },
  z
    .record(z.string(), z.string({ error: fieldMessage('valuesText') }), {
      error: fieldMessage('nameValueLines'),
    })
    .superRefine((params, issues) => {
      for (const [name, value] of Object.entries(params)) {
        if (!PARAM_NAME.test(name))
          issues.addIssue({
            code: 'custom',
            message: fieldMessage('parameterName', { name: name.slice(0, 64) }),
          })
        else if ((RESERVED_AUTHORIZATION_PARAMS as readonly string[]).includes(name))
          issues.addIssue({ code: 'custom', message: fieldMessage('parameterReserved', { name }) })
        else if (CONTROL.test(value) || value.length > 500)
          issues.addIssue({
            code: 'custom',
            message: fieldMessage('parameterLine', { name }),
          })
      }
    }),
)

/** Space or comma separated (form) or a list (JSON); empty means authdock's default list. */
const idTokenAlgorithms = z.preprocess(
  (v) => {
    if (v === undefined || v === null) return null
    if (typeof v === 'string') {
      const list = v.split(/[\s,]+/).filter(Boolean)
      return list.length ? list : null
    }
    return Array.isArray(v) && v.length === 0 ? null : v
  },
  z
    .array(z.string({ error: fieldMessage('algorithmNames') }), { error: fieldMessage('algorithmList') })
    .refine(
      (list) => list.every((a) => ID_TOKEN_ALGORITHMS.includes(a)),
      fieldMessage('algorithmsFrom', { list: ID_TOKEN_ALGORITHMS.join(', ') }),
    )
    .nullable(),
)

const claim = textOr(LOGIN_PROVIDER_LIMITS.claim, 'email').refine((v) => !/\s/.test(v), fieldMessage('claimName'))

/**
 * The provider body. `removeClientSecret` is the form's "remove secret" checkbox; the secret is
 * write-only (empty keeps the stored one). `confirmClaimChange` confirms a new identifying claim.
 */
export const loginProviderBodySchema = z.object({
  id: z.preprocess(blankToUndefined, z.string().regex(STORE_PROVIDER_ID, fieldMessage('providerId')).optional()),
  label: text(LOGIN_PROVIDER_LIMITS.label),
  active: checkbox,
  issuer,
  clientId: text(LOGIN_PROVIDER_LIMITS.clientId),
  clientSecret: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string({ error: fieldMessage('text') })
      .max(LOGIN_PROVIDER_LIMITS.clientSecret, fieldMessage('tooLong', { max: LOGIN_PROVIDER_LIMITS.clientSecret }))
      .refine((v) => !CONTROL.test(v), fieldMessage('controlCharacters'))
      .nullable()
      .optional(),
  ),
  removeClientSecret: checkbox,
  secretExpiresAt: date,
  scope: textOr(LOGIN_PROVIDER_LIMITS.scope, 'openid profile email').transform((s) => {
    const parts = s.split(' ').filter(Boolean)
    return (parts.includes('openid') ? parts : ['openid', ...parts]).join(' ')
  }),
  claim,
  claimLabel: textOr(LOGIN_PROVIDER_LIMITS.claimLabel, 'E-Mail'),
  authorizationParams,
  idTokenAlgorithms,
  preset: z.preprocess(
    blankToUndefined,
    z
      .enum(LOGIN_PRESET_IDS, { error: fieldMessage('oneOf', { list: LOGIN_PRESET_IDS.join(', ') }) })
      .nullable()
      .optional(),
  ),
  tenantId: z.preprocess(
    (v) => (v === null ? undefined : blankToUndefined(v)),
    z
      .string({ error: fieldMessage('text') })
      .max(LOGIN_PROVIDER_LIMITS.tenantId, fieldMessage('tooLong', { max: LOGIN_PROVIDER_LIMITS.tenantId }))
      .refine((v) => !CONTROL.test(v), fieldMessage('controlCharacters'))
      .optional(),
  ),
  confirmClaimChange: checkbox,
  /** Client secret or certificate; absent keeps the provider's method (a new one: the secret). */
  clientAuth: z.preprocess(
    blankToUndefined,
    z
      .enum(['client_secret', 'private_key_jwt'], {
        error: fieldMessage('oneOf', { list: CLIENT_AUTH_METHODS.join(', ') }),
      })
      .optional(),
  ),
})

export interface ParsedLoginProvider {
  /** The id a new provider's form carried (its redirect URI was shown with it). */
  id?: string
  input: LoginProviderInput
  confirmClaimChange: boolean
  /** How the provider authenticates at its token endpoint; undefined keeps what it has. */
  clientAuth?: ClientAuthMethod
}

/**
 * Validate a body. Throws `VALIDATION_FAILED` (400) whose `fields` map each offending field to
 * what is wrong; never echoes a value, so a secret cannot leak through it.
 *
 * @param source 'form': an unchecked `active` is absent, so missing means false; 'json': missing means true.
 */
export function parseLoginProviderInput(body: unknown, source: 'form' | 'json'): ParsedLoginProvider {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AuthdockError('VALIDATION_FAILED', 'The request body must be an object of login provider fields.')
  }
  const parsed = loginProviderBodySchema.safeParse(body)
  if (!parsed.success) {
    const fields: Record<string, string> = {}
    for (const issue of parsed.error.issues) fields[String(issue.path[0] ?? 'body')] ??= issue.message
    const list = Object.entries(fields)
      .map(([k, v]) => `"${k}" ${v}`)
      .join('; ')
    throw new AuthdockError('VALIDATION_FAILED', `The login provider is not valid: ${list}.`, { fields })
  }
  const p = parsed.data
  const secret = p.removeClientSecret ? null : p.clientSecret
  return {
    id: p.id,
    confirmClaimChange: p.confirmClaimChange === true,
    ...(p.clientAuth ? { clientAuth: p.clientAuth } : {}),
    input: {
      label: p.label,
      active: p.active ?? source === 'json',
      issuer: p.issuer,
      clientId: p.clientId,
      ...(secret !== undefined ? { clientSecret: secret } : {}),
      secretExpiresAt: p.secretExpiresAt ?? null,
      scope: p.scope,
      claim: p.claim,
      claimLabel: p.claimLabel,
      authorizationParams: p.authorizationParams,
      idTokenAlgorithms: p.idTokenAlgorithms,
      preset: p.preset ?? null,
      tenantId: p.tenantId ?? null,
    },
  }
}

/** A stored provider as body values (JSON types), so a PATCH only has to send what changes. */
export function loginProviderToBody(p: LoginProviderRecord): Record<string, unknown> {
  return {
    label: p.label,
    active: p.active,
    issuer: p.issuer,
    clientId: p.clientId,
    secretExpiresAt: p.secretExpiresAt ? p.secretExpiresAt.toISOString().slice(0, 10) : null,
    scope: p.scope,
    claim: p.claim,
    claimLabel: p.claimLabel,
    authorizationParams: p.authorizationParams,
    idTokenAlgorithms: p.idTokenAlgorithms,
    preset: p.preset,
    tenantId: p.tenantId,
  }
}

/** PATCH: the stored values, overwritten by the fields the client sent. */
export function mergeLoginProviderPatch(p: LoginProviderRecord, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body
  return { ...loginProviderToBody(p), ...(body as Record<string, unknown>) }
}

/**
 * A stored provider (with its secret) as the login uses it: through the `oidc` option's schema, so
 * its defaults (login timeout, silent login, algorithm list) and rules are the same. `clientAuth` is
 * its method from the credentials (`private_key_jwt`: the active certificate signs, the secret is not used).
 */
export function toProviderConfig(
  record: LoginProviderRecord & { clientSecret: string | null },
  clientAuth: ClientAuthMethod = 'client_secret',
): ProviderConfig {
  const certificate = clientAuth === 'private_key_jwt'
  const parsed = providerSchema.parse({
    label: record.label,
    active: record.active,
    issuer: record.issuer,
    clientId: record.clientId,
    // With a certificate a stored secret is kept (switching back needs it) but never sent.
    clientSecret: certificate ? undefined : (record.clientSecret ?? undefined),
    clientAuth: { kind: clientAuth },
    clientSecretExpiresAt: record.secretExpiresAt ?? undefined,
    scope: record.scope,
    claim: record.claim,
    claimLabel: record.claimLabel,
    authorizationParams: record.authorizationParams,
    idTokenAlgorithms: record.idTokenAlgorithms ?? undefined,
  })
  return Object.freeze({ ...parsed, id: record.id })
}
