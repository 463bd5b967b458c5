import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { optionsSchema, resolveConfig } from '../../src/config.js'
import { AuthdockError, ERROR_CODES } from '../../src/errors.js'
import { TEST_KEYS } from '../fixtures/databases.js'

/** Every option path of the schema, e.g. `tokens.refreshMarginMs`. */
function optionPaths(schema: unknown, prefix = '', out: string[] = []): string[] {
  let t = schema as any
  while (
    t instanceof z.ZodOptional ||
    t instanceof z.ZodDefault ||
    t instanceof z.ZodPrefault ||
    t instanceof z.ZodPipe ||
    t instanceof z.ZodNullable
  ) {
    t = t instanceof z.ZodPipe ? t.in : t.def.innerType
  }
  if (t instanceof z.ZodUnion) t = (t.options as unknown[]).find((o) => o instanceof z.ZodObject) ?? t
  if (t instanceof z.ZodObject) {
    for (const [key, value] of Object.entries(t.shape)) {
      const name = prefix ? `${prefix}.${key}` : key
      out.push(name)
      optionPaths(value, name, out)
    }
  }
  return out
}

const minimal = () => ({
  baseUrl: 'http://localhost:3000',
  encryptionKey: TEST_KEYS[0],
  session: { secret: 'a-session-secret-of-some-length' },
  users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
})

describe('options', () => {
  it('the README documents every option of the schema', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const missing = optionPaths(optionsSchema).filter((p) => !readme.includes(`| \`${p}\``))
    expect(missing).toEqual([])
  })

  it('the README lists every error code with its status', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const missing = Object.entries(ERROR_CODES).filter(
      ([code, status]) => !readme.includes(`| \`${code}\` | ${status} |`),
    )
    expect(missing).toEqual([])
  })

  it('resolves defaults into a frozen object without touching the caller', () => {
    const options = minimal()
    const config = resolveConfig(options)
    expect(config.database).toBe('sqlite:./data/authdock.db')
    expect(config.tokens.refreshMarginMs).toBe(120_000)
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.tokens)).toBe(true)
    expect(options).not.toHaveProperty('database')
  })

  it('adds openid to the scope and keeps a TTL-like zero where zero is allowed', () => {
    const config = resolveConfig({
      ...minimal(),
      oidc: { issuer: 'https://id.example.com', clientId: 'c', scope: 'email' },
      tokens: { refreshMarginMs: 0 },
    })
    expect(config.oidc[0].scope).toBe('openid email')
    expect(config.tokens.refreshMarginMs).toBe(0)
  })

  it.each([
    ['baseUrl', { baseUrl: 'http://app.example.com' }, 'https'],
    ['encryptionKey', { encryptionKey: 'c2hvcnQ=' }, '32 bytes'],
    ['encryptionKey', { encryptionKey: undefined }, 'is required'],
    ['database', { database: 'mysql://x' }, 'sqlite'],
    ['oidc.issuer', { oidc: { issuer: 'http://id.example.com', clientId: 'c' } }, 'https'],
    [
      'oidc.issuer',
      { oidc: { issuer: 'https://login.microsoftonline.com/common/v2.0', clientId: 'c' } },
      '<tenant-id>',
    ],
    [
      'oidc.issuer',
      { oidc: { issuer: 'https://idp.example.com/realms/x?next=/admin', clientId: 'c' } },
      'query (?) or fragment (#)',
    ],
    [
      'oidc.issuer',
      { oidc: { issuer: 'https://idp.example.com/realms/x#f', clientId: 'c' } },
      'query (?) or fragment (#)',
    ],
    [
      'users.findById',
      { users: { findByClaim: () => null, findByUsername: () => null, findById: 'nope' } },
      'function',
    ],
    ['login.passwordThrottle.windowMs', { login: { passwordThrottle: { windowMs: 1500 } } }, 'whole seconds'],
    // Written into Set-Cookie as they are: a space, ';' or '=' would break or forge the header.
    [
      'session.cookieName',
      { session: { secret: 'a-session-secret-of-some-length', cookieName: 'sid; a=b' } },
      'cookie name',
    ],
    ['login.deviceCookieName', { login: { deviceCookieName: 'dev ice' } }, 'cookie name'],
    ['login.deviceCookieName', { login: { deviceCookieName: '' } }, 'cookie name'],
  ])('refuses a bad %s with CONFIG_INVALID naming it', (field, override, expected) => {
    let error: unknown
    try {
      resolveConfig({ ...minimal(), ...override } as never)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(AuthdockError)
    expect((error as AuthdockError).code).toBe('CONFIG_INVALID')
    expect((error as AuthdockError).message).toContain(`"${field}"`)
    expect((error as AuthdockError).fields?.[field]).toContain(expected)
  })

  it.each([
    ['below', { lockTimeoutMs: 1_000, httpTimeoutMs: 5_000 }],
    ['equal to', { lockTimeoutMs: 5_000, httpTimeoutMs: 5_000 }],
    ['the default, below a raised', { httpTimeoutMs: 60_000 }],
  ])(
    'refuses tokens.lockTimeoutMs %s tokens.httpTimeoutMs with CONFIG_INVALID naming both (a slow refresh would lose its lock)',
    (_what, tokens) => {
      let error: unknown
      try {
        resolveConfig({ ...minimal(), tokens })
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(AuthdockError)
      expect((error as AuthdockError).code).toBe('CONFIG_INVALID')
      expect((error as AuthdockError).message).toContain('"tokens.lockTimeoutMs"')
      expect((error as AuthdockError).message).toContain('tokens.httpTimeoutMs')
      expect((error as AuthdockError).fields?.['tokens.lockTimeoutMs']).toContain('tokens.httpTimeoutMs')
    },
  )

  it('accepts tokens.lockTimeoutMs above tokens.httpTimeoutMs', () => {
    expect(
      resolveConfig({ ...minimal(), tokens: { lockTimeoutMs: 5_001, httpTimeoutMs: 5_000 } }).tokens.lockTimeoutMs,
    ).toBe(5_001)
  })

  it('refuses two providers with the same id', () => {
    expect(() =>
      resolveConfig({
        ...minimal(),
        oidc: [
          { issuer: 'https://a.example.com', clientId: 'a' },
          { issuer: 'https://b.example.com', clientId: 'b' },
        ],
      }),
    ).toThrow(/used twice/)
  })
})
