/**
 * What `dock.events` (and a token worker's `events`) emit: one map from event name to payload, so
 * a listener gets its payload typed and a misspelt name does not compile.
 */
import { EventEmitter } from 'node:events'
import type { AuthdockErrorCode } from './errors.js'
import type { LoginFailedEvent, LoginSucceededEvent } from './login/outcome.js'
import type { DeviceReusedEvent } from './login/device.js'
import type { SecretFinding } from './ops/secret-expiry.js'

/**
 * A profile created, changed or deleted (from the admin or `dock.profiles`).
 *
 * @example
 * dock.events.on('profile.updated', (e: ProfileChangeEvent) => e.tokensCleared && notify(e.name))
 */
export interface ProfileChangeEvent {
  profileId: string
  name: string
  actor: string | null
  /** `profile.updated` only: the change cleared the stored tokens. */
  tokensCleared?: boolean
}

/**
 * A certificate generated, activated or removed.
 *
 * @example
 * dock.events.on('certificate.activated', (e: CertificateEvent) => log.info({ thumbprint: e.thumbprint }))
 */
export interface CertificateEvent {
  ownerKind: 'profile' | 'login-provider'
  ownerId: string
  certificateId: string
  /** SHA-1 thumbprint. */
  thumbprint: string
  active: boolean
  notAfter: Date
  actor: string | null
  /** `certificate.activated` only: the thumbprint it replaced. */
  previous?: string | null
}

/**
 * A login provider managed in the admin was created, changed or deleted.
 *
 * @example
 * dock.events.on('loginProvider.updated', (e: LoginProviderChangeEvent) => e.secretChanged && audit(e.label))
 */
export interface LoginProviderChangeEvent {
  providerId: string
  label: string
  actor: string | null
  secretChanged?: boolean
  claimChanged?: boolean
}

/**
 * Every event of `dock.events`, by name, with its payload.
 *
 * @example
 * dock.events.on('token.failed', ({ profileId, code }) => alertAdmins(profileId, code))
 */
export interface AuthdockEvents {
  'login.succeeded': LoginSucceededEvent
  'login.failed': LoginFailedEvent
  logout: { userId: string; providerId: string | null }
  'login.device_reused': DeviceReusedEvent
  'profile.created': ProfileChangeEvent
  'profile.updated': ProfileChangeEvent
  'profile.deleted': ProfileChangeEvent
  'profile.authorized': {
    profileId: string
    name: string
    authorizedBy: string | null
    authorizedAccount: string | null
    /** The profile names a mailbox and another account consented. */
    accountMismatch: boolean
  }
  /** `revoked`: the provider confirmed the revocation of every stored token. */
  'profile.tokens_cleared': { profileId: string; name: string; actor: string | null; revoked: boolean }
  'profile.reauthorization_required': { profileId: string }
  'token.refreshed': { profileId: string }
  'token.failed': { profileId: string; code: AuthdockErrorCode }
  'secret.expiring': SecretFinding
  'certificate.generated': CertificateEvent
  'certificate.activated': CertificateEvent
  'certificate.removed': CertificateEvent
  'client_auth.changed': {
    ownerKind: 'profile' | 'login-provider'
    ownerId: string
    method: 'client_secret' | 'private_key_jwt'
    actor: string | null
  }
  'loginProvider.created': LoginProviderChangeEvent
  'loginProvider.updated': LoginProviderChangeEvent
  'loginProvider.deleted': LoginProviderChangeEvent
  /** A listener threw; authdock logs it. */
  error: unknown
}

/**
 * The name of an authdock event.
 *
 * @example
 * const watched: AuthdockEventName[] = ['token.failed', 'secret.expiring']
 */
export type AuthdockEventName = keyof AuthdockEvents

/**
 * `dock.events`: a Node EventEmitter whose `on`, `once`, `off` and `emit` know the names and
 * payloads of {@link AuthdockEvents}.
 *
 * @example
 * dock.events.on('profile.authorized', (e) => log.info({ profile: e.name }, 'authorized'))
 */
export type AuthdockEventEmitter = EventEmitter<{ [K in AuthdockEventName]: [AuthdockEvents[K]] }>

/** A new emitter of authdock's events. */
export function createEventEmitter(): AuthdockEventEmitter {
  return new EventEmitter<{ [K in AuthdockEventName]: [AuthdockEvents[K]] }>()
}
