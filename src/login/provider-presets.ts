/**
 * Presets fill the login provider form for well-known identity providers: the issuer and the
 * scope. They only suggest values (the administrator sees and may change them) and make no request:
 * each issuer follows from what the administrator enters.
 */
import { isSecureOrLoopbackUrl } from '../config.js'
import { fieldMessage } from '../http/i18n.js'
import { AuthdockError } from '../errors.js'

export const LOGIN_PRESET_IDS = ['entra', 'keycloak', 'gitlab', 'google'] as const
export type LoginPresetId = (typeof LOGIN_PRESET_IDS)[number]

/** What a preset needs from the administrator (null: nothing; gitlabUrl is optional, gitlab.com by default). */
export const LOGIN_PRESET_NEEDS: Record<LoginPresetId, 'tenantId' | 'realmUrl' | 'gitlabUrl' | null> = {
  entra: 'tenantId',
  keycloak: 'realmUrl',
  gitlab: 'gitlabUrl',
  google: null,
}

export interface LoginPresetInput {
  tenantId?: string
  realmUrl?: string
  gitlabUrl?: string
}

export interface LoginPresetValues {
  preset: LoginPresetId
  issuer: string
  scope: string
  tenantId: string | null
}

export const LOGIN_PRESET_SCOPE = 'openid profile email'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isLoginPresetId(value: unknown): value is LoginPresetId {
  return typeof value === 'string' && (LOGIN_PRESET_IDS as readonly string[]).includes(value)
}

/** VALIDATION_FAILED on one field, its phrase from the field vocabulary (`fields.<key>`). */
function fieldError(field: string, key: string, vars?: Record<string, string | number>): AuthdockError {
  const message = fieldMessage(key, vars)
  return new AuthdockError('VALIDATION_FAILED', `"${field}" ${message}.`, { fields: { [field]: message } })
}

/** A base URL as entered: trimmed, no trailing slash, https (http only for loopback), no query. */
function baseUrl(field: string, value: string): string {
  const url = value.trim().replace(/\/+$/, '')
  if (url.length > 2000 || !URL.canParse(url) || !isSecureOrLoopbackUrl(url)) throw fieldError(field, 'httpsUrl')
  if (url.includes('?') || url.includes('#')) throw fieldError(field, 'noQuery')
  return url
}

/**
 * Entra ID: the tenant's v2.0 issuer. Only the tenant GUID works: with a domain the metadata names
 * the GUID issuer (a mismatch), and /common, /organizations, /consumers name a template.
 */
export function entraLoginPreset(tenantId: string): LoginPresetValues {
  const tenant = tenantId.trim().toLowerCase()
  if (['common', 'organizations', 'consumers'].includes(tenant)) {
    throw fieldError('tenantId', 'tenantNotMulti', { tenant })
  }
  if (!GUID.test(tenant)) throw fieldError('tenantId', 'tenantGuid')
  return {
    preset: 'entra',
    issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
    scope: LOGIN_PRESET_SCOPE,
    tenantId: tenant,
  }
}

/** Keycloak: the realm URL is the issuer (https://kc.example.com/realms/acme). */
export function keycloakLoginPreset(realmUrl: string): LoginPresetValues {
  const issuer = baseUrl('realmUrl', realmUrl)
  if (!/\/realms\/[^/]+$/.test(new URL(issuer).pathname)) throw fieldError('realmUrl', 'realmPath')
  return { preset: 'keycloak', issuer, scope: LOGIN_PRESET_SCOPE, tenantId: null }
}

/** GitLab: the instance's address (gitlab.com when empty). */
export function gitlabLoginPreset(gitlabUrl: string | undefined): LoginPresetValues {
  const issuer = gitlabUrl?.trim() ? baseUrl('gitlabUrl', gitlabUrl) : 'https://gitlab.com'
  return { preset: 'gitlab', issuer, scope: LOGIN_PRESET_SCOPE, tenantId: null }
}

export function googleLoginPreset(): LoginPresetValues {
  return { preset: 'google', issuer: 'https://accounts.google.com', scope: LOGIN_PRESET_SCOPE, tenantId: null }
}

/** Fill values for a preset from what the administrator entered; VALIDATION_FAILED names the field. */
export function loginPresetValues(preset: LoginPresetId, input: LoginPresetInput): LoginPresetValues {
  switch (preset) {
    case 'entra':
      if (!input.tenantId?.trim()) throw fieldError('tenantId', 'requiredForEntra')
      return entraLoginPreset(input.tenantId)
    case 'keycloak':
      if (!input.realmUrl?.trim()) throw fieldError('realmUrl', 'requiredForKeycloak')
      return keycloakLoginPreset(input.realmUrl)
    case 'gitlab':
      return gitlabLoginPreset(input.gitlabUrl)
    case 'google':
      return googleLoginPreset()
  }
}
