/**
 * Presets fill the profile form for well-known providers. They only suggest values: the
 * administrator sees them in the form and may change anything before saving.
 */
import { isSecureOrLoopbackUrl } from '../config.js'
import type { DockContext } from '../context.js'
import { fieldMessage } from '../http/i18n.js'
import { AuthdockError } from '../errors.js'
import type { GrantType } from '../store/types.js'
import { throwIfRefused, type DnsLookup } from '../http/outbound-address.js'
import { refuseIssuerQuery } from '../login/well-known.js'
import { providerFetch } from '../oauth/fetch.js'

export const PRESET_IDS = ['microsoft365', 'google', 'keycloak', 'gitlab'] as const
export type PresetId = (typeof PRESET_IDS)[number]

/** What a preset needs from the administrator before it can fill the form. */
export const PRESET_NEEDS: Record<PresetId, 'tenantId' | 'issuer' | null> = {
  microsoft365: 'tenantId',
  google: null,
  keycloak: 'issuer',
  gitlab: 'issuer',
}

/** The values a preset fills in. */
export interface PresetValues {
  preset: PresetId
  grantType: GrantType
  authorizationUrl: string
  tokenUrl: string
  scope: string
  tenantId: string | null
  /** The provider's RFC 7009 revocation endpoint, when it has one ("clear tokens" calls it). */
  revocationUrl: string | null
}

/**
 * Delegated mailbox access in Microsoft 365 (Exchange Online): IMAP, POP and SMTP AUTH. `openid
 * profile email` add an ID token that names the account which consented (`preferred_username`),
 * so "renew authorization" can tell whether the mailbox user consented; Entra allows these OpenID
 * scopes beside one resource's scopes.
 */
export const MICROSOFT365_SCOPE =
  'openid profile email offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/POP.AccessAsUser.All https://outlook.office.com/SMTP.Send'

/**
 * Full Gmail access over IMAP/POP/SMTP (Google has no narrower scope for these protocols), plus
 * `openid email` for an ID token naming the Google account that consented.
 */
export const GOOGLE_SCOPE = 'openid email https://mail.google.com/'

/** Google's RFC 7009 endpoint (not in its discovery document's issuer origin, so named here). */
export const GOOGLE_REVOCATION_URL = 'https://oauth2.googleapis.com/revoke'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i
// Entra's multi-tenant aliases are accepted as well: they are not domains but valid tenant segments.
const ENTRA_ALIASES = new Set(['organizations', 'common', 'consumers'])

/**
 * An Entra tenant: its GUID, one of its domains (contoso.onmicrosoft.com) or a multi-tenant alias.
 *
 * @example
 * isValidTenantId('contoso.onmicrosoft.com') // true
 * isValidTenantId('not a tenant') // false
 */
export function isValidTenantId(value: string): boolean {
  return GUID.test(value) || DOMAIN.test(value) || ENTRA_ALIASES.has(value.toLowerCase())
}

export function isPresetId(value: unknown): value is PresetId {
  return typeof value === 'string' && (PRESET_IDS as readonly string[]).includes(value)
}

/** VALIDATION_FAILED on one field, its phrase from the field vocabulary (`fields.<key>`). */
function fieldError(field: string, key: string, vars?: Record<string, string | number>): AuthdockError {
  const message = fieldMessage(key, vars)
  return new AuthdockError('VALIDATION_FAILED', `"${field}" ${message}.`, { fields: { [field]: message } })
}

/**
 * Microsoft 365: the tenant's v2.0 endpoints and the mail scopes.
 *
 * @example
 * await dock.profiles.create({ name: 'Office 365 mailbox', ...microsoft365Preset('contoso.onmicrosoft.com'), clientId, clientSecret })
 */
export function microsoft365Preset(tenantId: string): PresetValues {
  const tenant = tenantId.trim()
  if (!isValidTenantId(tenant)) throw fieldError('tenantId', 'tenant')
  const base = `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/oauth2/v2.0`
  // Entra has no RFC 7009 endpoint: tokens are revoked by revoking the user's sessions in Entra.
  return {
    preset: 'microsoft365',
    grantType: 'authorization_code',
    authorizationUrl: `${base}/authorize`,
    tokenUrl: `${base}/token`,
    scope: MICROSOFT365_SCOPE,
    tenantId: tenant,
    revocationUrl: null,
  }
}

/**
 * Google: a refresh token only comes with access_type=offline and prompt=consent (see {@link presetAuthorizationParams}).
 *
 * @example
 * await dock.profiles.create({ name: 'Gmail', ...googlePreset(), clientId, clientSecret })
 */
export function googlePreset(): PresetValues {
  return {
    preset: 'google',
    grantType: 'authorization_code',
    authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    scope: GOOGLE_SCOPE,
    tenantId: null,
    revocationUrl: GOOGLE_REVOCATION_URL,
  }
}

/** How discovery reaches the network: ctx.fetch, the timeout, and the login's proxy and lookup. */
export interface PresetDeps {
  fetch: typeof fetch
  timeoutMs: number
  /** Outbound proxy (`tokens.proxy`); none when absent. */
  proxy?: string | null
  /** DNS lookup for the outbound address check (`lookup` option); node's when absent. */
  lookup?: DnsLookup
}

/** The deps of an authdock instance: its fetch, timeout, proxy and lookup. */
export function presetDeps(ctx: DockContext): PresetDeps {
  return {
    fetch: ctx.fetch,
    timeoutMs: ctx.config.tokens.httpTimeoutMs,
    proxy: ctx.config.tokens.proxy ?? null,
    lookup: ctx.config.lookup,
  }
}

/**
 * Keycloak or GitLab: the endpoints from the issuer's discovery document. Throws VALIDATION_FAILED
 * on the `issuer` field when it is not https (loopback excepted), has a query or fragment, cannot
 * be read, or names another issuer or insecure endpoints; OUTBOUND_ADDRESS_REFUSED when it
 * resolves to a link-local or metadata address.
 */
export async function discoveredPreset(
  preset: 'keycloak' | 'gitlab',
  issuerInput: string,
  deps: PresetDeps,
): Promise<PresetValues> {
  const issuer = issuerInput.trim().replace(/\/+$/, '')
  if (issuer.length > 2000 || !URL.canParse(issuer) || !isSecureOrLoopbackUrl(issuer)) {
    throw fieldError('issuer', 'httpsUrl')
  }
  refuseIssuerQuery(issuer)
  let meta: {
    issuer?: unknown
    authorization_endpoint?: unknown
    token_endpoint?: unknown
    revocation_endpoint?: unknown
  }
  try {
    const fetchVia = providerFetch({
      fetch: deps.fetch,
      timeoutMs: deps.timeoutMs,
      proxy: deps.proxy ?? null,
      lookup: deps.lookup,
    })
    const res = await fetchVia(`${issuer}/.well-known/openid-configuration`, {
      method: 'GET',
      body: undefined,
      headers: { accept: 'application/json' },
      redirect: 'manual',
    })
    // A redirect (3xx) is no discovery document either: it is not followed.
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    meta = (await res.json()) as typeof meta
  } catch (err) {
    throwIfRefused(err, 'issuer', fieldMessage('metadataAddress'))
    throw fieldError('issuer', 'noDiscoveryDocument')
  }
  const sameIssuer = typeof meta.issuer === 'string' && meta.issuer.replace(/\/+$/, '') === issuer
  const endpoints = [meta.authorization_endpoint, meta.token_endpoint]
  if (!sameIssuer) throw fieldError('issuer', 'issuerMismatch')
  if (!endpoints.every((e) => typeof e === 'string' && isSecureOrLoopbackUrl(e))) {
    throw fieldError('issuer', 'insecureEndpoints')
  }
  return {
    preset,
    grantType: 'authorization_code',
    authorizationUrl: meta.authorization_endpoint as string,
    tokenUrl: meta.token_endpoint as string,
    // Keycloak issues a long-lived refresh token for offline_access; GitLab refreshes any token.
    scope: preset === 'keycloak' ? 'openid offline_access' : 'openid',
    tenantId: null,
    revocationUrl:
      typeof meta.revocation_endpoint === 'string' && isSecureOrLoopbackUrl(meta.revocation_endpoint)
        ? meta.revocation_endpoint
        : null,
  }
}

/**
 * Fill values for a preset from what the administrator entered (tenant id or issuer).
 *
 * @example
 * const values = await presetValues('keycloak', { issuer: 'https://id.example.com/realms/staff' }, { fetch, timeoutMs: 5000 })
 */
export async function presetValues(
  preset: PresetId,
  input: { tenantId?: string; issuer?: string },
  deps: PresetDeps,
): Promise<PresetValues> {
  switch (preset) {
    case 'microsoft365':
      if (!input.tenantId?.trim()) throw fieldError('tenantId', 'requiredForMicrosoft365')
      return microsoft365Preset(input.tenantId)
    case 'google':
      return googlePreset()
    case 'keycloak':
    case 'gitlab':
      if (!input.issuer?.trim()) throw fieldError('issuer', 'requiredForDiscovery')
      return discoveredPreset(preset, input.issuer, deps)
  }
}

/**
 * Extra authorization request parameters a provider needs to issue a refresh token: Google only
 * returns one with access_type=offline, and again on later consents only with prompt=consent.
 */
export function presetAuthorizationParams(preset: string | null): Record<string, string> {
  if (preset === 'google') return { access_type: 'offline', prompt: 'consent' }
  return {}
}
