import { describe, expect, it } from 'vitest'
import { redactSecrets, isSecretKey, REDACTED } from '../../src/audit/redact.js'

describe('redactSecrets removes values under keys that look like secrets', () => {
  it('removes client secrets, passwords, tokens, codes and verifiers in every spelling', () => {
    const out = redactSecrets({
      clientSecret: 'cs-1',
      client_secret: 'cs-2',
      secret: 's',
      password: 'p',
      accessToken: 'at',
      refresh_token: 'rt',
      token: 't',
      id_token: 'idt',
      code: 'aBcD1234xyz-random',
      code_verifier: 'v',
      newClientSecret: 'cs-3',
      Authorization: 'Basic abc',
    })
    for (const value of Object.values(out)) expect(value).toBe(REDACTED)
  })

  it('keeps facts that describe a secret without carrying it, and error codes under "code"', () => {
    const details = {
      name: 'mailbox',
      hasClientSecret: true,
      secretExpiresAt: '2027-01-01',
      tokenUrl: 'https://login.example.com/token',
      tokenType: 'Bearer',
      code: 'TOKEN_REFRESH_FAILED',
      providerCode: 'invalid_grant',
      reason: 'OIDC_STATE_INVALID',
    }
    expect(redactSecrets(details)).toEqual(details)
    expect(redactSecrets({ code: 'invalid_grant' })).toEqual({ code: 'invalid_grant' })
  })

  it('looks into nested old/new values and arrays, and leaves the input unchanged', () => {
    const input = {
      old: { clientSecret: 'old-secret', scope: 'a' },
      new: { clientSecret: 'new-secret', scope: 'b' },
      list: [{ refreshToken: 'r' }],
    }
    const out = redactSecrets(input)
    expect(out).toEqual({
      old: { clientSecret: REDACTED, scope: 'a' },
      new: { clientSecret: REDACTED, scope: 'b' },
      list: [{ refreshToken: REDACTED }],
    })
    expect(input.old.clientSecret).toBe('old-secret')
  })

  it('keeps null and undefined (a removed secret is not a secret)', () => {
    expect(redactSecrets({ clientSecret: null })).toEqual({ clientSecret: null })
  })

  it('scrubs bearer credentials and JWTs out of free text', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl'
    const out = redactSecrets({ message: `provider said no to Bearer abcdefghijk123 and ${jwt}` })
    expect(out.message).not.toContain('abcdefghijk123')
    expect(out.message).not.toContain(jwt)
    expect(out.message).toContain('provider said no')
  })

  it('names keys by shape: isSecretKey', () => {
    expect(isSecretKey('Client-Secret')).toBe(true)
    expect(isSecretKey('oldPassword')).toBe(true)
    expect(isSecretKey('hasRefreshToken')).toBe(false)
    expect(isSecretKey('scope')).toBe(false)
  })
})
