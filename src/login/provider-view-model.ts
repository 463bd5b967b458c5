/**
 * What the login providers admin (HTML and JSON) shows of a provider: plain values, never a secret.
 * One place, so the pages and the API cannot drift apart.
 */
import type { ProviderConfig } from '../config.js'
import type { ClientAuthMethod } from '../store/credential-types.js'
import type { LoginProviderRecord } from '../store/types.js'
import type { ListedLoginProvider } from './provider-admin.js'

/** The form's values: strings for the inputs, a boolean for the checkbox. Never the secret. */
export interface LoginProviderFormValues {
  id: string
  label: string
  active: boolean
  issuer: string
  clientId: string
  secretExpiresAt: string
  scope: string
  claim: string
  claimLabel: string
  /** `name=value` lines. */
  authorizationParams: string
  /** Space-separated; empty for the default. */
  idTokenAlgorithms: string
  preset: string
  tenantId: string
  /** `client_secret` or `private_key_jwt`. */
  clientAuth: string
}

const TEXT_FIELDS = [
  'id',
  'label',
  'issuer',
  'clientId',
  'secretExpiresAt',
  'scope',
  'claim',
  'claimLabel',
  'authorizationParams',
  'idTokenAlgorithms',
  'preset',
  'tenantId',
  'clientAuth',
] as const

const paramsText = (params: Record<string, string>) =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')

/** Values of a stored provider for the edit form. */
export function formFromRecord(p: LoginProviderRecord, clientAuth: ClientAuthMethod): LoginProviderFormValues {
  return {
    id: p.id,
    label: p.label,
    active: p.active,
    issuer: p.issuer,
    clientId: p.clientId,
    secretExpiresAt: p.secretExpiresAt ? p.secretExpiresAt.toISOString().slice(0, 10) : '',
    scope: p.scope,
    claim: p.claim,
    claimLabel: p.claimLabel,
    authorizationParams: paramsText(p.authorizationParams),
    idTokenAlgorithms: (p.idTokenAlgorithms ?? []).join(' '),
    preset: p.preset ?? '',
    tenantId: p.tenantId ?? '',
    clientAuth,
  }
}

/** What the administrator sent, back into the form after an error (the secret is dropped). */
export function formFromBody(body: unknown): LoginProviderFormValues {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const values = Object.fromEntries(
    TEXT_FIELDS.map((f) => [f, typeof b[f] === 'string' ? (b[f] as string).slice(0, 4000) : '']),
  ) as Omit<LoginProviderFormValues, 'active'>
  const active = typeof b.active === 'string' && ['on', '1', 'true', 'yes'].includes(b.active.toLowerCase())
  return { ...values, active }
}

/** An empty form with the defaults of the `oidc` option. */
export function emptyForm(id: string): LoginProviderFormValues {
  return {
    id,
    label: '',
    active: true,
    issuer: '',
    clientId: '',
    secretExpiresAt: '',
    scope: 'openid profile email',
    claim: 'email',
    claimLabel: 'E-Mail',
    authorizationParams: '',
    idTokenAlgorithms: '',
    preset: '',
    tenantId: '',
    clientAuth: 'client_secret',
  }
}

/** The JSON shape of a provider (no secret; `hasClientSecret` only; `clientAuth`: secret or certificate). */
export function loginProviderJson(listed: ListedLoginProvider): Record<string, unknown> {
  if (listed.source === 'options') {
    const p: ProviderConfig = listed.provider
    return {
      id: p.id,
      source: 'options',
      readOnly: true,
      label: p.label ?? p.id,
      active: p.active,
      issuer: p.issuer,
      clientId: p.clientId,
      hasClientSecret: Boolean(p.clientSecret),
      clientAuth: listed.clientAuth,
      secretExpiresAt: p.clientSecretExpiresAt ?? null,
      scope: p.scope,
      claim: p.claim,
      claimLabel: p.claimLabel,
      authorizationParams: p.authorizationParams,
      idTokenAlgorithms: p.idTokenAlgorithms,
      redirectUri: listed.redirectUri,
    }
  }
  const p = listed.provider
  return {
    id: p.id,
    source: 'admin',
    readOnly: false,
    label: p.label,
    active: p.active,
    issuer: p.issuer,
    clientId: p.clientId,
    hasClientSecret: p.hasClientSecret,
    clientAuth: listed.clientAuth,
    secretExpiresAt: p.secretExpiresAt,
    scope: p.scope,
    claim: p.claim,
    claimLabel: p.claimLabel,
    authorizationParams: p.authorizationParams,
    idTokenAlgorithms: p.idTokenAlgorithms,
    preset: p.preset,
    tenantId: p.tenantId,
    redirectUri: listed.redirectUri,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  }
}

/** A row of the overview page. */
export interface LoginProviderRow {
  id: string
  source: 'options' | 'admin'
  label: string
  active: boolean
  issuer: string
  clientId: string
  claim: string
  claimLabel: string
  hasClientSecret: boolean
  clientAuth: ClientAuthMethod
  secretExpiresAt: string
  redirectUri: string
}

export function overviewRow(listed: ListedLoginProvider): LoginProviderRow {
  const json = loginProviderJson(listed)
  const expires = json.secretExpiresAt instanceof Date ? json.secretExpiresAt.toISOString().slice(0, 10) : ''
  return {
    id: String(json.id),
    source: listed.source,
    label: String(json.label),
    active: json.active === true,
    issuer: String(json.issuer),
    clientId: String(json.clientId),
    claim: String(json.claim),
    claimLabel: String(json.claimLabel),
    hasClientSecret: json.hasClientSecret === true,
    clientAuth: listed.clientAuth,
    secretExpiresAt: expires,
    redirectUri: listed.redirectUri,
  }
}
