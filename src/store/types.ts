/**
 * The Store contract. Two adapters implement it (sqlite.ts, postgres.ts) and one contract test
 * suite (test/store/contract.ts) runs against both. Services (login, profiles, tokens) talk only to
 * this interface; routers never do.
 *
 * Secrets cross this interface in clear text and are encrypted by the adapter (AES-256-GCM with the
 * key id stored beside the value, see crypto.ts) before they touch disk. Read methods that are used
 * for display never return secrets; only the explicitly named `…Secret`/`…WithSecrets` methods do.
 *
 * Times are `Date`s taken from the injected clock (`now`), never from the database server.
 */

import type { CredentialsStore } from './credential-types.js'

export type GrantType = 'authorization_code' | 'client_credentials'

/**
 * What an administrator edits. `clientSecret`: undefined keeps the stored one, null removes it.
 *
 * @example
 * const input: ProfileInput = parseProfileInput(body, { config: dock.config, source: 'json' })
 */
export interface ProfileInput {
  name: string
  grantType: GrantType
  authorizationUrl: string | null
  tokenUrl: string
  redirectUrl: string | null
  clientId: string
  clientSecret?: string | null
  scope: string
  valid: boolean
  secretExpiresAt: Date | null
  proxy: string | null
  /** Which preset filled it ('microsoft365', 'google', 'keycloak', 'gitlab', …) or null. */
  preset: string | null
  /** Entra tenant id when the preset needs one. */
  tenantId: string | null
  /**
   * The mailbox the token is for (the XOAUTH2 user, e.g. `desk@example.com`). When set, "renew
   * authorization" warns if another account consented. Undefined: null on create, kept on update.
   */
  mailbox?: string | null
  /**
   * The provider's RFC 7009 revocation endpoint. When null, "clear tokens" looks it up in the
   * discovery document of the token URL's issuer. Undefined: null on create, kept on update.
   */
  revocationUrl?: string | null
}

/**
 * A profile as shown: never contains the secret.
 *
 * @example
 * const profile: Profile = await dock.profiles.get('Support mailbox')
 * console.log(profile.name, profile.hasClientSecret, profile.secretExpiresAt)
 */
export interface Profile extends Omit<ProfileInput, 'clientSecret' | 'mailbox' | 'revocationUrl'> {
  mailbox: string | null
  revocationUrl: string | null
  id: string
  hasClientSecret: boolean
  createdAt: Date
  updatedAt: Date
}

export type TokenStatus = 'ok' | 'reauthorization_required' | 'secret_expired' | 'error'

/** The token state of a profile, secrets included: only the token provider reads this. */
export interface TokenRecord {
  profileId: string
  accessToken: string | null
  accessTokenExpiresAt: Date | null
  refreshToken: string | null
  tokenType: string | null
  /** Scope the provider granted (may differ from the requested one). */
  scope: string | null
  status: TokenStatus
  lastRefreshAt: Date | null
  /** When the refresh token was last used (keep-alive). */
  refreshTokenUsedAt: Date | null
  lastErrorCode: string | null
  /** Plain words, never a secret or a raw provider body. */
  lastErrorMessage: string | null
  lastErrorAt: Date | null
  failureCount: number
  /** No refresh attempt before this time (backoff). */
  nextAttemptAt: Date | null
  authorizedBy: string | null
  authorizedAccount: string | null
  authorizedAt: Date | null
  /** Incremented on every write; lets a reader see that another instance wrote. */
  version: number
}

/**
 * The same without secrets, for overviews, CSV, JSON answers.
 *
 * @example
 * const state = await dock.profiles.tokenState('Support mailbox') // TokenSummary | null
 * if (state?.status === 'reauthorization_required') notifyAdmins()
 */
export type TokenSummary = Omit<TokenRecord, 'accessToken' | 'refreshToken'> & {
  hasAccessToken: boolean
  hasRefreshToken: boolean
}

/** A partial write of token state; fields left undefined are kept. */
export type TokenPatch = Partial<Omit<TokenRecord, 'profileId' | 'version'>>

/**
 * A stored login refresh token for silent re-login, keyed by the hash of the device cookie's
 * current id. The id is replaced at every silent login; the record (its family) stays.
 */
export interface LoginTokenRecord {
  deviceHash: string
  /** Stays the same while the device id is rotated: the hash of the family's first id. */
  familyId: string
  providerId: string
  userId: string
  refreshToken: string
  /** The interactive login that remembered the device; rotation keeps it. */
  createdAt: Date
  lastUsedAt: Date
  /** Fixed when the device is remembered; rotation does not move it. */
  expiresAt: Date
}

/** A device id that was replaced by a newer one of its family (presented again, it is a copy). */
export interface RotatedLoginDevice {
  deviceHash: string
  familyId: string
  providerId: string
  userId: string
  rotatedAt: Date
  /** The family's expiry: until then the id is recognised. */
  expiresAt: Date
}

export interface AuditEntryInput {
  /** e.g. 'profile.created', 'profile.updated', 'profile.deleted', 'profile.authorized',
   * 'token.failed', 'login.failed', 'login.succeeded', 'login.device_reused',
   * 'login.devices_forgotten', 'secret.expiry' */
  kind: string
  actor: string | null
  profileId?: string | null
  /** Non-secret facts; old/new values without secrets. The store redacts secret-looking keys on the way in (audit/redact.ts). */
  details?: Record<string, unknown>
}

export interface AuditEntry extends Required<Omit<AuditEntryInput, 'details'>> {
  id: number
  at: Date
  details: Record<string, unknown>
}

/**
 * A login provider as an administrator edits it. `clientSecret`: undefined keeps the stored one, null removes it.
 *
 * @example
 * await dock.loginProviders.service.create({ label: 'Staff', active: true, issuer, clientId, clientSecret, secretExpiresAt: null, scope: 'openid email', claim: 'email', claimLabel: 'E-Mail', ...rest }, 'setup')
 */
export interface LoginProviderInput {
  label: string
  active: boolean
  issuer: string
  clientId: string
  clientSecret?: string | null
  secretExpiresAt: Date | null
  scope: string
  /** The claim that identifies a user, and its label in the host's user admin. */
  claim: string
  claimLabel: string
  /** Extra authorization request parameters (e.g. `domain_hint`). */
  authorizationParams: Record<string, string>
  /** Allowed ID token algorithms; null for authdock's default (every asymmetric one). */
  idTokenAlgorithms: string[] | null
  /** Which preset filled it ('entra', 'keycloak', 'gitlab', 'google') or null. */
  preset: string | null
  tenantId: string | null
}

/**
 * A stored login provider as shown: never contains the secret.
 *
 * @example
 * const { label, issuer, hasClientSecret } = await dock.loginProviders.service.get(id)
 */
export interface LoginProviderRecord extends Omit<LoginProviderInput, 'clientSecret'> {
  id: string
  hasClientSecret: boolean
  /** Incremented on every write of this provider. */
  version: number
  createdAt: Date
  updatedAt: Date
}

export interface SessionRecord {
  data: string
  expiresAt: Date
}

/** One attempt as counted by an {@link AttemptCounter}. */
export interface AttemptCount {
  /** False when this attempt is over the limit (it is counted all the same). */
  allowed: boolean
  /** Attempts in the current window, this one included. */
  count: number
  /** Until the window ends. */
  msBeforeReset: number
}

/**
 * Fixed-window attempt counters for one purpose. The window of a key starts at its first attempt.
 * Keys may be any string (they are stored as a digest).
 */
export interface AttemptCounter {
  /** Count one attempt for `key` and say whether it is within the limit. */
  consume(key: string): Promise<AttemptCount>
  /** Take one attempt back: it turned out fine, or it was refused before anything was tried. */
  reward(key: string): Promise<void>
  /** Forget every attempt of `key`. */
  delete(key: string): Promise<void>
}

/** The token states the overview filters by; `none` is a profile that holds no token and no error. */
export type ProfileStateFilter = TokenStatus | 'none'

/** What `profiles.page` is asked for. Everything is optional; no filter lists every profile. */
export interface ProfilePageQuery {
  /** Case-insensitive substring of the name, mailbox or client id. */
  q?: string
  state?: ProfileStateFilter
  /** Only profiles whose client secret expires within this many days of `now` (expired ones too). */
  expiresWithinDays?: number
  /** Only valid profiles whose token record's status is not `ok` (what readiness reports). */
  needsAttention?: boolean
  /** 1-based. */
  page?: number
  /** 1 to {@link PROFILE_PAGE_MAX}; default {@link PROFILE_PAGE_DEFAULT}. */
  pageSize?: number
}

export const PROFILE_PAGE_DEFAULT = 50
export const PROFILE_PAGE_MAX = 500

/** One page of profiles by name, each with its token summary, and how many match in all. */
export interface ProfilePage {
  rows: Array<{ profile: Profile; token: TokenSummary | null }>
  total: number
  page: number
  pageSize: number
}

/**
 * The storage contract behind authdock (SQLite and PostgreSQL adapters). Hosts change profiles
 * through `dock.profiles`, never here; `openStore` exists for tools and StoreSessionStore.
 *
 * @example
 * const store: Store = await openStore('sqlite:./data/authdock.db', { encryptionKeys: [key], now: Date.now })
 * await store.ping()
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres'
  /** Throws STORE_UNAVAILABLE when the database does not answer. */
  ping(): Promise<void>
  close(): Promise<void>

  profiles: {
    list(): Promise<Profile[]>
    get(id: string): Promise<Profile | null>
    getByName(name: string): Promise<Profile | null>
    /** Throws PROFILE_NAME_TAKEN on a duplicate name. */
    create(input: ProfileInput): Promise<Profile>
    /**
     * Throws PROFILE_NOT_FOUND / PROFILE_NAME_TAKEN. When authorizationUrl, tokenUrl, clientId,
     * scope or grantType change, the profile's token record is deleted in the same transaction.
     * Returns the profile and whether tokens were cleared.
     */
    update(id: string, input: ProfileInput): Promise<{ profile: Profile; tokensCleared: boolean }>
    /** Deletes the profile, its tokens and its certificates; false when it did not exist. */
    delete(id: string): Promise<boolean>
    getClientSecret(id: string): Promise<string | null>
    /**
     * One page of the profiles matching `query`, by name, with their token summaries: filtered,
     * counted and cut in the database, so the cost follows the page size, not the number of profiles.
     */
    page(query?: ProfilePageQuery): Promise<ProfilePage>
    /** How many valid profiles have a token record whose status is not `ok` (readiness, counted in SQL). */
    countNeedingAttention(): Promise<number>
    /** Names of the given ids (unknown ids are left out): for showing a page of audit entries. */
    names(ids: readonly string[]): Promise<Map<string, string>>
  }

  /** Login providers managed in the admin (the ones from options never touch the store). */
  loginProviders: {
    list(): Promise<LoginProviderRecord[]>
    get(id: string): Promise<LoginProviderRecord | null>
    /** `id` is chosen by the caller (it is part of the redirect URI shown before saving). Throws VALIDATION_FAILED on a taken id. */
    create(id: string, input: LoginProviderInput): Promise<LoginProviderRecord>
    /**
     * Throws LOGIN_PROVIDER_NOT_FOUND. When the issuer's origin changes and no new secret is given,
     * the stored secret is removed in the same transaction (`secretDropped`): a secret belongs to
     * the provider it was issued by.
     */
    update(id: string, input: LoginProviderInput): Promise<{ provider: LoginProviderRecord; secretDropped: boolean }>
    /** Deletes the provider with its certificates and client authentication method; false when it did not exist. */
    delete(id: string): Promise<boolean>
    getClientSecret(id: string): Promise<string | null>
    /** The active providers with their client secrets, for the login only. */
    activeWithSecrets(): Promise<Array<LoginProviderRecord & { clientSecret: string | null }>>
    /** Changes with every create, update and delete: instances compare it to notice a change. */
    version(): Promise<number>
    /** How many distinct users logged in through the provider (login audit entries, remembered devices). */
    userCount(id: string): Promise<number>
  }

  tokens: {
    get(profileId: string): Promise<TokenRecord | null>
    summary(profileId: string): Promise<TokenSummary | null>
    summaries(): Promise<TokenSummary[]>
    /** Upsert: creates the record with defaults when missing, then applies the patch. */
    save(profileId: string, patch: TokenPatch): Promise<TokenRecord>
    clear(profileId: string): Promise<void>
    /**
     * Run `fn` while holding the refresh lock of this profile across every process sharing the
     * database. `fn` receives the record as re-read under the lock (another instance may have just
     * refreshed) and returns a patch to write before the lock is released (same transaction where
     * the adapter can), or null to write nothing. If the holder dies, the lock is released
     * (PostgreSQL: with its connection; SQLite: when the lease of `timeoutMs` runs out).
     * Throws LOCK_TIMEOUT when the lock is not had within `waitMs`.
     */
    withRefreshLock<T>(
      profileId: string,
      fn: (current: TokenRecord | null) => Promise<{ patch: TokenPatch | null; result: T }>,
      options: { timeoutMs: number; waitMs: number },
    ): Promise<T>
  }

  loginTokens: {
    /** Remember a device after an interactive login: a new family whose id is this device hash. */
    put(record: Omit<LoginTokenRecord, 'createdAt' | 'lastUsedAt' | 'familyId'>): Promise<void>
    /** The record whose current id this is; null for an unknown, expired or rotated id. */
    get(deviceHash: string): Promise<LoginTokenRecord | null>
    /** The replaced id `deviceHash`, until its family's expiry; null otherwise. */
    getRotated(deviceHash: string): Promise<RotatedLoginDevice | null>
    /**
     * Give the device a new id and refresh token and keep the old id as rotated, in one
     * transaction; createdAt and expiresAt stay. False (nothing written) when `deviceHash` is not
     * the current id of a live record, e.g. because a concurrent request rotated it first.
     */
    rotate(deviceHash: string, next: { deviceHash: string; refreshToken: string }): Promise<boolean>
    /** Forget the device whose current id this is (its rotated ids stay recognisable). */
    delete(deviceHash: string): Promise<void>
    /** Forget the device of this family; resolves to the number of records deleted (0 or 1). */
    deleteFamily(familyId: string): Promise<number>
    /** Forget every device of a user; resolves to how many there were. */
    deleteForUser(userId: string): Promise<number>
    /** Delete expired devices and rotated ids; resolves to how many rows went. */
    pruneExpired(): Promise<number>
  }

  sessions: {
    get(sid: string): Promise<SessionRecord | null>
    /**
     * The session when it can be answered from memory at once and is known to be current (SQLite:
     * nothing committed elsewhere since it was read), else undefined: then ask `get`. Optional.
     */
    held?(sid: string): SessionRecord | undefined
    /**
     * `expiresAt` applies to a new session; an existing one keeps its expiry (absolute lifetime).
     * Resolves to the expiry the stored session has.
     */
    set(sid: string, data: string, expiresAt: Date): Promise<Date>
    destroy(sid: string): Promise<void>
    pruneExpired(): Promise<number>
  }

  audit: {
    add(entry: AuditEntryInput): Promise<void>
    /** Newest first. */
    list(filter?: { profileId?: string; kind?: string; limit?: number; beforeId?: number }): Promise<AuditEntry[]>
    pruneOlderThan(date: Date): Promise<number>
  }

  /** Named leases so that periodic jobs run once across instances. */
  leases: {
    /** True when `holder` now holds `name` until now + ttlMs (taken or renewed). */
    acquire(name: string, holder: string, ttlMs: number): Promise<boolean>
    release(name: string, holder: string): Promise<void>
  }

  /**
   * Attempt counters (password throttling), in the store's database so that every instance sees
   * the same counts. Counting is atomic: parallel attempts never read the same count. Windows run on
   * the system clock (rate-limiter-flexible reads `Date.now()`), not on the injected `now`.
   */
  attempts: {
    /** A family of counters named `name`: at most `max` attempts per key per window. */
    counter(name: string, limits: { max: number; windowMs: number }): AttemptCounter
    /** Delete the counters whose window has ended; returns how many. */
    pruneExpired(): Promise<number>
  }

  /** How profiles and login providers authenticate at their token endpoints, and their certificates. */
  credentials: CredentialsStore

  /** Re-encrypt every secret under the newest key; returns how many values were rewritten. */
  reencryptAll(): Promise<number>
}
