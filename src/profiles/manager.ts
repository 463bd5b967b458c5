/**
 * `dock.profiles`: OAuth2 profiles for the host's own code (a setup script, its own admin, a
 * migration). Every call goes through the {@link ProfileService} that the admin pages use, so it
 * validates like the admin, writes the audit entry, emits the event and drops the cached token;
 * nothing here touches the store directly.
 */
import type { Request } from 'express'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import type { Profile, ProfileInput, TokenSummary } from '../store/types.js'
import { startAuthorization } from './authorize.js'
import { mergeForPatch, parseProfileInput } from './schema.js'
import { actorOf, type ProfileService } from './service.js'
import type { ClearTokensResult } from './clear-tokens.js'

/**
 * Profile fields as the host's code passes them: those of the admin form. `clientSecret`: a
 * string sets it, null removes it, absent keeps it. `secretExpiresAt` takes a Date or `YYYY-MM-DD`.
 *
 * @example
 * await dock.profiles.update('Support mailbox', { scope: 'offline_access https://outlook.office.com/IMAP.AccessAsUser.All' })
 */
export type ProfileFields = Omit<Partial<ProfileInput>, 'secretExpiresAt'> & { secretExpiresAt?: Date | string | null }

/**
 * A new profile: the fields without which no token can be had.
 *
 * @example
 * const fields: NewProfile = { name: 'Support mailbox', ...microsoft365Preset(tenantId), clientId, clientSecret }
 * await dock.profiles.create(fields, { actor: 'setup' })
 */
export type NewProfile = ProfileFields & Pick<ProfileInput, 'name' | 'tokenUrl' | 'clientId'>

/**
 * Who acts, for the audit trail (a person, or a name for a script such as `"setup"`).
 *
 * @example
 * await dock.profiles.delete('Old mailbox', { actor: req.user.email })
 */
export interface ActorOption {
  actor?: string | null
}

/**
 * The profile operations of `dock.profiles`, one service with the admin's (README "OAuth2 profiles
 * from your code").
 *
 * @example
 * const profile = await dock.profiles.create(fields, { actor: 'setup' })
 * const { tokensCleared } = await dock.profiles.update(profile.id, { scope }, { actor: 'alice' })
 */
export interface ProfileManager {
  /**
   * Every profile, by name (no secrets: `hasClientSecret` only).
   *
   * @example
   * const names = (await dock.profiles.list()).map((p) => p.name)
   */
  list(): Promise<Profile[]>
  /**
   * One profile by id or name. Throws PROFILE_NOT_FOUND.
   *
   * @example
   * const profile = await dock.profiles.get('Office 365 mailbox')
   */
  get(idOrName: string): Promise<Profile>
  /**
   * The token state of a profile (status, expiry, last error, who authorized it), never a token.
   * Null while it was never authorized. Throws PROFILE_NOT_FOUND.
   *
   * @example
   * const state = await dock.profiles.tokenState('Office 365 mailbox')
   * if (state?.status === 'reauthorization_required') alertAdmins()
   */
  tokenState(idOrName: string): Promise<TokenSummary | null>
  /**
   * Create a profile: validated as in the admin (VALIDATION_FAILED naming the fields,
   * PROFILE_NAME_TAKEN), audited as `profile.created`, event `profile.created`.
   *
   * @example
   * await dock.profiles.create({ name: 'Office 365 mailbox', authorizationUrl, tokenUrl, clientId, clientSecret, scope: 'offline_access https://outlook.office.com/SMTP.Send' }, { actor: 'setup' })
   */
  create(fields: NewProfile, options?: ActorOption): Promise<Profile>
  /**
   * Change the fields given; the others keep their values (the client secret too). Validated and
   * bound like the admin's edit (PROFILE_SECRET_REQUIRED when a URL moves to another server),
   * audited as `profile.updated`; the cached token is dropped. `tokensCleared`: the change made the
   * stored tokens unusable (URL, client id, scope or grant type changed).
   *
   * @example
   * await dock.profiles.update('Office 365 mailbox', { clientSecret: newSecret, secretExpiresAt: '2027-01-31' }, { actor: 'alice' })
   */
  update(
    idOrName: string,
    fields: ProfileFields,
    options?: ActorOption,
  ): Promise<{ profile: Profile; tokensCleared: boolean }>
  /**
   * Delete a profile and its tokens. Refused with PROFILE_IN_USE while `admin.profileUsers` names
   * users of it. Audited as `profile.deleted`.
   *
   * @example
   * await dock.profiles.delete('Old mailbox', { actor: 'alice' })
   */
  delete(idOrName: string, options?: ActorOption): Promise<Profile>
  /**
   * Revoke the tokens of a profile at the provider (RFC 7009, where it offers it) and drop them:
   * it then needs "Renew authorization". Audited and emitted as `profile.tokens_cleared`; the
   * result says what the provider revoked.
   *
   * @example
   * const { refreshToken } = await dock.profiles.clearTokens('Dev mailbox', { actor: 'setup' }) // 'revoked', 'no_endpoint' …
   */
  clearTokens(idOrName: string, options?: ActorOption): Promise<ClearTokensResult>
  /**
   * Start "Renew authorization" for the administrator of this request (the host's own button):
   * returns the provider's authorization URL to redirect the browser to. The provider sends it
   * back to `paths.oauth2Redirect`, which the `admin.guard` must admit, in the same session.
   * The actor is the request's (`admin.actor`, else the user's name).
   *
   * @example
   * app.post('/settings/mailbox/authorize', async (req, res) => res.redirect(303, await dock.profiles.authorize('Office 365 mailbox', req)))
   */
  authorize(idOrName: string, req: Request): Promise<string>
  /**
   * What uses a profile, as the host's `admin.profileUsers` says (empty without it).
   *
   * @example
   * const users = await dock.profiles.usersOf('Office 365 mailbox')
   */
  usersOf(idOrName: string): Promise<string[]>
}

export function createProfileManager(ctx: DockContext, service: ProfileService): ProfileManager {
  const find = async (idOrName: string): Promise<Profile> => {
    if (typeof idOrName !== 'string' || idOrName === '') {
      throw new AuthdockError('PROFILE_NOT_FOUND', 'Name an OAuth2 profile by its id or its name.')
    }
    const profile = (await ctx.store.profiles.get(idOrName)) ?? (await ctx.store.profiles.getByName(idOrName))
    if (!profile)
      throw new AuthdockError('PROFILE_NOT_FOUND', `There is no OAuth2 profile "${idOrName.slice(0, 100)}".`)
    return profile
  }
  const parse = (body: unknown) => parseProfileInput(body, { config: ctx.config, source: 'json' })
  const actor = (options?: ActorOption) => options?.actor ?? null

  return {
    async list() {
      return (await service.rows()).map((row) => row.profile)
    },
    get: find,
    async tokenState(idOrName) {
      return (await service.row((await find(idOrName)).id)).token
    },
    async create(fields, options) {
      return service.create(parse(fields), actor(options))
    },
    async update(idOrName, fields, options) {
      const current = await find(idOrName)
      return service.update(current.id, parse(mergeForPatch(current, fields)), actor(options))
    },
    async delete(idOrName, options) {
      return service.delete((await find(idOrName)).id, actor(options))
    },
    async clearTokens(idOrName, options) {
      return service.clearTokens((await find(idOrName)).id, actor(options))
    },
    async authorize(idOrName, req) {
      return startAuthorization(ctx, req, await find(idOrName), actorOf(ctx, req))
    },
    async usersOf(idOrName) {
      return service.usersOf((await find(idOrName)).id)
    },
  }
}
