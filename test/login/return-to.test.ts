import { describe, expect, it } from 'vitest'
import { safeReturnTo } from '../../src/login/return-to.js'
import { HOSTILE_RETURN_TO, LEGITIMATE_RETURN_TO } from './hostile-return-to.js'

const ORIGIN = 'https://app.example'

/** What a browser does with `Location: value` on ORIGIN. */
function staysOnOrigin(value: string): boolean {
  return new URL(value, ORIGIN).origin === ORIGIN && !value.startsWith('//') && !value.startsWith('/\\')
}

describe('returnTo', () => {
  it.each(['/', '/me', '/admin/x?y=1#z', '/a%2Fb'])('keeps the same-origin path %j', (value) => {
    expect(safeReturnTo(value)).toBe(value)
  })

  it.each(LEGITIMATE_RETURN_TO)('keeps %j as %j', (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected)
  })

  it.each([
    '//evil.example',
    '/\\evil.example',
    'https://evil.example/',
    'http:/x',
    'javascript:alert(1)',
    'me',
    '',
    '/a\nb',
    '/a\tb',
    '/\u0000',
    42,
    undefined,
    '/' + 'a'.repeat(3000),
  ])('rejects %j', (value) => {
    expect(safeReturnTo(value)).toBeUndefined()
  })

  it.each(HOSTILE_RETURN_TO)('rejects the hostile %j (or keeps it on this origin)', (value) => {
    const result = safeReturnTo(value)
    if (result !== undefined) expect(staysOnOrigin(result)).toBe(true)
    expect(result).toBeUndefined()
  })

  it('checks the value it returns, after normalisation, not the value it was given', () => {
    for (const value of ['/.//evil.example', '/..//evil.example', '/%2e//evil.example', '/a/..//evil.example']) {
      expect(safeReturnTo(value)).toBeUndefined()
    }
  })

  it('never returns a value that normalises further', () => {
    for (const value of [...HOSTILE_RETURN_TO, ...LEGITIMATE_RETURN_TO.map(([v]) => v)]) {
      const result = safeReturnTo(value)
      if (result !== undefined) expect(safeReturnTo(result)).toBe(result)
    }
  })
})
