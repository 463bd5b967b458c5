import { describe, expect, it } from 'vitest'
import { isAuthdockError } from '../../src/errors.js'
import { parseProfileInput } from '../../src/profiles/schema.js'
import {
  googlePreset,
  isValidTenantId,
  microsoft365Preset,
  presetAuthorizationParams,
  presetValues,
} from '../../src/profiles/presets.js'

const config = { baseUrl: 'https://app.example.com', paths: { oauth2Redirect: '/oauth2redirect' } } as never
const base = {
  name: ' Mailbox ',
  authorizationUrl: 'https://login.example.com/auth',
  tokenUrl: 'https://login.example.com/token',
  clientId: 'cid',
  scope: '  a   b ',
}

function fieldsOf(fn: () => unknown): Record<string, string> {
  try {
    fn()
  } catch (err) {
    if (isAuthdockError(err, 'VALIDATION_FAILED')) return err.fields ?? {}
    throw err
  }
  throw new Error('expected VALIDATION_FAILED')
}

describe('profile schema', () => {
  it('trims, normalises the scope, defaults the grant type and the redirect URL', () => {
    const input = parseProfileInput(base, { config, source: 'json' })
    expect(input).toMatchObject({
      name: 'Mailbox',
      grantType: 'authorization_code',
      scope: 'a b',
      redirectUrl: 'https://app.example.com/oauth2redirect',
      valid: true,
      proxy: null,
      preset: null,
    })
    expect(input).not.toHaveProperty('clientSecret')
  })

  it('treats an absent checkbox as unticked in a form and as true in JSON', () => {
    expect(parseProfileInput(base, { config, source: 'form' }).valid).toBe(false)
    expect(parseProfileInput({ ...base, valid: 'on' }, { config, source: 'form' }).valid).toBe(true)
    expect(parseProfileInput(base, { config, source: 'json' }).valid).toBe(true)
  })

  it('keeps the secret when empty, sets it when given, removes it with removeClientSecret', () => {
    expect(parseProfileInput({ ...base, clientSecret: '' }, { config, source: 'form' })).not.toHaveProperty(
      'clientSecret',
    )
    expect(parseProfileInput({ ...base, clientSecret: 's' }, { config, source: 'form' }).clientSecret).toBe('s')
    expect(
      parseProfileInput({ ...base, clientSecret: 's', removeClientSecret: 'on' }, { config, source: 'form' })
        .clientSecret,
    ).toBeNull()
  })

  it('reads the secret expiry as a UTC date', () => {
    expect(
      parseProfileInput(
        { ...base, secretExpiresAt: '2030-06-30' },
        { config, source: 'form' },
      ).secretExpiresAt?.toISOString(),
    ).toBe('2030-06-30T00:00:00.000Z')
    expect(
      fieldsOf(() => parseProfileInput({ ...base, secretExpiresAt: '2030-02-31x' }, { config, source: 'form' }))
        .secretExpiresAt,
    ).toMatch(/date/)
    expect(
      fieldsOf(() => parseProfileInput({ ...base, secretExpiresAt: '2030-02-31' }, { config, source: 'form' }))
        .secretExpiresAt,
    ).toMatch(/date/)
  })

  it('allows http only for loopback hosts', () => {
    expect(
      parseProfileInput(
        { ...base, tokenUrl: 'http://127.0.0.1:8080/token', authorizationUrl: 'http://localhost/auth' },
        { config, source: 'json' },
      ).tokenUrl,
    ).toBe('http://127.0.0.1:8080/token')
    expect(
      fieldsOf(() => parseProfileInput({ ...base, tokenUrl: 'http://10.0.0.1/token' }, { config, source: 'json' }))
        .tokenUrl,
    ).toMatch(/https/)
  })

  it('needs no authorization URL for the client credentials grant', () => {
    const input = parseProfileInput(
      { ...base, grantType: 'client_credentials', authorizationUrl: '' },
      { config, source: 'json' },
    )
    expect(input).toMatchObject({ grantType: 'client_credentials', authorizationUrl: null, redirectUrl: null })
  })

  it('rejects values of the wrong type in JSON', () => {
    const fields = fieldsOf(() =>
      parseProfileInput({ ...base, name: 5, valid: 'perhaps', clientSecret: 12 }, { config, source: 'json' }),
    )
    expect(Object.keys(fields).sort()).toEqual(['clientSecret', 'name', 'valid'])
  })
})

describe('presets', () => {
  it('accepts tenant GUIDs, domains and Entra aliases; refuses anything else', () => {
    for (const ok of ['8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b', 'contoso.onmicrosoft.com', 'example.de', 'organizations'])
      expect(isValidTenantId(ok), ok).toBe(true)
    for (const bad of ['', 'contoso', 'a b.com', '../../evil', '8f1c2a3b-4d5e', 'x.com/path'])
      expect(isValidTenantId(bad), bad).toBe(false)
  })

  it('builds the Microsoft 365 endpoints of a tenant', () => {
    expect(microsoft365Preset('contoso.onmicrosoft.com')).toMatchObject({
      authorizationUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    })
  })

  it('asks Google for offline access with consent, and nobody else', () => {
    expect(googlePreset().scope).toBe('openid email https://mail.google.com/')
    expect(presetAuthorizationParams('google')).toEqual({ access_type: 'offline', prompt: 'consent' })
    expect(presetAuthorizationParams('microsoft365')).toEqual({})
  })

  it('requires the tenant id and the issuer where a preset needs them', async () => {
    const deps = { fetch, timeoutMs: 1000 }
    await expect(presetValues('microsoft365', {}, deps)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { tenantId: expect.any(String) },
    })
    await expect(presetValues('keycloak', {}, deps)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { issuer: expect.any(String) },
    })
  })
})
