/**
 * The example's own encryption of mail-account passwords (AES-256-GCM with node:crypto), as a host
 * encrypts its own secrets: authdock's store encryption is not part of its public API. The stored
 * form `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts) reads files written by earlier
 * versions of the example; the account id is bound as additional data, so a password copied to
 * another account does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

const TAG_BYTES = 16

interface Key {
  id: string
  bytes: Buffer
}

export class Keyring {
  private readonly keys: Key[]

  /** `keys`: 32-byte keys, base64, newest first; the first encrypts. */
  constructor(keys: readonly string[]) {
    this.keys = keys.map((k) => {
      const bytes = Buffer.from(k, 'base64')
      if (bytes.length !== 32) throw new Error('The mail-account key must be 32 bytes, base64 encoded')
      return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes }
    })
    if (this.keys.length === 0) throw new Error('A mail-account key is required')
  }

  encrypt(plain: string, context: string): string {
    const key = this.keys[0]
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', key.bytes, iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return [
      'v1',
      key.id,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.')
  }

  /** Throws (naming the context, never the value) when the value does not decrypt. */
  decrypt(stored: string, context: string): string {
    const [version, kid, iv, tag, ciphertext] = stored.split('.')
    const key = this.keys.find((k) => k.id === kid)
    const tagBytes = Buffer.from(tag ?? '', 'base64url')
    if (version !== 'v1' || !key || ciphertext === undefined || tagBytes.length !== TAG_BYTES) {
      throw new Error(`The stored secret of ${context} cannot be decrypted with the configured key`)
    }
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    })
    decipher.setAAD(Buffer.from(context, 'utf8'))
    decipher.setAuthTag(tagBytes)
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
  }
}
