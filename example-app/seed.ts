/**
 * First-start content so that a newcomer can click "renew authorization" and send a mail right
 * away: the OAuth2 profile "Dev mailbox" at the dev identity provider and the mail account
 * "Demo outbox" that uses it with the SMTP sink.
 */
import type { Authdock } from '../src/index.js'
import type { DevIdp } from './dev-idp.js'
import { accountRules, type MailAccounts } from './mail-accounts.js'
import type { SmtpSink } from './smtp-sink.js'

export const DEV_PROFILE_NAME = 'Dev mailbox'
export const DEMO_ACCOUNT_NAME = 'Demo outbox'

/** The name the seeding's changes carry in the audit trail. */
export const SEED_ACTOR = 'example seed'

export async function seedDevMailbox(input: {
  dock: Authdock
  idp: DevIdp
  baseUrl: string
  sink: SmtpSink
  accounts: MailAccounts
}): Promise<void> {
  const { dock, idp, baseUrl, sink, accounts } = input
  // Through dock.profiles, as the admin's changes: validated, audited, events emitted.
  const profileInput = {
    name: DEV_PROFILE_NAME,
    grantType: 'authorization_code' as const,
    authorizationUrl: `${idp.issuer}/auth`,
    tokenUrl: `${idp.issuer}/token`,
    redirectUrl: `${baseUrl}${dock.config.paths.oauth2Redirect}`,
    clientId: idp.mailboxClient.clientId,
    clientSecret: idp.mailboxClient.clientSecret,
    scope: idp.mailboxScope,
    valid: true,
  }
  const actor = { actor: SEED_ACTOR }
  const profiles = await dock.profiles.list()
  let profile = profiles.find((p) => p.name === DEV_PROFILE_NAME && p.clientId === idp.mailboxClient.clientId)
  if (profile) {
    // The dev IdP keeps everything in memory: after a restart it has a new client secret and has
    // forgotten the tokens it issued, so the profile follows it and must be authorized again.
    profile = (await dock.profiles.update(profile.id, { ...profileInput, valid: profile.valid }, actor)).profile
    if (await dock.profiles.tokenState(profile.id)) await dock.profiles.clearTokens(profile.id, actor)
  } else if (profiles.length === 0) {
    profile = await dock.profiles.create(profileInput, actor)
  }
  // The sink's port follows PORT (PORT+2, or a free one with PORT=0): keep the demo account on it.
  const demo = accounts.list().find((a) => a.name === DEMO_ACCOUNT_NAME && a.host === sink.host)
  if (demo && demo.port !== sink.port) {
    await accounts.save(
      { ...demo, port: String(sink.port), profileId: demo.profileId ?? '' },
      await accountRules(dock, demo.profileId),
      demo.id,
    )
  }
  if (profile && accounts.list().length === 0) {
    await accounts.save(
      {
        name: DEMO_ACCOUNT_NAME,
        type: 'SMTPTLS_OAuth2',
        host: sink.host,
        port: String(sink.port),
        user: 'alice@example.com',
        profileId: profile.id,
      },
      await accountRules(dock, profile.id),
    )
  }
}
