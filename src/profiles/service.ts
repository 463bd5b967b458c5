/**
 * Profile operations behind both routers: create, update and delete with their audit entries, the
 * "in use" check before a delete, and the overview rows (profiles with their token summaries).
 * Nothing here returns or records a client secret or a token.
 */
import type { Request } from 'express'
import type { ResolvedConfig } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError, isAuthdockError } from '../errors.js'
import { fieldMessage } from '../http/i18n.js'
import type { Profile, ProfileInput, ProfilePage, ProfilePageQuery, TokenSummary } from '../store/types.js'
import type { TokenProvider } from '../tokens/types.js'
import { testMailConnection, type ConnectionTestReport } from '../mail/test-connection.js'
import { secretMoves } from '../store/secret-binding.js'
import { finishAuthorization, startAuthorization, type AuthorizationResult } from './authorize.js'
import { clearProfileTokens, type ClearTokensResult } from './clear-tokens.js'
import { PROFILE_SETTINGS } from './schema.js'
import { auditValues, creationValues, settingChanges } from '../audit/setting-changes.js'
import { presetDeps, presetValues, type PresetId, type PresetValues } from './presets.js'

/**
 * A profile with its token state, for the overview, the CSV and the JSON list.
 *
 * @example
 * const rows: ProfileRow[] = await Promise.all((await dock.profiles.list()).map(async (profile) => ({ profile, token: await dock.profiles.tokenState(profile.id) })))
 * res.type('text/csv').send(profilesCsv(rows))
 */
export interface ProfileRow {
  profile: Profile
  token: TokenSummary | null
}

/**
 * Who is acting, for the audit trail and "Renewed by": the host's `admin.actor`, else the
 * logged-in user's name (username, displayName, name or email), its id only when it has none.
 */
export function actorOf(ctx: { config: Pick<ResolvedConfig, 'admin'> }, req: Request): string | null {
  const fromHost = ctx.config.admin.actor?.(req)
  if (fromHost) return fromHost
  const user = req.user as Record<string, unknown> | undefined
  for (const key of ['username', 'displayName', 'name', 'email', 'id']) {
    const value = user?.[key]
    if ((typeof value === 'string' && value.trim()) || (typeof value === 'number' && Number.isFinite(value)))
      return String(value)
  }
  return null
}

function nameTaken(): AuthdockError {
  return new AuthdockError('PROFILE_NAME_TAKEN', 'Another profile already has this name. Choose a different name.', {
    fields: { name: 'is already used by another profile' },
  })
}

const MOVED_NAMES: Record<string, string> = {
  grantType: 'the grant type',
  tokenUrl: 'the server of the token URL',
  authorizationUrl: 'the server of the authorization URL',
}

function secretRequired(moved: string[]): AuthdockError {
  const what = moved.map((f) => MOVED_NAMES[f]).join(' and ')
  return new AuthdockError(
    'PROFILE_SECRET_REQUIRED',
    `${what[0].toUpperCase()}${what.slice(1)} changed, so the stored client secret is not kept: enter the client secret again, or remove it.`,
    {
      fields: {
        clientSecret: fieldMessage('secretReenter'),
      },
      details: { moved },
    },
  )
}

export class ProfileService {
  constructor(
    private readonly ctx: DockContext,
    private readonly tokens: TokenProvider,
  ) {}

  /** Profiles by name with their token summaries (read from the summaries, never the secrets). */
  async rows(): Promise<ProfileRow[]> {
    const [profiles, summaries] = await Promise.all([this.ctx.store.profiles.list(), this.ctx.store.tokens.summaries()])
    const byId = new Map(summaries.map((s) => [s.profileId, s]))
    return profiles
      .map((profile) => ({ profile, token: byId.get(profile.id) ?? null }))
      .sort((a, b) => a.profile.name.localeCompare(b.profile.name))
  }

  /** One page of the overview, searched and filtered in the store (see `profiles.page`). */
  page(query: ProfilePageQuery): Promise<ProfilePage> {
    return this.ctx.store.profiles.page(query)
  }

  /**
   * Every row, a page at a time, for exports: memory holds one batch, not the whole overview.
   * Rows added or removed while it runs may shift a row across a batch boundary.
   */
  async *eachRow(query: Omit<ProfilePageQuery, 'page' | 'pageSize'> = {}, batch = 500): AsyncGenerator<ProfileRow> {
    for (let page = 1; ; page++) {
      const { rows } = await this.ctx.store.profiles.page({ ...query, page, pageSize: batch })
      yield* rows
      if (rows.length < batch) return
    }
  }

  /** Throws PROFILE_NOT_FOUND. */
  async get(id: string): Promise<Profile> {
    const profile = await this.ctx.store.profiles.get(id)
    if (!profile)
      throw new AuthdockError('PROFILE_NOT_FOUND', 'There is no OAuth2 profile with this id. It may have been deleted.')
    return profile
  }

  async row(id: string): Promise<ProfileRow> {
    const profile = await this.get(id)
    return { profile, token: await this.ctx.store.tokens.summary(id) }
  }

  async create(input: ProfileInput, actor: string | null): Promise<Profile> {
    if (await this.ctx.store.profiles.getByName(input.name)) throw nameTaken()
    const profile = await this.withNameCheck(() => this.ctx.store.profiles.create(input))
    await this.ctx.store.audit.add({
      kind: 'profile.created',
      actor,
      profileId: profile.id,
      details: {
        name: profile.name,
        ...creationValues(profile, PROFILE_SETTINGS, input.clientSecret),
      },
    })
    this.ctx.events.emit('profile.created', { profileId: profile.id, name: profile.name, actor })
    return profile
  }

  /** Returns whether the stored tokens were cleared (they belong to the old settings). */
  async update(
    id: string,
    input: ProfileInput,
    actor: string | null,
  ): Promise<{ profile: Profile; tokensCleared: boolean }> {
    const before = await this.get(id)
    const other = await this.ctx.store.profiles.getByName(input.name)
    if (other && other.id !== id) throw nameTaken()
    // The stored secret stays with the server it was entered for: a move needs it entered again.
    const moved = before.hasClientSecret && input.clientSecret === undefined ? secretMoves(before, input) : []
    if (moved.length > 0) throw secretRequired(moved)
    const secretChanged =
      input.clientSecret !== undefined && input.clientSecret !== (await this.ctx.store.profiles.getClientSecret(id))
    const result = await this.withNameCheck(() => this.ctx.store.profiles.update(id, input))
    // Any change may alter what the cached token was obtained with; the cache must re-read.
    this.tokens.invalidate(id)
    const changes = settingChanges(before, result.profile, PROFILE_SETTINGS)
    await this.ctx.store.audit.add({
      kind: 'profile.updated',
      actor,
      profileId: id,
      details: {
        name: result.profile.name,
        changes,
        secretChanged: secretChanged ? 'yes' : 'no',
        tokensCleared: result.tokensCleared,
      },
    })
    this.ctx.events.emit('profile.updated', {
      profileId: id,
      name: result.profile.name,
      actor,
      tokensCleared: result.tokensCleared,
    })
    return result
  }

  /** Refused with PROFILE_IN_USE (naming the users) when the host says the profile is used. */
  async delete(id: string, actor: string | null): Promise<Profile> {
    const profile = await this.get(id)
    const users = await this.usersOf(id)
    if (users.length > 0) {
      const shown = users.slice(0, 20).join(', ') + (users.length > 20 ? ` and ${users.length - 20} more` : '')
      throw new AuthdockError(
        'PROFILE_IN_USE',
        `The profile "${profile.name}" is still used by: ${shown}. Change those to another profile first.`,
        {
          details: { users },
        },
      )
    }
    await this.ctx.store.profiles.delete(id)
    this.tokens.invalidate(id)
    await this.ctx.store.audit.add({
      kind: 'profile.deleted',
      actor,
      profileId: id,
      details: { name: profile.name, values: auditValues(profile, PROFILE_SETTINGS) },
    })
    this.ctx.events.emit('profile.deleted', { profileId: id, name: profile.name, actor })
    return profile
  }

  /** Revoke the profile's tokens at the provider (where it can) and drop them. Throws PROFILE_NOT_FOUND. */
  async clearTokens(id: string, actor: string | null): Promise<ClearTokensResult> {
    return clearProfileTokens(this.ctx, this.tokens, await this.get(id), actor)
  }

  /**
   * Start "renew authorization": the provider's authorization URL for the administrator, with the
   * PKCE verifier and state kept in the session. Throws PROFILE_NOT_FOUND or AUTHORIZATION_FAILED.
   */
  async startAuthorization(req: Request, id: string, actor: string | null): Promise<string> {
    return startAuthorization(this.ctx, req, await this.get(id), actor)
  }

  /** Finish it at the redirect: check the state, exchange the code, store the tokens (see authorize.ts). */
  finishAuthorization(req: Request): Promise<AuthorizationResult> {
    return finishAuthorization(this.ctx, this.tokens, req)
  }

  /**
   * "Test connection": get the profile's token and try a real AUTH at the given mail host, always
   * over TLS whose certificate verifies (`mail.tls.ca` only adds a private CA), because the token
   * crosses the connection. Throws PROFILE_NOT_FOUND, VALIDATION_FAILED naming the field, or
   * OUTBOUND_ADDRESS_REFUSED.
   */
  async testConnection(
    id: string,
    input: { type: unknown; host: unknown; port?: number; user: unknown },
  ): Promise<ConnectionTestReport> {
    const profile = await this.get(id)
    return testMailConnection(this.tokens, {
      profileId: profile.id,
      type: input.type as never,
      host: input.host as string,
      port: input.port,
      user: input.user as string,
      tls: this.ctx.config.mail.tls,
      lookup: this.ctx.config.lookup,
    })
  }

  /** A preset's field values; Keycloak and GitLab read the issuer's discovery document. */
  presetValues(preset: PresetId, input: { tenantId?: string; issuer?: string }): Promise<PresetValues> {
    return presetValues(preset, input, presetDeps(this.ctx))
  }

  /**
   * Who uses the profile according to the host (`admin.profileUsers`); empty when the host does not
   * say. The host gets the name too: its mail accounts may name the profile as getAccessToken does.
   */
  async usersOf(id: string): Promise<string[]> {
    const profileUsers = this.ctx.config.admin.profileUsers
    if (!profileUsers) return []
    const profile = await this.get(id)
    const users = (await profileUsers({ profileId: id, profileName: profile.name })) ?? []
    return users.map(String)
  }

  /** A concurrent create with the same name loses in the store; report it on the name field. */
  private async withNameCheck<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (isAuthdockError(err, 'PROFILE_NAME_TAKEN')) throw nameTaken()
      throw err
    }
  }
}
