/**
 * Encryption of secrets at rest: AES-256-GCM with a random 12-byte IV and the key id stored with
 * the value, so several keys can be configured at once and rotated (newest first).
 *
 * Stored form: `v1.<kid>.<iv>.<tag>.<ciphertext>` (base64url parts). The caller passes a `context`
 * (table, column and row key) that is bound as additional authenticated data: a value copied into
 * another column or row no longer decrypts, so a database writer cannot swap secrets around.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, type KeyObject } from 'node:crypto'
import { AuthdockError } from '../errors.js'
import { randomBytesPooled } from '../random.js'

const VERSION = 'v1'
/**
 * GCM accepts tags down to 4 bytes unless told the length; a stored value with a shortened tag
 * would then decrypt, and a short tag can be forged by trial. Every value we write has 16.
 */
const TAG_BYTES = 16

interface Key {
  id: string
  /** Made once: a raw Buffer would be turned into a key object again on every call. */
  secret: KeyObject
}

/** The key id: first 8 hex chars of sha256(key). Reveals nothing usable about the key. */
export function keyId(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 8)
}

/**
 * The configured encryption keys. The first key encrypts; every key decrypts values that name it.
 *
 * @example
 * const keyring = new Keyring([newKeyBase64, oldKeyBase64])
 * const stored = keyring.encrypt('secret', 'profiles.client_secret:42')
 * keyring.decrypt(stored, 'profiles.client_secret:42') // 'secret'
 */
export class Keyring {
  readonly #keys: Key[]

  constructor(encryptionKeys: readonly string[]) {
    if (!encryptionKeys.length) {
      throw new AuthdockError('CONFIG_INVALID', 'encryptionKey: at least one key (32 bytes, base64) is required')
    }
    this.#keys = encryptionKeys.map((k, i) => {
      const bytes = Buffer.from(k, 'base64')
      if (bytes.length !== 32) {
        throw new AuthdockError('CONFIG_INVALID', `encryptionKey: key ${i + 1} is not 32 bytes, base64 encoded`)
      }
      return { id: keyId(bytes), secret: createSecretKey(bytes) }
    })
  }

  /** Id of the key that encrypts new values. */
  get currentKeyId(): string {
    return this.#keys[0].id
  }

  encrypt(plain: string, context: string): string {
    const key = this.#keys[0]
    const iv = randomBytesPooled(12)
    const cipher = createCipheriv('aes-256-gcm', key.secret, iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    const tag = cipher.getAuthTag()
    return [
      VERSION,
      key.id,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.')
  }

  /** Throws DECRYPT_FAILED (naming the key id and context, never the value) when it cannot decrypt. */
  decrypt(stored: string, context: string): string {
    const parts = stored.split('.')
    const kid = parts[1] ?? '?'
    if (parts.length !== 5 || parts[0] !== VERSION) {
      throw new AuthdockError('DECRYPT_FAILED', `A stored secret (${context}) is not in the encrypted format`)
    }
    const key = this.#keys.find((k) => k.id === kid)
    if (!key) {
      throw new AuthdockError(
        'DECRYPT_FAILED',
        `A stored secret (${context}) was encrypted with key ${kid}, which is not configured: add that key to encryptionKey`,
        { details: { keyId: kid } },
      )
    }
    const tag = Buffer.from(parts[3], 'base64url')
    if (tag.length !== TAG_BYTES) {
      throw new AuthdockError(
        'DECRYPT_FAILED',
        `A stored secret (${context}) has an authentication tag of ${tag.length} bytes, not ${TAG_BYTES}`,
        {
          details: { keyId: kid },
        },
      )
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.secret, Buffer.from(parts[2], 'base64url'), {
        authTagLength: TAG_BYTES,
      })
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(Buffer.from(parts[4], 'base64url')), decipher.final()]).toString('utf8')
    } catch (cause) {
      throw new AuthdockError('DECRYPT_FAILED', `A stored secret (${context}) failed authentication under key ${kid}`, {
        cause,
        details: { keyId: kid },
      })
    }
  }

  /** True when the value was encrypted under another key than the newest. */
  needsReencryption(stored: string): boolean {
    return stored.split('.')[1] !== this.currentKeyId
  }
}
