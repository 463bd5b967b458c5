/**
 * The token provider. Three layers keep a refresh to exactly one request, however many callers:
 *  1. a memory cache answers while the access token is valid beyond the refresh margin;
 *  2. inside the process, callers of the same profile share one pending promise;
 *  3. across processes, the store's refresh lock; under it the record is re-read, and a token that
 *     another instance has just refreshed is used instead of refreshing again.
 * The new access token and a rotated refresh token are written in one patch under that lock, so a
 * process killed before the write loses nothing (the old refresh token is still stored and valid).
 */
import type { TokenContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import type { Profile, TokenPatch, TokenRecord } from '../store/types.js'
import { classifyProviderError, providerErrorClass, type ProviderErrorClass } from '../oauth/provider-errors.js'
import { requestTokens } from './grant.js'
import { failurePatch, refusedError, tokenError } from './failure.js'
import type { AccessToken, GetAccessTokenOptions } from './types.js'
import { errorLogFields } from '../ops/log-fields.js'

type LockOutcome =
  | { kind: 'token'; token: AccessToken; refreshed: boolean }
  | { kind: 'refused'; error: AuthdockError }
  | { kind: 'failed'; cls: ProviderErrorClass; previousStatus: string | null; fallback?: AccessToken; error?: unknown }

/** A profile's cached token, shared by every key (id, name) that names the profile. */
interface Slot {
  token: AccessToken | undefined
}

export class TokenCache {
  /** profile id → its slot. */
  private readonly slots = new Map<string, Slot>()
  /**
   * id or name → the profile's slot, learnt from successful loads: one lookup on the hot path,
   * and a refresh through one key is seen through the others.
   */
  private readonly keys = new Map<string, Slot>()
  private readonly pending = new Map<string, { force: boolean; promise: Promise<AccessToken> }>()
  /** Bumped by invalidate(): a load that started before must not put its token back. */
  private generation = 0

  constructor(private readonly ctx: TokenContext) {}

  /** The cached token when it is valid beyond the margin; never asks the store. */
  peek(key: string): AccessToken | undefined {
    const token = this.keys.get(key)?.token
    if (token && token.expiresAt.getTime() - this.ctx.config.tokens.refreshMarginMs > this.ctx.now()) return token
    return undefined
  }

  async get(key: string, options: GetAccessTokenOptions = {}): Promise<AccessToken> {
    const force = options.forceRefresh === true
    if (!force) {
      const cached = this.peek(key)
      if (cached) return cached
    }
    // A forced call may join a forced load only: a plain load might just return the rejected token.
    const running = this.pending.get(key)
    if (running && (running.force || !force)) return running.promise
    // The token a forced caller holds is the one the server rejected: any other valid one will do.
    const rejected = force ? this.keys.get(key)?.token?.accessToken : undefined
    const promise = this.load(key, force, rejected).finally(() => {
      if (this.pending.get(key)?.promise === promise) this.pending.delete(key)
    })
    this.pending.set(key, { force, promise })
    return promise
  }

  invalidate(profileId: string): void {
    this.generation++
    const slot = this.slots.get(profileId)
    if (!slot) return
    slot.token = undefined
    this.slots.delete(profileId)
    for (const [key, s] of this.keys) if (s === slot) this.keys.delete(key)
  }

  clear(): void {
    this.generation++
    this.slots.clear()
    this.keys.clear()
  }

  private remember(key: string, token: AccessToken, generation: number): AccessToken {
    if (generation !== this.generation) return token
    let slot = this.slots.get(token.profileId)
    if (!slot) this.slots.set(token.profileId, (slot = { token }))
    slot.token = token
    this.keys.set(key, slot)
    return token
  }

  private async load(key: string, force: boolean, rejected: string | undefined): Promise<AccessToken> {
    const { store } = this.ctx
    const generation = this.generation
    const profile = (await store.profiles.get(key)) ?? (await store.profiles.getByName(key))
    if (!profile)
      throw new AuthdockError('PROFILE_NOT_FOUND', `No OAuth2 profile "${key}"`, { details: { profile: key } })
    if (!profile.valid) {
      throw new AuthdockError(
        'TOKEN_PROFILE_INVALID',
        `OAuth2 profile "${profile.name}" is marked as not valid; mark it valid to use it.`,
        {
          details: { profileId: profile.id, hintKey: 'tokens.hint.profileInvalid' },
        },
      )
    }
    const record = await store.tokens.get(profile.id)
    if (this.fresh(record) && (!force || (rejected !== undefined && record.accessToken !== rejected))) {
      return this.remember(key, toToken(record), generation)
    }
    const refused = this.refusal(profile, record)
    if (refused) {
      // Inside the margin but not yet expired: better a token that still works than an error.
      if (!force && notExpired(record, this.ctx.now())) return toToken(record)
      throw refused
    }

    const { lockTimeoutMs } = this.ctx.config.tokens
    const outcome = await store.tokens.withRefreshLock<LockOutcome>(
      profile.id,
      async (current) => {
        // Another instance may have refreshed while we waited for the lock.
        const changed =
          rejected !== undefined ? current?.accessToken !== rejected : current?.version !== record?.version
        if (this.fresh(current) && (!force || changed)) {
          return { patch: null, result: { kind: 'token', token: toToken(current), refreshed: false } }
        }
        const again = this.refusal(profile, current)
        if (again && !force && notExpired(current, this.ctx.now())) {
          return { patch: null, result: { kind: 'token', token: toToken(current), refreshed: false } }
        }
        if (again) return { patch: null, result: { kind: 'refused', error: again } }
        const outcome = await this.refreshUnderLock(profile, current)
        // A failed refresh inside the margin still leaves a token that works until it expires.
        if (
          outcome.result.kind === 'failed' &&
          !force &&
          notExpired(current, this.ctx.now()) &&
          outcome.patch?.accessToken !== null
        ) {
          outcome.result.fallback = toToken(current)
        }
        return outcome
      },
      { timeoutMs: lockTimeoutMs, waitMs: lockTimeoutMs },
    )
    return this.settle(key, profile, outcome, generation)
  }

  private async refreshUnderLock(
    profile: Profile,
    current: TokenRecord | null,
  ): Promise<{ patch: TokenPatch | null; result: LockOutcome }> {
    const now = () => this.ctx.now()
    try {
      const { patch, missingScopes } = await requestTokens(this.ctx, profile, current)
      if (missingScopes.length > 0) {
        // Keep a rotated refresh token, but not an access token that cannot do the job.
        const cls = providerErrorClass('scopeMissing')
        const failed = failurePatch(this.ctx.config, now(), current, cls)
        return {
          patch: { ...patch, ...failed, accessToken: null, accessTokenExpiresAt: null },
          result: { kind: 'failed', cls, previousStatus: current?.status ?? null },
        }
      }
      const token: AccessToken = {
        profileId: profile.id,
        accessToken: patch.accessToken!,
        expiresAt: patch.accessTokenExpiresAt!,
      }
      return { patch, result: { kind: 'token', token, refreshed: true } }
    } catch (err) {
      const cls = classifyProviderError(err)
      return {
        patch: failurePatch(this.ctx.config, now(), current, cls),
        result: { kind: 'failed', cls, previousStatus: current?.status ?? null, error: err },
      }
    }
  }

  private async settle(key: string, profile: Profile, outcome: LockOutcome, generation: number): Promise<AccessToken> {
    const { events } = this.ctx
    if (outcome.kind === 'token') {
      if (outcome.refreshed) events.emit('token.refreshed', { profileId: profile.id })
      return this.remember(key, outcome.token, generation)
    }
    if (outcome.kind === 'refused') throw outcome.error
    const { cls } = outcome
    this.invalidate(profile.id)
    // What went wrong (the hint, and the failure under it: a refused connection, the provider's error) for the operator.
    this.ctx.logger.warn(
      {
        profileId: profile.id,
        code: cls.code,
        providerCode: cls.providerCode,
        message: cls.hint,
        ...(outcome.error === undefined ? {} : { err: errorLogFields(outcome.error) }),
      },
      'authdock: token request failed',
    )
    events.emit('token.failed', { profileId: profile.id, code: cls.code })
    if (cls.status === 'reauthorization_required' && outcome.previousStatus !== 'reauthorization_required') {
      events.emit('profile.reauthorization_required', { profileId: profile.id })
    }
    await this.ctx.store.audit
      .add({
        kind: 'token.failed',
        actor: null,
        profileId: profile.id,
        details: {
          code: cls.code,
          status: cls.status,
          ...(cls.providerCode ? { providerCode: cls.providerCode } : {}),
        },
      })
      .catch((err: unknown) => this.ctx.logger.error({ err: String(err) }, 'authdock: audit write failed'))
    if (outcome.fallback) return outcome.fallback
    throw tokenError(profile, cls)
  }

  /** Usable without a refresh: status ok and valid beyond the margin. */
  private fresh(
    record: TokenRecord | null,
  ): record is TokenRecord & { accessToken: string; accessTokenExpiresAt: Date } {
    return (
      !!record?.accessToken &&
      !!record.accessTokenExpiresAt &&
      record.accessTokenExpiresAt.getTime() - this.ctx.config.tokens.refreshMarginMs > this.ctx.now()
    )
  }

  /**
   * Why the provider must not be asked now, or null. An earlier failure blocks until the backoff
   * ends (re-authorization needed: until re-authorized), unless the profile was edited after it.
   */
  private refusal(profile: Profile, record: TokenRecord | null): AuthdockError | null {
    if (profile.grantType === 'authorization_code' && !record?.refreshToken) {
      return new AuthdockError(
        'TOKEN_NOT_AUTHORIZED',
        `OAuth2 profile "${profile.name}" has no authorization yet; run "Renew authorization".`,
        {
          details: { profileId: profile.id, hintKey: 'tokens.hint.notAuthorized' },
        },
      )
    }
    if (!record || (record.status === 'ok' && !record.nextAttemptAt)) return null
    const editedSince = record.lastErrorAt !== null && profile.updatedAt.getTime() > record.lastErrorAt.getTime()
    if (editedSince) return null
    if (record.status === 'reauthorization_required')
      return refusedError(profile, record, 'TOKEN_REAUTHORIZATION_REQUIRED')
    const retryAt = record.nextAttemptAt
    if (retryAt && retryAt.getTime() > this.ctx.now()) {
      const code = record.status === 'secret_expired' ? 'TOKEN_SECRET_EXPIRED' : 'TOKEN_BACKOFF'
      return refusedError(profile, record, code, retryAt)
    }
    return null
  }
}

function toToken(record: TokenRecord & { accessToken: string; accessTokenExpiresAt: Date }): AccessToken {
  return { profileId: record.profileId, accessToken: record.accessToken, expiresAt: record.accessTokenExpiresAt }
}

function notExpired(
  record: TokenRecord | null,
  now: number,
): record is TokenRecord & { accessToken: string; accessTokenExpiresAt: Date } {
  return !!record?.accessToken && !!record.accessTokenExpiresAt && record.accessTokenExpiresAt.getTime() > now
}
