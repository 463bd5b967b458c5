/**
 * The token acts for whoever consents at "renew authorization". A profile may name the mailbox it
 * is for; when another account consents, the result page, the overview and dock.mail's profile
 * warnings say so with the advice (the mailbox user must consent, or for a Microsoft 365 shared
 * mailbox a user with full access consents and the XOAUTH2 user is the shared mailbox), and the
 * audit records it. The consenting account is read from the ID token, through an outbound proxy
 * too. The shared-mailbox case is shown end to end with an SMTP server that grants alice access to
 * shared@example.com.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import nodemailer from 'nodemailer'
import { microsoft365Preset, googlePreset } from '../../src/profiles/presets.js'
import { nodemailerOptions } from '../../src/mail/adapters.js'
import { BrowserClient } from '../fixtures/browser-client.js'
import { startConnectProxy } from '../fixtures/connect-proxy.js'
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { startSmtpServer, type SmtpFixture } from '../fixtures/smtp-server.js'
import { createTestCa, type TestCa } from '../fixtures/test-ca.js'
import { introspectionOf, MAIL_SERVER_CLIENT } from '../tokens/helpers.js'
import { ADMIN, SECRET, createViaApi, startProfilesApp, type ProfilesApp, mailClientOf } from './helpers.js'

let app: ProfilesApp
let op: OidcProviderFixture
let ca: TestCa
let smtp: SmtpFixture
const events: Array<Record<string, unknown>> = []

beforeAll(async () => {
  app = await startProfilesApp()
  op = await startOidcProvider({
    claimsInIdToken: true,
    clients: [mailClientOf(app), { ...MAIL_SERVER_CLIENT } as never],
  })
  ca = createTestCa('authdock shared mailbox CA')
  // alice has "full access" to the shared mailbox, as an Exchange administrator would grant it.
  smtp = await startSmtpServer(introspectionOf(op), {
    tls: { mode: 'starttls', ...ca.issueServer() },
    mailboxAccess: { 'shared@example.com': ['alice'] },
  })
  app.dock.events.on('profile.authorized', (e: Record<string, unknown>) => events.push(e))
})
afterAll(async () => {
  await app?.close()
  await smtp?.close()
  await op?.close()
})
beforeEach(async () => {
  for (const p of await app.dock.store.profiles.list()) await app.dock.store.profiles.delete(p.id)
  events.length = 0
  op.defaultAccount = 'alice'
})

const adminUrl = (path: string) => `${app.url}${app.admin}${path}`

function mailboxProfile(mailbox: string | null, extra: Record<string, unknown> = {}): Promise<string> {
  return createViaApi(app, {
    name: 'Support mailbox',
    authorizationUrl: `${op.issuer}/auth`,
    tokenUrl: `${op.issuer}/token`,
    clientId: 'mail-client',
    clientSecret: SECRET,
    scope: 'openid email offline_access',
    ...(mailbox ? { mailbox } : {}),
    ...extra,
  })
}

/** "Renew authorization" in a fresh browser, signing in at the provider as `account`. */
async function renewAs(profileId: string, account: string) {
  op.defaultAccount = account
  const browser = new BrowserClient()
  const page = await browser.request(adminUrl('/'), { headers: ADMIN })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]
  return browser.navigate(adminUrl(`/${profileId}/authorize`), {
    method: 'POST',
    form: { _csrf: csrf },
    headers: ADMIN,
  })
}

async function overviewRow(profileId: string): Promise<string> {
  const res = await app.agent.get(`${app.admin}/`).set(ADMIN)
  const start = res.text.indexOf(`data-profile-id="${profileId}"`)
  return res.text.slice(start, res.text.indexOf('</tr>', start))
}

describe("the consenting account against the profile's mailbox", () => {
  it('a profile for mailbox A authorized by account B warns on the result page and the overview, and audits it', async () => {
    const id = await mailboxProfile('alice@example.com')
    const { res, body } = await renewAs(id, 'bob')
    expect(res.status).toBe(200)
    expect(body).toContain('<dd id="authorized-account">bob@example.com</dd>')
    expect(body).toContain('<dd id="profile-mailbox">alice@example.com</dd>')
    const banner = body.slice(
      body.indexOf('id="account-mismatch"'),
      body.indexOf('</div>', body.indexOf('id="account-mismatch"')),
    )
    expect(banner).toContain('the mailbox is alice@example.com, the consenting account is bob@example.com')
    expect(banner).toContain('must be done by the mailbox user')
    expect(banner).toContain('shared mailbox')

    const row = await overviewRow(id)
    expect(row).toContain('class="bad account-mismatch"')
    expect(row).toContain('Consented by bob@example.com, not by the mailbox alice@example.com.')

    const [mismatch] = await app.dock.store.audit.list({ kind: 'profile.account_mismatch', profileId: id })
    expect(mismatch).toMatchObject({
      actor: 'test-admin',
      profileId: id,
      details: { mailbox: 'alice@example.com', account: 'bob@example.com' },
    })
    const [authorized] = await app.dock.store.audit.list({ kind: 'profile.authorized', profileId: id })
    expect(authorized.details).toMatchObject({ account: 'bob@example.com', mailbox: 'alice@example.com' })
    expect(events).toEqual([
      expect.objectContaining({ profileId: id, authorizedAccount: 'bob@example.com', accountMismatch: true }),
    ])

    // The host's mail-account form hears about it too.
    const [choice] = await app.dock.mail.profilesFor('IMAPS_OAuth2')
    expect(choice.warnings).toContainEqual(
      expect.objectContaining({
        code: 'profile_account_mismatch',
        level: 'warning',
        message: expect.stringContaining('bob@example.com'),
      }),
    )
  })

  it('authorized by the mailbox user (any letter case): no warning, no audit entry', async () => {
    const id = await mailboxProfile('Alice@Example.com')
    const { res, body } = await renewAs(id, 'alice')
    expect(res.status).toBe(200)
    expect(body).toContain('<dd id="authorized-account">alice@example.com</dd>')
    expect(body).not.toContain('account-mismatch')
    expect(await overviewRow(id)).not.toContain('account-mismatch')
    expect(await app.dock.store.audit.list({ kind: 'profile.account_mismatch', profileId: id })).toEqual([])
    expect(events).toEqual([expect.objectContaining({ accountMismatch: false })])
    expect((await app.dock.mail.profilesFor('IMAPS_OAuth2'))[0].warnings).toEqual([])
  })

  it("records the consenting account when the token request goes through the profile's CONNECT proxy", async () => {
    const proxy = await startConnectProxy()
    try {
      const id = await mailboxProfile('alice@example.com', { proxy: proxy.url })
      const { res, body } = await renewAs(id, 'bob')
      expect(res.status).toBe(200)
      // The code exchange went through the proxy, and the ID token was still read.
      expect(proxy.tunnels).toContain(`127.0.0.1:${op.port}`)
      expect(body).toContain('<dd id="authorized-account">bob@example.com</dd>')
      expect(body).toContain('id="account-mismatch"')
      expect(await app.dock.store.tokens.get(id)).toMatchObject({ authorizedAccount: 'bob@example.com' })
      expect(await app.dock.store.audit.list({ kind: 'profile.account_mismatch', profileId: id })).toHaveLength(1)
    } finally {
      await proxy.close()
    }
  })

  it('the Microsoft 365 and Google presets ask for an ID token that names the consenting account', () => {
    const m365 = microsoft365Preset('contoso.onmicrosoft.com').scope.split(' ')
    expect(m365).toEqual(
      expect.arrayContaining([
        'openid',
        'profile',
        'email',
        'offline_access',
        'https://outlook.office.com/IMAP.AccessAsUser.All',
      ]),
    )
    expect(googlePreset().scope.split(' ')).toEqual(
      expect.arrayContaining(['openid', 'email', 'https://mail.google.com/']),
    )
  })
})

describe('Microsoft 365 shared mailbox: the XOAUTH2 user is the shared mailbox, a user with access consents', () => {
  it("warns with the shared-mailbox advice, and mail goes out as the shared mailbox with the delegate's token", async () => {
    const id = await mailboxProfile('shared@example.com')
    const { body } = await renewAs(id, 'alice')
    expect(body).toContain('the mailbox is shared@example.com, the consenting account is alice@example.com')
    expect(body).toContain('The consenting account must be a user with full access to the shared mailbox')

    // "Test connection" suggests the mailbox as the login, not the consenting account.
    const page = await app.agent.get(`${app.admin}/${id}/test-connection`).set(ADMIN)
    expect(page.text).toContain('id="tc-user" name="user" value="shared@example.com"')

    const profile = await app.dock.store.profiles.get(id)
    const send = async (user: string) => {
      const transport = nodemailer.createTransport({
        ...nodemailerOptions(app.dock.tokens, 'SMTPTLS_OAuth2', {
          host: smtp.host,
          port: smtp.port,
          user,
          profileId: id,
          tls: { ca: ca.cert },
        }),
        logger: false,
      })
      try {
        return await transport
          .sendMail({ from: user, to: 'customer@example.com', subject: 'From the shared mailbox', text: 'hello' })
          .then(
            () => null,
            (e: unknown) => e,
          )
      } finally {
        transport.close()
      }
    }
    expect(await send(profile!.mailbox!)).toBeNull()
    expect(smtp.attempts.at(-1)).toMatchObject({ user: 'shared@example.com', accepted: true, secure: true })
    expect(smtp.messages.at(-1)).toMatchObject({ user: 'shared@example.com', from: 'shared@example.com' })
    // A mailbox alice has no access to refuses her token.
    expect(await send('other@example.com')).toMatchObject({ code: 'EAUTH' })
    expect(smtp.attempts.at(-1)).toMatchObject({ user: 'other@example.com', accepted: false })
  })
})
