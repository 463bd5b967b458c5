import { describe, expect, it } from 'vitest'
import { safeReturnTo } from '../../src/login/return-to.js'

describe('returnTo', () => {
  it.each(['/', '/me', '/admin/x?y=1#z', '/a%2Fb'])('keeps the same-origin path %j', (value) => {
    expect(safeReturnTo(value)).toBe(value)
  })
  it.each(['//evil.example', '/\\evil.example', 'https://evil.example/', 'http:/x', 'javascript:alert(1)', 'me', '', '/a\nb', '/a\tb', '/\u0000', 42, undefined, '/' + 'a'.repeat(3000)])(
    'rejects %j',
    (value) => {
      expect(safeReturnTo(value)).toBeUndefined()
    },
  )
})
