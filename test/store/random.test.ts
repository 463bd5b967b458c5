import { describe, expect, it } from 'vitest'
import { randomBytesPooled } from '../../src/random.js'

describe('random bytes from the pool', () => {
  it('hands out every byte once: no id repeats across many refills of the pool', () => {
    const seen = new Set<string>()
    // 20,000 × 32 bytes: the 4 KiB pool is refilled about 150 times.
    for (let i = 0; i < 20_000; i++) seen.add(randomBytesPooled(32).toString('hex'))
    expect(seen.size).toBe(20_000)
  })

  it('returns bytes of the CSPRNG, not the wiped pool: no zero ids, an even spread of byte values', () => {
    const counts = new Array<number>(256).fill(0)
    for (let i = 0; i < 4_000; i++) {
      const bytes = randomBytesPooled(25)
      expect(bytes).toHaveLength(25)
      expect(bytes.equals(Buffer.alloc(25))).toBe(false)
      for (const b of bytes) counts[b]!++
    }
    // 100,000 bytes over 256 values: about 390 each; a wiped (zero) or stuck pool would pile up.
    expect(Math.max(...counts)).toBeLessThan(600)
    expect(Math.min(...counts)).toBeGreaterThan(200)
  })

  it('gives each caller a buffer of its own: changing one leaves the next untouched', () => {
    const a = randomBytesPooled(16)
    const copy = Buffer.from(a)
    a.fill(0)
    const b = randomBytesPooled(16)
    expect(b.equals(Buffer.alloc(16))).toBe(false)
    expect(copy.equals(Buffer.alloc(16))).toBe(false)
  })

  it.each([-1, 1.5, 4097, Number.NaN])('refuses a size of %s with a RangeError', (size) => {
    expect(() => randomBytesPooled(size)).toThrow(RangeError)
  })
})
