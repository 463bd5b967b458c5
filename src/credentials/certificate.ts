/**
 * A key pair and a self-signed X.509 certificate for `private_key_jwt` client authentication, and
 * the facts a provider asks for: thumbprints (SHA-1 as Entra lists it, SHA-256), the JWK `kid` and
 * the public JWKS.
 *
 * The RSA key comes from node:crypto (OpenSSL, in the thread pool: a 4096-bit key takes a second
 * there and far longer in JavaScript). node-forge builds and signs the certificate: it is pure
 * JavaScript without dependencies, where @peculiar/x509 2.x needs a global reflect-metadata
 * polyfill loaded into the host process.
 */
import { createHash, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto'
import { promisify } from 'node:util'
import forge from 'node-forge'
import type { JWK } from 'jose'
import type { CertificateRecord, NewCertificate } from '../store/credential-types.js'

const generateRsa = promisify(generateKeyPair)

/** RSA modulus lengths offered; 2048 is the default (Entra, Keycloak and Google accept all three). */
export const KEY_SIZES = [2048, 3072, 4096] as const
export type KeySize = (typeof KEY_SIZES)[number]
export const DEFAULT_KEY_SIZE: KeySize = 2048

/** Validity the admin may pick, in days; Entra accepts certificates of any length it can parse. */
export const DEFAULT_VALIDITY_DAYS = 365
export const MAX_VALIDITY_DAYS = 3650

/** Providers compare the assertion's times against their clock; a certificate valid a little earlier tolerates skew. */
const BACKDATE_MS = 5 * 60_000
const DAY_MS = 24 * 60 * 60_000
/** X.520 upper bound of a common name. */
const CN_MAX = 64

export interface GenerateCertificateInput {
  /** Shown as the certificate's subject and issuer (`CN=…`) at the provider; cut to 64 characters. */
  commonName: string
  validityDays: number
  keySize?: KeySize
  /** Milliseconds since the epoch (ctx.now()). */
  now: number
  createdBy: string | null
}

/** The public facts of a certificate, derived from its PEM. */
export interface CertificateFacts {
  thumbprintSha1: string
  thumbprintSha256: string
  kid: string
}

const hex = (bytes: Buffer) => bytes.toString('hex').toUpperCase()

/**
 * Thumbprints and key id of a PEM certificate. The `kid` is base64url SHA-256 of the public key
 * (SubjectPublicKeyInfo DER): the id Keycloak computes for an imported certificate, so its lookup
 * by `kid` finds the key whether the admin imported the certificate or gave the JWKS URL.
 */
export function certificateFacts(certificatePem: string): CertificateFacts {
  const x509 = new X509Certificate(certificatePem)
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' })
  return {
    thumbprintSha1: hex(createHash('sha1').update(x509.raw).digest()),
    thumbprintSha256: hex(createHash('sha256').update(x509.raw).digest()),
    kid: createHash('sha256').update(spki).digest('base64url'),
  }
}

/**
 * Generate an RSA key pair and a self-signed certificate valid from `now` (backdated five minutes)
 * for `validityDays`. The private key is returned once, PKCS#8 PEM, for the store to encrypt.
 *
 * @example
 * const cert = await generateCertificate({ commonName: 'authdock: Support mailbox', validityDays: 365, now: ctx.now(), createdBy: 'admin' })
 */
export async function generateCertificate(input: GenerateCertificateInput): Promise<NewCertificate> {
  const keySize = input.keySize ?? DEFAULT_KEY_SIZE
  const { publicKey, privateKey } = await generateRsa('rsa', {
    modulusLength: keySize,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  const notBefore = new Date(input.now - BACKDATE_MS)
  const notAfter = new Date(input.now + input.validityDays * DAY_MS)

  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey)
  // A positive 127-bit serial: random, so two certificates of one owner never share one.
  cert.serialNumber = `0${randomBytes(16).toString('hex').slice(1)}`
  cert.validity.notBefore = notBefore
  cert.validity.notAfter = notAfter
  const name = [
    { name: 'commonName', value: commonName(input.commonName), valueTagClass: forge.asn1.Type.UTF8 as never },
  ]
  cert.setSubject(name)
  cert.setIssuer(name)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
  ])
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create())
  const certificatePem = forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n')

  return {
    certificatePem,
    privateKeyPem: privateKey,
    ...certificateFacts(certificatePem),
    keySize,
    // What the certificate says, to the second (X.509 times have no milliseconds).
    notBefore: new Date(Math.floor(notBefore.getTime() / 1000) * 1000),
    notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000),
    createdBy: input.createdBy,
  }
}

function commonName(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters never belong in a subject
  const clean = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() || 'authdock'
  return [...clean].slice(0, CN_MAX).join('')
}

/** The certificate as DER (the `.cer` download Entra takes). */
export function certificateDer(certificatePem: string): Buffer {
  return new X509Certificate(certificatePem).raw
}

/**
 * The public JWK of a certificate: `kid`, `x5c` (the DER certificate, base64), `x5t` (SHA-1,
 * base64url) and `x5t#S256`. Never a private member.
 */
export function publicJwk(record: Pick<CertificateRecord, 'certificatePem' | 'kid'>): JWK {
  const x509 = new X509Certificate(record.certificatePem)
  const { kty, n, e } = x509.publicKey.export({ format: 'jwk' })
  return {
    kty,
    n,
    e,
    use: 'sig',
    alg: 'RS256',
    kid: record.kid,
    x5c: [x509.raw.toString('base64')],
    x5t: createHash('sha1').update(x509.raw).digest('base64url'),
    'x5t#S256': createHash('sha256').update(x509.raw).digest('base64url'),
  }
}

/** A JWKS of these certificates (public keys only). */
export function publicJwks(records: ReadonlyArray<Pick<CertificateRecord, 'certificatePem' | 'kid'>>): { keys: JWK[] } {
  return { keys: records.map(publicJwk) }
}
