/**
 * Client credentials kept in the store: how an owner (an OAuth2 profile or a login provider)
 * authenticates at its token endpoint, and its certificates for `private_key_jwt`. The credentials
 * are keyed by owner kind and id, so any record that needs a certificate (admin-managed login
 * providers too) can point at them without a column of its own.
 *
 * Only {@link Store.credentials.activeSigner} returns a private key; every other read returns the
 * public certificate and its facts.
 */

/**
 * Who a credential belongs to.
 *
 * @example
 * const kind: CredentialOwnerKind = 'profile'
 */
export type CredentialOwnerKind = 'profile' | 'login-provider'

/**
 * Whose credential: a profile or a login provider, by id.
 *
 * @example
 * const owner: CredentialOwner = { kind: 'login-provider', id: 'staff' }
 */
export interface CredentialOwner {
  kind: CredentialOwnerKind
  id: string
}

/**
 * `client_secret`: the secret (or none, a public client), as always; `private_key_jwt`: a signed client assertion.
 *
 * @example
 * await dock.credentials.service.setMethod(owner, 'private_key_jwt' satisfies ClientAuthMethod, 'alice')
 */
export type ClientAuthMethod = 'client_secret' | 'private_key_jwt'

export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret', 'private_key_jwt']

/**
 * A certificate as stored, without its private key.
 *
 * @example
 * const cert: CertificateRecord = await dock.credentials.service.certificate({ kind: 'profile', id: profileId }, certificateId)
 * console.log(cert.id, cert.ownerKind)
 */
export interface CertificateRecord {
  id: string
  ownerKind: CredentialOwnerKind
  ownerId: string
  /** The self-signed X.509 certificate, PEM (public). */
  certificatePem: string
  /** SHA-1 of the DER certificate, upper-case hex without separators: what Entra lists as "Thumbprint". */
  thumbprintSha1: string
  /** SHA-256 of the DER certificate, upper-case hex. */
  thumbprintSha256: string
  /** The JWK `kid`: base64url SHA-256 of the public key (SubjectPublicKeyInfo). */
  kid: string
  /** RSA modulus length in bits. */
  keySize: number
  notBefore: Date
  notAfter: Date
  /** The one certificate client assertions are signed with (at most one per owner). */
  active: boolean
  createdAt: Date
  createdBy: string | null
  activatedAt: Date | null
}

/** The active certificate with its private key (PKCS#8 PEM), for signing a client assertion only. */
export interface CertificateSigner extends CertificateRecord {
  privateKeyPem: string
}

/** What {@link Store.credentials.add} stores. */
export interface NewCertificate {
  certificatePem: string
  privateKeyPem: string
  thumbprintSha1: string
  thumbprintSha256: string
  kid: string
  keySize: number
  notBefore: Date
  notAfter: Date
  createdBy: string | null
}

/** The credentials part of the Store contract. */
export interface CredentialsStore {
  /** The owner's certificates, newest first. */
  list(owner: CredentialOwner): Promise<CertificateRecord[]>
  get(id: string): Promise<CertificateRecord | null>
  /** Every certificate of every owner, active and waiting, soonest expiry first (for the metrics). */
  listAll(): Promise<CertificateRecord[]>
  /** Every owner's active certificate (for the expiry check). */
  listActive(): Promise<CertificateRecord[]>
  /**
   * Store a new certificate (the private key encrypted). It becomes active when the owner has no
   * active certificate yet; otherwise it waits, inactive, until {@link activate}.
   */
  add(owner: CredentialOwner, input: NewCertificate): Promise<CertificateRecord>
  /**
   * Make a certificate its owner's active one, in one transaction; the previously active one stays,
   * inactive. When the owner is a profile its `updatedAt` moves too, so a backoff from a refusal
   * under the old certificate ends. Throws NOT_FOUND.
   */
  activate(id: string): Promise<{ certificate: CertificateRecord; previous: CertificateRecord | null }>
  /** Delete an inactive certificate and its key; throws CLIENT_CERTIFICATE_ACTIVE for the active one, NOT_FOUND when missing. */
  remove(id: string): Promise<CertificateRecord>
  /** The active certificate with its private key, or null when the owner has none. */
  activeSigner(owner: CredentialOwner): Promise<CertificateSigner | null>
  /** How the owner authenticates; `client_secret` unless set. */
  method(owner: CredentialOwner): Promise<ClientAuthMethod>
  /** Set it (a profile's `updatedAt` moves, as for {@link activate}). */
  setMethod(owner: CredentialOwner, method: ClientAuthMethod): Promise<void>
  /** Forget the owner's certificates and method; resolves to how many certificates went. */
  deleteOwner(owner: CredentialOwner): Promise<number>
}
