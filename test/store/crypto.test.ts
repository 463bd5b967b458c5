import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Keyring, keyId } from '../../src/store/crypto.js'
import { TEST_KEYS } from '../fixtures/databases.js'

const [newest, older] = TEST_KEYS
const codeOf = (fn: () => unknown): string => {
  try {
    fn()
    return 'NO_ERROR'
  } catch (error) {
    return (error as { code: string }).code
  }
}

describe('Keyring (AES-256-GCM secrets at rest)', () => {
  it('encrypts under the newest key as v1.<kid>.<iv>.<tag>.<ciphertext> with a fresh IV each time', () => {
    const keys = new Keyring([newest, older])
    const a = keys.encrypt('secret', 'ctx')
    const b = keys.encrypt('secret', 'ctx')
    expect(a).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/)
    expect(a.split('.')[1]).toBe(keyId(Buffer.from(newest, 'base64')))
    expect(a).not.toBe(b)
    expect(a).not.toContain('secret')
    expect(keys.decrypt(a, 'ctx')).toBe('secret')
    expect(keys.needsReencryption(a)).toBe(false)
  })

  it('decrypts values of an older configured key and flags them for re-encryption', () => {
    const old = new Keyring([older]).encrypt('secret', 'ctx')
    const keys = new Keyring([newest, older])
    expect(keys.decrypt(old, 'ctx')).toBe('secret')
    expect(keys.needsReencryption(old)).toBe(true)
  })

  it('refuses a value moved to another column or row (bound context) with DECRYPT_FAILED', () => {
    const keys = new Keyring([newest])
    const stored = keys.encrypt('secret', 'tokens.refresh_token:p1')
    expect(codeOf(() => keys.decrypt(stored, 'tokens.refresh_token:p2'))).toBe('DECRYPT_FAILED')
    expect(codeOf(() => keys.decrypt(stored, 'tokens.access_token:p1'))).toBe('DECRYPT_FAILED')
  })

  it('refuses a tampered ciphertext, an unknown key and a malformed value with DECRYPT_FAILED, naming the key id only', () => {
    const keys = new Keyring([newest])
    const stored = keys.encrypt('top-secret-value', 'ctx')
    const parts = stored.split('.')
    const flipped = Buffer.from(parts[4], 'base64url')
    flipped[0] ^= 1
    expect(codeOf(() => keys.decrypt([...parts.slice(0, 4), flipped.toString('base64url')].join('.'), 'ctx'))).toBe(
      'DECRYPT_FAILED',
    )
    const foreign = new Keyring([randomBytes(32).toString('base64')]).encrypt('top-secret-value', 'ctx')
    try {
      keys.decrypt(foreign, 'ctx')
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({ code: 'DECRYPT_FAILED' })
      expect((error as Error).message).toContain(foreign.split('.')[1])
      expect((error as Error).message).not.toContain('top-secret-value')
      expect((error as Error).message).not.toContain(foreign.split('.')[4])
    }
    expect(codeOf(() => keys.decrypt('plain text', 'ctx'))).toBe('DECRYPT_FAILED')
  })

  it.each([4, 12])(
    'refuses a value whose tag was truncated to %i bytes with DECRYPT_FAILED (a short tag is forgeable)',
    (bytes) => {
      const keys = new Keyring([newest])
      const parts = keys.encrypt('top-secret-value', 'ctx').split('.')
      const truncated = [
        ...parts.slice(0, 3),
        Buffer.from(parts[3], 'base64url').subarray(0, bytes).toString('base64url'),
        parts[4],
      ].join('.')
      try {
        keys.decrypt(truncated, 'ctx')
        expect.unreachable()
      } catch (error) {
        expect(error).toMatchObject({ code: 'DECRYPT_FAILED', details: { keyId: parts[1] } })
        expect((error as Error).message).not.toContain('top-secret-value')
      }
    },
  )

  it('refuses keys that are not 32 bytes of base64, and an empty key list, with CONFIG_INVALID', () => {
    expect(codeOf(() => new Keyring([]))).toBe('CONFIG_INVALID')
    expect(codeOf(() => new Keyring([Buffer.alloc(16).toString('base64')]))).toBe('CONFIG_INVALID')
  })
})
