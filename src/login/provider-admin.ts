/**
 * The only writer of admin-managed login providers: create, update and delete with their audit
 * entries (through the one redacting write path) and events, the claim-change confirmation, and
 * what the admin pages and the JSON API list. Providers of the `oidc` option are shown, never
 * written ("from configuration"). Nothing here returns or records a client secret.
 */
import type { ProviderConfig } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError, isAuthdockError } from '../errors.js'
import type { CredentialService } from '../credentials/service.js'
import type { ClientAuthMethod } from '../store/credential-types.js'
import type { LoginProviderInput, LoginProviderRecord } from '../store/types.js'
import { LOGIN_PROVIDER_SETTINGS, callbackPathOf, isStoreProviderId, newStoreProviderId } from './provider-schema.js'
import { auditValues, creationValues, settingChanges } from '../audit/setting-changes.js'
import type { WellKnownReport } from './types.js'
import { refusedReport, testWellKnown } from './well-known.js'

/**
 * A provider as the admin lists it: from the options (read-only) or from the store.
 *
 * @example
 * for (const p of await dock.loginProviders.service.list()) console.log(p.source, p.provider.id, p.redirectUri)
 */
export type ListedLoginProvider =
  | { source: 'options'; readOnly: true; provider: ProviderConfig; redirectUri: string; clientAuth: ClientAuthMethod }
  | {
      source: 'admin'
      readOnly: false
      provider: LoginProviderRecord
      redirectUri: string
      clientAuth: ClientAuthMethod
    }

/** What the service needs of the credentials: the owner and the choice of its method. */
export type LoginProviderCredentials = Pick<CredentialService, 'owner' | 'chooseMethod'>

/** Options of {@link LoginProviderService.create} and {@link LoginProviderService.update}. */
export interface LoginProviderWriteOptions {
  /** New identifying claim confirmed (update). */
  confirmClaimChange?: boolean
  /** Client secret or certificate; undefined keeps the provider's method (a new provider: the secret). */
  clientAuth?: ClientAuthMethod
}

function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : url
}

/** The stored secret was issued by the old issuer's server: it is never sent to another one. */
function secretRequired(from: string, to: string): AuthdockError {
  return new AuthdockError(
    'LOGIN_PROVIDER_SECRET_REQUIRED',
    `The issuer moved from ${from} to ${to}, so the stored client secret is not kept: enter the client secret again, or remove it.`,
    {
      fields: {
        clientSecret:
          'must be entered again because the issuer moved to another server (the stored secret is never sent to another server), or removed',
      },
      details: { from, to },
    },
  )
}

function notFound(): AuthdockError {
  return new AuthdockError(
    'LOGIN_PROVIDER_NOT_FOUND',
    'There is no login provider with this id. It may have been deleted.',
  )
}

/**
 * Login providers managed in the admin (`dock.loginProviders.service`): the only writer, with audit
 * entries and events.
 *
 * @example
 * const providers = await dock.loginProviders.service.list()
 */
export class LoginProviderService {
  constructor(
    private readonly ctx: DockContext,
    private readonly credentials: LoginProviderCredentials,
  ) {}

  /** How an admin-managed provider authenticates at its token endpoint (client secret unless chosen). */
  clientAuth(id: string): Promise<ClientAuthMethod> {
    return this.ctx.store.credentials.method({ kind: 'login-provider', id })
  }

  /** The redirect URI to register at the provider (admin-managed providers always have their own callback). */
  redirectUri(id: string): string {
    const { baseUrl, paths, oidc } = this.ctx.config
    return `${baseUrl}${paths.auth}${callbackPathOf(id, oidc.length)}`
  }

  /** A fresh id for the new-provider form, so its redirect URI can be registered before saving. */
  newId(): string {
    return newStoreProviderId()
  }

  /** The options' providers first (in their order), then the admin's by label. */
  async list(): Promise<ListedLoginProvider[]> {
    const stored = await this.ctx.store.loginProviders.list()
    return [
      ...this.ctx.config.oidc.map((provider) => ({
        source: 'options' as const,
        readOnly: true as const,
        provider,
        redirectUri: this.redirectUri(provider.id),
        clientAuth: provider.clientAuth.kind,
      })),
      ...(await Promise.all(
        stored.map(async (provider) => ({
          source: 'admin' as const,
          readOnly: false as const,
          provider,
          redirectUri: this.redirectUri(provider.id),
          clientAuth: await this.clientAuth(provider.id),
        })),
      )),
    ]
  }

  /** A provider of the options or the store; LOGIN_PROVIDER_NOT_FOUND otherwise. */
  async find(id: string): Promise<ListedLoginProvider> {
    const option = this.ctx.config.oidc.find((p) => p.id === id)
    if (option)
      return {
        source: 'options',
        readOnly: true,
        provider: option,
        redirectUri: this.redirectUri(id),
        clientAuth: option.clientAuth.kind,
      }
    const provider = await this.get(id)
    return {
      source: 'admin',
      readOnly: false,
      provider,
      redirectUri: this.redirectUri(id),
      clientAuth: await this.clientAuth(id),
    }
  }

  /** An admin-managed provider; LOGIN_PROVIDER_READ_ONLY for one of the options, else LOGIN_PROVIDER_NOT_FOUND. */
  async get(id: string): Promise<LoginProviderRecord> {
    if (this.ctx.config.oidc.some((p) => p.id === id)) {
      throw new AuthdockError(
        'LOGIN_PROVIDER_READ_ONLY',
        'This login provider comes from the configuration (the oidc option) and cannot be changed here.',
      )
    }
    const provider = isStoreProviderId(id) ? await this.ctx.store.loginProviders.get(id) : null
    if (!provider) throw notFound()
    return provider
  }

  /**
   * Store a new provider. With `clientAuth: 'private_key_jwt'` its first certificate is generated
   * and the method set (each audited): the admin uploads the certificate at the provider from its
   * certificates page, and no secret is needed.
   */
  async create(
    input: LoginProviderInput,
    actor: string | null,
    id: string = newStoreProviderId(),
    options: Pick<LoginProviderWriteOptions, 'clientAuth'> = {},
  ): Promise<LoginProviderRecord> {
    const provider = await this.ctx.store.loginProviders.create(id, input)
    await this.ctx.store.audit.add({
      kind: 'loginProvider.created',
      actor,
      details: {
        providerId: provider.id,
        label: provider.label,
        ...creationValues(provider, LOGIN_PROVIDER_SETTINGS, input.clientSecret),
      },
    })
    this.ctx.events.emit('loginProvider.created', { providerId: provider.id, label: provider.label, actor })
    if (options.clientAuth === 'private_key_jwt') await this.chooseClientAuth(provider.id, options.clientAuth, actor)
    return provider
  }

  /**
   * Save new settings. A new identifying claim on a provider that users have logged in through
   * needs `confirmClaimChange` (else LOGIN_PROVIDER_CLAIM_CHANGE_UNCONFIRMED naming how many): every
   * user mapping then has to be maintained again. Moving the issuer to another origin while a
   * secret is stored needs the secret again, or its removal (LOGIN_PROVIDER_SECRET_REQUIRED), unless
   * the provider authenticates with a certificate: then the old secret simply goes. A new
   * `clientAuth` is applied after the settings were saved (see {@link create}).
   */
  async update(
    id: string,
    input: LoginProviderInput,
    actor: string | null,
    options: LoginProviderWriteOptions = {},
  ): Promise<{ provider: LoginProviderRecord; claimChanged: boolean }> {
    const before = await this.get(id)
    const method = options.clientAuth ?? (await this.clientAuth(id))
    if (
      method !== 'private_key_jwt' &&
      before.hasClientSecret &&
      input.clientSecret === undefined &&
      originOf(before.issuer) !== originOf(input.issuer)
    ) {
      throw secretRequired(originOf(before.issuer), originOf(input.issuer))
    }
    const claimChanged = before.claim !== input.claim
    const users = claimChanged ? await this.ctx.store.loginProviders.userCount(id) : 0
    if (claimChanged && users > 0 && !options.confirmClaimChange) {
      throw new AuthdockError(
        'LOGIN_PROVIDER_CLAIM_CHANGE_UNCONFIRMED',
        `${users} user(s) have logged in through this provider with the claim "${before.claim}". With "${input.claim}" every user mapping must be maintained again. Confirm the change to save it.`,
        {
          fields: { claim: 'changing it means every user mapping must be maintained again: confirm the change' },
          details: { users, from: before.claim, to: input.claim },
        },
      )
    }
    const secretChanged =
      input.clientSecret !== undefined &&
      input.clientSecret !== (await this.ctx.store.loginProviders.getClientSecret(id))
    const { provider } = await this.ctx.store.loginProviders.update(id, input)
    const changes = settingChanges(before, provider, LOGIN_PROVIDER_SETTINGS)
    await this.ctx.store.audit.add({
      kind: 'loginProvider.updated',
      actor,
      details: { providerId: id, label: provider.label, changes, secretChanged: secretChanged ? 'yes' : 'no' },
    })
    if (claimChanged) {
      await this.ctx.store.audit.add({
        kind: 'loginProvider.claimChanged',
        actor,
        details: {
          providerId: id,
          label: provider.label,
          from: before.claim,
          to: provider.claim,
          usersLoggedIn: users,
          confirmed: users > 0,
        },
      })
    }
    this.ctx.events.emit('loginProvider.updated', {
      providerId: id,
      label: provider.label,
      actor,
      secretChanged,
      claimChanged,
    })
    if (options.clientAuth) await this.chooseClientAuth(id, options.clientAuth, actor)
    return { provider, claimChanged }
  }

  /** Set the method through the credentials (audited there); nothing happens when it is unchanged. */
  private async chooseClientAuth(id: string, method: ClientAuthMethod, actor: string | null): Promise<void> {
    const owner = await this.credentials.owner('login-provider', id)
    if (owner.method !== method) await this.credentials.chooseMethod(owner, method, actor)
  }

  async delete(id: string, actor: string | null): Promise<LoginProviderRecord> {
    const provider = await this.get(id)
    if (!(await this.ctx.store.loginProviders.delete(id))) throw notFound()
    await this.ctx.store.audit.add({
      kind: 'loginProvider.deleted',
      actor,
      details: { providerId: id, label: provider.label, values: auditValues(provider, LOGIN_PROVIDER_SETTINGS) },
    })
    this.ctx.events.emit('loginProvider.deleted', { providerId: id, label: provider.label, actor })
    return provider
  }

  /** How many users have logged in through a provider (for the claim-change warning). */
  userCount(id: string): Promise<number> {
    return this.ctx.store.loginProviders.userCount(id)
  }

  /**
   * "Test well-known" for an issuer as entered (through `tokens.proxy` and the outbound address
   * check, as a login would go). An issuer refused before any request (a query or fragment, a
   * link-local or metadata address) is a report too, so the page shows every outcome the same way.
   */
  async testWellKnown(issuer: string): Promise<WellKnownReport> {
    const entered = issuer.trim()
    try {
      return await testWellKnown(this.ctx, entered)
    } catch (err) {
      if (isAuthdockError(err, 'OUTBOUND_ADDRESS_REFUSED')) return refusedReport(this.ctx, entered, 'address_refused')
      if (isAuthdockError(err, 'VALIDATION_FAILED') && err.fields?.issuer)
        return refusedReport(this.ctx, entered, 'issuer_query')
      throw err
    }
  }
}
