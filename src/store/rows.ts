/**
 * Row ↔ object mapping shared by both adapters. Times are epoch milliseconds in both databases
 * (PostgreSQL BIGINT arrives as a string), booleans are 0/1 in SQLite and true/false in PostgreSQL.
 */
import type { Row } from './db.js'
import type {
  AuditEntry,
  GrantType,
  LoginProviderRecord,
  LoginTokenRecord,
  Profile,
  RotatedLoginDevice,
  TokenRecord,
  TokenStatus,
  TokenSummary,
} from './types.js'

export function toDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(Number(value))
}

export function toMs(value: Date | null | undefined): number | null {
  return value ? value.getTime() : null
}

/** A nullable text column. */
export function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value)
}

/** A boolean column: 0/1 in SQLite, true/false in PostgreSQL. */
export function toBool(value: unknown): boolean {
  return value === true || value === 1
}

export function toProfile(r: Row): Profile {
  return {
    id: String(r.id),
    name: String(r.name),
    grantType: r.grant_type as GrantType,
    authorizationUrl: str(r.authorization_url),
    tokenUrl: String(r.token_url),
    redirectUrl: str(r.redirect_url),
    clientId: String(r.client_id),
    hasClientSecret: r.client_secret !== null && r.client_secret !== undefined,
    scope: String(r.scope),
    valid: toBool(r.valid),
    secretExpiresAt: toDate(r.secret_expires_at),
    proxy: str(r.proxy),
    preset: str(r.preset),
    tenantId: str(r.tenant_id),
    mailbox: str(r.mailbox),
    revocationUrl: str(r.revocation_url),
    createdAt: toDate(r.created_at) as Date,
    updatedAt: toDate(r.updated_at) as Date,
  }
}

/** TokenRecord fields ↔ columns, for the non-secret columns. */
export const TOKEN_COLUMNS = {
  accessTokenExpiresAt: 'access_token_expires_at',
  tokenType: 'token_type',
  scope: 'scope',
  status: 'status',
  lastRefreshAt: 'last_refresh_at',
  refreshTokenUsedAt: 'refresh_token_used_at',
  lastErrorCode: 'last_error_code',
  lastErrorMessage: 'last_error_message',
  lastErrorAt: 'last_error_at',
  failureCount: 'failure_count',
  nextAttemptAt: 'next_attempt_at',
  authorizedBy: 'authorized_by',
  authorizedAccount: 'authorized_account',
  authorizedAt: 'authorized_at',
} as const

/** The secret columns; they arrive here already decrypted by the caller. */
export const TOKEN_SECRET_COLUMNS = { accessToken: 'access_token', refreshToken: 'refresh_token' } as const

export function toTokenSummary(r: Row): TokenSummary {
  return {
    profileId: String(r.profile_id),
    hasAccessToken: r.access_token !== null && r.access_token !== undefined,
    hasRefreshToken: r.refresh_token !== null && r.refresh_token !== undefined,
    accessTokenExpiresAt: toDate(r.access_token_expires_at),
    tokenType: str(r.token_type),
    scope: str(r.scope),
    status: r.status as TokenStatus,
    lastRefreshAt: toDate(r.last_refresh_at),
    refreshTokenUsedAt: toDate(r.refresh_token_used_at),
    lastErrorCode: str(r.last_error_code),
    lastErrorMessage: str(r.last_error_message),
    lastErrorAt: toDate(r.last_error_at),
    failureCount: Number(r.failure_count),
    nextAttemptAt: toDate(r.next_attempt_at),
    authorizedBy: str(r.authorized_by),
    authorizedAccount: str(r.authorized_account),
    authorizedAt: toDate(r.authorized_at),
    version: Number(r.version),
  }
}

export function toTokenRecord(r: Row, accessToken: string | null, refreshToken: string | null): TokenRecord {
  const { hasAccessToken: _a, hasRefreshToken: _r, ...rest } = toTokenSummary(r)
  return { ...rest, accessToken, refreshToken }
}

/** What a remembered device and a rotated device id share: who, through which provider, until when. */
function loginDevice(
  r: Row,
): Pick<LoginTokenRecord, 'deviceHash' | 'familyId' | 'providerId' | 'userId' | 'expiresAt'> {
  return {
    deviceHash: String(r.device_hash),
    // Rows remembered before families existed are their own family.
    familyId: String(r.family_id ?? r.device_hash),
    providerId: String(r.provider_id),
    userId: String(r.user_id),
    expiresAt: toDate(r.expires_at) as Date,
  }
}

export function toLoginToken(r: Row, refreshToken: string): LoginTokenRecord {
  return {
    ...loginDevice(r),
    refreshToken,
    createdAt: toDate(r.created_at) as Date,
    lastUsedAt: toDate(r.last_used_at) as Date,
  }
}

export function toRotatedLoginDevice(r: Row): RotatedLoginDevice {
  return { ...loginDevice(r), rotatedAt: toDate(r.rotated_at) as Date }
}

export function toAuditEntry(r: Row): AuditEntry {
  const details =
    typeof r.details === 'string'
      ? (JSON.parse(r.details) as Record<string, unknown>)
      : (r.details as Record<string, unknown>)
  return {
    id: Number(r.id),
    at: toDate(r.at) as Date,
    kind: String(r.kind),
    actor: str(r.actor),
    profileId: str(r.profile_id),
    details: details ?? {},
  }
}

function jsonOf<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

export function toLoginProvider(r: Row): LoginProviderRecord {
  return {
    id: String(r.id),
    label: String(r.label),
    active: toBool(r.active),
    issuer: String(r.issuer),
    clientId: String(r.client_id),
    hasClientSecret: r.client_secret !== null && r.client_secret !== undefined,
    secretExpiresAt: toDate(r.secret_expires_at),
    scope: String(r.scope),
    claim: String(r.claim),
    claimLabel: String(r.claim_label),
    authorizationParams: jsonOf<Record<string, string>>(r.authorization_params, {}),
    idTokenAlgorithms: jsonOf<string[] | null>(r.id_token_algorithms, null),
    preset: str(r.preset),
    tenantId: str(r.tenant_id),
    version: Number(r.version),
    createdAt: toDate(r.created_at) as Date,
    updatedAt: toDate(r.updated_at) as Date,
  }
}
