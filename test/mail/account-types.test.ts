/**
 * dock.mail gives a host what its mail-account form needs, so it copies nothing from the example
 * app: every account type with port, TLS mode, direction and whether a profile replaces the
 * password, provider notes, and the profiles each OAuth2 type may use with per-profile warnings
 * (Microsoft 365 with IMAPTLS/POP3TLS, outgoing mail other than SMTPTLS, not yet authorized, not
 * valid). English and German.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MailAccountTypeInfo } from '../../src/index.js'
import { createViaApi, startProfilesApp, type ProfilesApp } from '../profiles/helpers.js'

let app: ProfilesApp
const ids: Record<string, string> = {}

beforeAll(async () => {
  app = await startProfilesApp()
  ids.m365 = await createViaApi(app, {
    name: 'Office 365',
    preset: 'microsoft365',
    tenantId: 'contoso.onmicrosoft.com',
    authorizationUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
    tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    mailbox: 'desk@contoso.com',
  })
  ids.plain = await createViaApi(app, { name: 'Dovecot' })
  ids.off = await createViaApi(app, { name: 'Switched off', valid: false })
  ids.app = await createViaApi(app, { name: 'App only', grantType: 'client_credentials', authorizationUrl: '' })
  await app.dock.store.tokens.save(ids.plain, {
    refreshToken: 'r',
    accessToken: 'a',
    accessTokenExpiresAt: new Date(Date.now() + 3600_000),
  })
})
afterAll(async () => {
  await app?.close()
})

const byType = (types: MailAccountTypeInfo[], type: string) => types.find((t) => t.type === type)!

describe('dock.mail.accountTypes()', () => {
  it('describes the password types and all nine OAuth2 types: port, TLS mode, direction, profile instead of password', async () => {
    const types = await app.dock.mail.accountTypes()
    expect(types.map((t) => t.type)).toEqual([
      'IMAP',
      'IMAPS',
      'IMAPTLS',
      'POP3',
      'POP3S',
      'POP3TLS',
      'SMTP',
      'SMTPS',
      'SMTPTLS',
      'IMAP_OAuth2',
      'IMAPS_OAuth2',
      'IMAPTLS_OAuth2',
      'POP3_OAuth2',
      'POP3S_OAuth2',
      'POP3TLS_OAuth2',
      'SMTP_OAuth2',
      'SMTPS_OAuth2',
      'SMTPTLS_OAuth2',
    ])
    expect(byType(types, 'IMAP_OAuth2')).toMatchObject({
      protocol: 'imap',
      direction: 'inbound',
      port: 143,
      tlsMode: 'starttls',
      tlsLabel: 'STARTTLS, required',
      usesProfile: true,
      counterpart: 'IMAP',
    })
    expect(byType(types, 'POP3S_OAuth2')).toMatchObject({
      protocol: 'pop3',
      direction: 'inbound',
      port: 995,
      tlsMode: 'implicit',
      usesProfile: true,
    })
    expect(byType(types, 'SMTPTLS_OAuth2')).toMatchObject({
      protocol: 'smtp',
      direction: 'outbound',
      port: 587,
      tlsMode: 'starttls',
      usesProfile: true,
    })
    // The ticket system's plain password types run without TLS; authdock never connects with them.
    expect(byType(types, 'IMAP')).toMatchObject({
      port: 143,
      tlsMode: 'none',
      usesProfile: false,
      counterpart: 'IMAP_OAuth2',
      notes: [],
      profiles: [],
    })
    // Compatibility types say that STARTTLS is required anyway.
    for (const type of ['IMAP_OAuth2', 'POP3_OAuth2', 'SMTP_OAuth2']) {
      expect(byType(types, type).notes).toContainEqual(
        expect.objectContaining({
          code: 'starttls_required',
          level: 'info',
          preset: null,
          message: expect.stringContaining('STARTTLS'),
        }),
      )
    }
    // Provider notes name the preset they are about.
    expect(byType(types, 'IMAPTLS_OAuth2').notes).toContainEqual({
      code: 'microsoft365_not_supported',
      level: 'warning',
      preset: 'microsoft365',
      message: 'Microsoft 365 does not support IMAPTLS_OAuth2: use IMAPS_OAuth2 (outlook.office365.com, port 993).',
    })
  })

  it('lists the valid profiles of either grant type for each OAuth2 type, the invalid one only when included', async () => {
    const types = await app.dock.mail.accountTypes()
    const names = (type: string) => byType(types, type).profiles!.map((p) => p.name)
    expect(names('IMAPS_OAuth2')).toEqual(['App only', 'Dovecot', 'Office 365'])
    const withOff = await app.dock.mail.profilesFor('IMAPS_OAuth2', { include: ids.off })
    expect(withOff.map((p) => p.name)).toEqual(['App only', 'Dovecot', 'Office 365', 'Switched off'])
    expect(withOff.find((p) => p.id === ids.off)!.warnings).toContainEqual(
      expect.objectContaining({ code: 'profile_invalid', level: 'warning' }),
    )
  })
})

describe('dock.mail.profilesFor(type): per-profile warnings', () => {
  it('warns a Microsoft 365 profile off IMAPTLS_OAuth2 and POP3TLS_OAuth2, and only that profile', async () => {
    for (const type of ['IMAPTLS_OAuth2', 'POP3TLS_OAuth2', 'IMAP_OAuth2', 'POP3_OAuth2']) {
      const choices = await app.dock.mail.profilesFor(type)
      const m365 = choices.find((p) => p.id === ids.m365)!
      expect({ type, codes: m365.warnings.map((w) => w.code) }).toEqual({
        type,
        codes: ['microsoft365_not_supported', 'profile_not_authorized'],
      })
      expect(choices.find((p) => p.id === ids.plain)!.warnings).toEqual([])
    }
    const imaps = (await app.dock.mail.profilesFor('IMAPS_OAuth2')).find((p) => p.id === ids.m365)!
    expect(imaps.warnings.map((w) => [w.code, w.level])).toEqual([
      ['microsoft365_recommended', 'info'],
      ['profile_not_authorized', 'warning'],
    ])
    expect(imaps).toMatchObject({
      preset: 'microsoft365',
      mailbox: 'desk@contoso.com',
      state: 'not_authorized',
      valid: true,
    })
  })

  it('recommends SMTPTLS_OAuth2 for Microsoft 365 outgoing mail and warns on SMTP_OAuth2 and SMTPS_OAuth2', async () => {
    const warning = async (type: string) =>
      (await app.dock.mail.profilesFor(type)).find((p) => p.id === ids.m365)!.warnings[0]
    expect(await warning('SMTPTLS_OAuth2')).toMatchObject({
      code: 'microsoft365_recommended',
      level: 'info',
      message: 'Recommended for Microsoft 365: smtp.office365.com, port 587.',
    })
    for (const type of ['SMTP_OAuth2', 'SMTPS_OAuth2']) {
      expect(await warning(type)).toMatchObject({
        code: 'microsoft365_smtptls_required',
        level: 'warning',
        message: expect.stringContaining('requires SMTPTLS_OAuth2'),
      })
    }
  })

  it('tells the state of each profile: authorized, on demand (client credentials), not authorized', async () => {
    const choices = await app.dock.mail.profilesFor('SMTPTLS_OAuth2')
    expect(choices.find((p) => p.id === ids.plain)).toMatchObject({ state: 'authorized', warnings: [] })
    expect(choices.find((p) => p.id === ids.app)).toMatchObject({
      state: 'on_demand',
      grantType: 'client_credentials',
      warnings: [],
    })
  })

  it('speaks German', async () => {
    const [note] = (await app.dock.mail.profilesFor('IMAPTLS_OAuth2', { language: 'de' })).find(
      (p) => p.id === ids.m365,
    )!.warnings
    expect(note.message).toBe(
      'Microsoft 365 unterstützt IMAPTLS_OAuth2 nicht: IMAPS_OAuth2 verwenden (outlook.office365.com, Port 993).',
    )
    const types = await app.dock.mail.accountTypes({ language: 'de' })
    expect(byType(types, 'SMTPS_OAuth2').tlsLabel).toBe('TLS ab dem ersten Byte')
  })

  it('answers a password type with no profiles and refuses an unknown type (VALIDATION_FAILED naming type)', async () => {
    expect(await app.dock.mail.profilesFor('IMAPS')).toEqual([])
    await expect(app.dock.mail.profilesFor('IMAP_PLAIN')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { type: expect.stringContaining('POP3TLS_OAuth2') },
    })
  })
})
