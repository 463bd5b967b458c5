/**
 * The one writer of client credentials: choose how an owner authenticates, generate a
 * certificate, activate one, remove one. Every step is audited and emitted with the certificate's
 * thumbprints, never its key. Rotation without downtime: generate a second certificate while the
 * first stays active, upload it at the provider, activate it; the old one stays until removed.
 */
import type { CertificateEvent } from '../events.js'
import type { DockContext } from '../context.js'
import { fieldMessage } from '../http/i18n.js'
import { AuthdockError } from '../errors.js'
import type {
  CertificateRecord,
  ClientAuthMethod,
  CredentialOwner,
  CredentialOwnerKind,
} from '../store/credential-types.js'
import type { TokenProvider } from '../tokens/types.js'
import {
  DEFAULT_KEY_SIZE,
  DEFAULT_VALIDITY_DAYS,
  KEY_SIZES,
  MAX_VALIDITY_DAYS,
  generateCertificate,
  publicJwks,
  type KeySize,
} from './certificate.js'
import { isStoreProviderId } from '../login/provider-schema.js'
import { loginProviderOwner } from './login-auth.js'

/** An owner as the admin shows it. */
export interface OwnerView extends CredentialOwner {
  /** Profile name, or the login provider's label (else id). */
  name: string
  method: ClientAuthMethod
  /** Login providers from the options: the method is `oidc.clientAuth.kind`, not chosen here (admin-managed ones choose). */
  methodFixed: boolean
  /** Where the assertion goes (its `aud`), when known: a profile's token URL. */
  tokenUrl: string | null
}

export const OWNER_KINDS: readonly CredentialOwnerKind[] = ['profile', 'login-provider']

/** What the admin sends to generate a certificate (form strings or JSON numbers). */
export interface GenerateInput {
  validityDays?: unknown
  keySize?: unknown
}

function invalid(fields: Record<string, string>): AuthdockError {
  const list = Object.entries(fields)
    .map(([k, v]) => `"${k}" ${v}`)
    .join('; ')
  return new AuthdockError('VALIDATION_FAILED', `The request is not valid: ${list}.`, { fields })
}

/** Validity and key size from a form or JSON body, with the defaults; VALIDATION_FAILED naming the field. */
export function parseGenerateInput(body: GenerateInput): { validityDays: number; keySize: KeySize } {
  const fields: Record<string, string> = {}
  const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '')
  const validityDays = blank(body.validityDays) ? DEFAULT_VALIDITY_DAYS : Number(body.validityDays)
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
    fields.validityDays = fieldMessage('validityDays', { max: MAX_VALIDITY_DAYS })
  }
  const keySize = blank(body.keySize) ? DEFAULT_KEY_SIZE : Number(body.keySize)
  if (!(KEY_SIZES as readonly number[]).includes(keySize))
    fields.keySize = fieldMessage('oneOf', { list: KEY_SIZES.join(', ') })
  if (Object.keys(fields).length > 0) throw invalid(fields)
  return { validityDays, keySize: keySize as KeySize }
}

export class CredentialService {
  constructor(
    private readonly ctx: DockContext,
    private readonly tokens: Pick<TokenProvider, 'invalidate'>,
  ) {}

  /** The owner named by a route; NOT_FOUND when there is none. */
  async owner(kind: string, id: string): Promise<OwnerView> {
    if (kind === 'profile') {
      const profile = id.length <= 100 ? await this.ctx.store.profiles.get(id) : null
      if (profile) {
        const method = await this.ctx.store.credentials.method({ kind: 'profile', id })
        return { kind: 'profile', id, name: profile.name, method, methodFixed: false, tokenUrl: profile.tokenUrl }
      }
    }
    if (kind === 'login-provider') {
      const provider = this.ctx.config.oidc.find((p) => p.id === id)
      if (provider) {
        return {
          ...loginProviderOwner(id),
          name: provider.label ?? provider.id,
          method: provider.clientAuth.kind,
          methodFixed: true,
          tokenUrl: null,
        }
      }
      // Managed in the admin: its method is chosen here or in its form, like a profile's.
      const stored = isStoreProviderId(id) ? await this.ctx.store.loginProviders.get(id) : null
      if (stored) {
        const owner = loginProviderOwner(id)
        const method = await this.ctx.store.credentials.method(owner)
        return { ...owner, name: stored.label, method, methodFixed: false, tokenUrl: null }
      }
    }
    throw new AuthdockError('NOT_FOUND', 'There is no profile or login provider with this id.')
  }

  list(owner: CredentialOwner): Promise<CertificateRecord[]> {
    return this.ctx.store.credentials.list(owner)
  }

  /** A certificate of this owner; NOT_FOUND otherwise. */
  async certificate(owner: CredentialOwner, id: string): Promise<CertificateRecord> {
    const certificate = id.length <= 100 ? await this.ctx.store.credentials.get(id) : null
    if (!certificate || certificate.ownerKind !== owner.kind || certificate.ownerId !== owner.id) {
      throw new AuthdockError('NOT_FOUND', 'There is no such certificate. It may have been removed.')
    }
    return certificate
  }

  /** The public JWKS of the owner's certificates that have not expired (active and waiting ones). */
  async jwks(owner: CredentialOwner): Promise<ReturnType<typeof publicJwks>> {
    const now = this.ctx.now()
    return publicJwks((await this.list(owner)).filter((c) => c.notAfter.getTime() > now))
  }

  /** Generate a key pair and certificate; it is active when the owner has no active one yet. */
  async generate(owner: OwnerView, input: GenerateInput, actor: string | null): Promise<CertificateRecord> {
    const { validityDays, keySize } = parseGenerateInput(input)
    const generated = await generateCertificate({
      commonName: `authdock ${owner.kind === 'profile' ? 'profile' : 'login'}: ${owner.name}`,
      validityDays,
      keySize,
      now: this.ctx.now(),
      createdBy: actor,
    })
    const certificate = await this.ctx.store.credentials.add(owner, generated)
    if (certificate.active) this.invalidate(owner)
    await this.audit('certificate.generated', owner, actor, certificate, { validityDays })
    this.ctx.events.emit('certificate.generated', this.event(owner, certificate, actor))
    return certificate
  }

  /** Sign with this certificate from now on; the previously active one stays, inactive. */
  async activate(owner: OwnerView, id: string, actor: string | null): Promise<CertificateRecord> {
    const target = await this.certificate(owner, id)
    if (target.notAfter.getTime() <= this.ctx.now()) {
      throw invalid({
        certificate: fieldMessage('certificateExpired', { date: target.notAfter.toISOString().slice(0, 10) }),
      })
    }
    const { certificate, previous } = await this.ctx.store.credentials.activate(target.id)
    this.invalidate(owner)
    await this.audit('certificate.activated', owner, actor, certificate, { previous: previous?.thumbprintSha1 ?? null })
    this.ctx.events.emit('certificate.activated', {
      ...this.event(owner, certificate, actor),
      previous: previous?.thumbprintSha1 ?? null,
    })
    return certificate
  }

  /** Remove a certificate that is not active (CLIENT_CERTIFICATE_ACTIVE otherwise); its private key goes with it. */
  async remove(owner: OwnerView, id: string, actor: string | null): Promise<CertificateRecord> {
    const target = await this.certificate(owner, id)
    const removed = await this.ctx.store.credentials.remove(target.id)
    await this.audit('certificate.removed', owner, actor, removed, {})
    this.ctx.events.emit('certificate.removed', this.event(owner, removed, actor))
    return removed
  }

  /** Choose secret or certificate; a certificate needs an active one first. */
  async setMethod(owner: OwnerView, method: unknown, actor: string | null): Promise<ClientAuthMethod> {
    if (method !== 'client_secret' && method !== 'private_key_jwt')
      throw invalid({ method: fieldMessage('clientAuthMethod') })
    if (owner.methodFixed) {
      if (method === owner.method) return method
      throw invalid({ method: fieldMessage('clientAuthFromOption') })
    }
    if (method === owner.method) return method
    if (method === 'private_key_jwt' && !(await this.list(owner)).some((c) => c.active)) {
      throw invalid({ method: fieldMessage('certificateNeeded') })
    }
    await this.ctx.store.credentials.setMethod(owner, method)
    this.invalidate(owner)
    await this.ctx.store.audit.add({
      kind: 'client_auth.changed',
      actor,
      profileId: owner.kind === 'profile' ? owner.id : null,
      details: { ownerKind: owner.kind, ownerId: owner.id, name: owner.name, from: owner.method, to: method },
    })
    this.ctx.events.emit('client_auth.changed', { ownerKind: owner.kind, ownerId: owner.id, method, actor })
    return method
  }

  /**
   * The method chosen in a login provider's form: with a certificate and none active yet, one is
   * generated first (active at once, with the default validity), so the provider's certificates
   * page has what to upload at the provider. Each step is audited as on the certificates page.
   */
  async chooseMethod(owner: OwnerView, method: ClientAuthMethod, actor: string | null): Promise<ClientAuthMethod> {
    if (method === 'private_key_jwt' && owner.method !== method && !(await this.list(owner)).some((c) => c.active)) {
      await this.generate(owner, {}, actor)
    }
    return this.setMethod(owner, method, actor)
  }

  /**
   * Login providers configured with `clientAuth.kind: 'private_key_jwt'` get their first
   * certificate here (at start), active at once: the admin uploads it at the provider from the
   * certificates page. Several instances starting together make one active certificate (the store
   * keeps one active per owner).
   */
  async ensureLoginCertificates(): Promise<void> {
    for (const provider of this.ctx.config.oidc) {
      if (provider.clientAuth.kind !== 'private_key_jwt') continue
      const owner = await this.owner('login-provider', provider.id)
      if ((await this.list(owner)).length > 0) continue
      const certificate = await this.generate(
        owner,
        { validityDays: provider.clientAuth.certificateValidityDays },
        null,
      )
      // Another instance starting at the same moment made the first one: keep only that.
      if (!certificate.active) {
        await this.remove(owner, certificate.id, null)
        continue
      }
      this.ctx.logger.info(
        {
          providerId: provider.id,
          thumbprint: certificate.thumbprintSha1,
          page: `${this.ctx.config.baseUrl}${this.ctx.config.paths.credentials}/login-provider/${provider.id}`,
        },
        'authdock: generated the login certificate; upload it at the identity provider',
      )
    }
  }

  private invalidate(owner: CredentialOwner): void {
    if (owner.kind === 'profile') this.tokens.invalidate(owner.id)
  }

  private event(owner: CredentialOwner, c: CertificateRecord, actor: string | null): CertificateEvent {
    return {
      ownerKind: owner.kind,
      ownerId: owner.id,
      certificateId: c.id,
      thumbprint: c.thumbprintSha1,
      active: c.active,
      notAfter: c.notAfter,
      actor,
    }
  }

  private audit(
    kind: string,
    owner: OwnerView,
    actor: string | null,
    c: CertificateRecord,
    extra: Record<string, unknown>,
  ): Promise<void> {
    return this.ctx.store.audit.add({
      kind,
      actor,
      profileId: owner.kind === 'profile' ? owner.id : null,
      details: {
        ownerKind: owner.kind,
        ownerId: owner.id,
        name: owner.name,
        certificateId: c.id,
        thumbprintSha1: c.thumbprintSha1,
        thumbprintSha256: c.thumbprintSha256,
        kid: c.kid,
        keySize: c.keySize,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
        active: c.active,
        ...extra,
      },
    })
  }
}
